"""Configuration classes for coordhub, read from the environment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

BASE_DIR = Path(__file__).resolve().parent


def database_url(raw: str | None, default: str) -> str:
    """Normalise a DATABASE_URL so SQLAlchemy uses the psycopg 3 driver for PostgreSQL."""
    url = raw or default
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class DefaultConfig:
    # No default: production refuses to start without one, development and the demo generate one per instance
    # (instance/secret_key); see coordhub/security.py.
    SECRET_KEY = os.environ.get("SECRET_KEY")
    REQUIRE_SECRET_KEY = False
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL"), f"sqlite:///{BASE_DIR / 'instance' / 'coordhub.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, Any]] = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL")  # background jobs on RQ when set, in-process otherwise
    JOBS_MODE = "thread"  # without REDIS_URL: "thread" (background thread) or "eager" (run inline)
    JOB_TIMEOUT = int(os.environ.get("COORDHUB_JOB_TIMEOUT", "3600"))
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    BOOTSTRAP_SERVE_LOCAL = True  # no CDN: the missions' machines are often offline
    BOOTSTRAP_BOOTSWATCH_THEME = None
    LANGUAGES: ClassVar[list[str]] = ["en", "fr"]
    BABEL_DEFAULT_LOCALE = os.environ.get("COORDHUB_LOCALE", "en")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "coordhub" / "translations")
    PAGE_SIZE = int(os.environ.get("COORDHUB_PAGE_SIZE", "25"))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=int(os.environ.get("COORDHUB_REMEMBER_DAYS", "14")))
    # A signed-in session without "keep me signed in" ends after this much inactivity (server side).
    SESSION_IDLE_TIMEOUT = timedelta(hours=int(os.environ.get("COORDHUB_SESSION_IDLE_HOURS", "8")))
    # Failed sign-ins allowed per e-mail address and per client address before 429 (Flask-Limiter syntax);
    # stored in Redis when REDIS_URL is set, in memory otherwise.
    SIGN_IN_LIMIT_ACCOUNT = os.environ.get("COORDHUB_SIGN_IN_LIMIT_ACCOUNT", "5 per 15 minutes")
    SIGN_IN_LIMIT_ADDRESS = os.environ.get("COORDHUB_SIGN_IN_LIMIT_ADDRESS", "20 per 15 minutes")
    RATELIMIT_STORAGE_URI: str | None = None  # Flask-Limiter's counters; None: REDIS_URL, else in memory
    RATELIMIT_KEY_PREFIX = "coordhub"
    API_TOKEN_DEFAULT_DAYS = 90
    # Argon2id cost of password hashes (OWASP's 19 MiB, 2 passes, 1 lane: ~20 ms of one core per sign-in).
    PASSWORD_HASH_TIME_COST = int(os.environ.get("COORDHUB_PASSWORD_HASH_TIME_COST", "2"))
    PASSWORD_HASH_MEMORY_KIB = int(os.environ.get("COORDHUB_PASSWORD_HASH_MEMORY_KIB", str(19 * 1024)))
    PASSWORD_HASH_PARALLELISM = int(os.environ.get("COORDHUB_PASSWORD_HASH_PARALLELISM", "1"))
    HSTS = False  # Strict-Transport-Security: production only (the site must be served over HTTPS)
    MAX_CONTENT_LENGTH = 50 * 1024 * 1024
    PASSWORD_HASH_CHEAP = False  # fast Argon2 parameters: the test suite only
    # A Content-Security-Policy header to send instead of the built one (coordhub/security.py); unset: built.
    CONTENT_SECURITY_POLICY: str | None = None
    # Imports of files with more rows than this go to a background job (the page and the API answer at once).
    IMPORT_BACKGROUND_ROWS = int(os.environ.get("COORDHUB_IMPORT_BACKGROUND_ROWS", "500"))
    # Overlap pairs scoring below this raise no alert (0: every pair that overlaps).
    OVERLAP_MIN_SCORE = float(os.environ.get("COORDHUB_OVERLAP_MIN_SCORE", "0") or 0)
    # Allocation runs larger than this many needs x capacities go to a background job.
    ALLOCATION_BACKGROUND_THRESHOLD = int(os.environ.get("COORDHUB_ALLOCATION_BACKGROUND", "2000"))
    LOG_FORMAT = os.environ.get("COORDHUB_LOG_FORMAT", "text")  # "json": one JSON object per line
    LOG_LEVEL = os.environ.get("COORDHUB_LOG_LEVEL", "INFO").upper()
    PROXY_COUNT = int(os.environ.get("COORDHUB_PROXY_COUNT", "0"))  # reverse proxies in front (X-Forwarded-*)
    # A database statement slower than this (seconds) is logged as a warning with its time and SQL; 0: never.
    SLOW_QUERY_SECONDS = float(os.environ.get("COORDHUB_SLOW_QUERY_SECONDS", "0.5"))
    # E-mail notifications (SMTP). Without MAIL_SERVER notices are in-app only.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes")  # STARTTLS
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "").lower() in ("1", "true", "yes")  # SMTPS
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "coordhub <noreply@localhost>")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))  # seconds per SMTP conversation step
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "10"))  # then the message is marked failed
    MAIL_BASE_URL = os.environ.get("MAIL_BASE_URL")  # public address for links in e-mails, e.g. https://coordhub.org
    # Base tiles under the maps, e.g. a mission's own tile server "https://tiles.example/{z}/{x}/{y}.png";
    # empty (the default): no tiles, the boundaries are the map (offline and thin links).
    MAP_TILE_URL = os.environ.get("COORDHUB_MAP_TILE_URL", "")


class DevelopmentConfig(DefaultConfig):
    DEBUG = True


class TestingConfig(DefaultConfig):
    TESTING = True
    WTF_CSRF_ENABLED = False  # tests/auth/test_csrf.py switches it back on to prove protection
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"), "sqlite:///:memory:")
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, Any]] = {}
    REDIS_URL = None
    PAGE_SIZE = 10
    PASSWORD_HASH_CHEAP = True
    JOBS_MODE = "eager"  # run background jobs synchronously; tests of the thread and RQ paths switch it
    LOG_LEVEL = "WARNING"  # quiet: no line per request in the test output
    MAIL_SERVER = None  # tests/notifications start a real SMTP server and set it


class ProductionConfig(DefaultConfig):
    REQUIRE_SECRET_KEY = True
    HSTS = True
    LOG_FORMAT = os.environ.get("COORDHUB_LOG_FORMAT", "json")
    PROXY_COUNT = int(os.environ.get("COORDHUB_PROXY_COUNT", "1"))
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
    "default": DefaultConfig,
}
