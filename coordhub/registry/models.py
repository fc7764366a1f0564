"""Registry data: operations, organisations, admin areas, sectors, resource types, projects, needs, capacities."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, deferred, mapped_column, relationship

from coordhub.database import enum_column, utcnow
from coordhub.extensions import db


class OrganisationType(enum.Enum):
    un_mission = "un_mission"
    un_agency = "un_agency"
    international_ngo = "international_ngo"
    national_ngo = "national_ngo"
    local_authority = "local_authority"
    government_ministry = "government_ministry"
    donor = "donor"
    red_cross = "red_cross"
    private_sector = "private_sector"


class ProjectStatus(enum.Enum):
    planned = "planned"
    ongoing = "ongoing"
    completed = "completed"
    suspended = "suspended"


class NeedStatus(enum.Enum):
    open = "open"
    partially_met = "partially_met"
    met = "met"
    closed = "closed"


operation_members = sa.Table(
    "operation_members",
    db.metadata,
    sa.Column("operation_id", sa.ForeignKey("operations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

project_areas = sa.Table(
    "project_areas",
    db.metadata,
    sa.Column("project_id", sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("admin_area_id", sa.ForeignKey("admin_areas.id", ondelete="CASCADE"), primary_key=True),
    # the projects of some areas (overlap detection loads only those around a saved project)
    sa.Index("ix_project_areas_admin_area_id", "admin_area_id"),
)

project_partners = sa.Table(
    "project_partners",
    db.metadata,
    sa.Column("project_id", sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("organisation_id", sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
)

capacity_areas = sa.Table(
    "capacity_areas",
    db.metadata,
    sa.Column("capacity_id", sa.ForeignKey("capacities.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("admin_area_id", sa.ForeignKey("admin_areas.id", ondelete="CASCADE"), primary_key=True),
)


class Operation(db.Model):
    """A country response or mission; everything else belongs to one."""

    __tablename__ = "operations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    country_code: Mapped[str] = mapped_column(sa.String(3))  # ISO 3166-1 alpha-2 or alpha-3
    description: Mapped[str] = mapped_column(sa.Text, default="")
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Changes whenever the admin areas change: processes keep the area tree in memory under this stamp, and
    # one query for it tells them whether theirs is still current ("" = unknown, never cached).
    areas_stamp: Mapped[str] = mapped_column(sa.String(32), default=lambda: uuid.uuid4().hex, server_default="")

    members = relationship("User", secondary=operation_members, back_populates="operations")

    def areas_changed(self) -> None:
        self.areas_stamp = uuid.uuid4().hex

    def __repr__(self) -> str:
        return f"<Operation {self.name}>"


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300), unique=True)
    acronym: Mapped[str | None] = mapped_column(sa.String(50))
    type: Mapped[OrganisationType] = mapped_column(enum_column(OrganisationType, "organisation_type"))
    is_local: Mapped[bool] = mapped_column(default=False)  # national/local actor, for localisation figures
    iati_identifier: Mapped[str | None] = mapped_column(sa.String(100))
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def label(self) -> str:
        return self.acronym or self.name

    def __repr__(self) -> str:
        return f"<Organisation {self.label}>"


class AdminArea(db.Model):
    """An administrative area with its COD P-code; `path` makes subtree queries one LIKE."""

    __tablename__ = "admin_areas"
    __table_args__ = (
        sa.UniqueConstraint("operation_id", "pcode"),
        sa.CheckConstraint("level >= 0", name="level_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    pcode: Mapped[str] = mapped_column(sa.String(50))
    name: Mapped[str] = mapped_column(sa.String(200))
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_areas.id", ondelete="CASCADE"), index=True)
    # "/<root pcode>/<child pcode>/.../<own pcode>/": an area contains another when its path prefixes it.
    path: Mapped[str] = mapped_column(sa.String(500), index=True)
    latitude: Mapped[float | None] = mapped_column(sa.Float)
    longitude: Mapped[float | None] = mapped_column(sa.Float)
    # COD-AB boundary as a GeoJSON geometry (as loaded) and simplified once for the web (coordhub.maps).
    boundary: Mapped[dict | None] = deferred(mapped_column(sa.JSON))
    boundary_web: Mapped[dict | None] = deferred(mapped_column(sa.JSON))

    parent = relationship("AdminArea", remote_side=[id], back_populates="children")
    children = relationship("AdminArea", back_populates="parent", order_by="AdminArea.name")

    def covers(self, other: AdminArea) -> bool:
        """True when `other` is this area or lies below it."""
        return other.path.startswith(self.path)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.pcode})"

    def __repr__(self) -> str:
        return f"<AdminArea {self.pcode}>"


class Sector(db.Model):
    """Reconstruction sector mapped to its closest IASC cluster and OECD-DAC purpose code."""

    __tablename__ = "sectors"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(30), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    iasc_cluster: Mapped[str] = mapped_column(sa.String(100))
    dac_code: Mapped[str] = mapped_column(sa.String(5))

    resource_types = relationship("ResourceType", back_populates="sector", order_by="ResourceType.name")

    def __repr__(self) -> str:
        return f"<Sector {self.code}>"


class ResourceType(db.Model):
    __tablename__ = "resource_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(50), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    unit: Mapped[str] = mapped_column(sa.String(50))
    sector_id: Mapped[int] = mapped_column(sa.ForeignKey("sectors.id"), index=True)

    sector = relationship("Sector", back_populates="resource_types")

    @property
    def label(self) -> str:
        return f"{self.display_name} ({self.display_unit})"

    @property
    def display_name(self) -> str:
        """The name in the reader's language (reference names are in the message catalogues)."""
        from flask_babel import gettext

        return gettext(self.name)

    @property
    def display_unit(self) -> str:
        from flask_babel import gettext

        return gettext(self.unit)


class RecordMixin:
    """Columns shared by the records partners register: operation, organisation (the one that reports it),
    the partner's own key, and who created and last changed it when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    code: Mapped[str | None] = mapped_column(sa.String(100))  # the partner's own stable key
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(default=None)
    # Optimistic concurrency: every write adds one (the ORM checks it on UPDATE, write_records in its WHERE),
    # so a save prepared from an older version is refused instead of silently overwriting a newer one.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    @declared_attr
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}

    @declared_attr
    def operation(cls):
        return relationship("Operation")

    @declared_attr
    def organisation(cls):
        # Explicit: a project also reaches organisations through its implementing partners.
        return relationship("Organisation", foreign_keys=f"{cls.__name__}.organisation_id")

    @declared_attr
    def created_by(cls):
        return relationship("User", foreign_keys=f"{cls.__name__}.created_by_id")

    @declared_attr
    def updated_by(cls):
        return relationship("User", foreign_keys=f"{cls.__name__}.updated_by_id")

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class Project(RecordMixin, db.Model):
    """A project or activity an organisation carries out."""

    __tablename__ = "projects"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        sa.CheckConstraint("budget IS NULL OR budget >= 0", name="budget_non_negative"),
        sa.CheckConstraint(
            "beneficiaries_targeted IS NULL OR beneficiaries_targeted >= 0", name="beneficiaries_non_negative"
        ),
        sa.UniqueConstraint("operation_id", "organisation_id", "code"),
    )

    sector_id: Mapped[int] = mapped_column(sa.ForeignKey("sectors.id"), index=True)
    resource_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("resource_types.id"))
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[ProjectStatus] = mapped_column(
        enum_column(ProjectStatus, "project_status"), default=ProjectStatus.planned
    )
    budget: Mapped[float | None] = mapped_column(sa.Numeric(16, 2, asdecimal=False))
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    beneficiaries_targeted: Mapped[int | None] = mapped_column(sa.Integer)
    target_group: Mapped[str] = mapped_column(sa.String(200), default="")
    sensitive: Mapped[bool] = mapped_column(default=False)

    sector = relationship("Sector")
    resource_type = relationship("ResourceType")
    areas = relationship("AdminArea", secondary=project_areas, order_by="AdminArea.pcode")
    partners = relationship("Organisation", secondary=project_partners, order_by="Organisation.name")


class Need(RecordMixin, db.Model):
    """A need from a damage or needs assessment: what, where, how much, how urgent."""

    __tablename__ = "needs"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("priority BETWEEN 1 AND 5", name="priority_range"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        sa.CheckConstraint("lead_time >= 0 AND lead_time <= 3650", name="lead_time_range"),
        sa.UniqueConstraint("operation_id", "organisation_id", "code"),
    )

    admin_area_id: Mapped[int] = mapped_column(sa.ForeignKey("admin_areas.id"), index=True)
    sector_id: Mapped[int] = mapped_column(sa.ForeignKey("sectors.id"), index=True)
    resource_type_id: Mapped[int] = mapped_column(sa.ForeignKey("resource_types.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    quantity: Mapped[float] = mapped_column(sa.Float)
    priority: Mapped[int] = mapped_column(sa.SmallInteger, default=3)
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    source: Mapped[str] = mapped_column(sa.String(300), default="")
    status: Mapped[NeedStatus] = mapped_column(enum_column(NeedStatus, "need_status"), default=NeedStatus.open)
    sensitive: Mapped[bool] = mapped_column(default=False)
    # For plans over time: days a capacity not yet present in the area needs to mobilise there.
    lead_time: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")

    area = relationship("AdminArea")
    sector = relationship("Sector")
    resource_type = relationship("ResourceType")

    @property
    def areas(self) -> list[AdminArea]:
        return [self.area]


class Capacity(RecordMixin, db.Model):
    """What an organisation can offer: units of a resource type, where, when, at what cost."""

    __tablename__ = "capacities"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_cost >= 0", name="unit_cost_non_negative"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        sa.UniqueConstraint("operation_id", "organisation_id", "code"),
    )

    resource_type_id: Mapped[int] = mapped_column(sa.ForeignKey("resource_types.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    quantity: Mapped[float] = mapped_column(sa.Float)
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    unit_cost: Mapped[float] = mapped_column(sa.Numeric(16, 2, asdecimal=False), default=0)
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    # For plans over time and insecure areas: units per period (None: no limit) and access clearances held
    # (`;`-separated, e.g. "escort;un_security").
    throughput: Mapped[float | None] = mapped_column(sa.Float)
    clearances: Mapped[str] = mapped_column(sa.String(200), default="")

    resource_type = relationship("ResourceType")
    areas = relationship("AdminArea", secondary=capacity_areas, order_by="AdminArea.pcode")

    @property
    def sector(self) -> Sector:
        return self.resource_type.sector

    # Capacities are never "sensitive": they describe what an organisation offers, not who it serves.
    sensitive = False
