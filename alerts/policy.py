"""The alert policy: from today's data to planned messages and skipped ones, each with a reason.

Plain Python, no Flask and no database: `decide(snapshot, policy)` is the whole policy, so
planning, the staff what-if preview and the tests all run the same code.

Rules fire on a date relative to the due date (`pre_7`, `pre_2`, `pre_0` before or on it,
`post_1`, `post_7` after it, `inst_2` before a plan instalment). A rule aimed at a day the
debtor may not be contacted (Sunday, holiday, closed weekday) moves to the previous sending
day before the due date, and to the next one after it. Skip reasons are stable codes:
paid, disputed, in_plan, promised, low_risk, opted_out, holdout, no_channel, no_consent,
quiet_hours, cap. Whether a message may go out at all is `alerts.eligibility.ineligible`,
the same function the dispatcher re-checks at send time. The band is `Policy.band_for`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, timedelta

from alerts.calendar import Profile, profile_for, send_slot, shifted_day, window_on, zone
from alerts.eligibility import ineligible
from alerts.facts import DebtorFact, Decision, Decisions, InvoiceFact, Snapshot
from alerts.policy_model import Policy, as_policy
from alerts.rules import Rule, contacts_in_week, contacts_today, pick_channel, rules_for

SKIP_REASONS = ("paid", "disputed", "in_plan", "promised", "paused", "low_risk", "opted_out",
                "holdout", "no_channel", "no_consent", "quiet_hours", "cap")


def in_holdout(debtor_id: int, policy: Policy) -> bool:
    """Stable random holdout: the debtor id hashed with the policy's salt, below the share."""
    policy = as_policy(policy)
    share = policy.holdout_share
    if share <= 0:
        return False
    digest = hashlib.sha256(f"{policy.holdout_salt}:{debtor_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def firing_due_dates(policy: Policy, countries, today: date) -> dict[str | None, dict]:
    """For each country: {due date: [rules firing today for invoices due then]}."""
    policy = as_policy(policy)
    profile = profile_for(policy)
    result: dict[str | None, dict] = {}
    for country in set(countries):
        by_due: dict[date, list[Rule]] = defaultdict(list)
        if window_on(profile, country, today) is not None:
            for rule in rules_for(policy):
                for delta in range(-12, 13):
                    target = today + timedelta(days=delta)
                    if shifted_day(profile, country, target, rule.offset <= 0) == today:
                        by_due[target - timedelta(days=rule.offset)].append(rule)
        result[country] = dict(by_due)
    return result


def _decision(rule: Rule, debtor_id: int, target_id: str, due_on: date, band: str,
              probability: float | None) -> Decision:
    target = due_on + timedelta(days=rule.offset)
    key = f"{debtor_id}:{target_id}:{rule.name}:{target.isoformat()}"
    return Decision(debtor_id=debtor_id, rule=rule.name, kind=rule.kind, offset=rule.offset,
                    dedupe_key=key, band=band, probability=probability)


def _invoice_skip(invoice: InvoiceFact, rule: Rule, band: str, policy: Policy,
                  today: date) -> str | None:
    reason = ineligible(today, invoice=invoice)
    if reason:
        return reason
    if rule.offset <= 0 and -rule.offset not in policy.leads(band):
        return "low_risk"
    return None


def _wanted(rule: Rule, band: str, policy: Policy) -> bool:
    """Whether this rule concerns an invoice of this band at all (else: no decision)."""
    if rule.kind not in ("pre_due", "due_today"):
        return True
    lead = -rule.offset
    if lead in policy.leads(band):
        return True
    # A low-risk invoice is recorded once, as skipped, on the day of the earliest reminder.
    return band == "low" and not policy.leads("low") and lead == max(policy.all_leads())


def _tone(rule: Rule, band: str, policy: Policy) -> str:
    tones = policy.tone
    if rule.kind == "installment":
        return "neutral"
    if rule.offset > 0:
        return "gentle" if band == "low" else tones.get("followup", "neutral")
    return tones.get(band, "neutral")


def candidates(snapshot: Snapshot, policy: Policy) -> list[Decision]:
    """Every rule firing today, each invoice or instalment checked against the suppressions."""
    policy = as_policy(policy)
    firing = firing_due_dates(policy, {d.country for d in snapshot.debtors.values()},
                              snapshot.today)
    out: list[Decision] = []
    for invoice in snapshot.invoices:
        debtor = snapshot.debtors.get(invoice.debtor_id)
        if debtor is None:
            continue
        band = policy.band_for(invoice.probability)
        for rule in firing[debtor.country].get(invoice.due_on, ()):
            if rule.kind == "installment" or not _wanted(rule, band, policy):
                continue
            item = _decision(rule, debtor.id, str(invoice.id), invoice.due_on, band,
                             invoice.probability)
            item.invoice_id = invoice.id
            item.tone = _tone(rule, band, policy)
            prefix = "no_score" if invoice.probability is None else f"{band}_risk"
            item.reason = _invoice_skip(invoice, rule, band, policy, snapshot.today) or \
                f"{prefix}:{rule.name}"
            item.skipped = item.reason in SKIP_REASONS
            out.append(item)
    for inst in snapshot.installments:
        debtor = snapshot.debtors.get(inst.debtor_id)
        if debtor is None:
            continue
        for rule in firing[debtor.country].get(inst.due_on, ()):
            if rule.kind == "installment":
                item = _decision(rule, debtor.id, f"i{inst.id}", inst.due_on, "plan", None)
                item.installment_id, item.reason = inst.id, f"plan:{rule.name}"
                out.append(item)
    return out


def _contact_checks(item: Decision, debtor: DebtorFact, snapshot: Snapshot, policy: Policy,
                    profile: Profile) -> str | None:
    reason = ineligible(snapshot.today, debtor=debtor)
    if reason:
        return reason
    held = in_holdout(debtor.id, policy) if snapshot.holdout is None else \
        debtor.id in snapshot.holdout
    if item.kind in ("pre_due", "due_today") and held:
        return "holdout"
    band_channels = policy.band_channels(item.band)
    channel, note = pick_channel(debtor, band_channels, snapshot.contacts.get(debtor.id, []),
                                 policy, profile, snapshot.now)
    if channel is None:
        return note or "no_channel"
    item.channel = channel
    if note:
        item.reason = f"{item.reason}:{note}"
    window = window_on(profile, debtor.country, snapshot.today)
    slot = send_slot(window, snapshot.today, debtor.timezone, snapshot.now,
                      debtor.contact_hours) \
        if window else None
    if slot is None:
        return "quiet_hours"
    item.send_at, item.not_after = slot
    return None


class _History:
    """Each debtor's contact history minus today's own decisions (so planning again is
    idempotent), filtered only for the debtors concerned."""

    def __init__(self, contacts, keys: set[str]):
        self.contacts, self.keys, self.cache = contacts, keys, {}

    def get(self, debtor_id: int, default=None) -> list:
        if debtor_id not in self.cache:
            self.cache[debtor_id] = [c for c in self.contacts.get(debtor_id, ())
                                     if c.key not in self.keys]
        return self.cache[debtor_id]


def decide(snapshot: Snapshot, policy: Policy | dict) -> Decisions:
    """Plan today's messages: suppressions first, then channel, quiet hours and caps.
    `policy` is a Policy (a settings dict is parsed over the defaults)."""
    policy = as_policy(policy)
    profile = profile_for(policy)
    result = Decisions()
    per_debtor: dict[int, list[Decision]] = defaultdict(list)
    items = candidates(snapshot, policy)
    keys = {item.dedupe_key for item in items}
    contacts = snapshot.contacts
    snapshot = Snapshot(snapshot.today, snapshot.now, snapshot.invoices, snapshot.installments,
                        snapshot.debtors, _History(contacts, keys), snapshot.holdout)
    for item in items:
        if not item.skipped:
            debtor = snapshot.debtors[item.debtor_id]
            reason = _contact_checks(item, debtor, snapshot, policy, profile)
            if reason:
                item.reason, item.skipped = reason, True
        (result.skipped if item.skipped else per_debtor[item.debtor_id]).append(item)
    for debtor_id, items in per_debtor.items():
        debtor = snapshot.debtors[debtor_id]
        # Only the decisions competing for room now are left out of the history: a message
        # already out for an item that is skipped now (say its invoice was paid since) still
        # counts, and items already contacted keep their slot before new ones.
        everything = contacts.get(debtor_id, ())
        done = {c.key for c in everything}
        competing = {item.dedupe_key for item in items}
        history = [c for c in everything if c.key not in competing]
        tz = zone(debtor.timezone)
        room = min(profile.per_day - contacts_today(history, snapshot.today, tz),
                   profile.per_week - contacts_in_week(history, snapshot.today, tz))
        items.sort(key=lambda d: (d.dedupe_key not in done, abs(d.offset), d.offset > 0,
                                  d.dedupe_key))
        for index, item in enumerate(items):
            if index < room:
                result.planned.append(item)
            else:
                item.reason, item.skipped = "cap", True
                result.skipped.append(item)
    return result
