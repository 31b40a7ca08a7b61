"""The alert policy, rule by rule (pure functions: no database, no Flask)."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from alerts.policy import decide, in_holdout
from tests.alerts.helpers import (
    NOW,
    TODAY,
    contact,
    debtor,
    installment,
    invoice,
    settings,
    snapshot,
)


def only(decisions):
    items = decisions.planned + decisions.skipped
    assert len(items) == 1, items
    return items[0]


@pytest.mark.parametrize("p, due_in, rule", [
    (0.7, 7, "pre_7"), (0.7, 2, "pre_2"), (0.7, 0, "pre_0"), (0.3, 3, "pre_3"),
])
def test_reminders_before_the_due_date_follow_the_band(p, due_in, rule):
    item = only(decide(snapshot([invoice(p=p, due_in=due_in)]), settings()))
    assert not item.skipped
    assert item.rule == rule and item.channel == "email"
    assert item.reason.endswith(rule)


@pytest.mark.parametrize("p, due_in", [(0.7, 5), (0.7, 3), (0.3, 7), (0.3, 2), (0.1, 3)])
def test_no_reminder_on_other_days(p, due_in):
    result = decide(snapshot([invoice(p=p, due_in=due_in)]), settings())
    assert result.planned == [] and result.skipped == []


def test_low_risk_is_recorded_as_skipped_once_and_gets_a_gentle_follow_up():
    first = only(decide(snapshot([invoice(p=0.1, due_in=7)]), settings()))
    assert first.skipped and first.reason == "low_risk" and first.band == "low"
    late = only(decide(snapshot([invoice(p=0.1, due_in=-1)]), settings()))
    assert not late.skipped and late.rule == "post_1" and late.tone == "gentle"


def test_follow_ups_after_the_due_date_for_everyone():
    for due_in, rule in ((-1, "post_1"), (-7, "post_7")):
        item = only(decide(snapshot([invoice(p=0.8, due_in=due_in)]), settings()))
        assert item.rule == rule and not item.skipped and item.tone == "neutral"


def test_an_invoice_without_a_score_is_treated_as_medium_risk():
    item = only(decide(snapshot([invoice(p=None, due_in=3)]), settings()))
    assert item.band == "medium" and item.reason == "no_score:pre_3" and not item.skipped


@pytest.mark.parametrize("fields, reason", [
    ({"status": "paid"}, "paid"),
    ({"balance_minor": 0}, "paid"),
    ({"disputed": True}, "disputed"),
    ({"in_plan": True}, "in_plan"),
    ({"promised_until": TODAY}, "promised"),
    ({"promised_until": TODAY + timedelta(days=3)}, "promised"),
])
def test_suppressions(fields, reason):
    item = only(decide(snapshot([invoice(due_in=2, **fields)]), settings()))
    assert item.skipped and item.reason == reason


def test_a_promise_stops_suppressing_the_day_after_the_promised_date():
    item = only(decide(snapshot([invoice(due_in=2, promised_until=TODAY - timedelta(days=1))]),
                       settings()))
    assert not item.skipped


@pytest.mark.parametrize("fields, reason", [
    ({"opted_out": True}, "opted_out"),
    ({"channels": frozenset()}, "opted_out"),
    ({"channels": frozenset({"whatsapp"})}, "no_channel"),
])
def test_opt_out_and_no_usable_channel(fields, reason):
    item = only(decide(snapshot([invoice(p=0.3, due_in=3)], [debtor(**fields)]), settings()))
    assert item.skipped and item.reason == reason


def test_the_preferred_allowed_channel_comes_first():
    d = debtor(channels=frozenset({"email", "sms"}), preferred_channel="sms")
    assert only(decide(snapshot([invoice(due_in=2)], [d]), settings())).channel == "sms"
    # A preference outside the band's channels falls back to the band's order.
    d = debtor(channels=frozenset({"email", "sms"}), preferred_channel="sms")
    assert only(decide(snapshot([invoice(p=0.1, due_in=-1)], [d]), settings())).channel == \
        "email"


def test_quiet_hours_in_the_debtors_time_zone():
    bogota = only(decide(snapshot([invoice(due_in=2)]), settings()))
    assert bogota.send_at == datetime(2026, 11, 24, 13, 0, tzinfo=UTC)  # 08:00 UTC-5
    assert bogota.not_after == datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 20:00 UTC-5
    brazil = debtor(timezone="America/Sao_Paulo", country="BR")
    item = only(decide(snapshot([invoice(due_in=2)], [brazil]), settings()))
    assert item.send_at == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # now: 09:00 UTC-3
    late = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)  # 20:30 in Bogotá, same local day
    item = only(decide(snapshot([invoice(due_in=2)], now=late), settings()))
    assert item.skipped and item.reason == "quiet_hours"


def test_the_debtors_own_contact_hours_are_respected():
    d = debtor(contact_hours=(time(10), time(18)))  # "not before 10:00, not after 18:00"
    item = only(decide(snapshot([invoice(due_in=2)], [d]), settings()))
    assert item.send_at == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 10:00 in Bogotá
    assert item.not_after == datetime(2026, 11, 24, 23, 0, tzinfo=UTC)  # 18:00 in Bogotá
    evenings = debtor(contact_hours=(time(19), time(9)))  # past midnight: 19:00-09:00
    item = only(decide(snapshot([invoice(due_in=2)], [evenings]), settings()))
    assert item.send_at == datetime(2026, 11, 24, 13, 0, tzinfo=UTC)  # 08:00 ...
    assert item.not_after == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # ... to 09:00
    closed = debtor(contact_hours=(time(21), time(22)))  # outside the policy's window
    assert only(decide(snapshot([invoice(due_in=2)], [closed]), settings())).reason == \
        "quiet_hours"


def test_nothing_is_sent_on_sundays_and_rules_move_to_a_sending_day():
    saturday, sunday = date(2026, 11, 28), date(2026, 11, 29)
    now_sat = datetime(2026, 11, 28, 12, tzinfo=UTC)
    # Due Tuesday: the 2-days-before reminder (Sunday) moves back to Saturday.
    item = only(decide(snapshot([invoice(due_in=3, today=saturday)], today=saturday,
                                now=now_sat), settings()))
    assert item.rule == "pre_2" and not item.skipped
    sunday_result = decide(snapshot([invoice(due_in=2, today=sunday)], today=sunday,
                                    now=now_sat + timedelta(days=1)), settings())
    assert sunday_result.planned == [] and sunday_result.skipped == []
    # Due Saturday: the day-after follow-up (Sunday) moves forward to Monday.
    monday = date(2026, 11, 30)
    item = only(decide(snapshot([invoice(due_in=-2, today=monday)], today=monday,
                                now=now_sat + timedelta(days=2)), settings()))
    assert item.rule == "post_1"


def test_national_holidays_of_the_debtors_country():
    # 8 December 2026 is a holiday in Colombia, not in Brazil.
    holiday, before = date(2026, 12, 8), date(2026, 12, 7)
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    co = only(decide(snapshot([invoice(due_in=3, today=before)], today=before, now=now),
                     settings()))
    assert co.rule == "pre_2"  # the holiday's reminder came a day early
    br = debtor(country="BR", timezone="America/Sao_Paulo")
    result = decide(snapshot([invoice(due_in=3, today=before)], [br], today=before, now=now),
                    settings())
    assert result.planned == []
    on_holiday = decide(snapshot([invoice(due_in=2, today=holiday)], today=holiday,
                                 now=now + timedelta(days=1)), settings())
    assert on_holiday.planned == [] and on_holiday.skipped == []


def test_caps_per_day_and_per_week_across_channels():
    two = [invoice(1, due_in=2), invoice(2, due_in=7)]
    result = decide(snapshot(two), settings())
    assert [p.rule for p in result.planned] == ["pre_2"]
    assert [s.reason for s in result.skipped] == ["cap"]
    today_sms = {1: [contact(0.1, "sms")]}
    assert decide(snapshot([invoice(due_in=2)], contacts=today_sms), settings()).planned == []
    week = {1: [contact(1), contact(3, "sms"), contact(5)]}
    item = only(decide(snapshot([invoice(due_in=2)], contacts=week), settings()))
    assert item.reason == "cap"
    relaxed = settings(caps={"per_day": 2, "per_week": 5})
    assert len(decide(snapshot(two), relaxed).planned) == 2


def test_colombia_profile_tightens_hours_caps_and_channels():
    co = settings(jurisdiction="CO", caps={"per_day": 2, "per_week": 5})
    two = [invoice(1, due_in=2), invoice(2, due_in=7)]
    assert len(decide(snapshot(two), co).planned) == 1  # at most one contact a day
    saturday = date(2026, 11, 28)
    at_4pm = datetime(2026, 11, 28, 21, tzinfo=UTC)  # 16:00 in Bogotá
    sat = snapshot([invoice(due_in=3, today=saturday)], today=saturday, now=at_4pm)
    assert only(decide(sat, settings())).skipped is False
    assert only(decide(sat, co)).reason == "quiet_hours"  # Saturdays end at 15:00
    early = settings(jurisdiction="CO", quiet_hours={"start": "06:00", "end": "21:00"})
    at_7am = datetime(2026, 11, 24, 12, 30, tzinfo=UTC)  # 07:30 in Bogotá
    item = only(decide(snapshot([invoice(due_in=2)], now=at_7am), early))
    assert item.send_at == at_7am  # weekdays open at 07:00 under Ley 2300 ...
    assert item.not_after == datetime(2026, 11, 25, 0, tzinfo=UTC)  # ... and close at 19:00
    assert only(decide(snapshot([invoice(due_in=2)], now=at_7am), settings())).send_at == \
        datetime(2026, 11, 24, 13, tzinfo=UTC)  # the default window opens at 08:00
    # One channel a week: an SMS two days ago keeps this week's reminder on SMS.
    d = debtor(preferred_channel="email")
    item = only(decide(snapshot([invoice(due_in=2)], [d], {1: [contact(2, "sms")]}), co))
    assert item.channel == "sms"
    assert only(decide(snapshot([invoice(due_in=2)], [d], {1: [contact(2, "sms")]}),
                       settings())).channel == "email"


def test_escalation_from_an_unopened_email_to_whatsapp_or_sms():
    d = debtor(channels=frozenset({"email", "sms", "whatsapp"}))
    unopened = {1: [contact(4, "email")]}
    item = only(decide(snapshot([invoice(due_in=2)], [d], unopened), settings()))
    assert item.channel == "whatsapp" and item.reason.endswith("escalated")
    sms_only = debtor(channels=frozenset({"email", "sms"}))
    assert only(decide(snapshot([invoice(due_in=2)], [sms_only], unopened),
                       settings())).channel == "sms"
    opened = {1: [contact(4, "email", opened=True)]}
    assert only(decide(snapshot([invoice(due_in=2)], [d], opened), settings())).channel == \
        "email"
    recent = {1: [contact(2, "email")]}
    assert only(decide(snapshot([invoice(due_in=2)], [d], recent), settings())).channel == \
        "email"


def test_holdout_is_stable_sized_and_only_for_preventive_reminders():
    s = settings(holdout_share=0.2)
    held = [i for i in range(1, 2001) if in_holdout(i, s)]
    assert 300 < len(held) < 500
    assert held == [i for i in range(1, 2001) if in_holdout(i, s)]
    other_salt = settings(holdout_share=0.2, holdout_salt="another")
    assert held != [i for i in range(1, 2001) if in_holdout(i, other_salt)]
    d = debtor(held[0])
    pre = only(decide(snapshot([invoice(1, held[0], due_in=2)], [d]), s))
    assert pre.skipped and pre.reason == "holdout"
    post = only(decide(snapshot([invoice(1, held[0], due_in=-1)], [d]), s))
    assert not post.skipped


def test_plan_instalments_get_their_own_reminder():
    item = only(decide(snapshot(installments=[installment(due_in=2)]), settings()))
    assert item.rule == "inst_2" and item.installment_id == 1 and not item.skipped
    assert item.dedupe_key == "1:i1:inst_2:2026-11-24"


def test_planning_again_does_not_count_its_own_messages_against_the_cap():
    first = only(decide(snapshot([invoice(due_in=2)]), settings()))
    own = {1: [type(contact(0))(first.send_at, "email", False, first.dedupe_key)]}
    again = only(decide(snapshot([invoice(due_in=2)], contacts=own), settings()))
    assert not again.skipped and again.dedupe_key == first.dedupe_key


def test_dedupe_keys_name_debtor_invoice_rule_and_date():
    item = only(decide(snapshot([invoice(7, due_in=2)]), settings()))
    assert item.dedupe_key == "1:7:pre_2:2026-11-24"
    assert NOW < item.not_after


def test_replanning_after_a_payment_never_sends_a_second_message_the_same_day():
    """Invoice 1's reminder went out this morning (invoice 2's was capped); the debtor then
    paid invoice 1. The hourly re-plan must still count the message already sent today."""
    two = [invoice(1, due_in=2), invoice(2, due_in=7)]
    first = decide(snapshot(two), settings())
    [sent] = first.planned
    assert sent.invoice_id == 1 and [s.reason for s in first.skipped] == ["cap"]
    history = {1: [type(contact(0))(sent.send_at, "email", False, sent.dedupe_key)]}
    paid = [invoice(1, due_in=2, status="paid", balance_minor=0), invoice(2, due_in=7)]
    again = decide(snapshot(paid, contacts=history), settings())
    assert again.planned == []
    assert sorted(s.reason for s in again.skipped) == ["cap", "paid"]


def test_replanning_keeps_the_message_already_sent_when_a_new_invoice_appears():
    """A message went out today for invoice 1; an invoice due today is imported later.
    Re-planning keeps today's single slot on the message already sent."""
    sent = only(decide(snapshot([invoice(1, due_in=2)]), settings()))
    history = {1: [type(contact(0))(sent.send_at, "email", False, sent.dedupe_key)]}
    both = [invoice(1, due_in=2), invoice(2, due_in=0)]
    again = decide(snapshot(both, contacts=history), settings())
    assert [p.dedupe_key for p in again.planned] == [sent.dedupe_key]
    assert [(s.invoice_id, s.reason) for s in again.skipped] == [(2, "cap")]


def test_escalation_sticks_until_an_email_is_opened():
    """pre_7 went by email and was never opened, so pre_2 went by WhatsApp; the reminder on
    the due date must not fall back to the email the debtor does not read."""
    d = debtor(channels=frozenset({"email", "sms", "whatsapp"}))
    history = {1: [contact(7, "email"), contact(2, "whatsapp")]}
    item = only(decide(snapshot([invoice(due_in=0)], [d], history), settings()))
    assert item.channel == "whatsapp" and item.reason.endswith("escalated")
    # Two emails, the older one unopened for 3+ days: the next reminder escalates ...
    two = {1: [contact(7, "email"), contact(2, "email")]}
    assert only(decide(snapshot([invoice(due_in=0)], [d], two), settings())).channel == \
        "whatsapp"
    # ... unless the debtor opened an email since.
    read = {1: [contact(7, "email"), contact(2, "email", opened=True)]}
    assert only(decide(snapshot([invoice(due_in=0)], [d], read), settings())).channel == \
        "email"


def test_holidays_come_from_the_debtors_country_and_unknown_countries_have_none():
    from datetime import date as _date

    from alerts.calendar import is_holiday

    assert is_holiday("CO", _date(2026, 12, 8))  # Inmaculada Concepción
    assert is_holiday("BR", _date(2026, 11, 15))  # Proclamação da República
    assert not is_holiday("US", _date(2026, 12, 8))
    assert not is_holiday("ZZ", _date(2026, 12, 25))  # not a country the package knows
    assert not is_holiday(None, _date(2026, 12, 25))


def test_explicit_consent_profile_uses_only_consented_channels():
    co = settings(jurisdiction="CO")
    none = debtor(consented=frozenset())
    item = only(decide(snapshot([invoice(due_in=2)], [none]), co))
    assert item.skipped and item.reason == "no_consent"
    sms_only = debtor(consented=frozenset({"sms"}))
    assert only(decide(snapshot([invoice(due_in=2)], [sms_only]), co)).channel == "sms"
    # Without a jurisdiction profile the authorised channels are used as before.
    assert only(decide(snapshot([invoice(due_in=2)], [none]), settings())).channel == "email"


def test_one_eligibility_function_for_plan_and_send_time():
    from alerts.calendar import profile_for
    from alerts.eligibility import ineligible
    from alerts.policy_model import as_policy

    co = profile_for(as_policy({"jurisdiction": "CO"}))
    d = debtor(consented=frozenset({"email"}))
    assert ineligible(TODAY, invoice=invoice(status="paid"), debtor=d) == "paid"
    assert ineligible(TODAY, invoice=invoice(disputed=True), debtor=d) == "disputed"
    assert ineligible(TODAY, invoice=invoice(in_plan=True), debtor=d) == "in_plan"
    assert ineligible(TODAY, invoice=invoice(promised_until=TODAY), debtor=d) == "promised"
    assert ineligible(TODAY, invoice=invoice(promised_until=TODAY - timedelta(days=1)),
                      debtor=d) is None
    assert ineligible(TODAY, invoice=invoice(), debtor=debtor(opted_out=True)) == "opted_out"
    assert ineligible(TODAY, invoice=invoice(), debtor=d, channel="whatsapp") == "opted_out"
    assert ineligible(TODAY, invoice=invoice(), debtor=d, channel="sms", profile=co) == \
        "no_consent"
    assert ineligible(TODAY, invoice=invoice(), debtor=d, channel="email", profile=co) is None
    assert ineligible(TODAY, installment_pending=False, debtor=d) == "paid"


def test_policy_is_typed_validated_and_immutable():
    import dataclasses

    from alerts.policy_model import PolicyError, as_policy, parse_policy
    from alerts.settings import merged

    policy = as_policy({"band_cutoffs": {"medium": 0.3, "high": 0.6}})
    assert (policy.cut_medium, policy.cut_high) == (0.3, 0.6)
    assert policy.lead_days["high"] == (7, 2, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.cut_high = 0.9
    with pytest.raises(TypeError):
        policy.lead_days["high"] = (1,)
    with pytest.raises(PolicyError) as error:
        parse_policy(merged({"band_cutoffs": {"medium": 0.7, "high": 0.6},
                             "caps": {"per_day": 5, "per_week": 2}}))
    assert len(error.value.problems) == 2
    assert policy.to_dict()["band_cutoffs"] == {"medium": 0.3, "high": 0.6}
