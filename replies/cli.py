"""`saldo replies …`: the command group; the understanding's commands live in
`replies.cli_understanding` and attach to it when this module is imported."""

from __future__ import annotations

from flask.cli import AppGroup

replies_cli = AppGroup("replies", help="Replies from debtors: understanding and its model.")

import replies.cli_understanding  # noqa: E402,F401  (attaches classify, train, evaluate)
