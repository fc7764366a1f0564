"""gunicorn settings for `coordhub serve` (`gunicorn -c python:coordhub.server.gunicorn_conf ...`), from the
environment so that every web machine of an instance needs only the same environment file."""

import multiprocessing
import os

bind = os.environ.get("COORDHUB_BIND", "127.0.0.1:8000")
# Sync workers: each request holds one process; the database pool is per process (see SQLALCHEMY_ENGINE_OPTIONS).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("COORDHUB_THREADS", "1"))
timeout = int(os.environ.get("COORDHUB_WEB_TIMEOUT", "60"))  # long work goes to RQ workers, not here
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that a slow leak in a library cannot grow without bound.
max_requests = int(os.environ.get("COORDHUB_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# coordhub logs one line per request itself (with request id, user and duration): no second access log.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("COORDHUB_LOG_LEVEL", "info").lower()
# Addresses whose X-Forwarded-* headers are believed (the reverse proxy); coordhub's ProxyFix does the rest.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The app is built in each worker after the fork, so no database connection is shared between processes.
preload_app = False
