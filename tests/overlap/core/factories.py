"""A small admin tree and an activity factory shared by the overlap core tests."""

from __future__ import annotations

from datetime import date
from itertools import count

from coordhub.overlap.core import Activity, AdminArea

#: Central African Republic, cut down: country → prefectures → sub-prefectures
AREAS = [
    AdminArea("CF", None, "Central African Republic", 0),
    AdminArea("CF63", "CF", "Ouham-Pendé", 1),
    AdminArea("CF632", "CF63", "Bozoum", 2),
    AdminArea("CF631", "CF63", "Bocaranga", 2),
    AdminArea("CF32", "CF", "Ouham", 1),
    AdminArea("CF321", "CF32", "Bossangoa", 2),
]

_ids = count(1)


def activity(**fields) -> Activity:
    """An Education activity in Bozoum, 1 Mar – 30 Jun 2026, unless told otherwise."""
    values = dict(
        id=f"act{next(_ids)}",
        organisation="UNICEF",
        sector="Education",
        pcodes=("CF632",),
        activity_type="teacher training",
        start=date(2026, 3, 1),
        end=date(2026, 6, 30),
    )
    values.update(fields)
    return Activity(**values)
