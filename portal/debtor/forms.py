"""Debtor-facing forms (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from portal.debtor.format import LANGUAGES


class IdentityForm(FlaskForm):
    answer = StringField(_l("Your answer"), validators=[DataRequired(), Length(max=40)])


class RequestLinkForm(FlaskForm):
    contact = StringField(_l("Email or mobile number"),
                          validators=[DataRequired(), Length(max=254)])


class ResendForm(FlaskForm):
    pass


class PromiseForm(FlaskForm):
    promised_on = DateField(_l("I will pay on"), validators=[DataRequired()])
    amount = StringField(_l("Amount"), validators=[DataRequired(), Length(max=24)])


def reason_choices():
    """No reason is preselected: the debtor picks one (a dispute is never one tap)."""
    return [SelectChoice("", _l("Choose a reason")),
            SelectChoice("wrong_amount", _l("The amount is wrong")),
            SelectChoice("already_paid", _l("I already paid it")),
            SelectChoice("not_received", _l("I did not receive the product or service")),
            SelectChoice("other", _l("Something else"))]


class DisputeForm(FlaskForm):
    reason = SelectField(_l("Reason"), validators=[DataRequired(
        message=_l("Choose the reason for your dispute."))])
    message = TextAreaField(_l("Tell us what happened"),
                            validators=[Optional(), Length(max=2000)])
    attachment = FileField(_l("Attachment (PDF, JPEG or PNG, up to 5 MB)"),
                           render_kw={"accept": "application/pdf,image/jpeg,image/png"})
    confirm = BooleanField(
        _l("Yes, I want to dispute this invoice. Reminders for it stop while it is reviewed."),
        validators=[DataRequired(message=_l("Tick the box to confirm your dispute."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = reason_choices()


def channel_choices(push: bool = True):
    return [SelectChoice(value, label) for value, label in (
        ("", _l("No preference")), ("email", _l("Email")), ("sms", _l("SMS")),
        ("whatsapp", _l("WhatsApp")), ("push", _l("Browser notifications")))
        if push or value != "push"]


class PreferencesForm(FlaskForm):
    allow_email = BooleanField(_l("Email"))
    allow_sms = BooleanField(_l("SMS"))
    allow_whatsapp = BooleanField(_l("WhatsApp"))
    allow_push = BooleanField(_l("Browser notifications"))
    preferred_channel = SelectField(_l("Preferred channel"), validators=[Optional()])
    quiet_start = TimeField(_l("Do not contact me before"), validators=[Optional()])
    quiet_end = TimeField(_l("Do not contact me after"), validators=[Optional()])
    language = SelectField(_l("Language"),
                           choices=[SelectChoice(code, name) for code, name in LANGUAGES])
    resume = BooleanField(_l("Receive reminders again"))

    def __init__(self, *args, push_available: bool = True, **kwargs):
        """Without Web Push configured, browser notifications are not offered at all."""
        super().__init__(*args, **kwargs)
        if not push_available:
            del self.allow_push
        self.preferred_channel.choices = channel_choices(push_available)


class ConfirmForm(FlaskForm):
    pass


class ContactForm(FlaskForm):
    text = TextAreaField(_l("Your message"), validators=[DataRequired(), Length(max=4000)])


class AskForm(FlaskForm):
    question = TextAreaField(_l("Ask us"), validators=[DataRequired(), Length(max=1000)])
