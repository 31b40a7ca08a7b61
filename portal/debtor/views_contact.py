"""Writing to a person: the contact form puts the message in the staff inbox.

A signed-in debtor's message goes into their conversation (`ingest_reply`, channel
"portal"), where agents read and answer it; anyone else is told how to reach us (reply to
any reminder, or sign in first).
"""

from __future__ import annotations

from flask import render_template

from portal.auth import current_debtor
from portal.debtor import bp
from portal.debtor.forms import ContactForm
from portal.extensions import limiter
from replies.ingest import IngestError, ingest_reply


@bp.route("/contact", methods=["GET", "POST"])
@limiter.limit("5 per hour;20 per day", methods=["POST"])
def contact():
    debtor = current_debtor()
    form = ContactForm()
    if debtor is not None and form.validate_on_submit():
        sender = debtor.email or debtor.phone or f"debtor:{debtor.id}"
        try:
            ingest_reply("portal", sender, form.text.data, debtor_id=debtor.id)
        except IngestError:
            form.text.errors.append("")
        else:
            return render_template("debtor/contact_sent.html")
    return render_template("debtor/contact.html", form=form, debtor=debtor)
