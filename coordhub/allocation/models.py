"""Stored allocation runs (immutable once written), their assignments and explanations, coordinators' pins and
forbidden pairs, and partners' responses to published assignments."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordhub.database import enum_column, utcnow
from coordhub.extensions import db


class RunStatus(enum.Enum):
    """How the solver ended (the core's Status)."""

    optimal = "optimal"
    feasible = "feasible"  # a solution with a gap to the best bound
    infeasible = "infeasible"  # the side constraints cannot all hold: only pins were kept
    timed_out = "timed_out"  # the best solution found before the time limit


STATUS_LABELS = {
    RunStatus.optimal: _l("optimal"),
    RunStatus.feasible: _l("feasible (with a gap)"),
    RunStatus.infeasible: _l("infeasible"),
    RunStatus.timed_out: _l("timed out (best found so far)"),
}


class Decision(enum.Enum):
    accepted = "accepted"
    declined = "declined"


DECISION_LABELS = {Decision.accepted: _l("accepted"), Decision.declined: _l("declined")}


class AccessLevel(enum.Enum):
    """Security access to an admin area (the core's AccessLevel)."""

    open = "open"
    restricted = "restricted"  # only capacities holding one of the named clearances
    no_go = "no_go"


ACCESS_LABELS = {AccessLevel.open: _l("open"), AccessLevel.restricted: _l("restricted"), AccessLevel.no_go: _l("no-go")}


class AreaAccess(db.Model):
    """A security assessment of an admin area for a time: open, restricted to capacities with a clearance, or
    no-go. It governs the area and every area below it unless a lower area has its own assessment then."""

    __tablename__ = "area_access"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        sa.CheckConstraint("level <> 'restricted' OR clearances <> ''", name="restricted_names_clearances"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    admin_area_id: Mapped[int] = mapped_column(sa.ForeignKey("admin_areas.id", ondelete="CASCADE"), index=True)
    level: Mapped[AccessLevel] = mapped_column(enum_column(AccessLevel, "access_level"))
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    clearances: Mapped[str] = mapped_column(sa.String(200), default="")  # `;`-separated
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    area = relationship("AdminArea")
    created_by = relationship("User")

    @property
    def level_label(self):
        return ACCESS_LABELS[self.level]

    @property
    def clearance_list(self) -> list[str]:
        return [c for c in self.clearances.split(";") if c]


class RunImmutable(RuntimeError):
    """A stored run, its assignments or explanations were about to be changed."""


class AllocationRun(db.Model):
    """One allocation of an operation's capacities to its needs, as computed: never changed afterwards
    (only publishing and withdrawing stamp it). `policy`, `pins` and `forbidden` are what the run was given;
    `coverage` holds its figures by sector, resource type, admin-1 area and need area as {key: [needed, met]}."""

    __tablename__ = "allocation_runs"
    __table_args__ = (sa.CheckConstraint("units_met >= 0", name="units_met_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # when the result was stored
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    policy: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    pins: Mapped[list] = mapped_column(sa.JSON, default=list)  # [[need_id, capacity_id, quantity]]
    forbidden: Mapped[list] = mapped_column(sa.JSON, default=list)  # [[need_id, capacity_id]]
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus, "allocation_run_status"))
    engine: Mapped[str] = mapped_column(sa.String(30), default="")
    objective: Mapped[float] = mapped_column(sa.Float, default=0.0)
    weighted_units: Mapped[float] = mapped_column(sa.Float, default=0.0)
    cost: Mapped[float] = mapped_column(sa.Float, default=0.0)
    bound: Mapped[float | None] = mapped_column(sa.Float)
    gap: Mapped[float | None] = mapped_column(sa.Float)
    need_count: Mapped[int] = mapped_column(default=0)
    capacity_count: Mapped[int] = mapped_column(default=0)
    units_needed: Mapped[float] = mapped_column(sa.Float, default=0.0)
    units_met: Mapped[float] = mapped_column(sa.Float, default=0.0)
    weighted_needed: Mapped[float] = mapped_column(sa.Float, default=0.0)
    weighted_met: Mapped[float] = mapped_column(sa.Float, default=0.0)
    coverage: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    seconds: Mapped[float] = mapped_column(sa.Float, default=0.0)
    timings: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    notes: Mapped[list] = mapped_column(sa.JSON, default=list)
    job_id: Mapped[str | None] = mapped_column(sa.String(32))
    # Plans over time: "week" or "month" ("" for a run without periods), the first day of every period, and
    # the access rules in force ([pcode, level, start, end or null, "clearance;..."]).
    period_kind: Mapped[str] = mapped_column(sa.String(10), default="")
    periods: Mapped[list] = mapped_column(sa.JSON, default=list)
    access: Mapped[list] = mapped_column(sa.JSON, default=list)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # A coordinator may withdraw a publication: partners no longer see the run; their answers stay.
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    withdrawal_reason: Mapped[str] = mapped_column(sa.String(500), default="")

    operation = relationship("Operation")
    created_by = relationship("User", foreign_keys=[created_by_id])
    published_by = relationship("User", foreign_keys=[published_by_id])
    withdrawn_by = relationship("User", foreign_keys=[withdrawn_by_id])
    assignments = relationship(
        "AllocationAssignment", back_populates="run", passive_deletes=True, order_by="AllocationAssignment.id"
    )
    explanations = relationship(
        "AllocationExplanation", back_populates="run", passive_deletes=True, order_by="AllocationExplanation.id"
    )

    # The only columns that change after the run is stored.
    PUBLISHING = frozenset({"published_at", "published_by_id", "withdrawn_at", "withdrawn_by_id", "withdrawal_reason"})

    @property
    def published(self) -> bool:
        """Published at some time (a withdrawn run stays published, and `withdrawn`)."""
        return self.published_at is not None

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def share_met(self) -> float:
        return self.units_met / self.units_needed if self.units_needed > 0 else 1.0

    @property
    def weighted_share_met(self) -> float:
        return self.weighted_met / self.weighted_needed if self.weighted_needed > 0 else 1.0

    @property
    def priority_share_met(self) -> float:
        """Priority-weighted average of each need's share met (unit-free); older runs: the weighted units."""
        if "priority_share" not in self.coverage:
            return self.weighted_share_met
        needed, met = self.coverage["priority_share"]
        return met / needed if needed else 1.0

    @property
    def share_fully_met(self) -> float:
        """Share of the needs met in full (unit-free)."""
        needed, met = self.coverage.get("fully_met", [0, 0])
        return met / needed if needed else 1.0

    @property
    def is_plan(self) -> bool:
        return bool(self.periods)

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    def __repr__(self) -> str:
        return f"<AllocationRun {self.id} {self.status.value}>"


class AllocationAssignment(db.Model):
    """`quantity` units of a capacity (of `organisation_id`, as it was at the run) go to a need."""

    __tablename__ = "allocation_assignments"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "need_id", "capacity_id", "period"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[date | None] = mapped_column(sa.Date)  # first day of the period (plans only)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("allocation_runs.id", ondelete="CASCADE"), index=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    capacity_id: Mapped[int] = mapped_column(sa.ForeignKey("capacities.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    quantity: Mapped[float] = mapped_column(sa.Float)
    unit_cost: Mapped[float] = mapped_column(sa.Float, default=0.0)  # including the distance cost
    cost: Mapped[float] = mapped_column(sa.Float, default=0.0)
    pinned: Mapped[bool] = mapped_column(default=False)

    run = relationship("AllocationRun", back_populates="assignments")
    need = relationship("Need")
    capacity = relationship("Capacity")
    organisation = relationship("Organisation")
    response = relationship("AllocationResponse", back_populates="assignment", uselist=False, passive_deletes=True)


class AllocationExplanation(db.Model):
    """Why a need is not fully met (subject 'need') or a capacity not fully used (subject 'capacity'): a stable
    reason code and its facts (`params`: ids, numbers, ISO dates, lists), rendered in the reader's language by
    allocation/present.py; the English sentence of the core (`text`); the needs or capacities it names."""

    __tablename__ = "allocation_explanations"
    __table_args__ = (
        sa.CheckConstraint(
            "(subject = 'need' AND need_id IS NOT NULL) OR (subject = 'capacity' AND capacity_id IS NOT NULL)",
            name="subject_reference",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("allocation_runs.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(10))
    need_id: Mapped[int | None] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    capacity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("capacities.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(40))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    quantity: Mapped[float] = mapped_column(sa.Float, default=0.0)  # shortfall or unused units
    related_need_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    related_capacity_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    run = relationship("AllocationRun", back_populates="explanations")
    need = relationship("Need")
    capacity = relationship("Capacity")


class AllocationPin(db.Model):
    """A coordinator's fixed assignment for the next runs: exactly `quantity` units of the capacity go to the need."""

    __tablename__ = "allocation_pins"
    __table_args__ = (
        sa.UniqueConstraint("operation_id", "need_id", "capacity_id"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"))
    capacity_id: Mapped[int] = mapped_column(sa.ForeignKey("capacities.id", ondelete="CASCADE"))
    quantity: Mapped[float] = mapped_column(sa.Float)
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    need = relationship("Need")
    capacity = relationship("Capacity")
    created_by = relationship("User")


class AllocationForbiddenPair(db.Model):
    """A need–capacity pair the next runs must not use: a coordinator's exclusion or a partner's decline."""

    __tablename__ = "allocation_forbidden_pairs"
    __table_args__ = (sa.UniqueConstraint("operation_id", "need_id", "capacity_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"))
    capacity_id: Mapped[int] = mapped_column(sa.ForeignKey("capacities.id", ondelete="CASCADE"))
    # A partner's decline of one period of a plan (first day of the period): plans leave the pair out of that
    # period only (runs without periods do not use it); None: every period and every run.
    period: Mapped[date | None] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    # Set when the pair comes from a partner's decline (accepting later lifts it).
    response_id: Mapped[int | None] = mapped_column(sa.ForeignKey("allocation_responses.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    need = relationship("Need")
    capacity = relationship("Capacity")
    created_by = relationship("User")

    @property
    def from_decline(self) -> bool:
        return self.response_id is not None


class AllocationResponse(db.Model):
    """A partner's answer to one assignment of a published run: accepted, or declined with a reason."""

    __tablename__ = "allocation_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("allocation_assignments.id", ondelete="CASCADE"), unique=True
    )
    decision: Mapped[Decision] = mapped_column(enum_column(Decision, "allocation_decision"))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    responded_at: Mapped[datetime] = mapped_column(default=utcnow)

    assignment = relationship("AllocationAssignment", back_populates="response")
    user = relationship("User")

    @property
    def decision_label(self):
        return DECISION_LABELS[self.decision]


@event.listens_for(AllocationRun, "before_update")
def _run_stays_as_computed(mapper, connection, run: AllocationRun) -> None:
    changed = _changed_columns(mapper, run) - AllocationRun.PUBLISHING
    if changed:
        raise RunImmutable(
            f"allocation run {run.id} is stored as computed and cannot change ({', '.join(sorted(changed))})"
        )


def _changed_columns(mapper, target) -> set[str]:
    """Column attributes with unsaved changes (a response attached to an assignment changes none)."""
    state = sa.inspect(target)
    return {prop.key for prop in mapper.column_attrs if state.attrs[prop.key].history.has_changes()}


def _refuse_update(mapper, connection, target) -> None:
    if _changed_columns(mapper, target):
        raise RunImmutable(f"{type(target).__name__} {target.id} belongs to a stored run and cannot change")


def _refuse_delete(mapper, connection, target) -> None:
    raise RunImmutable(f"{type(target).__name__} {target.id} belongs to a stored run and cannot be deleted")


event.listen(AllocationRun, "before_delete", _refuse_delete)
for _model in (AllocationAssignment, AllocationExplanation):
    event.listen(_model, "before_update", _refuse_update)
    event.listen(_model, "before_delete", _refuse_delete)
