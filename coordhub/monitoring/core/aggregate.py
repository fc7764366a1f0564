"""Progress figures: per-period and cumulative achieved values from per-period increments, and % of target."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    """What one group (an indicator, sector, area, organisation …) gained in one period.

    `increment`: for sum indicators the sum of the values reported in the period; for latest-value indicators
    the sum over reporting units (project × area) of the change from the unit's previous value (its first value
    counts whole). `new_units`: reporting units whose first value falls in the period (for averages)."""

    increment: float
    new_units: int = 0


@dataclass(frozen=True)
class Series:
    """A group's achieved values per period (`per_period`) and to date (`cumulative`), oldest period first."""

    per_period: tuple[float, ...]
    cumulative: tuple[float, ...]

    @property
    def total(self) -> float:
        return self.cumulative[-1] if self.cumulative else 0.0


def cumulate(
    cells: Mapping[Hashable, Mapping[int, Cell]], periods: int, *, average: bool = False
) -> dict[Hashable, Series]:
    """Per group, the running sum of its increments over period indexes 0 … periods-1 (indexes outside are
    ignored). With `average` (percentages, yes/no), the cumulative figure is the mean of the units' latest values
    (running sum divided by the units reporting so far) and per_period its change."""
    result: dict[Hashable, Series] = {}
    for group, by_period in cells.items():
        running = 0.0
        units = 0
        cumulative: list[float] = []
        for index in range(periods):
            cell = by_period.get(index)
            if cell is not None:
                running += cell.increment
                units += cell.new_units
            cumulative.append(running / units if average and units else (0.0 if average else running))
        per_period = [b - a for a, b in zip([0.0] + cumulative, cumulative)]
        result[group] = Series(tuple(per_period), tuple(cumulative))
    return result


def percent_of_target(achieved: float, target: float | None) -> float | None:
    """Achieved as a percentage of target; None without a positive target."""
    if target is None or target <= 0:
        return None
    return 100.0 * achieved / target
