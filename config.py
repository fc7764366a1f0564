"""Configuration classes for coordhub, read from the environment."""
from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def database_url(raw: str | None, default: str) -> str:
    """Normalise a DATABASE_URL so SQLAlchemy uses the psycopg 3 driver for PostgreSQL."""
    url = raw or default
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class DefaultConfig:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL"), f"sqlite:///{BASE_DIR / 'instance' / 'coordhub.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL")  # background jobs on RQ when set, in-process otherwise
    JOBS_MODE = "thread"  # without REDIS_URL: "thread" (background thread) or "eager" (run inline)
    JOB_TIMEOUT = int(os.environ.get("COORDHUB_JOB_TIMEOUT", "3600"))
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    BOOTSTRAP_SERVE_LOCAL = True  # no CDN: the missions' machines are often offline
    BOOTSTRAP_BOOTSWATCH_THEME = None
    LANGUAGES = ["en", "fr"]
    BABEL_DEFAULT_LOCALE = os.environ.get("COORDHUB_LOCALE", "en")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "coordhub" / "translations")
    PAGE_SIZE = int(os.environ.get("COORDHUB_PAGE_SIZE", "25"))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    MAX_CONTENT_LENGTH = 50 * 1024 * 1024
    # Allocation runs larger than this many needs x capacities go to a background job.
    ALLOCATION_BACKGROUND_THRESHOLD = int(os.environ.get("COORDHUB_ALLOCATION_BACKGROUND", "2000"))
    # Base tiles under the maps, e.g. a mission's own tile server "https://tiles.example/{z}/{x}/{y}.png";
    # empty (the default): no tiles, the boundaries are the map (offline and thin links).
    MAP_TILE_URL = os.environ.get("COORDHUB_MAP_TILE_URL", "")


class DevelopmentConfig(DefaultConfig):
    DEBUG = True


class TestingConfig(DefaultConfig):
    TESTING = True
    SECRET_KEY = "testing"
    WTF_CSRF_ENABLED = False  # tests/auth/test_csrf.py switches it back on to prove protection
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL"), "sqlite:///:memory:"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    REDIS_URL = None
    PAGE_SIZE = 10
    PASSWORD_HASH_CHEAP = True
    JOBS_MODE = "eager"  # run background jobs synchronously; tests of the thread and RQ paths switch it


class ProductionConfig(DefaultConfig):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
    "default": DefaultConfig,
}
