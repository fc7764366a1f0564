"""Audit log: who changed which record, when, and which fields from what to what."""
