"""The only code that writes map data: loading COD-AB boundaries onto an operation's admin areas."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import undefer

from coordhub.audit.models import AuditAction, record
from coordhub.auth.models import User
from coordhub.errors import PermissionDenied, ValidationError
from coordhub.extensions import db
from coordhub.maps.core.boundaries import (
    DEFAULT_TOLERANCE,
    BoundaryFileError,
    RowProblem,
    centroid_of,
    parse_boundaries,
)
from coordhub.maps.rights import can_load_boundaries
from coordhub.registry.models import AdminArea, Operation


@dataclass
class MatchedBoundary:
    row: int
    pcode: str
    name: str  # the registry's name
    file_name: str
    points: int
    web_points: int
    repaired: bool
    replaces: bool  # the area had a boundary already


@dataclass
class BoundaryReport:
    """What a boundary file would do (preview) or did (written) to one level of an operation's areas."""

    level: int
    filename: str
    pcode_property: str | None = None
    matched: list[MatchedBoundary] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    without_boundary: list[tuple[str, str]] = field(default_factory=list)  # (P-code, name) left without one
    written: bool = False

    @property
    def can_write(self) -> bool:
        return bool(self.matched) and not self.problems


def load_boundaries(
    user: User,
    operation: Operation,
    raw: bytes,
    filename: str,
    level: int,
    *,
    commit: bool,
    tolerance: float = DEFAULT_TOLERANCE,
) -> BoundaryReport:
    """Match a boundary file's features to the operation's areas at `level` by P-code.

    Preview (`commit` False) writes nothing. Commit writes all matched boundaries (the original and the
    simplified copy; a centroid for areas that had none) in one transaction, and only when no feature has a
    problem: all or nothing, like every import. Raises PermissionDenied (not an administrator) or
    ValidationError naming the field (`file`, `level`) when the file cannot be read at all."""
    if not can_load_boundaries(user, operation):
        raise PermissionDenied(_("Only administrators load boundaries."))
    levels = set(db.session.scalars(sa.select(AdminArea.level).where(AdminArea.operation_id == operation.id)))
    if level not in levels:
        raise ValidationError(_("This operation has no admin areas at level %(level)s.", level=level), "level")
    try:
        parsed = parse_boundaries(raw, level, filename, tolerance)
    except BoundaryFileError as error:
        raise ValidationError(
            _("The file cannot be read as boundaries: %(reason)s.", reason=str(error)), "file"
        ) from None
    areas = {
        a.pcode: a
        for a in db.session.scalars(
            sa.select(AdminArea).where(AdminArea.operation_id == operation.id).options(undefer(AdminArea.boundary_web))
        )
    }
    report = BoundaryReport(
        level=level, filename=filename, pcode_property=parsed.pcode_property, problems=list(parsed.problems)
    )
    in_file = set()
    accepted = []
    for boundary in parsed.boundaries:
        area = areas.get(boundary.pcode)
        if area is None:
            report.problems.append(RowProblem(boundary.row, boundary.pcode, "unknown_pcode"))
            continue
        if area.level != level:
            report.problems.append(RowProblem(boundary.row, boundary.pcode, "wrong_level", {"level": area.level}))
            continue
        in_file.add(boundary.pcode)
        accepted.append((area, boundary))
        report.matched.append(
            MatchedBoundary(
                boundary.row,
                boundary.pcode,
                area.name,
                boundary.name,
                boundary.points,
                boundary.web_points,
                boundary.repaired,
                area.boundary_web is not None,
            )
        )
    report.problems.sort(key=lambda p: p.row)
    report.without_boundary = sorted(
        (a.pcode, a.name)
        for a in areas.values()
        if a.level == level and a.pcode not in in_file and a.boundary_web is None
    )
    if not commit or not report.can_write:
        return report
    try:
        for area, boundary in accepted:
            area.boundary, area.boundary_web = boundary.geometry, boundary.web_geometry
            if area.latitude is None or area.longitude is None:
                area.latitude, area.longitude = centroid_of(boundary.web_geometry)
        record(
            user,
            AuditAction.update,
            operation,
            {"boundaries": [None, f"level {level}: {len(accepted)} areas from {filename}"]},
            summary=_("Boundaries loaded"),
            operation_id=operation.id,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    report.written = True
    return report
