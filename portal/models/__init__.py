"""The Saldo data model, split by concern. Import models from here."""

from portal.models.admin import AlertPolicy, AuditEvent, StaffUser, StripeEvent
from portal.models.alerts import MessageTemplate, SchedulerLock
from portal.models.conversations import Conversation, InboundMessage, ReplySnippet
from portal.models.engagement import (
    MESSAGE_KINDS,
    AccessLink,
    Dispute,
    Installment,
    Message,
    PaymentPlan,
    PortalVisit,
    PromiseToPay,
    PushSubscription,
)
from portal.models.integration import (
    ApiKey,
    IdempotencyRecord,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookEvent,
)
from portal.models.ledger import (
    CHANNELS,
    CreditNote,
    Debtor,
    ImportRun,
    Invoice,
    Payment,
    PaymentAllocation,
)
from portal.models.payment_issues import Chargeback, PaymentIssue
from portal.models.replies import (
    ReminderPause,
    ReplyLabel,
    ReplyModelVersion,
    ReplyUnderstanding,
)
from portal.models.risk import ModelVersion, RiskScore, ScoringRun
from portal.models.sessions import RememberToken, UserSession
from portal.models.types import UTCDateTime, utcnow

__all__ = [
    "CHANNELS",
    "MESSAGE_KINDS",
    "Conversation",
    "InboundMessage",
    "ReplySnippet",
    "AccessLink",
    "AlertPolicy",
    "ApiKey",
    "AuditEvent",
    "Chargeback",
    "CreditNote",
    "Debtor",
    "Dispute",
    "IdempotencyRecord",
    "ImportRun",
    "Installment",
    "Invoice",
    "Message",
    "MessageTemplate",
    "ModelVersion",
    "Payment",
    "PaymentAllocation",
    "PaymentIssue",
    "PaymentPlan",
    "PortalVisit",
    "PromiseToPay",
    "PushSubscription",
    "RememberToken",
    "ReminderPause",
    "ReplyLabel",
    "ReplyUnderstanding",
    "ReplyModelVersion",
    "RiskScore",
    "ScoringRun",
    "SchedulerLock",
    "StaffUser",
    "StripeEvent",
    "UTCDateTime",
    "UserSession",
    "WebhookAttempt",
    "WebhookEndpoint",
    "WebhookEvent",
    "utcnow",
]
