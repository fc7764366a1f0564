"""Tests of the pure allocation core."""
