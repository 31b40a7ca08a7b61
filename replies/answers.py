"""What Saldo answers a debtor's reply, in the debtor's language (call under force_locale).

Short enough for an SMS, warm, and honest: when a person has to look, the answer says so.
Every string goes through Babel (``replies/translations``).
"""

from __future__ import annotations

from babel.dates import format_date
from flask_babel import gettext as _

from payments.money import format_money


def _money(amount_minor: int, currency: str, locale: str) -> str:
    return format_money(amount_minor, currency, locale)


def _day(day, locale: str) -> str:
    return format_date(day, format="long", locale=locale)


def promise_recorded(name: str, promised_on, amount_minor: int, currency: str, locale: str
                     ) -> str:
    return _("Thank you, %(name)s. We have noted that you will pay %(amount)s on %(date)s, "
             "and we will not send you reminders until then. If anything changes, just reply "
             "to this message.", name=name, amount=_money(amount_minor, currency, locale),
             date=_day(promised_on, locale))


def promise_outside_window(name: str, first, last, plan_url: str, locale: str) -> str:
    return _("Thank you for telling us, %(name)s. We can note a payment date between %(first)s "
             "and %(last)s. If that is too soon, a payment plan may help: %(url)s. You can "
             "also reply with another date.", name=name, first=_day(first, locale),
             last=_day(last, locale), url=plan_url)


def promise_needs_a_date(name: str) -> str:
    return _("Thank you, %(name)s. On what day do you expect to pay? Reply with the day, for "
             "example \"Friday\" or \"the 15th\".", name=name)


def payment_being_checked(name: str, upload_url: str) -> str:
    return _("Thank you, %(name)s. We will check your payment and pause reminders for a few "
             "days meanwhile. If you have the receipt, you can upload it here: %(url)s",
             name=name, url=upload_url)


def hardship_offers(name: str, offers_text: str, plan_url: str) -> str:
    return _("We are sorry to hear that, %(name)s. You can pay in instalments: %(offers)s. "
             "Choose a plan here: %(url)s. If none fits, reply and a person will help you.",
             name=name, offers=offers_text, url=plan_url)


def hardship_no_offer(name: str) -> str:
    return _("We are sorry to hear that, %(name)s. A person from our team will contact you "
             "to find a way that works for you.", name=name)


def offer_line(count: int, amount_minor: int, currency: str, frequency: str, locale: str
               ) -> str:
    every = {"weekly": _("weekly"), "fortnightly": _("every two weeks"),
             "monthly": _("monthly")}.get(frequency, frequency)
    return _("%(count)s payments of %(amount)s %(every)s", count=count,
             amount=_money(amount_minor, currency, locale), every=every)


def dispute_opened(name: str, invoice: str) -> str:
    return _("Thank you for telling us, %(name)s. We have opened a review of invoice "
             "%(invoice)s and paused its reminders. A person will look into it and get back "
             "to you.", name=name, invoice=invoice)


def balance_answer(balances: str, pay_url: str) -> str:
    return _("You owe %(balance)s. You can pay here: %(url)s", balance=balances, url=pay_url)


def nothing_owed() -> str:
    return _("You have nothing to pay at the moment. Thank you!")


def due_answer(amount_minor: int, currency: str, due_on, pay_url: str, locale: str) -> str:
    return _("Your next payment, %(amount)s, is due on %(date)s. You can pay here: %(url)s",
             amount=_money(amount_minor, currency, locale), date=_day(due_on, locale),
             url=pay_url)


def how_to_pay_answer(pay_url: str) -> str:
    return _("You can pay online, by card, here: %(url)s", url=pay_url)


def handed_to_a_person() -> str:
    return _("Thank you for your message. We are not sure we understood it, so a person from "
             "our team will answer you soon.")


def preferences_answer(url: str) -> str:
    return _("You choose how we contact you, or that we stop, on your preferences page: "
             "%(url)s", url=url)


def person_will_answer_here() -> str:
    return _("Thank you for your message. We are not sure we understood it, so a person from "
             "our team will read it and answer you by email or SMS soon.")


def dispute_choose(url: str) -> str:
    return _("We are sorry something is wrong. Choose the invoice and tell us what happened "
             "here, and a person will review it: %(url)s", url=url)
