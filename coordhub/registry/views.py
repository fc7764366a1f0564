"""Registry pages: dashboard, projects, needs, capacities, admin areas, organisations, and the administrators' pages
for organisations and operations (thin views)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from coordhub.auth import rights
from coordhub.errors import Conflict, DomainError
from coordhub.extensions import db
from coordhub.registry import operations as ops
from coordhub.registry.admin_areas import AdminAreaFileError, parse_admin_areas
from coordhub.registry.forms import (
    AdminAreaUploadForm,
    CapacityForm,
    NeedForm,
    OperationForm,
    OrganisationForm,
    ProjectForm,
)
from coordhub.registry.models import (
    AdminArea,
    Capacity,
    Need,
    Operation,
    Organisation,
    OrganisationType,
    Project,
    ResourceType,
    Sector,
)
from coordhub.registry.queries import RecordFilters, record_query
from coordhub.web import (
    ConfirmForm,
    accessible_operations,
    operation_required,
    parse_id,
    require_right,
    show_domain_error,
)

bp = Blueprint("registry", __name__)


@dataclass(frozen=True)
class KindSpec:
    kind: type
    slug: str  # URL segment and template folder name
    form: type
    title: object  # plural, for headings
    singular: object


SPECS = {
    "projects": KindSpec(Project, "projects", ProjectForm, _l("Projects and activities"), _l("project")),
    "needs": KindSpec(Need, "needs", NeedForm, _l("Needs"), _l("need")),
    "capacities": KindSpec(Capacity, "capacities", CapacityForm, _l("Capacities"), _l("capacity")),
}


def _spec(slug: str) -> KindSpec:
    spec = SPECS.get(slug)
    if spec is None:
        abort(404)
    return spec


def area_choices(operation: Operation) -> list[tuple[int, str]]:
    areas = db.session.scalars(
        sa.select(AdminArea).where(AdminArea.operation_id == operation.id).order_by(AdminArea.path)
    ).all()
    return [(a.id, f"{'— ' * max(a.level - 1, 0)}{a.name} ({a.pcode})") for a in areas]


def filter_choices(operation: Operation) -> dict:
    return {
        "sectors": db.session.scalars(sa.select(Sector).order_by(Sector.name)).all(),
        "areas": area_choices(operation),
        "organisations": db.session.scalars(sa.select(Organisation).order_by(Organisation.name)).all(),
        "resource_types": db.session.scalars(sa.select(ResourceType).order_by(ResourceType.name)).all(),
    }


def _fill_choices(form, spec: KindSpec, operation: Operation) -> None:
    organisations = db.session.scalars(
        sa.select(Organisation).where(Organisation.archived.is_(False)).order_by(Organisation.name)
    ).all()
    allowed = [o for o in organisations if rights.can_create(current_user, spec.kind, o.id)]
    form.organisation_id.choices = [(o.id, o.name) for o in allowed]
    if not form.organisation_id.data and current_user.organisation_id in {o.id for o in allowed}:
        form.organisation_id.data = current_user.organisation_id
    sectors = db.session.scalars(sa.select(Sector).order_by(Sector.name)).all()
    types = db.session.scalars(sa.select(ResourceType).join(Sector).order_by(Sector.name, ResourceType.name)).all()
    type_choices = [(t.id, f"{_(t.sector.name)} › {t.display_name} ({t.display_unit})") for t in types]
    if hasattr(form, "sector_id"):  # no sector chosen for the person: a hurried save must not file it wrongly
        form.sector_id.choices = [("", _("Choose a sector…"))] + [(s.id, _(s.name)) for s in sectors]
    if spec.kind is Project:
        form.resource_type_id.choices = [("", _("— none —"))] + type_choices
        form.partner_ids.choices = [(o.id, o.name) for o in organisations]
    else:
        form.resource_type_id.choices = type_choices
    if hasattr(form, "area_ids"):
        form.area_ids.choices = area_choices(operation)
    if hasattr(form, "admin_area_id"):
        form.admin_area_id.choices = area_choices(operation)
    from coordhub.maps.forms import enhance_record_form

    enhance_record_form(form, types)


# Other modules extend a kind's form (overlap: "Check for overlaps" on projects): coordhub.wiring.FORM_HOOKS maps
# a kind to a hook with a `form_class` (a subclass of spec.form) that is called as hook(form, operation, record)
# and returns extra template context when the POST was its own (nothing is saved then), else None.
FORM_HOOKS_KEY = "coordhub.form_hooks"


def register_form_hooks(app: Flask, hooks: Mapping[type, Any]) -> None:
    app.extensions[FORM_HOOKS_KEY] = dict(hooks)


def _get_record(spec: KindSpec, record_id: int, operation: Operation):
    obj = db.session.get(spec.kind, record_id)
    if obj is None or obj.operation_id != operation.id:
        abort(404)
    return obj


@bp.route("/")
@operation_required
def dashboard(operation: Operation):
    """The home page of the user's role (built by coordhub.maps.dashboard)."""
    from coordhub.maps.dashboard import build_dashboard
    from coordhub.maps.present import organisation_type_label
    from coordhub.overlap.models import STATE_LABELS

    return render_template(
        "registry/dashboard.html",
        operation=operation,
        dashboard=build_dashboard(operation, current_user),
        organisation_type_label=organisation_type_label,
        state_labels=STATE_LABELS,
    )


@bp.route("/<any(projects, needs, capacities):slug>/")
@operation_required
def record_list(slug: str, operation: Operation):
    spec = _spec(slug)
    filters = RecordFilters.from_args(request.args)
    page = db.paginate(
        record_query(spec.kind, operation, current_user, filters),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    return render_template(
        f"registry/{slug}_list.html",
        spec=spec,
        page=page,
        filters=filters,
        choices=filter_choices(operation),
        operation=operation,
    )


@bp.route("/<any(projects, needs, capacities):slug>/<id:record_id>")
@operation_required
def record_detail(slug: str, record_id: int, operation: Operation):
    spec = _spec(slug)
    obj = _get_record(spec, record_id, operation)
    return render_template(
        f"registry/{slug}_detail.html",
        spec=spec,
        record=obj,
        details=rights.can_see_details(current_user, obj),
        can_edit=rights.can_edit(current_user, obj),
        archive_form=ConfirmForm(),
    )


@bp.route("/<any(projects, needs, capacities):slug>/new", methods=["GET", "POST"])
@bp.route("/<any(projects, needs, capacities):slug>/<id:record_id>/edit", methods=["GET", "POST"])
@operation_required
def record_edit(slug: str, operation: Operation, record_id: int | None = None):
    spec = _spec(slug)
    obj = _get_record(spec, record_id, operation) if record_id else None
    if obj is not None and not rights.can_edit(current_user, obj):
        abort(403)
    if obj is None and not rights.can_register_any(current_user, spec.kind):
        abort(403)
    hook = current_app.extensions.get(FORM_HOOKS_KEY, {}).get(spec.kind)
    form = (hook.form_class if hook else spec.form)(obj=obj)
    if obj is not None and request.method == "GET":
        if hasattr(form, "area_ids"):
            form.area_ids.data = [a.id for a in obj.areas]
        if hasattr(form, "partner_ids"):
            form.partner_ids.data = [o.id for o in obj.partners]
        if hasattr(form, "status"):
            form.status.data = obj.status.value
        form.set_version(obj.version)
    _fill_choices(form, spec, operation)
    extra = hook(form, operation, obj) if hook else None
    if extra is None and form.validate_on_submit():
        try:
            saved = ops.save_record(current_user, operation, spec.kind, form.data_for_operation(), obj)
        except Conflict as error:
            extra = {"conflict": error.message, "differences": conflict_rows(form, error.current["state"])}
            form.set_version(error.current["version"])  # saving again now keeps the person's values
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("registry.record_detail", slug=slug, record_id=saved.id))
    elif request.method == "POST" and extra is None:
        _check_meaning_too(form, spec, operation, obj)
        flash(_("Please correct the fields marked below."), "danger")
    return render_template("registry/record_form.html", spec=spec, form=form, record=obj, **(extra or {}))


def _shown(field, value) -> str:
    """A form value as the person reads it: choice labels for selects, '—' for nothing."""
    if hasattr(value, "value"):
        value = value.value
    choices = {str(key): label for key, label in (getattr(field, "choices", None) or [])}
    if isinstance(value, (list, tuple, set)):
        return ", ".join(sorted(str(choices.get(str(v), v)).replace("— ", "") for v in value)) or "—"
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(choices.get(str(value), value))


def conflict_rows(form, state: dict) -> list[tuple[str, str, str]]:
    """(label, their current value, the value in the refused form) for each field where the two differ."""
    rows = []
    for name, field in form._fields.items():
        if name not in state or field.type in ("SubmitField", "CSRFTokenField", "HiddenField"):
            continue
        theirs, mine = state[name], field.data
        if hasattr(theirs, "value"):
            theirs = theirs.value
        if isinstance(theirs, list):
            theirs, mine = sorted(theirs), sorted(mine or [])
        if isinstance(theirs, float) and isinstance(mine, (int, float)):
            mine = float(mine)
        if (theirs in (None, "")) and (mine in (None, "")):
            continue
        if theirs != mine:
            rows.append((str(field.label.text), _shown(field, theirs), _shown(field, mine)))
    return rows


def _check_meaning_too(form, spec: KindSpec, operation: Operation, obj) -> None:
    """When the form's own checks failed, still check the meaning of the fields that did parse (dates in order,
    resource type of the sector …), so that one submit shows every problem. Writes nothing."""
    data = {name: value for name, value in form.data_for_operation().items() if not form[name].errors}
    try:
        ops.prepare_record(current_user, operation, spec.kind, data, None if obj is None else ops.record_state(obj))
    except DomainError as error:
        show_domain_error(form, error)


@bp.route("/<any(projects, needs, capacities):slug>/<id:record_id>/<any(archive, restore):action>", methods=["POST"])
@operation_required
def record_archive(slug: str, record_id: int, action: str, operation: Operation):
    spec = _spec(slug)
    obj = _get_record(spec, record_id, operation)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        ops.set_archived(current_user, obj, action == "archive")
    except DomainError as error:
        db.session.rollback()
        if error.status_code == 403:
            abort(403)
        flash(error.message, "danger")
    else:
        flash(_("Archived.") if action == "archive" else _("Restored."), "success")
    return redirect(url_for("registry.record_detail", slug=slug, record_id=obj.id))


@bp.route("/areas/")
@operation_required
def areas(operation: Operation):
    parent_id = parse_id(request.args.get("parent"))
    parent = db.session.get(AdminArea, parent_id) if parent_id else None
    if parent is not None and parent.operation_id != operation.id:
        abort(404)
    query = sa.select(AdminArea).where(AdminArea.operation_id == operation.id)
    query = query.where(AdminArea.parent_id == parent.id) if parent else query.where(AdminArea.parent_id.is_(None))
    q = (request.args.get("q") or "").strip()
    if q:
        like = f"%{q.lower()}%"
        query = sa.select(AdminArea).where(
            AdminArea.operation_id == operation.id,
            sa.or_(sa.func.lower(AdminArea.name).like(like), sa.func.lower(AdminArea.pcode).like(like)),
        )
    page = db.paginate(query.order_by(AdminArea.pcode), per_page=50, error_out=False)
    child_counts = dict(
        db.session.execute(
            sa.select(AdminArea.parent_id, sa.func.count())
            .where(AdminArea.parent_id.in_([a.id for a in page.items]))
            .group_by(AdminArea.parent_id)
        ).all()
    )
    trail = []
    node = parent
    while node is not None:
        trail.insert(0, node)
        node = node.parent
    return render_template(
        "registry/areas.html",
        page=page,
        parent=parent,
        trail=trail,
        q=q,
        child_counts=child_counts,
        operation=operation,
    )


@bp.route("/organisations/")
@login_required
def organisations():
    q = (request.args.get("q") or "").strip()
    org_type = request.args.get("type") or ""
    query = sa.select(Organisation).order_by(Organisation.name)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Organisation.name).like(like),
                sa.func.lower(sa.func.coalesce(Organisation.acronym, "")).like(like),
            )
        )
    if org_type in {t.value for t in OrganisationType}:
        query = query.where(Organisation.type == OrganisationType(org_type))
    elif org_type:
        flash(_("There is no organisation type '%(value)s': the filter is ignored.", value=org_type[:50]), "warning")
        org_type = ""
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("registry/organisations.html", page=page, q=q, org_type=org_type)


@bp.route("/operations/switch", methods=["POST"])
@login_required
def switch_operation():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    operation = db.session.get(Operation, parse_id(request.form.get("operation_id")) or 0)
    if operation is None or operation not in accessible_operations(current_user):
        abort(403)
    ops.switch_operation(current_user, operation)
    flash(_("You are now working in %(name)s.", name=operation.name), "info")
    return redirect(url_for("registry.dashboard"))


# --- organisations -----------------------------------------------------------------------------------


@bp.route("/admin/organisations/new", methods=["GET", "POST"])
@bp.route("/admin/organisations/<id:organisation_id>", methods=["GET", "POST"])
@login_required
def organisation_edit(organisation_id: int | None = None):
    require_right(rights.can_manage_organisations)
    organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
    if organisation_id and organisation is None:
        abort(404)
    form = OrganisationForm(obj=organisation)
    if request.method == "GET" and organisation is not None:
        form.type.data = organisation.type.value
    if form.validate_on_submit():
        data = {k: v for k, v in form.data.items() if k not in ("submit", "csrf_token")}
        try:
            saved = ops.save_organisation(current_user, data, organisation)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("Organisation %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("registry.organisations"))
    return render_template("registry/organisation_form.html", form=form, organisation=organisation)


# --- operations and their admin areas --------------------------------------------------------------


@bp.route("/admin/operations/")
@login_required
def operations():
    require_right(rights.can_manage_operations)
    rows = db.session.execute(
        sa.select(Operation, sa.func.count(AdminArea.id))
        .outerjoin(AdminArea, AdminArea.operation_id == Operation.id)
        .group_by(Operation.id)
        .order_by(Operation.name)
    ).all()
    return render_template("registry/operations.html", rows=rows)


@bp.route("/admin/operations/new", methods=["GET", "POST"])
@bp.route("/admin/operations/<id:operation_id>", methods=["GET", "POST"])
@login_required
def operation_edit(operation_id: int | None = None):
    require_right(rights.can_manage_operations)
    operation = db.session.get(Operation, operation_id) if operation_id else None
    if operation_id and operation is None:
        abort(404)
    form = OperationForm(obj=operation)
    upload = AdminAreaUploadForm(prefix="areas")
    if form.submit.data and form.validate_on_submit():
        data = {k: v for k, v in form.data.items() if k not in ("submit", "csrf_token")}
        try:
            saved = ops.save_operation(current_user, data, operation)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("Operation %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("registry.operation_edit", operation_id=saved.id))
    if operation is not None and upload.submit.data and upload.validate_on_submit():
        try:
            records = parse_admin_areas(upload.file.data.read(), language=upload.language.data)
            created, updated = ops.load_admin_areas(operation, records, current_user)
        except (AdminAreaFileError, DomainError) as error:
            db.session.rollback()
            upload.file.errors = [str(getattr(error, "message", error))]
            flash(_("Nothing was loaded: %(error)s", error=str(getattr(error, "message", error))), "danger")
        else:
            flash(
                _("%(created)d admin areas created, %(updated)d updated.", created=created, updated=updated), "success"
            )
            return redirect(url_for("registry.operation_edit", operation_id=operation.id))
    return render_template("registry/operation_form.html", form=form, upload=upload, operation=operation)
