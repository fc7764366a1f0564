"""Allocation of partner capacities to registered needs (pure core, CLI; models and views live beside)."""
