"""Imports kept between the wizard's steps (the file, its mapping, the row report) and saved column mappings."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from coordhub.database import enum_column, utcnow
from coordhub.extensions import db


class ImportStatus(enum.Enum):
    uploaded = "uploaded"  # the file is stored; no mapping chosen yet
    previewed = "previewed"  # the row report of a dry run is ready
    committed = "committed"  # the rows were written
    failed = "failed"  # the file could not be read, or the commit was refused


class ImportRun(db.Model):
    """One uploaded file on its way through the import wizard (or the API, or the command line).

    The file's bytes are kept so that the preview and the commit read exactly what was uploaded, in
    whichever process runs them (a background worker too). `report` holds the row report of the last
    preview or commit (counts, and the first rows and problems); it is the audit entry of the batch."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    filename: Mapped[str] = mapped_column(sa.String(300))
    content: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary))
    sheet: Mapped[str | None] = mapped_column(sa.String(100))
    sheets: Mapped[list] = mapped_column(sa.JSON, default=list)
    mapping: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # {field: column index}
    options: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # default dates, skip_invalid, template
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus, "import_status"), default=ImportStatus.uploaded
    )
    row_count: Mapped[int] = mapped_column(default=0)
    report: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    job_id: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    previewed_at: Mapped[datetime | None] = mapped_column(default=None)
    committed_at: Mapped[datetime | None] = mapped_column(default=None)

    user = relationship("User")
    operation = relationship("Operation")

    @property
    def counts(self) -> dict:
        return (self.report or {}).get("counts", {})


class MappingTemplate(db.Model):
    """A column mapping saved under a name, for the next file of the same layout: shared within an
    operation, or kept by one organisation (exactly one of the two is set)."""

    __tablename__ = "mapping_templates"
    __table_args__ = (sa.CheckConstraint("(operation_id IS NULL) <> (organisation_id IS NULL)", name="one_owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(30))
    operation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    template: Mapped[dict] = mapped_column(sa.JSON)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    operation = relationship("Operation")
    organisation = relationship("Organisation")

    @property
    def scope_label(self) -> str:
        return self.organisation.label if self.organisation is not None else self.operation.name
