"""Running coordhub in production: the WSGI entry, request logs, the health check, backups."""
