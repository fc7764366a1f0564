"""The WSGI application for gunicorn (or any WSGI server): `coordhub.server.wsgi:app`, configured from the
environment (COORDHUB_CONFIG, DATABASE_URL, REDIS_URL, SECRET_KEY ...)."""

from coordhub import create_app

app = create_app()
