"""Input bounds every write path checks (forms, API, imports): numbers finite and in a documented range, text
no longer than its database column (SQLite would store what PostgreSQL refuses)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from coordhub.errors import ValidationError

# field -> (lowest, highest) allowed, inclusive; quantities must also be above zero (checked with the meaning).
# A billion units or beneficiaries, a trillion in budget, a billion per unit: beyond any response, and within
# what the columns (INTEGER, NUMERIC(16, 2), double precision) and the allocation solvers handle exactly.
NUMBER_RANGES: dict[str, tuple[float, float]] = {
    "quantity": (0, 1e9),
    "unit_cost": (0, 1e9),
    "budget": (0, 1e12),
    "beneficiaries_targeted": (0, 1e9),
    "priority": (1, 5),
}

MAX_PAGE = 1_000_000  # of any list (web and API): beyond it, a 400


def check_number(field: str, value: Any) -> None:
    """Raise ValidationError (naming `field`) unless `value` is None or a finite number within its range."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    low, high = NUMBER_RANGES.get(field, (-math.inf, math.inf))
    if not math.isfinite(value):
        raise ValidationError(str(_l("This must be a finite number.")), field)
    if not low <= value <= high:
        raise ValidationError(
            str(_l("This must be between %(low)s and %(high)s.", low=f"{low:,.0f}", high=f"{high:,.0f}")), field
        )


def check_text_lengths(model: type, values: Mapping[str, Any]) -> None:
    """Raise ValidationError (naming the field) when a text is longer than its column on `model` allows."""
    columns = sa.inspect(model).columns
    for field, value in values.items():
        column = columns.get(field)
        length = getattr(column.type, "length", None) if column is not None else None
        if isinstance(value, str) and length and len(value) > length:
            raise ValidationError(
                str(_l("At most %(n)d characters (this has %(given)d).", n=length, given=len(value))), field
            )


def check_values(model: type, values: Mapping[str, Any]) -> None:
    """Both checks over the values of one record."""
    check_text_lengths(model, values)
    for field, value in values.items():
        check_number(field, value)
