"""The application's secret key, the sign-in throttle's storage and the security headers of every response."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, request

from coordhub.extensions import limiter

# Keys published in code, documentation or tutorials: signing sessions with one lets anyone forge a cookie.
KNOWN_KEYS = {
    "dev-only-change-me",
    "testing",
    "dev",
    "development",
    "secret",
    "secret-key",
    "changeme",
    "change-me",
    "change-this",
    "your-secret-key",
    "super-secret",
    "please-change",
}
MIN_KEY_LENGTH = 24
KEY_FILE = "secret_key"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",  # no inline scripts and no inline event handlers: JS lives in coordhub/static/js
        "style-src 'self' 'unsafe-inline'",  # Bootstrap's components and progress bars set style attributes
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def content_security_policy(tile_url: str | None = None) -> str:
    """The policy; with a map tile server configured (MAP_TILE_URL), its origin may serve images too."""
    if not tile_url:
        return CONTENT_SECURITY_POLICY
    from urllib.parse import urlsplit

    parts = urlsplit(tile_url.replace("{s}", "a"))
    origin = f"{parts.scheme}://{parts.netloc.replace('a.', '*.', 1) if '{s}' in tile_url else parts.netloc}"
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")


class InsecureConfiguration(RuntimeError):
    """Raised at start-up when production settings are unsafe; the message says what to set."""


def configure_secret_key(app: Flask) -> None:
    """Production: SECRET_KEY must be set, long and not a published default. Elsewhere, without one, a
    random key is generated once per instance (instance/secret_key) or, in tests, per app."""
    key = app.config.get("SECRET_KEY")
    if app.config.get("REQUIRE_SECRET_KEY"):
        if not key:
            raise InsecureConfiguration(
                "SECRET_KEY is not set. Production needs its own secret key: set the SECRET_KEY environment "
                "variable to a long random value, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
            )
        if key.strip().lower() in KNOWN_KEYS or len(key) < MIN_KEY_LENGTH:
            raise InsecureConfiguration(
                f"SECRET_KEY is a published default or shorter than {MIN_KEY_LENGTH} characters: anyone could "
                "forge a session cookie with it. Set SECRET_KEY to a long random value."
            )
        return
    if key:
        return
    if app.testing:
        app.config["SECRET_KEY"] = secrets.token_urlsafe(48)
        return
    app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))


def instance_secret_key(instance: Path) -> str:
    """The key kept in `instance/secret_key`, created (readable by its owner only) on first use."""
    path = instance / KEY_FILE
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "x", opener=lambda name, flags: os.open(name, flags, 0o600)) as file:
                file.write(secrets.token_urlsafe(48))
        except FileExistsError:  # another process created it first: use theirs
            pass
    return path.read_text().strip()


def configure_limiter(app: Flask) -> None:
    """The sign-in throttle counts in Redis when REDIS_URL is set (shared by every web process), else in memory."""
    if not app.config["RATELIMIT_STORAGE_URI"]:
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"
    limiter.init_app(app)


def add_security_headers(response):
    """after_request: the headers every response carries (see the README's Security section)."""
    from flask import current_app

    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        current_app.config.get("CONTENT_SECURITY_POLICY")
        or content_security_policy(current_app.config.get("MAP_TILE_URL")),
    )
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if not (request.endpoint or "").endswith("static"):
        # Pages, exports and API answers may hold other organisations' data: never kept by a browser or proxy.
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    if current_app.config.get("HSTS"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
