"""The only code that changes import runs and mapping templates (the wizard's steps, shared with the CLI and API)."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from coordhub.auth.models import Role, User
from coordhub.database import utcnow
from coordhub.errors import NotFound, PermissionDenied, ValidationError
from coordhub.extensions import db
from coordhub.interop.importer import (
    IMPORT_KINDS,
    ImportReport,
    ImportSettings,
    Progress,
    can_import,
    choose_mapping,
    kind_spec,
    load_table,
    run_import,
)
from coordhub.interop.mapping import mapping_to_template, validate_mapping
from coordhub.interop.models import ImportRun, ImportStatus, MappingTemplate
from coordhub.reading.tables import TableError, list_sheets
from coordhub.registry.models import Operation

TEMPLATE_SCOPES = ("organisation", "operation")


def _check_kind(user: User, kind: str) -> None:
    if kind not in IMPORT_KINDS:
        raise ValidationError(_("Unknown import kind '%(kind)s'.", kind=kind), "kind")
    if not can_import(user, kind):
        raise PermissionDenied(_("You may not import %(kind)s.", kind=kind.replace("_", " ")), "kind")


def clean_filename(filename: str | None) -> str:
    """An uploaded file's name as it can be stored and shown: without NUL or other control characters (which
    PostgreSQL refuses), within its column."""
    name = re.sub(r"[\x00-\x1f\x7f]", "", filename or "").strip()
    return name[: ImportRun.filename.type.length] or "upload"


def create_run(user: User, operation: Operation, kind: str, filename: str, data: bytes) -> ImportRun:
    """Store an uploaded file for the wizard; checks that it reads as a table (or a workbook). Commits."""
    _check_kind(user, kind)
    filename = clean_filename(filename)
    if not data:
        raise ValidationError(_("The file is empty."), "file")
    sheets: list[str] = []
    try:
        if filename.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
            sheets = list_sheets(data)
        load_table(data, filename, sheets[0] if sheets else None)
    except TableError as error:
        raise ValidationError(str(error), "file") from None
    run = ImportRun(
        operation_id=operation.id,
        user_id=user.id,
        kind=kind,
        filename=filename,
        content=data,
        sheets=sheets,
        sheet=sheets[0] if sheets else None,
        options={},
    )
    db.session.add(run)
    db.session.commit()
    return run


def get_run(user: User, operation: Operation, run_id: int) -> ImportRun:
    """An import run of this operation that `user` started (administrators: any)."""
    run = db.session.get(ImportRun, run_id)
    if run is None or run.operation_id != operation.id or (run.user_id != user.id and user.role is not Role.admin):
        raise NotFound(_("No such import."))
    return run


def choose_sheet(user: User, run: ImportRun, sheet: str) -> None:
    if sheet not in (run.sheets or []):
        raise ValidationError(_("The workbook has no sheet named %(sheet)s.", sheet=sheet), "sheet")
    try:
        load_table(run.content, run.filename, sheet)
    except TableError as error:
        raise ValidationError(str(error), "sheet") from None
    run.sheet = sheet
    run.mapping = {}
    db.session.commit()


def set_mapping(user: User, run: ImportRun, mapping: dict[str, int], options: dict[str, Any]) -> list[str]:
    """Keep the person's mapping and options for the run; returns the mapping's problems (empty: usable). Commits."""
    table = load_table(run.content, run.filename, run.sheet)
    problems = validate_mapping(table, kind_spec(run.kind), mapping)
    run.mapping = dict(mapping)
    run.options = dict(options)
    db.session.commit()
    return problems


def proposed_mapping(run: ImportRun, template: MappingTemplate | None = None) -> tuple[dict[str, int], list[str]]:
    """The run's mapping, else the template's, else the proposed one; with notes about template columns not found."""
    table = load_table(run.content, run.filename, run.sheet)
    if run.mapping:
        return {k: int(v) for k, v in run.mapping.items()}, []
    settings = ImportSettings(kind=run.kind, template=template.template if template is not None else None)
    return choose_mapping(table, settings)


def preview_run(user: User, run: ImportRun, progress: Progress | None = None) -> ImportReport:
    """The row report of a dry run, stored on the run. Commits."""
    report = run_import(
        user, run.operation, run.content, run.filename, ImportSettings.for_run(run), commit=False, progress=progress
    )
    run.report = report.to_json()
    run.row_count = len(report.rows)
    run.mapping = report.mapping
    run.status = ImportStatus.previewed
    run.previewed_at = utcnow()
    db.session.commit()
    return report


def commit_run(user: User, run: ImportRun, progress: Progress | None = None) -> ImportReport:
    """Import the run's rows in one transaction (or nothing); the report is stored on the run either way."""
    if run.status is ImportStatus.committed:
        raise ValidationError(_("This file was already imported."))
    report = run_import(
        user,
        run.operation,
        run.content,
        run.filename,
        ImportSettings.for_run(run),
        commit=True,
        progress=progress,
        run=run,
    )
    if not report.committed:
        run.report = report.to_json()
        run.row_count = len(report.rows)
        run.status = ImportStatus.previewed
        run.previewed_at = utcnow()
        db.session.commit()
    return report


TRIAGE_ACTIONS = ("create_organisations", "skip", "unskip", "map_value")
VALUE_MAP_FAMILIES = ("sector",)


def triage(user: User, run: ImportRun, action: str, key: str = "", value: str = "", code: str = "") -> None:
    """Change how the run's file is read after its preview, for a whole group of problems: register the
    organisations it names that are not registered (administrators and coordinators), skip every row of
    one cause (or stop skipping it), or read one file value as a chosen sector everywhere (kept with the
    run's template, if any). Commits; the caller previews again."""
    from coordhub.auth import rights
    from coordhub.reading.values import normalise_text
    from coordhub.registry.models import Sector

    if run.status is ImportStatus.committed:
        raise ValidationError(_("This file was already imported."))
    options = dict(run.options or {})
    if action == "create_organisations":
        if not rights.can_register_organisations(user) or run.kind not in ("projects", "needs", "capacities"):
            raise PermissionDenied(_("Only administrators and coordinators register organisations."))
        options["create_organisations"] = True
    elif action in ("skip", "unskip"):
        if not key:
            raise ValidationError(_("Choose the problems to skip."), "key")
        causes = set(options.get("skip_causes") or ())
        causes.add(key) if action == "skip" else causes.discard(key)
        options["skip_causes"] = sorted(causes)
    elif action == "map_value":
        if not value or not code:
            raise ValidationError(_("Choose the sector this value stands for."), "code")
        if db.session.scalar(sa.select(Sector.id).where(Sector.code == code)) is None:
            raise ValidationError(_("Unknown sector."), "code")
        maps = {family: dict(values) for family, values in (options.get("value_maps") or {}).items()}
        maps.setdefault("sector", {})[normalise_text(value)] = code
        options["value_maps"] = maps
        template_id = options.get("template_id")
        template = db.session.get(MappingTemplate, template_id) if template_id else None
        if template is not None and (
            template.organisation_id == user.organisation_id
            or (template.operation_id == run.operation_id and user.role in (Role.admin, Role.coordinator))
        ):
            template.template = {**template.template, "values": maps}
    else:
        raise ValidationError(_("Unknown action."), "action")
    run.options = options
    db.session.commit()


# --- mapping templates ------------------------------------------------------------------------


def templates_for(user: User, operation: Operation, kind: str) -> list[MappingTemplate]:
    """The templates `user` may use for `kind`: the operation's and their organisation's."""
    return list(
        db.session.scalars(
            sa.select(MappingTemplate)
            .where(
                MappingTemplate.kind == kind,
                sa.or_(
                    MappingTemplate.operation_id == operation.id,
                    MappingTemplate.organisation_id == user.organisation_id,
                ),
            )
            .order_by(MappingTemplate.name)
        )
    )


def find_template(user: User, operation: Operation, kind: str, name: str) -> MappingTemplate:
    for template in templates_for(user, operation, kind):
        if template.name == name:
            return template
    raise NotFound(
        _("No mapping template named %(name)s for %(kind)s.", name=name, kind=kind.replace("_", " ")), "template"
    )


def save_template(user: User, operation: Operation, run: ImportRun, name: str, scope: str) -> MappingTemplate:
    """Save the run's mapping under `name`, for the operation (coordinators and administrators) or for the
    user's organisation; a template of the same name and owner is replaced. Commits."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError(_("Give the template a name of at most 100 characters."), "template_name")
    if scope not in TEMPLATE_SCOPES:
        raise ValidationError(_("Unknown template scope."), "template_scope")
    if scope == "operation" and user.role not in (Role.admin, Role.coordinator):
        raise PermissionDenied(
            _("Only coordinators and administrators share templates with the whole operation."), "template_scope"
        )
    _check_kind(user, run.kind)
    table = load_table(run.content, run.filename, run.sheet)
    owner = (
        {"operation_id": operation.id, "organisation_id": None}
        if scope == "operation"
        else {"operation_id": None, "organisation_id": user.organisation_id}
    )
    template = db.session.scalar(
        sa.select(MappingTemplate).where(
            MappingTemplate.kind == run.kind,
            MappingTemplate.name == name,
            *(
                getattr(MappingTemplate, column) == value
                if value is not None
                else getattr(MappingTemplate, column).is_(None)
                for column, value in owner.items()
            ),
        )
    )
    if template is None:
        template = MappingTemplate(name=name, kind=run.kind, created_by_id=user.id, **owner)
        db.session.add(template)
    template.template = mapping_to_template(table, kind_spec(run.kind), {k: int(v) for k, v in run.mapping.items()})
    if (run.options or {}).get("value_maps"):  # the values read as a chosen sector go with the mapping
        template.template["values"] = run.options["value_maps"]
    db.session.commit()
    return template
