"""Stable fingerprint of an allocation's input, for storing and comparing runs."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import fields
from datetime import date

from .model import AccessRule, AdminArea, Capacity, ForbiddenPair, Need, Pin, PlanSpec, Policy

# Fields added after version 2: left out while they hold their default, so
# that inputs without them keep their fingerprint.
LATER_FIELDS = {
    "earliest_start": None,
    "deadline": None,
    "throughput": None,
    "clearances": (),
    "lateness_weight": None,
    "budget_per_period": False,
    "lead_time": 0,
    "present_pcodes": (),
    "period": None,
}

VERSION = "coordhub-allocation-input/2"


def _text(value: object) -> str:
    """Canonical text of one field value (type-tagged, so 1 and '1' differ,
    while 10 and 10.0 do not)."""
    if isinstance(value, str):
        return "s" + value.replace("\\", "\\\\").replace("\x1f", "\\x1f").replace("\x1e", "\\x1e").replace("\n", "\\n")
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "b1" if value else "b0"
    if isinstance(value, int | float):
        return "n" + repr(float(value))  # 10 and 10.0 are the same quantity
    if isinstance(value, date):
        return "d" + value.isoformat()
    if isinstance(value, tuple | list):
        return "[" + "\x1e".join(_text(v) for v in value) + "]"
    if hasattr(value, "items"):
        return "{" + "\x1e".join(sorted(_text(k) + "=" + _text(v) for k, v in value.items())) + "}"
    return "o" + str(value)


def _records(items: Sequence[object]) -> list[str]:
    """One line per record: its fields in declaration order (a capacity's
    service areas sorted: their order carries no meaning)."""
    if not items:
        return []
    names = [f.name for f in fields(items[0])]  # type: ignore[arg-type]
    lines = []
    for obj in items:
        parts = []
        for name in names:
            value = getattr(obj, name)
            if name in LATER_FIELDS and value == LATER_FIELDS[name]:
                continue
            if name == "service_pcodes":
                value = sorted(value)
            parts.append(_text(value))
        lines.append("\x1f".join(parts))
    return lines


def fingerprint(
    needs: Sequence[Need],
    capacities: Sequence[Capacity],
    areas: Sequence[AdminArea] | None = None,
    policy: Policy | None = None,
    pins: Sequence[Pin] = (),
    forbidden: Sequence[ForbiddenPair] = (),
    *,
    access: Sequence[AccessRule] = (),
    plan: PlanSpec | None = None,
) -> str:
    """Hex SHA-256 of the canonical input: every record's fields in declaration
    order as type-tagged text, records sorted (service P-codes sorted within a
    capacity), floats as repr, dates ISO.  Input order does not
    matter; any change of a value does.  ``policy=None`` means ``Policy()``."""
    digest = hashlib.sha256(VERSION.encode())
    policy = policy or Policy()

    def section(name: str, lines: list[str]) -> None:
        digest.update(f"\n#{name}:{len(lines)}\n".encode())
        digest.update("\n".join(sorted(lines)).encode())

    section("needs", _records(list(needs)))
    section("capacities", _records(list(capacities)))
    section("areas", _records(list(areas or ())))
    section("pins", _records(list(pins)))
    section("forbidden", _records(list(forbidden)))
    section("policy", _records([policy]))
    if access:
        section("access", _records(list(access)))
    if plan is not None:
        section("plan", _records([plan]))
    return digest.hexdigest()
