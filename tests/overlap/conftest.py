"""Fixtures of the overlap product tests: API tokens as in tests/api."""

from tests.api.conftest import token_for  # noqa: F401
