"""coordhub: coordination of post-conflict reconstruction (registry, allocation, overlap alerts)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, g, render_template, request, session
from flask_login import current_user

from config import CONFIGS
from coordhub.extensions import babel, bootstrap, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def select_locale() -> str | None:
    from flask import current_app, has_request_context

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and background jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return request.accept_languages.best_match(languages)


def create_app(config: str | type | dict | None = None) -> Flask:
    """The app factory: `config` is a name from config.CONFIGS, a config class, or a dict of overrides."""
    import os

    app = Flask(__name__, template_folder=str(ROOT / "templates"), instance_path=str(ROOT / "instance"))
    if config is None or isinstance(config, str):
        app.config.from_object(CONFIGS[config or os.environ.get("COORDHUB_CONFIG", "default")])
    elif isinstance(config, dict):
        app.config.from_object(CONFIGS["default"])
        app.config.update(config)
    else:
        app.config.from_object(config)
    if (
        app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
        and ":memory:" not in app.config["SQLALCHEMY_DATABASE_URI"]
    ):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    from coordhub.server.logs import configure_logging

    configure_logging(app)  # first, so that the request id and timer start before any other hook
    if app.config.get("PROXY_COUNT"):  # behind a reverse proxy: believe its X-Forwarded-* headers
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_prefix=count)

    from werkzeug.routing import IntegerConverter

    class IdConverter(IntegerConverter):
        """Database ids: whole numbers that fit an INTEGER column (bigger ones are simply not found)."""

        def __init__(self, url_map):
            super().__init__(url_map, max=2**31 - 1)

    app.url_map.converters["id"] = IdConverter
    from coordhub import security

    security.configure_secret_key(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    bootstrap.init_app(app)
    security.configure_limiter(app)
    _enable_sqlite_foreign_keys(app)

    from coordhub import models  # noqa: F401  (every table registered on the metadata)
    from coordhub.wiring import wire

    wire(app)  # every blueprint, API module, job handler, CLI command and navigation entry
    from coordhub.web import inject_globals

    app.context_processor(inject_globals)
    from coordhub.labels import label

    app.jinja_env.filters["label"] = label
    _register_error_pages(app)
    app.before_request(_refuse_nul_characters)
    from coordhub.auth.sessions import load_session

    app.before_request(load_session)
    app.after_request(security.add_security_headers)
    app.before_request(_refuse_pages_out_of_range)
    return app


def _refuse_pages_out_of_range():
    """Every list reads `page`: a page that is not a whole number from 1 to MAX_PAGE is a 400, not a 500 (an
    OFFSET beyond what the database takes) nor a silent first page."""
    from flask import abort
    from flask_babel import gettext

    from coordhub.registry.limits import MAX_PAGE

    raw = request.args.get("page")
    if raw is None:
        return
    try:
        page = int(raw)
    except ValueError:
        page = 0
    if not 1 <= page <= MAX_PAGE:
        abort(400, gettext("The page must be a whole number from 1 to %(highest)s.", highest=f"{MAX_PAGE:,}"))


def _refuse_nul_characters():
    """No text column can hold NUL characters (PostgreSQL refuses them): refuse such web input early.

    File uploads (multipart) are exempt (spreadsheets are binary); the API checks its JSON per field."""
    from flask import abort

    if "%00" in request.query_string.decode("latin-1") and not request.path.startswith("/api/"):
        abort(400, "The address contains a NUL character.")
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype == "application/x-www-form-urlencoded":
        if any("\x00" in value for value in request.form.values()):
            abort(400, "The form contains a NUL character.")


def _enable_sqlite_foreign_keys(app: Flask) -> None:
    """SQLite ignores foreign keys (and so ON DELETE) unless asked on every connection."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _set_pragma(dbapi_connection, connection_record):  # pragma: no cover - trivial
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()


def _register_error_pages(app: Flask) -> None:
    from flask_babel import gettext as _
    from werkzeug.exceptions import BadRequest

    messages = {
        400: lambda: _("The request could not be understood (was the form's security token missing?)."),
        403: lambda: _("You do not have the right to do this."),
        404: lambda: _("This page does not exist."),
        405: lambda: _("This method is not allowed here."),
        413: lambda: _("The file is too large."),
    }

    def handler(error):
        code = getattr(error, "code", 500)
        if request.path.startswith("/api/"):
            from flask import jsonify

            message = messages.get(code, lambda: str(error))()
            if code == 400 and getattr(error, "description", None):
                message = error.description
            return jsonify(error={"status": code, "message": message}), code
        if code not in messages:
            raise error
        message = messages[code]()
        if code == 400 and getattr(error, "description", None) not in (None, BadRequest.description):
            message = error.description
        return render_template("error.html", code=code, message=message), code

    for code in messages:
        app.register_error_handler(code, handler)
