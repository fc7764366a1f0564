"""The JSON API under /api/v1: token-authenticated, the same operations and rights as the web pages."""
