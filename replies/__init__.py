"""Replies: what debtors (and strangers) send back, by email, SMS, WhatsApp or the portal.

`replies.ingest.ingest_reply` is the one way in (webhooks, the mail sink handoff, the IMAP
poller, `saldo replies ingest` and the portal's contact form all call it); it matches the
sender to a debtor, stores the message once in the debtor's conversation and runs the reply
handlers (`replies.handlers`). The staff inbox (`replies.inbox`) reads and answers them.
"""
