"""Security access per admin area and time: which capacity may serve which need in which window.

A rule (``AccessRule``) sets an area open, restricted to capacities holding
one of its clearances, or no-go, from its start to its end.  It governs its
area and every area below it, unless a lower area has a rule of its own for
the same time: for a need in area ``a`` and a time window ``w``, the rules
that apply are those of the deepest ancestor-or-self of ``a`` having a rule
that overlaps ``w``.  Among them the strictest wins: any no-go rule blocks
everybody; every restricted rule must be satisfied (the capacity holds one
of its clearances).  A window overlapped by a rule for even one day is
governed by it, so a plan never sends anybody where the assessment forbids
it at some point of the period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .model import AccessLevel, AccessRule, InvalidInput
from .problem import OPEN_END, Problem

BIG = np.iinfo(np.int16).max
ROW_CHUNK = 5_000  # rows x rules per step: bounded memory with thousands of rules
OPEN, RESTRICTED, NO_GO = 0, 1, 2
LEVEL_CODE = {AccessLevel.OPEN: OPEN, AccessLevel.RESTRICTED: RESTRICTED, AccessLevel.NO_GO: NO_GO}


@dataclass
class AccessIndex:
    """The rules as arrays, against one Problem.  ``cap_ok[j, m]``: capacity j
    holds a clearance of clearance set m; ``rule_set[r]``: the clearance set
    of rule r (-1 for open and no-go rules)."""

    rules: list[AccessRule]
    rule_area: np.ndarray
    rule_level: np.ndarray
    rule_start: np.ndarray
    rule_end: np.ndarray
    rule_set: np.ndarray
    clearance_sets: list[tuple[str, ...]]
    cap_ok: np.ndarray

    @property
    def empty(self) -> bool:
        return not self.rules


@dataclass
class WindowAccess:
    """Access for rows (need, window): level (OPEN, RESTRICTED, NO_GO),
    required[row, m] (the capacity must hold a clearance of set m), and the
    governing rule of each row that is not open (-1 when open)."""

    level: np.ndarray
    required: np.ndarray
    rule: np.ndarray


def check_rules(rules: Sequence[AccessRule]) -> list[str]:
    """Plain-English problems of access rules (empty when valid)."""
    problems = []
    for rule in rules:
        where = f"access rule for {rule.pcode or '?'} from {rule.start}"
        if not rule.pcode:
            problems.append("every access rule needs an area (P-code)")
        try:
            level = AccessLevel(rule.level)
        except ValueError:
            problems.append(f"{where}: level must be open, restricted or no_go, not {rule.level!r}")
            continue
        if rule.end is not None and rule.end < rule.start:
            problems.append(f"{where}: the end is before the start")
        if level is AccessLevel.RESTRICTED and not rule.clearances:
            problems.append(f"{where}: a restricted area must name the clearances that may serve it")
    return problems


def build_access(problem: Problem, rules: Sequence[AccessRule]) -> AccessIndex:
    """Index the rules; raises InvalidInput for a malformed rule.  Rules of
    areas the run does not know govern nothing (no need lies below them)."""
    problems = check_rules(rules)
    if problems:
        raise InvalidInput(problems)
    index = problem.areas.index
    known = [r for r in rules if r.pcode in index]
    sets = sorted({tuple(sorted(set(r.clearances))) for r in known if AccessLevel(r.level) is AccessLevel.RESTRICTED})
    set_of = {s: m for m, s in enumerate(sets)}
    cap_ok = np.zeros((problem.cap_count, len(sets)), dtype=bool)
    for j, cap in enumerate(problem.capacities):
        held = cap.held_clearances
        for m, clearance_set in enumerate(sets):
            cap_ok[j, m] = bool(held.intersection(clearance_set))
    return AccessIndex(
        rules=known,
        rule_area=np.array([index[r.pcode] for r in known], dtype=np.int64),
        rule_level=np.array([LEVEL_CODE[AccessLevel(r.level)] for r in known], dtype=np.int64),
        rule_start=np.array([r.start.toordinal() for r in known], dtype=np.int64),
        rule_end=np.array([r.end.toordinal() if r.end else OPEN_END for r in known], dtype=np.int64),
        rule_set=np.array(
            [
                set_of[tuple(sorted(set(r.clearances)))] if AccessLevel(r.level) is AccessLevel.RESTRICTED else -1
                for r in known
            ],
            dtype=np.int64,
        ),
        clearance_sets=sets,
        cap_ok=cap_ok,
    )


def window_access(
    problem: Problem, access: AccessIndex, need: np.ndarray, start: np.ndarray, end: np.ndarray
) -> WindowAccess:
    """Access for each row (need[row] during the inclusive ordinal days
    start[row]..end[row])."""
    rows = need.size
    n_sets = len(access.clearance_sets)
    level = np.zeros(rows, dtype=np.int64)
    required = np.zeros((rows, n_sets), dtype=bool)
    governing = np.full(rows, -1, dtype=np.int64)
    if access.empty or rows == 0:
        return WindowAccess(level, required, governing)
    # depth[u, r]: how many levels above area u the area of rule r is (BIG: not an ancestor).
    areas, area_of_row = np.unique(problem.need_area[need], return_inverse=True)
    ancestors = problem.areas.ancestors[areas]
    hit = ancestors[:, :, None] == access.rule_area[None, None, :]
    depth = np.where(hit.any(axis=1), hit.argmax(axis=1), BIG).astype(np.int16)
    rule_ids = np.arange(len(access.rules))
    for lo in range(0, rows, ROW_CHUNK):
        hi = min(rows, lo + ROW_CHUNK)
        overlap = (access.rule_start[None, :] <= end[lo:hi, None]) & (access.rule_end[None, :] >= start[lo:hi, None])
        d = np.where(overlap, depth[area_of_row[lo:hi]], BIG)
        deepest = d.min(axis=1)
        governs = (d == deepest[:, None]) & (deepest[:, None] < BIG)
        levels = np.where(governs, access.rule_level[None, :], -1)
        level[lo:hi] = np.maximum(levels.max(axis=1), 0)
        strictest = levels == level[lo:hi, None]
        governing[lo:hi] = np.where(
            level[lo:hi] > OPEN, np.where(strictest & governs, rule_ids, len(rule_ids)).min(axis=1), -1
        )
        restricted = governs & (access.rule_level[None, :] == RESTRICTED)
        for m in range(n_sets):
            required[lo:hi, m] = (restricted & (access.rule_set[None, :] == m)).any(axis=1)
    return WindowAccess(level, required, governing)


def allowed(access: AccessIndex, rows: WindowAccess, row: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Per (row[k], cap[k]): may the capacity serve in that row's area and window."""
    ok = rows.level[row] != NO_GO
    if rows.required.shape[1]:
        missing = rows.required[row] & ~access.cap_ok[cap]
        ok &= ~missing.any(axis=1)
    return ok


def describe(access: AccessIndex, rule: int) -> tuple[str, list[str]]:
    """(level, clearances in name order) of a governing rule, for explanations."""
    r = access.rules[rule]
    return str(AccessLevel(r.level)), sorted(set(r.clearances))
