"""Monitoring and evaluation: indicators, targets, reporting periods, reports with review, progress, and the
results that reduce the needs the next allocation run sees."""
