"""Plain input and result types of the allocation core (no Flask, no database)."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

DEFAULT_PRIORITY_WEIGHTS: Mapping[int, int] = MappingProxyType({1: 1, 2: 2, 3: 4, 4: 8, 5: 16})
PRIORITIES = (1, 2, 3, 4, 5)


class InvalidInput(ValueError):
    """The needs, capacities, areas, pins or policy contradict the contract.

    ``problems`` lists one plain-English line per problem found (at most a few
    dozen), so a caller can show them all at once.
    """

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True, kw_only=True, slots=True)
class Need:
    """A local authority's need for one resource type in one admin area.

    quantity: units of ``resource_type``, > 0 (at most 6 decimals are kept).
    priority: 1 (lowest) .. 5 (highest).
    start, end: inclusive dates; ``end=None`` means open-ended (ongoing).
    earliest_start, deadline: optional, for plans over time: delivery may not
    begin before ``earliest_start`` nor end after ``deadline`` (each narrows
    start/end; None leaves them as they are).
    lead_time: whole days, >= 0, plans only: a capacity not yet present in
    the need's area (see ``Capacity.present_pcodes``) needs this long to
    mobilise there, counted from the later of the plan's start and the
    capacity's start; it delivers from then on.
    """

    id: str
    pcode: str
    resource_type: str
    quantity: float
    priority: int
    start: date
    end: date | None = None
    earliest_start: date | None = None
    deadline: date | None = None
    lead_time: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class Capacity:
    """A partner organisation's offer of one resource type.

    quantity: units, > 0.  unit_cost: currency per unit, >= 0.
    service_pcodes: admin areas served; an area covers itself and every area
    below it in the tree.  is_local: True for national/local organisations
    (counted by the localisation share).  origin_pcode: where the capacity is
    dispatched from, for the distance cost; None means the matching service
    area.  start, end: inclusive dates, ``end=None`` open-ended.
    throughput: units it can deliver per period of a plan (> 0; None means
    no limit besides ``quantity``); ignored by runs without periods.
    clearances: access clearances it holds (e.g. ``escort``,
    ``un_security``); a local organisation holds ``local`` as well.
    present_pcodes: areas where it (its organisation) already works; with
    ``origin_pcode`` they say where it is present (an area covers itself and
    every area below it): a need's lead time applies elsewhere.
    """

    id: str
    org: str
    resource_type: str
    quantity: float
    start: date
    end: date | None = None
    unit_cost: float = 0.0
    service_pcodes: tuple[str, ...] = ()
    org_type: str = ""
    is_local: bool = False
    origin_pcode: str | None = None
    throughput: float | None = None
    clearances: tuple[str, ...] = ()
    present_pcodes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.service_pcodes, tuple):
            object.__setattr__(self, "service_pcodes", tuple(self.service_pcodes))
        if not isinstance(self.present_pcodes, tuple):
            object.__setattr__(self, "present_pcodes", tuple(self.present_pcodes))
        if not isinstance(self.clearances, tuple):
            object.__setattr__(self, "clearances", tuple(self.clearances))

    @property
    def held_clearances(self) -> frozenset[str]:
        """Its clearances, with ``local`` for a local/national organisation."""
        return frozenset(self.clearances) | ({LOCAL_CLEARANCE} if self.is_local else frozenset())


class AccessLevel(enum.StrEnum):
    """Security access to an admin area: anybody, only cleared capacities, nobody."""

    OPEN = "open"
    RESTRICTED = "restricted"
    NO_GO = "no_go"


LOCAL_CLEARANCE = "local"


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessRule:
    """A security assessment: from ``start`` to ``end`` (inclusive, None =
    until further notice) the area ``pcode`` and every area below it (unless a
    lower area has its own rule for that time) is open, restricted to
    capacities holding one of ``clearances``, or no-go.  When several rules
    of the same area overlap a period, the strictest applies."""

    pcode: str
    level: AccessLevel
    start: date
    end: date | None = None
    clearances: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.clearances, tuple):
            object.__setattr__(self, "clearances", tuple(self.clearances))


class PeriodKind(enum.StrEnum):
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, kw_only=True, slots=True)
class PlanSpec:
    """A plan over time: periods of ``kind`` (weeks start on Monday, months on
    the 1st) from the one holding ``start`` to the one holding ``horizon``.
    None: start at the earliest need start, end at the latest need end or
    deadline (or a year after the start when every need is open-ended)."""

    kind: PeriodKind = PeriodKind.MONTH
    start: date | None = None
    horizon: date | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class AdminArea:
    """One node of the admin-area tree (COD-AB style P-codes).

    level: 0 for the country, 1 for admin-1 and so on; None lets the core
    count the depth from the root.  lat, lon: centroid in degrees, optional
    (only used for the distance cost).
    """

    pcode: str
    parent_pcode: str | None = None
    name: str = ""
    level: int | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Pin:
    """A coordinator's fixed assignment: exactly ``quantity`` units (> 0) of the
    capacity go to the need.  The pair must be compatible."""

    need_id: str
    capacity_id: str
    quantity: float


@dataclass(frozen=True, kw_only=True, slots=True)
class ForbiddenPair:
    """A pair that must not be used (a coordinator's exclusion or a partner's
    decline); ``reason`` is repeated in explanations.  ``period``: a day of
    the one period of a plan it applies to (a partner's decline of that
    period's part); plans leave the pair out of the period holding that day,
    runs without periods ignore it.  None: every period and every run."""

    need_id: str
    capacity_id: str
    reason: str = ""
    period: date | None = None


@dataclass(frozen=True, kw_only=True)
class Policy:
    """How to weigh and constrain an allocation.

    Objective (hierarchical): first maximise priority-weighted units delivered
    (``priority_weights``: priority -> positive integer weight), then minimise
    cost (unit cost plus ``distance_cost_per_km`` currency per unit per km
    between area centroids).  ``lexicographic=True`` ranks priorities strictly
    (one unit of priority 5 outranks any number of lower units).  With
    ``value_per_weighted_unit`` set (currency), the objective becomes a single
    trade-off ``value * weighted_units - cost``: a delivery that costs more
    than it is worth is not made.

    Side constraints (0 / empty = off):
    budget_caps: organisation -> maximum total cost (currency).
    min_admin1_coverage: in [0, 1]; in every admin-1 area and resource type,
      delivered units >= share * min(needed, what the compatible capacities
      could deliver to that area alone).
    min_local_share: in [0, 1]; in every resource type in which a local
      organisation has a compatible offer, units delivered by local
      organisations >= share * all units delivered of that type.
    single_provider: each need is served by at most one capacity.
    min_lot_size: units; each assignment is 0 or at least
      min(min_lot_size, the need's remaining quantity, the capacity's remaining
      quantity).

    time_limit_seconds: > 0, wall clock for the whole run with side
      constraints; the min-cost flow cannot be interrupted (plain runs report
      an overrun in the notes), and each solver call gets at least 0.05 s.
    relative_gap: MIP stopping gap (0.0001 = 0.01 %).
    threads: solver threads (LP/MIP only).
    lateness_weight: plans only; currency per unit of priority weight per
      period of delay (after the first period the need could be served in).
      None (default) makes lateness rank strictly before cost: the weight is
      then larger than any cost an exchange of deliveries can save.
    budget_per_period: plans only; each budget cap applies to every period
      of the plan (False: to the whole plan).  With a plan the other side
      constraints apply to the whole plan: minimum coverage and local share
      to what the plan delivers in all, one provider per need over all
      periods, and the minimum lot to what a capacity delivers to a need over
      all periods.
    """

    priority_weights: Mapping[int, int] = field(default_factory=lambda: dict(DEFAULT_PRIORITY_WEIGHTS))
    lexicographic: bool = False
    value_per_weighted_unit: float | None = None
    distance_cost_per_km: float = 0.0
    time_limit_seconds: float = 60.0
    relative_gap: float = 1e-4
    threads: int = 1
    budget_caps: Mapping[str, float] = field(default_factory=dict)
    min_admin1_coverage: float = 0.0
    min_local_share: float = 0.0
    single_provider: bool = False
    min_lot_size: float = 0.0
    lateness_weight: float | None = None
    budget_per_period: bool = False

    def side_constraints(self) -> list[str]:
        """Names (field names) of the side constraints this policy switches on."""
        return [
            name
            for name, on in (
                ("budget_caps", bool(self.budget_caps)),
                ("min_admin1_coverage", self.min_admin1_coverage > 0),
                ("min_local_share", self.min_local_share > 0),
                ("single_provider", self.single_provider),
                ("min_lot_size", self.min_lot_size > 0),
            )
            if on
        ]

    @property
    def has_side_constraints(self) -> bool:
        return bool(self.side_constraints())

    @property
    def has_discrete_constraints(self) -> bool:
        return bool(self.single_provider or self.min_lot_size > 0)

    def weight(self, priority: int) -> int:
        return int(self.priority_weights[priority])

    def problems(self) -> list[str]:
        """Plain-English list of what is wrong with this policy (empty if valid)."""
        problems = []
        for priority in PRIORITIES:
            weight = self.priority_weights.get(priority)
            if not isinstance(weight, int) or isinstance(weight, bool) or weight <= 0:
                problems.append(f"priority weight for priority {priority} must be a positive whole number")
        if self.value_per_weighted_unit is not None and not (
            math.isfinite(self.value_per_weighted_unit) and self.value_per_weighted_unit > 0
        ):
            problems.append("value per weighted unit must be a positive number")
        if self.value_per_weighted_unit is not None and self.lexicographic:
            problems.append("a value per weighted unit cannot be combined with lexicographic priorities")
        if not (math.isfinite(self.distance_cost_per_km) and self.distance_cost_per_km >= 0):
            problems.append("distance cost per km must be zero or positive")
        if not (math.isfinite(self.time_limit_seconds) and self.time_limit_seconds > 0):
            problems.append("time limit must be a positive number of seconds")
        if not (0 <= self.relative_gap < 1):
            problems.append("relative gap must be in [0, 1)")
        if self.threads < 1:
            problems.append("threads must be at least 1")
        for org, cap in self.budget_caps.items():
            if not (math.isfinite(cap) and cap >= 0):
                problems.append(f"budget cap for {org} must be zero or positive")
        for name in ("min_admin1_coverage", "min_local_share"):
            if not (0 <= getattr(self, name) <= 1):
                problems.append(f"{name.replace('_', ' ')} must be between 0 and 1")
        if not (math.isfinite(self.min_lot_size) and self.min_lot_size >= 0):
            problems.append("minimum lot size must be zero or positive")
        if self.lateness_weight is not None and not (math.isfinite(self.lateness_weight) and self.lateness_weight >= 0):
            problems.append("lateness weight must be zero or positive")
        return problems


class Status(enum.StrEnum):
    """How the solver ended.  ``FEASIBLE`` carries a gap; ``TIMED_OUT`` is the
    best solution found before the time limit (possibly none: no assignments
    beyond the pins)."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    TIMED_OUT = "timed_out"


@dataclass(frozen=True, kw_only=True, slots=True)
class Assignment:
    """``quantity`` units of a capacity delivered to a need.  unit_cost is per
    unit including the distance cost; cost = quantity * unit_cost.  period:
    in a plan, the first day of the period of delivery (None otherwise)."""

    need_id: str
    capacity_id: str
    quantity: float
    unit_cost: float
    cost: float
    pinned: bool = False
    period: date | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Explanation:
    """Why a need is not fully met (``subject="need"``) or a capacity not fully
    used (``subject="capacity"``).

    reason: stable machine code (``messages.NEED_REASONS`` and
    ``messages.CAPACITY_REASONS`` list them); text: the English
    sentence; params: the values filled into the sentence, so that it can be
    rendered again in another language from ``reason`` and ``params``;
    related_ids: the needs or capacities named; quantity: the shortfall or the
    unused units.
    """

    subject: str
    subject_id: str
    reason: str
    text: str
    quantity: float
    related_ids: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CoverageFigure:
    """Units needed and met in some group; ``share`` is met / needed (1.0 when
    nothing is needed)."""

    needed: float
    met: float

    @property
    def share(self) -> float:
        return self.met / self.needed if self.needed > 0 else 1.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Coverage:
    """Coverage of the needs: overall (plain units, all types added up: only
    meaningful within one unit), weighted by priority weight (units times
    weight, shares unit-free), by resource type (each in its own unit), by
    admin-1 area (all types), and by (admin-1 pcode, resource type).

    fully_met: needs counted (needed = number of needs, met = those met in
    full).  priority_share: the unit-free headline: needed = the sum of the
    needs' priority weights, met = the sum of weight * (met / quantity) of
    each need, so its share is the priority-weighted average share met.  by_period (plans): per period start (ISO date), the weighted
    figure delivered by the end of that period (cumulative);
    by_period_and_type: the same per (period start, resource type) in units.
    """

    overall: CoverageFigure
    weighted: CoverageFigure
    by_resource_type: Mapping[str, CoverageFigure]
    by_admin1: Mapping[str, CoverageFigure]
    by_admin1_and_type: Mapping[tuple[str, str], CoverageFigure]
    fully_met: CoverageFigure = CoverageFigure(0.0, 0.0)
    priority_share: CoverageFigure = CoverageFigure(0.0, 0.0)
    by_period: Mapping[str, CoverageFigure] = field(default_factory=dict)
    by_period_and_type: Mapping[tuple[str, str], CoverageFigure] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class AllocationResult:
    """Outcome of ``allocate``.

    objective: weighted_units in the hierarchical modes; value * weighted_units
    - cost with ``Policy.value_per_weighted_unit``.  weighted_units: sum of
    met quantity * priority weight.  cost: currency, sum of assignment costs.
    bound: best proven upper bound on the objective (equal to it when
    optimal, None when unknown); gap: (bound - objective) / max(|bound|, 1e-9).
    met / used: need id -> units met, capacity id -> units used (every input
    id present).  timings: seconds per phase (compatibility, build, solve,
    explain).  engine: "min_cost_flow", "linear_program" or "mixed_integer".
    notes: remarks on rounding, unknown areas, time limits, infeasibility.
    periods: plans only, the first day of every period, in order.
    """

    status: Status
    objective: float
    weighted_units: float
    cost: float
    bound: float | None
    gap: float | None
    assignments: tuple[Assignment, ...]
    met: Mapping[str, float]
    used: Mapping[str, float]
    coverage: Coverage
    explanations: tuple[Explanation, ...]
    timings: Mapping[str, float]
    seconds: float
    engine: str
    fingerprint: str
    notes: tuple[str, ...] = ()
    periods: tuple[date, ...] = ()

    def summary(self) -> dict[str, Any]:
        """The one-line JSON summary of the CLI: status, objective,
        weighted_units, cost, bound and gap (relative; 0 when proven
        optimal), the unit-free headline (weighted_share_met: the
        priority-weighted average share of each need met; share_fully_met),
        seconds."""
        return {
            "status": str(self.status),
            "objective": self.objective,
            "weighted_units": self.weighted_units,
            "cost": self.cost,
            "bound": self.bound,
            "gap": self.gap,
            "weighted_share_met": round(self.coverage.priority_share.share, 6),
            "share_fully_met": round(self.coverage.fully_met.share, 6),
            "seconds": round(self.seconds, 4),
        }
