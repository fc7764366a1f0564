"""Overlap and gap detection: who duplicates whose work, and where needs go uncovered."""
