"""The plain data that goes into and comes out of overlap and gap detection."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from coordhub.reading.areas import AdminArea, InvalidInput


def _as_tuple(value: Iterable[str] | str | None, record: str, field_name: str) -> tuple[str, ...]:
    """Normalise a list of codes: a string is split on ';', blanks dropped, order and no repeats kept."""
    if value is None:
        return ()
    items = value.split(";") if isinstance(value, str) else value
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidInput(
                f"{field_name} of {record!r} must hold strings, not {type(item).__name__}",
                record=record,
                field=field_name,
            )
        item = " ".join(item.split())
        if item and item not in out:
            out.append(item)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Activity:
    """One registered activity (a project line: who does what where when).

    - ``organisation``: the key compared for "same organisation" and matched against other
      activities' ``implementing_partners`` (compared case-insensitively, spaces collapsed);
      ``organisation_name`` is shown to people (defaults to ``organisation``).
    - ``sector``: compared case-insensitively; pairs need the same sector.
    - ``activity_type``: the resource / activity type, "" when unknown.
    - ``pcodes``: one or more admin-area P-codes at any level (a ';'-separated string is split).
    - ``start``/``end``: inclusive dates. ``end=None`` means ongoing (open end).
      ``start=None`` means unknown: detection then uses the reporting period's start if one is
      given, otherwise "always".
    - ``beneficiaries``: people reached, ``None`` when unknown, never negative.
    - ``implementing_partners``: organisation keys this activity's organisation funds to do it.

    Raises :class:`InvalidInput` for an empty id, organisation or sector, ``end < start``,
    negative beneficiaries or non-string codes.
    """

    id: str
    organisation: str
    sector: str
    pcodes: tuple[str, ...]
    activity_type: str = ""
    start: date | None = None
    end: date | None = None
    title: str = ""
    description: str = ""
    target_group: str = ""
    beneficiaries: int | None = None
    implementing_partners: tuple[str, ...] = ()
    organisation_name: str = ""

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.id, str) or not self.id.strip():
            raise InvalidInput("activity id is empty", record=str(self.id or ""), field="id")
        set_(self, "id", self.id.strip())
        for name in ("organisation", "sector"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidInput(f"activity {self.id!r} has no {name}", record=self.id, field=name)
        for name in (
            "organisation",
            "sector",
            "activity_type",
            "title",
            "description",
            "target_group",
            "organisation_name",
        ):
            set_(self, name, " ".join((getattr(self, name) or "").split()))
        set_(self, "pcodes", _as_tuple(self.pcodes, self.id, "pcodes"))
        set_(self, "implementing_partners", _as_tuple(self.implementing_partners, self.id, "implementing_partners"))
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, date):
                raise InvalidInput(f"{name} of {self.id!r} is not a date", record=self.id, field=name)
        if self.start is not None and self.end is not None and self.end < self.start:
            raise InvalidInput(
                f"activity {self.id!r} ends ({self.end.isoformat()}) before it starts ({self.start.isoformat()})",
                record=self.id,
                field="end",
            )
        if self.beneficiaries is not None and self.beneficiaries < 0:
            raise InvalidInput(f"beneficiaries of {self.id!r} is negative", record=self.id, field="beneficiaries")

    @property
    def organisation_label(self) -> str:
        """The organisation as shown to people."""
        return self.organisation_name or self.organisation

    def placement_fingerprint(self) -> str:
        """A short fixed text that changes exactly when the sector, the areas or the dates
        change: store it with a dismissed alert, and raise the pair again only if the
        fingerprint of either activity differs from the one stored."""
        text = "|".join(
            [
                " ".join(self.sector.split()).casefold(),
                ";".join(sorted(self.pcodes)),
                self.start.isoformat() if self.start else "",
                self.end.isoformat() if self.end else "",
            ]
        )
        return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


def _check_quantified(record: Need | Capacity, what: str) -> None:
    """Shared checks of needs and capacities: an id, P-codes as a tuple, quantity ≥ 0."""
    if not record.id:
        raise InvalidInput(f"{what} id is empty", field="id")
    object.__setattr__(record, "pcodes", _as_tuple(record.pcodes, record.id, "pcodes"))
    if record.quantity < 0:
        raise InvalidInput(f"{what} {record.id!r} has a negative quantity", record=record.id, field="quantity")


@dataclass(frozen=True, slots=True)
class Need:
    """A need registered for a sector in one or more areas (``quantity`` in the need's ``unit``, ≥ 0)."""

    id: str
    sector: str
    pcodes: tuple[str, ...]
    quantity: float = 1.0
    unit: str = ""

    def __post_init__(self) -> None:
        _check_quantified(self, "need")


@dataclass(frozen=True, slots=True)
class Capacity:
    """Capacity an organisation holds for a sector in some areas (``quantity`` ≥ 0, own unit)."""

    id: str
    organisation: str
    sector: str
    pcodes: tuple[str, ...]
    quantity: float = 1.0
    resource_type: str = ""

    def __post_init__(self) -> None:
        _check_quantified(self, "capacity")


class OverlapKind(enum.StrEnum):
    """What a pair of activities most probably is."""

    #: the same organisation registered the same work twice
    DUPLICATE_ENTRY = "duplicate entry"
    #: two organisations doing the same kind of work in the same place and time
    OVERLAP = "overlap"
    #: two organisations, same sector, place and time, different activity types: shown, scored
    #: lower (one organisation's own activities of different types are not reported at all)
    COMPLEMENTARY = "complementary"
    #: a funder and its implementing partner both report one intervention
    DOUBLE_COUNT = "double count"


class SpatialRelation(enum.StrEnum):
    """How the first activity's area relates to the second's."""

    SAME = "same"
    CONTAINS = "contains"
    WITHIN = "within"


@dataclass(slots=True)
class Overlap:
    """One pair of activities that overlap, ``a.id < b.id`` (a result: treat it as read-only;
    it is not frozen only because building millions of frozen objects is slow).

    - ``score`` in [0, 1]: spatial weight × activity-type weight × title weight × time weight
      (see :mod:`coordhub.overlap.core.scoring`).
    - ``area_a``/``area_b``: the area of each activity that gave the best match;
      ``relation`` says how ``area_a`` relates to ``area_b``; ``shared_area`` is the more
      specific of the two (what both cover).
    - ``start``/``end``: the inclusive intersection of the two date ranges; ``None`` is
      unbounded (unknown start with no reporting period / ongoing).
    - ``days``: length of the intersection in days (≥ 1), ``None`` when unbounded.
    - ``title_similarity`` in [0, 1], ``None`` when a title is missing on either side.
    - ``counted_activity_id``: for double counts, the report counted in coverage (the
      implementer's); the other one is linked to it and left out of coverage and gap figures.
    """

    a: Activity
    b: Activity
    score: float
    kind: OverlapKind
    area_a: AdminArea
    area_b: AdminArea
    relation: SpatialRelation
    start: date | None
    end: date | None
    days: int | None
    title_similarity: float | None = None
    counted_activity_id: str | None = None

    @property
    def activity_a(self) -> str:
        return self.a.id

    @property
    def activity_b(self) -> str:
        return self.b.id

    @property
    def shared_area(self) -> AdminArea:
        return self.area_a if self.relation is SpatialRelation.WITHIN else self.area_b

    @property
    def shared_pcode(self) -> str:
        return self.shared_area.pcode

    @property
    def explanation(self) -> str:
        """The pair in plain English words (see :mod:`coordhub.overlap.core.explain`)."""
        from coordhub.overlap.core.explain import explain_overlap

        return explain_overlap(self)

    @property
    def key(self) -> tuple[str, str]:
        """The pair's identity: ``(a.id, b.id)``."""
        return (self.a.id, self.b.id)


@dataclass(frozen=True, slots=True)
class Cluster:
    """More than two organisations working in one sector × area cell at the same time.

    Members are the activities registered with ``area`` in ``sector`` whose date ranges chain
    together over [``start``, ``end``] (``None`` = unbounded); on some day at least three
    distinct organisations are active among them. ``activity_ids`` are the members counted in
    coverage and ``organisations`` their distinct organisations (labels, sorted); a funder's
    report linked to its partner's (double count) is in ``linked_activity_ids`` and adds no
    organisation.
    """

    sector: str
    area: AdminArea
    activity_ids: tuple[str, ...]
    organisations: tuple[str, ...]
    start: date | None
    end: date | None
    linked_activity_ids: tuple[str, ...] = field(default=())

    @property
    def organisation_count(self) -> int:
        return len(self.organisations)

    @property
    def explanation(self) -> str:
        from coordhub.overlap.core.explain import explain_cluster

        return explain_cluster(self)


@dataclass(frozen=True, slots=True)
class GapCell:
    """Needs and presence for one sector × admin area at the chosen level.

    Counts are of distinct records; a funder's report linked to its partner's (double count)
    is left out of ``activity_count``, ``organisations`` and ``beneficiaries`` and counted in
    ``linked_count``. An activity covering several areas of the cell counts once.
    """

    sector: str
    area: AdminArea
    need_count: int = 0
    need_quantity: float = 0.0
    activity_count: int = 0
    organisations: tuple[str, ...] = ()
    beneficiaries: int = 0
    capacity_count: int = 0
    capacity_quantity: float = 0.0
    linked_count: int = 0

    @property
    def organisation_count(self) -> int:
        return len(self.organisations)

    @property
    def is_gap(self) -> bool:
        """Needs registered and no activity present."""
        return self.need_count > 0 and self.activity_count == 0
