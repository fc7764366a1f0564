"""Monitoring data: indicators, sector leads, project targets, reporting periods, reports and their values,
and the quantity of each need delivered by approved results."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordhub.database import enum_column, utcnow
from coordhub.extensions import db


class IndicatorType(enum.Enum):
    count = "count"
    percentage = "percentage"
    yes_no = "yes_no"


class Aggregation(enum.Enum):
    sum = "sum"  # each period reports what was done in it: totals add up over periods and areas
    latest = "latest"  # each period reports the running (cumulative) figure: the latest value counts


class ReportState(enum.Enum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    returned = "returned"


TYPE_LABELS = {
    IndicatorType.count: _l("count"),
    IndicatorType.percentage: _l("percentage"),
    IndicatorType.yes_no: _l("yes / no"),
}
AGGREGATION_LABELS = {
    Aggregation.sum: _l("sum over areas and periods"),
    Aggregation.latest: _l("latest value (cumulative)"),
}
STATE_LABELS = {
    ReportState.draft: _l("draft"),
    ReportState.submitted: _l("submitted"),
    ReportState.approved: _l("approved"),
    ReportState.returned: _l("returned"),
}
# Reports a partner may still change.
EDITABLE_STATES = (ReportState.draft, ReportState.returned)


class Indicator(db.Model):
    """What is measured in one operation: a sector, a unit, a type, how values add up, and the dimensions it is
    broken down by; `resource_type_id` when its units are the units of a resource type (they then meet needs)."""

    __tablename__ = "indicators"
    __table_args__ = (sa.UniqueConstraint("operation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(60))
    name: Mapped[str] = mapped_column(sa.String(300))
    sector_id: Mapped[int] = mapped_column(sa.ForeignKey("sectors.id"), index=True)
    unit: Mapped[str] = mapped_column(sa.String(50))
    type: Mapped[IndicatorType] = mapped_column(
        enum_column(IndicatorType, "indicator_type"), default=IndicatorType.count
    )
    aggregation: Mapped[Aggregation] = mapped_column(
        enum_column(Aggregation, "indicator_aggregation"), default=Aggregation.sum
    )
    disaggregation: Mapped[list] = mapped_column(sa.JSON, default=list)  # dimension names, see core.checks
    resource_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("resource_types.id"))
    archived: Mapped[bool] = mapped_column(default=False)

    operation = relationship("Operation")
    sector = relationship("Sector")
    resource_type = relationship("ResourceType")

    @property
    def label(self) -> str:
        return f"{self.name} ({self.unit})"


class SectorLead(db.Model):
    """The organisation leading a sector in an operation: its focal points review the sector's reports."""

    __tablename__ = "sector_leads"

    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), primary_key=True)
    sector_id: Mapped[int] = mapped_column(sa.ForeignKey("sectors.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))

    organisation = relationship("Organisation")
    sector = relationship("Sector")


class Target(db.Model):
    """A project's target (and optional baseline) for an indicator in one admin area; `disaggregation` is ''
    for the total or 'dimension:category' (e.g. 'sex:female')."""

    __tablename__ = "indicator_targets"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "indicator_id", "admin_area_id", "disaggregation"),
        sa.CheckConstraint("value >= 0", name="value_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("indicators.id", ondelete="CASCADE"), index=True)
    admin_area_id: Mapped[int] = mapped_column(sa.ForeignKey("admin_areas.id", ondelete="CASCADE"), index=True)
    disaggregation: Mapped[str] = mapped_column(sa.String(60), default="")
    value: Mapped[float] = mapped_column(sa.Float)
    baseline: Mapped[float | None] = mapped_column(sa.Float)

    project = relationship("Project")
    indicator = relationship("Indicator")
    area = relationship("AdminArea")


class ReportingPeriod(db.Model):
    """A period partners report on (monthly by default); closed periods are locked."""

    __tablename__ = "reporting_periods"
    __table_args__ = (
        sa.UniqueConstraint("operation_id", "start_date"),
        sa.CheckConstraint("end_date >= start_date", name="end_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date] = mapped_column(sa.Date)
    due_date: Mapped[date] = mapped_column(sa.Date)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)

    operation = relationship("Operation")

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @property
    def label(self) -> str:
        if self.start_date.day == 1 and (self.end_date - self.start_date).days < 31:
            return self.start_date.strftime("%Y-%m")
        return f"{self.start_date.isoformat()} – {self.end_date.isoformat()}"

    def overlaps(self, start: date, end: date | None) -> bool:
        return start <= self.end_date and (end is None or end >= self.start_date)


class Report(db.Model):
    """A project's report for one period: its values, a comment, the need it served, and its review state."""

    __tablename__ = "reports"
    __table_args__ = (sa.UniqueConstraint("project_id", "period_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("reporting_periods.id", ondelete="CASCADE"), index=True)
    state: Mapped[ReportState] = mapped_column(
        enum_column(ReportState, "report_state"), default=ReportState.draft, index=True
    )
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    review_comment: Mapped[str] = mapped_column(sa.Text, default="")
    need_id: Mapped[int | None] = mapped_column(sa.ForeignKey("needs.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    project = relationship("Project")
    period = relationship("ReportingPeriod")
    need = relationship("Need")
    updated_by = relationship("User", foreign_keys=[updated_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    values = relationship("ReportValue", back_populates="report", cascade="all, delete-orphan", passive_deletes=True)

    @property
    def state_label(self):
        return STATE_LABELS[self.state]

    @property
    def editable(self) -> bool:
        return self.state in EDITABLE_STATES


class ReportValue(db.Model):
    """One achieved value: indicator × admin area (× disaggregation) of a report. Project, period and whether
    the report is approved are copied here so progress figures are one indexed scan without joins."""

    __tablename__ = "report_values"
    __table_args__ = (
        sa.UniqueConstraint("report_id", "indicator_id", "admin_area_id", "disaggregation"),
        sa.CheckConstraint("value >= 0", name="value_non_negative"),
        sa.Index(
            "ix_report_values_progress",
            "operation_id",
            "indicator_id",
            "approved",
            "disaggregation",
            "admin_area_id",
            "period_id",
            "project_id",
            "value",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("reports.id", ondelete="CASCADE"))
    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("reporting_periods.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("indicators.id", ondelete="CASCADE"), index=True)
    admin_area_id: Mapped[int] = mapped_column(sa.ForeignKey("admin_areas.id", ondelete="CASCADE"), index=True)
    disaggregation: Mapped[str] = mapped_column(sa.String(60), default="")
    value: Mapped[float] = mapped_column(sa.Float)
    approved: Mapped[bool] = mapped_column(default=False)

    report = relationship("Report", back_populates="values")
    indicator = relationship("Indicator")
    area = relationship("AdminArea")


class NeedDelivery(db.Model):
    """How much of a need approved results have delivered (recomputed after every review): allocation runs
    see `quantity − delivered` of it."""

    __tablename__ = "need_deliveries"
    __table_args__ = (sa.CheckConstraint("delivered >= 0", name="delivered_non_negative"),)

    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True)
    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    delivered: Mapped[float] = mapped_column(sa.Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    need = relationship("Need")
