"""Stable fingerprint of an allocation's input, for storing and comparing runs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import fields
from datetime import date

from .model import AdminArea, Capacity, ForbiddenPair, Need, Pin, Policy

VERSION = "coordhub-allocation-input/1"


def _value(value: object) -> object:
    if isinstance(value, float):
        return repr(float(value))
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_value(v) for v in value]
    if isinstance(value, dict) or hasattr(value, "items"):
        return sorted([str(k), _value(v)] for k, v in value.items())
    return str(value)


def _record(obj: object) -> str:
    row = []
    for f in fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        # The order of a capacity's service areas carries no meaning.
        row.append(sorted(value) if f.name == "service_pcodes" else _value(value))
    return json.dumps(row, separators=(",", ":"), ensure_ascii=False)


def fingerprint(
    needs: Sequence[Need],
    capacities: Sequence[Capacity],
    areas: Sequence[AdminArea] | None = None,
    policy: Policy | None = None,
    pins: Sequence[Pin] = (),
    forbidden: Sequence[ForbiddenPair] = (),
) -> str:
    """Hex SHA-256 of the canonical input: every record's fields in declaration
    order, records sorted (needs and capacities by id, service P-codes sorted
    within a capacity), floats as repr, dates ISO.  Input order does not
    matter; any change of a value does.  ``policy=None`` means ``Policy()``."""
    digest = hashlib.sha256(VERSION.encode())
    policy = policy or Policy()

    def section(name: str, lines: list[str]) -> None:
        digest.update(f"\n#{name}:{len(lines)}\n".encode())
        for line in sorted(lines):
            digest.update(line.encode())
            digest.update(b"\n")

    section("needs", [_record(n) for n in needs])
    section("capacities", [_record(c) for c in capacities])
    section("areas", [_record(a) for a in areas or ()])
    section("pins", [_record(p) for p in pins])
    section("forbidden", [_record(f) for f in forbidden])
    section("policy", [_record(policy)])
    return digest.hexdigest()
