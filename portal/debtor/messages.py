"""User-facing wording for the rules that refuse a promise or a dispute."""

from __future__ import annotations

from flask_babel import gettext as _


def promise_error(code: str) -> str:
    return {
        "closed": _("This invoice has nothing left to pay."),
        "disputed": _("This invoice is under review, so no promise is needed."),
        "too_early": _("Pick today or a later date."),
        "too_late": _("Pick a date within the allowed window."),
        "amount": _("Enter an amount greater than zero and no more than the balance."),
        "amount_format": _("Enter the amount as a number, for example 1500.50."),
    }.get(code, _("Please check the form."))


def dispute_error(code: str) -> str:
    return {
        "reason": _("Pick a reason."),
        "closed": _("This invoice is closed and cannot be disputed."),
        "already": _("This invoice is already under review."),
        "too_large": _("The file is larger than 5 MB."),
        "file_type": _("Attach a PDF, JPEG or PNG file."),
        "message": _("The message is too long."),
    }.get(code, _("Please check the form."))


def identity_prompt(kind: str) -> tuple[str, str, str]:
    """(label, hint, input mode) for the identity question of `kind`."""
    if kind == "document_last4":
        return _("Last 4 digits of your document number"), _("For example 1234."), "numeric"
    if kind == "postal_code":
        return _("Your postal code"), _("As it appears on your invoice."), "text"
    return _("Your date of birth"), _("Day/month/year, for example 31/01/1990."), "text"
