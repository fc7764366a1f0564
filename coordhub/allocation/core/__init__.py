"""Pure allocation core: match partner capacities to needs, optimally and explainably (no Flask, no database).

Entry point: ``allocate(needs, capacities, areas=..., policy=..., pins=..., forbidden=..., progress=...)``.
"""

from .allocate import allocate, grouped_coverage
from .fingerprint import fingerprint
from .model import (
    DEFAULT_PRIORITY_WEIGHTS,
    AccessLevel,
    AccessRule,
    AdminArea,
    AllocationResult,
    Assignment,
    Capacity,
    Coverage,
    CoverageFigure,
    Explanation,
    ForbiddenPair,
    InvalidInput,
    Need,
    PeriodKind,
    Pin,
    PlanSpec,
    Policy,
    Status,
)

__all__ = [
    "DEFAULT_PRIORITY_WEIGHTS",
    "AccessLevel",
    "AccessRule",
    "AdminArea",
    "AllocationResult",
    "Assignment",
    "Capacity",
    "Coverage",
    "CoverageFigure",
    "Explanation",
    "ForbiddenPair",
    "InvalidInput",
    "Need",
    "PeriodKind",
    "Pin",
    "PlanSpec",
    "Policy",
    "Status",
    "allocate",
    "fingerprint",
    "grouped_coverage",
]
