"""'Check for overlaps' on the project form: the overlaps a project would create, shown before it is saved."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import request
from flask_babel import gettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import aliased
from wtforms import SubmitField

from coordhub.auth import rights
from coordhub.extensions import db
from coordhub.overlap.core import Activity, InvalidInput, Overlap
from coordhub.overlap.core.explain import explain_overlap
from coordhub.overlap.detection import KINDS, activity_id, check_unsaved, project_signature
from coordhub.overlap.models import KIND_LABELS, STATE_LABELS, AlertState, OverlapAlert
from coordhub.registry.forms import ProjectForm
from coordhub.registry.models import AdminArea, Operation, Organisation, Project, ResourceType, Sector, project_areas
from coordhub.registry.queries import details_visible_clause

NEW_ID = "new"  # sorts after every zero-padded project id, like a project saved last


class ProjectFormWithCheck(ProjectForm):
    check_overlaps = SubmitField(_l("Check for overlaps"), render_kw={"formnovalidate": True})


@dataclass
class PreviewItem:
    overlap: Overlap
    other: Project
    visible: bool  # may the user see the other project's details?
    sentence: str
    kind_label: str
    known_state: AlertState | None = None  # the stored alert of this pair, when editing
    stays_dismissed: bool = False

    @property
    def known_label(self) -> str:
        return str(STATE_LABELS[self.known_state]) if self.known_state else ""


@dataclass
class Preview:
    items: list[PreviewItem] = field(default_factory=list)
    problem: str = ""  # why the check could not run (missing sector, areas, dates …)
    # Sensitive entries the user may not see, in the sector and sharing an area, whatever their dates:
    # whether an unsaved project overlaps one depends on its dates and title, and trying dates here must
    # not reveal them.
    sensitive: list[str] = field(default_factory=list)


def _activity(form, operation: Operation, record: Project | None) -> tuple[Activity | None, int | None, str]:
    """The unsaved project as a core activity, its sector id, or a reason it cannot be checked."""
    sector_id, area_ids = form.sector_id.data, form.area_ids.data or []
    if not sector_id or not area_ids or not form.start_date.data:
        return None, None, _("Choose a sector, at least one admin area and a start date to check for overlaps.")
    sector = db.session.get(Sector, sector_id)
    pcodes = db.session.scalars(
        sa.select(AdminArea.pcode).where(AdminArea.id.in_(area_ids), AdminArea.operation_id == operation.id)
    ).all()
    if sector is None or len(pcodes) != len(set(area_ids)):
        return None, None, _("Some of these choices are not part of the operation.")
    organisation = db.session.get(Organisation, form.organisation_id.data or current_user.organisation_id)
    resource_type = db.session.get(ResourceType, form.resource_type_id.data) if form.resource_type_id.data else None
    try:
        activity = Activity(
            id=activity_id(record.id) if record is not None else NEW_ID,
            organisation=str(organisation.id),
            organisation_name=organisation.label,
            sector=sector.name,
            pcodes=tuple(sorted(pcodes)),
            activity_type=resource_type.name if resource_type else "",
            start=form.start_date.data,
            end=form.end_date.data,
            title=form.title.data or "",
            description=form.description.data or "",
            target_group=form.target_group.data or "",
            implementing_partners=tuple(str(i) for i in sorted(form.partner_ids.data or [])),
        )
    except InvalidInput as error:
        return None, None, _("These dates cannot be checked: %(reason)s.", reason=str(error))
    return activity, sector_id, ""


def _would_be_signature(form, sector_id: int) -> str:
    areas = ",".join(str(i) for i in sorted(form.area_ids.data or []))
    end = form.end_date.data.isoformat() if form.end_date.data else ""
    return f"{sector_id}|{areas}|{form.start_date.data.isoformat()}|{end}"


def preview(form, operation: Operation, record: Project | None) -> Preview:
    """What saving this form would raise (nothing is written)."""
    activity, sector_id, problem = _activity(form, operation, record)
    if activity is None:
        return Preview(problem=problem)
    result = Preview(sensitive=_sensitive_nearby(operation, sector_id, form.area_ids.data or [], record))
    known = {}
    if record is not None:
        known = {
            (a.project_a_id, a.project_b_id): a
            for a in db.session.scalars(
                sa.select(OverlapAlert).where(
                    sa.or_(OverlapAlert.project_a_id == record.id, OverlapAlert.project_b_id == record.id)
                )
            )
        }
    for overlap in check_unsaved(operation.id, sector_id, activity):
        other_activity = overlap.b if overlap.a.id == activity.id else overlap.a
        other = db.session.get(Project, int(other_activity.id))
        visible = rights.can_see_details(current_user, other)
        if not visible:
            continue  # listed in result.sensitive, from public fields only
        sentence = (
            explain_overlap(overlap, gettext)
            if visible
            else _(
                "A sensitive entry (details restricted) in %(sector)s, %(area)s",
                sector=_(other.sector.name),
                area=overlap.shared_area.name or overlap.shared_pcode,
            )
        )
        item = PreviewItem(overlap, other, visible, sentence, str(KIND_LABELS[KINDS[overlap.kind]]))
        if record is not None:
            alert = known.get((min(record.id, other.id), max(record.id, other.id)))
            if alert is not None:
                item.known_state = alert.state
                if alert.state is AlertState.dismissed:
                    mine = _would_be_signature(form, sector_id)
                    theirs = project_signature(other)
                    pair = f"{mine}#{theirs}" if record.id < other.id else f"{theirs}#{mine}"
                    item.stays_dismissed = pair == alert.dismissed_signature
        result.items.append(item)
    return result


class ProjectFormHook:
    """Declared in coordhub.wiring.FORM_HOOKS for projects."""

    form_class = ProjectFormWithCheck

    def __call__(self, form, operation: Operation, record: Project | None) -> dict | None:
        if request.method != "POST" or not form.check_overlaps.data:
            return None
        form.validate()  # shape errors show next to their fields; the check runs on what is usable
        return {"overlap_preview": preview(form, operation, record)}


def _sensitive_nearby(operation: Operation, sector_id: int, area_ids: list[int], record: Project | None) -> list[str]:
    """One sentence per sensitive project the user may not see in the sector, in, above or below these areas."""
    visible = details_visible_clause(Project, current_user)
    if visible is sa.true():
        return []
    chosen = aliased(AdminArea)
    related = sa.or_(AdminArea.path.like(chosen.path + "%"), chosen.path.like(AdminArea.path + "%"))
    rows = db.session.execute(
        sa.select(Project.id, sa.func.min(AdminArea.name))
        .join(project_areas, project_areas.c.project_id == Project.id)
        .join(AdminArea, AdminArea.id == project_areas.c.admin_area_id)
        .join(chosen, related)
        .where(
            Project.operation_id == operation.id,
            Project.sector_id == sector_id,
            Project.archived_at.is_(None),
            sa.not_(visible),
            chosen.id.in_(area_ids),
            Project.id != (record.id if record else 0),
        )
        .group_by(Project.id)
        .order_by(Project.id)
    ).all()
    sector = db.session.get(Sector, sector_id)
    return [
        _("A sensitive entry (details restricted) in %(sector)s, %(area)s", sector=_(sector.name), area=area)
        for _project_id, area in rows
    ]
