"""Preventive alerts: the reminder policy, contact rules, channels, the outbox and jobs."""
