"""The one admin-area tree ("area A covers area B"): numbered nodes, ancestors, subtrees, depth, areas not in the tree.

Pure (no Flask, no SQLAlchemy): overlap detection, gap matrices and the allocation core's
compatibility all decide containment here, from the areas a file or the registry describes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class InvalidInput(ValueError):
    """An input record breaks its contract; ``record`` and ``field`` say where.

    ``record`` is the activity id (or area P-code, need id…), ``field`` the attribute name,
    so callers that read files can turn it into "row 12, column start".
    """

    def __init__(self, message: str, *, record: str = "", field: str = "") -> None:
        super().__init__(message)
        self.record = record
        self.field = field


@dataclass(frozen=True, slots=True)
class AdminArea:
    """One node of the admin-area tree.

    ``level`` is the administrative level as published (0 = country, 1 = admin-1, …); it is
    used to pick the rows of a gap matrix. Containment is taken from ``parent_pcode`` alone.
    An empty ``parent_pcode`` (or one not in the tree) makes the area a root.
    """

    pcode: str
    parent_pcode: str | None = None
    name: str = ""
    level: int = 0

    @property
    def label(self) -> str:
        """The name for people, falling back to the P-code."""
        return self.name or self.pcode


class AreaLike(Protocol):
    """What the tree reads of an area (any core's own area record will do)."""

    @property
    def pcode(self) -> str: ...

    @property
    def parent_pcode(self) -> str | None: ...

    @property
    def level(self) -> int | None: ...


def pcode_rank(pcode: str) -> int:
    """A fixed 63-bit number for a P-code, used only to break ties the same way everywhere."""
    return int.from_bytes(hashlib.blake2b(pcode.encode(), digest_size=8).digest(), "big") >> 1


class AreaTree:
    """Numbered admin areas with their ancestors.

    Nodes are numbered in depth-first order, so a subtree is a contiguous range of numbers.
    ``depth`` counts parent links from the root (it is not the published ``level``).
    A P-code met later that is not in the tree (see :meth:`locate`) becomes its own root with
    no children: it matches only itself. Such P-codes are listed in ``unknown_pcodes``.

    Raises :class:`InvalidInput` for an empty or repeated P-code or a cycle of parents.
    """

    def __init__(self, areas: Iterable[AreaLike] = ()) -> None:
        given: dict[str, AreaLike] = {}
        for area in areas:
            pcode = (area.pcode or "").strip()
            if not pcode:
                raise InvalidInput("an admin area has an empty P-code", field="pcode")
            if pcode in given:
                raise InvalidInput(f"P-code {pcode!r} appears twice in the admin areas", record=pcode, field="pcode")
            given[pcode] = area
        children: dict[str | None, list[str]] = {}
        #: P-codes whose parent is named but not in the tree; they are treated as roots.
        self.missing_parents: dict[str, str] = {}
        for pcode, area in given.items():
            parent = (area.parent_pcode or "").strip() or None
            if parent is not None and parent not in given:
                self.missing_parents[pcode] = parent
                parent = None
            children.setdefault(parent, []).append(pcode)
        self.areas: list[AreaLike] = []
        self.parent: list[int] = []
        self.depth: list[int] = []
        self._end: list[int] = []  # subtree of i is range(i, _end[i])
        self.index: dict[str, int] = {}
        for root in sorted(children.get(None, [])):
            self._number(root, -1, given, children)
        if len(self.index) != len(given):
            stuck = sorted(set(given) - set(self.index))
            raise InvalidInput(
                f"admin areas form a cycle of parents: {', '.join(stuck[:5])}", record=stuck[0], field="parent_pcode"
            )
        self.known_count = len(self.areas)
        self.rank: list[int] = [pcode_rank(a.pcode) for a in self.areas]
        self.unknown_pcodes: set[str] = set()
        max_depth = max(self.depth, default=0)
        # ancestors[i, d] = ancestor of i at depth d (d < depth[i]), -1 elsewhere
        self._ancestors = np.full((max(self.known_count, 1), max(max_depth, 1)), -1, dtype=np.int64)
        for i in range(self.known_count):
            p, d = self.parent[i], self.depth[i]
            while p >= 0:
                d -= 1
                self._ancestors[i, d] = p
                p = self.parent[p]

    def _number(
        self, root: str, parent: int, given: dict[str, AreaLike], children: dict[str | None, list[str]]
    ) -> None:
        # iterative depth-first numbering (trees can be deep enough to hit recursion limits)
        stack: list[tuple[str, int, bool]] = [(root, parent, False)]
        while stack:
            pcode, parent_index, done = stack.pop()
            if done:
                self._end[self.index[pcode]] = len(self.areas)
                continue
            i = len(self.areas)
            self.index[pcode] = i
            self.areas.append(given[pcode])
            self.parent.append(parent_index)
            self.depth.append(0 if parent_index < 0 else self.depth[parent_index] + 1)
            self._end.append(i + 1)
            stack.append((pcode, parent_index, True))
            for child in sorted(children.get(pcode, []), reverse=True):
                stack.append((child, i, False))

    def __len__(self) -> int:
        return len(self.areas)

    def locate(self, pcode: str) -> int:
        """The node number of ``pcode``; an unknown P-code is added as its own root and recorded."""
        i = self.index.get(pcode)
        if i is None:
            i = len(self.areas)
            self.index[pcode] = i
            self.areas.append(AdminArea(pcode=pcode, parent_pcode=None, name="", level=-1))
            self.parent.append(-1)
            self.depth.append(0)
            self._end.append(i + 1)
            self.rank.append(pcode_rank(pcode))
            self.unknown_pcodes.add(pcode)
        return i

    def ancestors(self, i: int) -> list[int]:
        """Strict ancestors of node ``i``, nearest first."""
        out = []
        p = self.parent[i]
        while p >= 0:
            out.append(p)
            p = self.parent[p]
        return out

    def subtree(self, i: int) -> range:
        """Node ``i`` and all its descendants."""
        return range(i, self._end[i])

    def ancestor_matrix(self, nodes: np.ndarray) -> np.ndarray:
        """Rows of strict ancestors by depth (column d = ancestor at depth d), -1 padded."""
        out = np.full((len(nodes), self._ancestors.shape[1]), -1, dtype=np.int64)
        known = nodes < self.known_count
        out[known] = self._ancestors[nodes[known]]
        return out

    def ancestor_at_level(self, i: int, level: int) -> int | None:
        """Node ``i`` itself or its nearest ancestor whose published level is ``level``."""
        while i >= 0:
            if self.areas[i].level == level:
                return i
            i = self.parent[i]
        return None

    def ancestor_table(self, nodes: Sequence[int] | np.ndarray) -> np.ndarray:
        """``out[r, k]`` = the k-th ancestor of ``nodes[r]`` (k = 0: the node itself), -1 past its root."""
        nodes = np.asarray(nodes, dtype=np.int64)
        depth = np.asarray(self.depth, dtype=np.int64)[nodes] if len(nodes) else np.zeros(0, dtype=np.int64)
        width = int(depth.max(initial=0)) + 1
        by_depth = self.ancestor_matrix(nodes)  # column d = ancestor at depth d, root first
        out = np.full((len(nodes), width), -1, dtype=np.int64)
        out[:, 0] = nodes
        rows = np.arange(len(nodes))
        for k in range(1, width):
            column = depth - k
            valid = column >= 0
            out[rows[valid], k] = by_depth[rows[valid], column[valid]]
        return out

    def find(self, pcode: str) -> AreaLike | None:
        """The area of a P-code in the tree (``None`` if unknown)."""
        i = self.index.get(pcode)
        return None if i is None or i >= self.known_count else self.areas[i]
