"""Read-only lists of what debtors did and what Saldo sent or scored.

Promises, disputes, payment plans, messages (the outbox's messages to debtors; webhooks are
not messages to anyone the API lists) and risk scores, each with cursor
pagination, `updated_since` (on when the row last changed) and `customer_id`.
"""

from __future__ import annotations

from sqlalchemy import func, select

from portal.api import bp
from portal.api.auth import require
from portal.api.pagination import page
from portal.api.schemas import ListArgs, page_schema
from portal.api.schemas_read import DisputeOut, MessageOut, PlanOut, PromiseOut, RiskScoreOut
from portal.models import Dispute, Invoice, Message, PaymentPlan, PromiseToPay, RiskScore


def _list(rule: str, name: str, schema, model, changed, debtor_column, query=None):
    def view(args: dict):
        return page(model, args, changed=changed, debtor_column=debtor_column, query=query)

    view.__name__ = view.__qualname__ = f"list_{name.lower()}s"
    view.__doc__ = (f"List {rule.strip('/').replace('-', ' ')} (cursor pagination; "
                    "`updated_since`; `customer_id`).")
    decorated = bp.response(200, page_schema(schema, f"{name}Page"))(view)
    decorated = bp.arguments(ListArgs, location="query")(decorated)
    decorated = require("read")(decorated)
    return bp.route(rule, methods=["GET"])(decorated)


_list("/promises", "Promise", PromiseOut, PromiseToPay,
      func.coalesce(PromiseToPay.resolved_at, PromiseToPay.created_at), PromiseToPay.debtor_id)
_list("/disputes", "Dispute", DisputeOut, Dispute,
      func.coalesce(Dispute.resolved_at, Dispute.created_at), Dispute.debtor_id)
_list("/plans", "Plan", PlanOut, PaymentPlan,
      func.coalesce(PaymentPlan.ended_at, PaymentPlan.created_at), PaymentPlan.debtor_id)
_list("/messages", "Message", MessageOut, Message,
      func.coalesce(Message.sent_at, Message.created_at), Message.debtor_id,
      query=select(Message).where(Message.kind != "webhook"))  # messages to debtors only
_list("/risk-scores", "RiskScore", RiskScoreOut, RiskScore, RiskScore.scored_at,
      select(Invoice.debtor_id).where(Invoice.id == RiskScore.invoice_id).scalar_subquery())
