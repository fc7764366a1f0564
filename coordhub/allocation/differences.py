"""What differs between the inputs of two stored runs: their policies side by side, the pins, exclusions and
access assessments they were given (added, removed, changed), and the counts and totals of their needs and
capacities (the runs store those, not the records themselves)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from coordhub.allocation.core.messages import number
from coordhub.allocation.inputs import default_settings
from coordhub.allocation.models import AllocationRun
from coordhub.extensions import db
from coordhub.registry.models import Organisation

# The policy settings in the order of the new-run form, with their labels.
POLICY_LABELS = {
    "lexicographic": _l("How priorities count"),
    "priority_weights": _l("Weights of priorities 5 to 1"),
    "distance_cost_per_km": _l("Distance cost per unit and km"),
    "budget_caps": _l("Budget cap per organisation"),
    "min_admin1_coverage": _l("Minimum coverage in every admin-1 area (%)"),
    "min_local_share": _l("Minimum share delivered by national and local organisations (%)"),
    "min_lot_size": _l("Minimum lot size (units per assignment)"),
    "single_provider": _l("One provider per need"),
    "periods": _l("Plan over time"),
    "horizon": _l("Plan until"),
    "time_limit_seconds": _l("Time limit (seconds)"),
}


@dataclass
class PolicyRow:
    label: str
    a: str
    b: str

    @property
    def differs(self) -> bool:
        return self.a != self.b


@dataclass
class SetChange:
    """Items of one kind in run a and run b, by key: how many were added, removed or changed."""

    label: str
    count_a: int
    count_b: int
    added: int = 0
    removed: int = 0
    changed: int = 0

    @property
    def differs(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass
class TotalChange:
    label: str
    a: float
    b: float

    @property
    def differs(self) -> bool:
        return abs(self.a - self.b) > 1e-9


@dataclass
class InputDifferences:
    policy: list[PolicyRow] = field(default_factory=list)
    sets: list[SetChange] = field(default_factory=list)  # pins, exclusions, access assessments
    counts: list[TotalChange] = field(default_factory=list)  # needs and capacities
    needed: list[TotalChange] = field(default_factory=list)  # units needed by resource type

    @property
    def policy_differs(self) -> bool:
        return any(row.differs for row in self.policy)

    @property
    def records_differ(self) -> bool:
        return any(row.differs for row in self.sets + self.counts + self.needed)


def _yes_no(value: Any) -> str:
    return _("yes") if value else _("no")


def _percent(value: Any) -> str:
    return number(float(value) * 100)


def policy_rows(a: Mapping[str, Any], b: Mapping[str, Any], organisation_name: Callable[[str], str]) -> list[PolicyRow]:
    """Both policies' settings as text, one row per setting (defaults for settings a run did not store)."""
    defaults = default_settings()
    periods = {"": _("no"), "week": _("by week"), "month": _("by month")}
    shown: dict[str, Callable[[Any], str]] = {
        "lexicographic": lambda v: _("strictly by priority") if v else _("by weight"),
        "priority_weights": lambda v: " / ".join(number(float(v.get(str(p), 0))) for p in range(5, 0, -1)),
        "distance_cost_per_km": lambda v: number(float(v)),
        "budget_caps": lambda v: (
            "; ".join(
                f"{organisation_name(oid)} = {number(float(amount))}"
                for oid, amount in sorted(v.items(), key=lambda item: item[0])
            )
            or "—"
        ),
        "min_admin1_coverage": _percent,
        "min_local_share": _percent,
        "min_lot_size": lambda v: number(float(v)),
        "single_provider": _yes_no,
        "periods": lambda v: periods.get(v, v),
        "horizon": lambda v: v or "—",
        "time_limit_seconds": lambda v: number(float(v)),
    }
    return [
        PolicyRow(str(label), shown[key](a.get(key, defaults[key])), shown[key](b.get(key, defaults[key])))
        for key, label in POLICY_LABELS.items()
    ]


def keyed_change(label: str, a: Mapping, b: Mapping) -> SetChange:
    """Count the keys only in b (added), only in a (removed), and in both with another value (changed)."""
    return SetChange(
        label,
        len(a),
        len(b),
        added=len(set(b) - set(a)),
        removed=len(set(a) - set(b)),
        changed=sum(1 for key in set(a) & set(b) if a[key] != b[key]),
    )


def input_differences(a: AllocationRun, b: AllocationRun, resource_labels: Mapping[str, str]) -> InputDifferences:
    """What differs between the inputs of runs a and b (see the module docstring); `resource_labels` names the
    resource-type codes of the runs' coverage."""
    caps = {oid for run in (a, b) for oid in run.policy.get("budget_caps", {})}
    names = (
        {
            o.id: o.label
            for o in db.session.scalars(sa.select(Organisation).where(Organisation.id.in_([int(oid) for oid in caps])))
        }
        if caps
        else {}
    )
    differences = InputDifferences(policy=policy_rows(a.policy, b.policy, lambda oid: names.get(int(oid), oid)))
    pins = [{(need, capacity): quantity for need, capacity, quantity in run.pins} for run in (a, b)]
    exclusions = [{(need, capacity): True for need, capacity, *_rest in run.forbidden} for run in (a, b)]
    access = [
        {(pcode, start): (level, end, clearances) for pcode, level, start, end, clearances in run.access}
        for run in (a, b)
    ]
    differences.sets = [
        keyed_change(_("Pins"), *pins),
        keyed_change(_("Exclusions"), *exclusions),
        keyed_change(_("Access assessments"), *access),
    ]
    differences.counts = [
        TotalChange(_("Needs allocated"), a.need_count, b.need_count),
        TotalChange(_("Capacities offered"), a.capacity_count, b.capacity_count),
    ]
    needed_a, needed_b = a.coverage.get("by_resource_type", {}), b.coverage.get("by_resource_type", {})
    differences.needed = [
        TotalChange(resource_labels.get(code, code), needed_a.get(code, [0.0])[0], needed_b.get(code, [0.0])[0])
        for code in sorted(set(needed_a) | set(needed_b), key=lambda code: resource_labels.get(code, code))
    ]
    return differences
