"""Tests of the allocation core and its CLI."""
