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
    return [SelectChoice("wrong_amount", _l("The amount is wrong")),
            SelectChoice("already_paid", _l("I already paid it")),
            SelectChoice("not_received", _l("I did not receive the product or service")),
            SelectChoice("other", _l("Something else"))]


class DisputeForm(FlaskForm):
    reason = SelectField(_l("Reason"), validators=[DataRequired()])
    message = TextAreaField(_l("Tell us what happened"),
                            validators=[Optional(), Length(max=2000)])
    attachment = FileField(_l("Attachment (PDF, JPEG or PNG, up to 5 MB)"),
                           render_kw={"accept": "application/pdf,image/jpeg,image/png"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = reason_choices()


def channel_choices():
    return [SelectChoice(value, label) for value, label in (
        ("", _l("No preference")), ("email", _l("Email")), ("sms", _l("SMS")),
        ("whatsapp", _l("WhatsApp")), ("push", _l("Browser notifications")))]


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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.preferred_channel.choices = channel_choices()


class ConfirmForm(FlaskForm):
    pass


class ContactForm(FlaskForm):
    text = TextAreaField(_l("Your message"), validators=[DataRequired(), Length(max=4000)])
