"""Payments: money arithmetic, the Stripe gateway, webhooks, allocation and payment plans."""
