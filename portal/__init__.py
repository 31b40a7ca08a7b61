"""Saldo's web app: `create_app()` builds it from configuration."""

from __future__ import annotations

import importlib
import importlib.util
import os

from dotenv import load_dotenv
from flask import Flask

from portal.config import (
    Config,
    ProductionConfig,
    config_for_environment,
    dev_secret_key,
    normalise_database_url,
    secret_key_problem,
)
from portal.extensions import babel, csrf, db, limiter, login_manager, migrate
from portal.logging import configure_logging
from portal.ratelimit import default_storage_uri  # also registers the saldo+sqlite:// storage

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def create_app(config: type[Config] | dict | None = None) -> Flask:
    """Build the app. `config` is a Config class or a mapping of overrides (tests pass one)."""
    load_dotenv(os.path.join(os.getcwd(), ".env"), override=False)
    app = Flask(__name__, instance_path=os.environ.get("SALDO_INSTANCE_PATH") or None)
    os.makedirs(app.instance_path, exist_ok=True)

    base = config if isinstance(config, type) else config_for_environment()
    app.config.from_object(base)
    if isinstance(config, dict):
        app.config.update(config)
    _finish_config(app)
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    configure_logging(app.config["LOG_LEVEL"])

    db.init_app(app)
    from portal.dbconn import init_connections

    init_connections(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    from portal.i18n import init_i18n

    init_i18n(app, babel)

    from portal import auth, models  # noqa: F401  (registers the tables and the user loader)
    from portal.security import init_security
    from portal.sessions import init_sessions

    init_security(app)
    init_sessions(app)
    _register_blueprints(app)
    from portal.cli import register_commands

    register_commands(app)
    return app


def warm_up(app: Flask) -> None:
    """Compile every template, load every language's catalogue and import the reply
    understanding's libraries now (gunicorn calls this in the master before forking workers:
    each then starts with them). Touches no database. Commands and tests do not call it, so
    an import or a one-off command does not pay for scikit-learn at start."""
    from flask_babel import force_locale

    import replies.respond  # noqa: F401  (scikit-learn, shared by the forked workers)
    from portal.i18n import translations

    for name in app.jinja_env.list_templates(extensions=("html", "txt")):
        app.jinja_env.get_template(name)
    with app.test_request_context("/"):
        for language in app.config["SUPPORTED_LOCALES"]:
            with force_locale(language):
                translations()


def _finish_config(app: Flask) -> None:
    production = app.config.get("ENV_NAME") == "production"
    if not app.config.get("SECRET_KEY"):
        if production:
            raise RuntimeError(
                "SECRET_KEY is not set. In production Saldo refuses to start without it: "
                "set SECRET_KEY to a long random value (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`)."
            )
        app.config["SECRET_KEY"] = dev_secret_key(app.instance_path)
    elif production:
        problem = secret_key_problem(str(app.config["SECRET_KEY"]))
        if problem:
            raise RuntimeError(f"{problem} In production Saldo refuses a weak SECRET_KEY.")
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        uri = "sqlite:///" + os.path.join(app.instance_path, "saldo.db")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(uri)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    else:
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        if app.config.get("DB_ROUND_TRIPS") == "classic":
            options.setdefault("pool_pre_ping", True)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = default_storage_uri(app.instance_path)
    if not app.config.get("UPLOAD_FOLDER"):
        app.config["UPLOAD_FOLDER"] = os.path.join(app.instance_path, "uploads")
    if not app.config.get("STRIPE_SECRET_KEY"):
        app.logger.warning("STRIPE_SECRET_KEY is not set: online payment is switched off")


# Every blueprint module exposes `bp` (or `register(app)`); a part of the product that is not
# built yet is absent.
BLUEPRINT_MODULES = (
    "portal.health",
    "portal.debtor",
    "portal.staff",
    "payments.views",
    "payments.webhooks",
    "alerts.views",
    "replies.views",
    "portal.api",
)


def module_exists(name: str) -> bool:
    """Whether a module of the product is present (parts are added as they are built)."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


PAYMENT_MODULES = ("payments.views", "payments.webhooks")


def _register_blueprints(app: Flask) -> None:
    for name in BLUEPRINT_MODULES:
        if not module_exists(name):
            continue
        if name in PAYMENT_MODULES and not app.config.get("STRIPE_SECRET_KEY"):
            continue  # debtor pages then say that online payment is not configured
        module = importlib.import_module(name)
        if hasattr(module, "register"):  # a part that registers more than one blueprint
            module.register(app)
        else:
            app.register_blueprint(module.bp)


__all__ = ["ProductionConfig", "create_app"]
