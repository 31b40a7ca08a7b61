"""A deterministic, behaviourally realistic demo portfolio (`saldo seed-demo`).

Debtors follow personas a collections team would recognise: always on time, occasionally
late, chronically late, deteriorating (the early-warning case the risk model exists for),
disputers, and promisers who sometimes break their word. Spanish, Portuguese and English
names and locales; COP, MXN, BRL and USD; monthly bills with history and open invoices due
over the next 30 days. The same seed and day give the same portfolio.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Debtor, Dispute, Invoice, Payment, PaymentAllocation, PromiseToPay


@dataclass(frozen=True)
class Market:
    locale: str
    currency: str
    timezone: str
    country: str
    phone_prefix: str
    amount_range: tuple[int, int]  # major units
    rounding: int  # round amounts to this many major units
    first: tuple[str, ...]
    last: tuple[str, ...]


MARKETS = (
    Market("es_CO", "COP", "America/Bogota", "CO", "+573", (60_000, 2_400_000), 100,
           ("Camila", "Santiago", "Valentina", "Andrés", "Luisa", "Juan Pablo", "Daniela",
            "Carlos", "María José", "Felipe"),
           ("Gómez", "Rodríguez", "Martínez", "Restrepo", "Ospina", "Cárdenas", "Vargas",
            "Londoño", "Castaño", "Mejía")),
    Market("es_MX", "MXN", "America/Mexico_City", "MX", "+5255", (350, 14_000), 1,
           ("Sofía", "Diego", "Ximena", "Emiliano", "Regina", "Mateo", "Fernanda", "Iker"),
           ("Hernández", "García", "López", "Ramírez", "Flores", "Torres", "Cruz", "Morales")),
    Market("pt_BR", "BRL", "America/Sao_Paulo", "BR", "+5511", (80, 2_800), 1,
           ("Ana", "João", "Beatriz", "Lucas", "Mariana", "Gabriel", "Larissa", "Rafael"),
           ("Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Almeida", "Ferreira")),
    Market("en_US", "USD", "America/New_York", "US", "+1555", (25, 900), 1,
           ("Emily", "James", "Olivia", "Michael", "Grace", "Daniel", "Hannah", "Ryan"),
           ("Johnson", "Miller", "Davis", "Wilson", "Clark", "Lewis", "Walker", "Young")),
)
MARKET_WEIGHTS = (0.4, 0.2, 0.25, 0.15)

# persona: (weight, chance an invoice is late, (min, max) days late when late)
PERSONAS = {
    "punctual": (0.40, 0.03, (1, 3)),
    "occasional": (0.22, 0.22, (2, 15)),
    "chronic": (0.12, 0.80, (8, 55)),
    "deteriorating": (0.12, 0.05, (3, 12)),
    "disputer": (0.07, 0.25, (3, 20)),
    "promiser": (0.07, 0.60, (5, 30)),
}


def _pick(rng: random.Random, weighted: dict) -> str:
    names = list(weighted)
    return rng.choices(names, weights=[weighted[n][0] for n in names])[0]


def _late_profile(persona: str, months_before_today: float) -> tuple[float, tuple[int, int]]:
    _, chance, days = PERSONAS[persona]
    if persona == "deteriorating" and months_before_today < 4:
        # The early-warning case: reliable for most of the year, slipping in the last months.
        chance = 0.35 + 0.15 * (4 - months_before_today)
        days = (4, 25)
    return min(chance, 0.95), days


def seed_demo(
    debtors: int = 120, months: int = 12, seed: int = 7, today: date | None = None
) -> dict:
    """Create the demo portfolio unless demo debtors exist already. Returns counts."""
    session = db.session
    existing = session.scalar(
        select(func.count()).select_from(Debtor).where(Debtor.external_id.like("DEMO-%"))
    )
    if existing:
        return _summary(skipped=True)
    today = today or datetime.now(UTC).date()
    rng = random.Random(seed)
    for n in range(1, debtors + 1):
        _seed_debtor(rng, n, months, today)
    session.commit()
    return _summary(skipped=False)


def _summary(skipped: bool) -> dict:
    s = db.session
    demo = Debtor.external_id.like("DEMO-%")
    count = lambda stmt: s.scalar(stmt)  # noqa: E731
    return {
        "skipped": skipped,
        "debtors": count(select(func.count()).select_from(Debtor).where(demo)),
        "invoices": count(select(func.count()).select_from(Invoice).join(Debtor).where(demo)),
        "open": count(
            select(func.count()).select_from(Invoice).join(Debtor)
            .where(demo, Invoice.status == "open")
        ),
        "payments": count(select(func.count()).select_from(Payment).join(Debtor).where(demo)),
        "promises": count(
            select(func.count()).select_from(PromiseToPay).join(Debtor).where(demo)
        ),
        "disputes": count(select(func.count()).select_from(Dispute).join(Debtor).where(demo)),
    }


def _seed_debtor(rng: random.Random, n: int, months: int, today: date) -> None:
    market = rng.choices(MARKETS, weights=MARKET_WEIGHTS)[0]
    persona = _pick(rng, PERSONAS)
    first, last = rng.choice(market.first), rng.choice(market.last)
    handle = f"{first}.{last}.{n}".lower().replace(" ", "")
    debtor = Debtor(
        external_id=f"DEMO-{n:04d}",
        name=f"{first} {last}",
        email=_ascii(handle) + "@example.com",
        phone=market.phone_prefix + "".join(str(rng.randint(0, 9)) for _ in range(7)),
        locale=market.locale,
        timezone=market.timezone,
        country=market.country,
        paperless=rng.random() < 0.6,
        allow_email=True,
        allow_sms=rng.random() < 0.7,
        allow_whatsapp=market.country != "US" and rng.random() < 0.6,
        allow_push=False,
        preferred_channel=None,
        quiet_start=time(8, 0),
        quiet_end=time(20, 0),
    )
    if debtor.allow_whatsapp and rng.random() < 0.5:
        debtor.preferred_channel = "whatsapp"
    _give_identity(debtor)
    db.session.add(debtor)

    usual = rng.uniform(*market.amount_range)
    term = rng.choice((15, 30, 30))
    issue_day = rng.randint(1, 28)
    open_invoices: list[Invoice] = []
    start = today.replace(day=1) - timedelta(days=30 * months)
    for k in range(months + 1):
        month_start = (start + timedelta(days=31 * k)).replace(day=1)
        issued = month_start.replace(day=issue_day)
        if issued > today:
            continue
        due = issued + timedelta(days=term)
        amount_major = max(market.rounding, round(usual * rng.uniform(0.7, 1.35) / market.rounding)
                           * market.rounding)
        invoice = Invoice(
            external_id=f"DEMO-{n:04d}-{issued:%Y%m}",
            debtor=debtor,
            issued_on=issued,
            due_on=due,
            amount_minor=int(amount_major * 100),
            currency=market.currency,
            status="open",
            paid_minor=0,
            paperless=debtor.paperless,
            description=f"{issued:%Y-%m}",
        )
        db.session.add(invoice)
        months_before = (today - issued).days / 30.4
        chance, (lo, hi) = _late_profile(persona, months_before)
        settle = due - timedelta(days=rng.randint(0, 6)) if rng.random() >= chance else (
            due + timedelta(days=rng.randint(lo, hi))
        )
        settle = max(settle, issued + timedelta(days=1))
        if settle <= today:
            _settle(invoice, debtor, settle)
        else:
            open_invoices.append(invoice)
    _persona_events(rng, persona, debtor, open_invoices, today)


def _settle(invoice: Invoice, debtor: Debtor, on: date) -> None:
    payment = Payment(
        debtor=debtor, amount_minor=invoice.amount_minor, currency=invoice.currency,
        method="transfer", status="succeeded", refunded_minor=0, received_on=on,
    )
    payment.allocations.append(
        PaymentAllocation(invoice=invoice, amount_minor=invoice.amount_minor)
    )
    db.session.add(payment)
    invoice.paid_minor = invoice.amount_minor
    invoice.status = "paid"
    invoice.settled_on = on


def _persona_events(rng, persona, debtor, open_invoices, today) -> None:
    overdue = [i for i in open_invoices if i.due_on < today]
    upcoming = [i for i in open_invoices if i.due_on >= today]
    created = datetime.combine(today - timedelta(days=12), time(15, 0), tzinfo=UTC)
    if persona == "promiser" and overdue:
        broken = overdue[0]
        db.session.add(PromiseToPay(
            debtor=debtor, invoice=broken, promised_on=today - timedelta(days=4),
            amount_minor=broken.amount_minor, currency=broken.currency, status="broken",
            created_at=created, resolved_at=created + timedelta(days=9),
        ))
        if rng.random() < 0.5:
            db.session.add(PromiseToPay(
                debtor=debtor, invoice=broken, promised_on=today + timedelta(days=6),
                amount_minor=broken.amount_minor, currency=broken.currency, status="open",
                created_at=created + timedelta(days=10),
            ))
    if persona == "chronic" and overdue and rng.random() < 0.5:
        partial = overdue[-1]
        part = (partial.amount_minor // 3 // 100) * 100
        if part > 0:
            payment = Payment(
                debtor=debtor, amount_minor=part, currency=partial.currency, method="transfer",
                status="succeeded", refunded_minor=0, received_on=today - timedelta(days=3),
            )
            payment.allocations.append(PaymentAllocation(invoice=partial, amount_minor=part))
            db.session.add(payment)
            partial.paid_minor = part
    if persona == "disputer" and (upcoming or overdue):
        disputed = (upcoming or overdue)[-1]
        disputed.disputed = True
        db.session.add(Dispute(
            debtor=debtor, invoice=disputed, reason=rng.choice(("wrong_amount", "not_received")),
            message="El valor no corresponde al consumo del mes.", status="open",
            created_at=created,
        ))


def demo_identity_fact(debtor: Debtor) -> str | None:
    """The demo debtor's document last four digits (derived from the id; None if not demo)."""
    number = (debtor.external_id or "").removeprefix("DEMO-")
    if not debtor.external_id.startswith("DEMO-") or not number.isdigit():
        return None
    return f"{(int(number) * 7919 + 1234) % 10000:04d}"


def _give_identity(debtor: Debtor) -> None:
    """Store the demo fact hashed, as a real import would (see portal.debtor.identity)."""
    from portal.debtor.identity import set_identity

    set_identity(debtor, demo_identity_fact(debtor), kind="document_last4")


def _ascii(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
