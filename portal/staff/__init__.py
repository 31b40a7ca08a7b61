"""The finance staff console: sign-in with roles, debtors, disputes, KPIs, policy, templates.

The blueprint is `bp` ("staff", under /staff). Views live in small modules imported below;
domain work is in plain functions (`accounts`, `kpis`, `timeline`, `disputes`, `policy_form`).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from portal.staff import (  # noqa: E402,F401  (the views register themselves on bp)
    access,
    labels,
    views_audit,
    views_auth,
    views_consent,
    views_dashboard,
    views_debtors,
    views_disputes,
    views_imports,
    views_inbox,
    views_integrations,
    views_mail,
    views_payments,
    views_policy,
    views_promises,
    views_templates,
    views_users,
)
