"""Replies: what debtors (and strangers) send back, and understanding them.

`replies.ingest.ingest_reply` is the one way in (webhooks, the mail sink handoff, the IMAP
poller, `saldo replies ingest` and the portal's contact form); `replies.handlers` run after
each stored message; the staff inbox is `replies.inbox`.

Understanding debtors' replies: intent, promised date, amount and language.

Plain Python (no Flask) except ``cli.py`` and ``registry.py``. The pipeline, in
``understand.py``: normalise the text (``text.py``), apply explicit rules first (``rules.py``:
stop words and unmistakable patterns), then the versioned scikit-learn classifier
(``model.py``), then resolve dates (``dates.py``) and amounts (``amounts.py``) relative to the
message's received time in the debtor's time zone. The labelled corpus it is trained and
measured on ships in ``corpus/``.
"""

LANGUAGES = ("es", "pt", "en")
INTENTS = ("promise", "already_paid", "hardship", "dispute", "stop", "question", "other")
