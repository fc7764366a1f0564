"""API fixtures: a personal token per user."""

from __future__ import annotations

import pytest

from coordhub.api.models import ApiToken
from coordhub.extensions import db


@pytest.fixture
def token_for(world):
    def issue(user) -> dict[str, str]:
        _, plain = ApiToken.issue(user, "tests")
        db.session.commit()
        return {"Authorization": f"Bearer {plain}"}

    return issue
