"""The WSGI application for gunicorn (or any WSGI server): `coordhub.server.wsgi:app`, configured from the
environment (COORDHUB_CONFIG, DATABASE_URL, REDIS_URL, SECRET_KEY ...)."""
from coordhub import create_app

app = create_app()
if not app.debug and not app.testing and app.config["SECRET_KEY"] in ("", "dev-only-change-me"):
    raise RuntimeError("Set SECRET_KEY (a long random string, the same on every web machine) before serving.")
