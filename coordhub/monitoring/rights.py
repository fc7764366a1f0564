"""Rights over monitoring (built on coordhub.auth.rights): coordinators keep the indicator library, the periods
and the sector leads; partners report and set targets for their own organisation's projects only; coordinators
and the sector's lead organisation review; sensitive projects' results are seen as the projects are."""

from __future__ import annotations

import sqlalchemy as sa

from coordhub.auth import rights
from coordhub.auth.models import Role, User
from coordhub.extensions import db
from coordhub.monitoring.models import Report, ReportState, SectorLead
from coordhub.registry.models import Operation, Project

MANAGERS = (Role.admin, Role.coordinator)
REPORTERS = (Role.admin, Role.coordinator, Role.focal_point)


def can_manage_monitoring(user: User, operation: Operation) -> bool:
    """Edit indicators, open, close and reopen periods, name sector leads, see every late report."""
    return rights.can_access_operation(user, operation) and user.role in MANAGERS


def can_see_results(user: User, project: Project) -> bool:
    """See a project's targets and reports (sensitive projects: their organisation and coordinators only)."""
    return rights.can_access_operation(user, project.operation) and rights.can_see_details(user, project)


def can_see_draft(user: User, project: Project) -> bool:
    """Drafts (not yet submitted) are the organisation's own work: shown to it and to coordinators only."""
    return user.role in MANAGERS or user.organisation_id == project.organisation_id


def can_report(user: User, project: Project) -> bool:
    """Enter targets and results: administrators, or the project's own organisation's focal points and
    coordinators."""
    if not rights.can_access_operation(user, project.operation) or project.archived:
        return False
    return user.role is Role.admin or (user.role in REPORTERS and user.organisation_id == project.organisation_id)


def lead_organisation_id(operation_id: int, sector_id: int) -> int | None:
    return db.session.scalar(
        sa.select(SectorLead.organisation_id).where(
            SectorLead.operation_id == operation_id, SectorLead.sector_id == sector_id
        )
    )


def can_review(user: User, report: Report) -> bool:
    """Approve or return a submitted report: coordinators, administrators, and the focal points of the sector's
    lead organisation (for other organisations' reports: nobody approves their own)."""
    project = report.project
    if not rights.can_access_operation(user, project.operation):
        return False
    if user.role in MANAGERS:
        return True
    return (
        user.role is Role.focal_point
        and user.organisation_id != project.organisation_id
        and user.organisation_id == lead_organisation_id(project.operation_id, project.sector_id)
        and rights.can_see_details(user, project)
    )


def can_reopen(user: User, report: Report) -> bool:
    """Send an approved report back to its organisation (its results stop counting): coordinators."""
    return report.state is ReportState.approved and can_manage_monitoring(user, report.project.operation)
