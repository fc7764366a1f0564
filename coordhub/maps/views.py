"""Map pages, their data (GeoJSON, CSV), an area's list, boundary loading and the printable 3W (thin views)."""

from __future__ import annotations

import re
import secrets
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from coordhub.errors import DomainError, NotFound
from coordhub.extensions import db
from coordhub.maps import operations as ops
from coordhub.maps.core.layers import LAYERS, csv_text, dumps
from coordhub.maps.forms import BoundaryCommitForm, BoundaryUploadForm
from coordhub.maps.present import problem_message, project_status_label
from coordhub.maps.queries import CSV_COLUMNS, MapQuery, load_tree, map_layer, parse_map_query, presence_projects
from coordhub.maps.rights import can_load_boundaries
from coordhub.registry.forms import ORGANISATION_TYPES, ProjectForm
from coordhub.registry.models import AdminArea, Operation, Organisation, Project, Sector
from coordhub.registry.queries import details_visible_clause
from coordhub.web import operation_required, show_domain_error

bp = Blueprint("maps", __name__, url_prefix="/maps", static_folder="static", static_url_path="/static")


UPLOAD_NAME = re.compile(r"^[0-9a-f]{32}$")
LAYER_TITLES = {
    "presence": _l("Who does what where"),
    "needs": _l("Needs and gaps"),
    "allocation": _l("Allocation run"),
    "overlaps": _l("Overlaps"),
}
COLUMN_LABELS = {
    "organisations": _l("Organisations"),
    "projects": _l("Projects"),
    "organisation_names": _l("Who"),
    "need_count": _l("Open needs"),
    "need_quantity": _l("Quantity needed"),
    "activity_count": _l("Activities"),
    "organisation_count": _l("Organisations present"),
    "is_gap": _l("Gap"),
    "gap_sectors": _l("Gaps in"),
    "needed": _l("Needed"),
    "met": _l("Met"),
    "share_met": _l("Share met"),
    "unmet_needs": _l("Unmet needs"),
    "alerts": _l("Alerts"),
    "open": _l("Open"),
    "acknowledged": _l("Acknowledged"),
    "resolved": _l("Resolved"),
    "dismissed": _l("Dismissed"),
    "closed": _l("Closed"),
    "clusters": _l("Clusters"),
}


@bp.route("/vendor/leaflet/<path:filename>")
def leaflet(filename: str):
    """Leaflet from the xstatic-leaflet package (no CDN)."""
    import xstatic.pkg.leaflet as package

    return send_from_directory(package.BASE_DIR, filename, max_age=86400)


def _error_json(error: DomainError):
    db.session.rollback()
    body = {"status": error.status_code, "message": error.message}
    if error.field:
        body["field"] = error.field
    return jsonify(error=body), error.status_code


def _query_or_error(layer: str, operation: Operation) -> MapQuery:
    try:
        return parse_map_query(layer, operation, request.args)
    except NotFound:
        abort(404)


@bp.route("/")
@operation_required
def index(operation: Operation):
    return redirect(url_for("maps.show", layer="presence"))


@bp.route("/<layer>")
@operation_required
def show(layer: str, operation: Operation):
    if layer not in LAYERS:
        abort(404)
    status = 200
    try:
        query = parse_map_query(layer, operation, request.args)
    except DomainError as error:
        flash(f"{error.field}: {error.message}", "danger")
        query, status = parse_map_query(layer, operation, {}), 400
    from coordhub.registry.views import filter_choices

    data_args = query.as_args()
    runs = []
    if layer == "allocation":
        from coordhub.allocation.queries import runs_query
        from coordhub.allocation.rights import can_manage_allocations

        runs = db.session.scalars(
            runs_query(operation, published_only=not can_manage_allocations(current_user, operation)).limit(50)
        ).all()
    collection = map_layer(query, operation, current_user, with_boundaries=False)
    return render_template(
        "maps/map.html",
        operation=operation,
        query=query,
        layer=layer,
        layers=LAYERS,
        layer_titles=LAYER_TITLES,
        choices=filter_choices(operation),
        collection=collection,
        organisation_types=ORGANISATION_TYPES,
        statuses=ProjectForm.status.kwargs["choices"],
        runs=runs,
        data_args=data_args,
        columns=CSV_COLUMNS[layer],
        column_labels=COLUMN_LABELS,
    ), status


@bp.route("/<layer>/data")
@operation_required
def data(layer: str, operation: Operation):
    """The layer for the page's script and for export: GeoJSON (default, or ?format=geojson as a download)
    or CSV (?format=csv)."""
    try:
        query = parse_map_query(layer, operation, request.args)
        collection = map_layer(query, operation, current_user)
    except DomainError as error:
        return _error_json(error)
    stamp = f"coordhub-{layer}-level{query.level}-{date.today().isoformat()}"
    wanted = request.args.get("format", "")
    if wanted == "csv":
        return Response(
            csv_text(collection, CSV_COLUMNS[layer]),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{stamp}.csv"'},
        )
    response = Response(dumps(collection), mimetype="application/geo+json")
    if wanted == "geojson":
        response.headers["Content-Disposition"] = f'attachment; filename="{stamp}.geojson"'
    return response


@bp.route("/presence/area/<pcode>")
@operation_required
def presence_area(pcode: str, operation: Operation):
    """Organisations and projects of the presence map in one area (the click list), as the list shows them."""
    try:
        query = parse_map_query("presence", operation, request.args)
    except DomainError as error:
        return _error_json(error)
    area = db.session.scalar(
        sa.select(AdminArea).where(AdminArea.operation_id == operation.id, AdminArea.pcode == pcode[:50])
    )
    if area is None or area.level != query.level:
        return _error_json(NotFound(_("No admin area %(pcode)s at this level.", pcode=pcode[:50])))
    tree = load_tree(operation)
    entries = presence_projects(operation, current_user, query.filters, tree, query.level).get(area.id, [])
    ids = sorted({project_id for project_id, _org, _hidden in entries})
    projects = []
    if ids:
        visible = dict(
            db.session.execute(
                sa.select(Project.id, details_visible_clause(Project, current_user)).where(Project.id.in_(ids[:2000]))
            ).all()
        )
        rows = db.session.execute(
            sa.select(
                Project.id,
                Project.title,
                Project.status,
                Sector.name,
                sa.func.coalesce(Organisation.acronym, Organisation.name),
            )
            .join(Sector, Sector.id == Project.sector_id)
            .join(Organisation, Organisation.id == Project.organisation_id)
            .where(Project.id.in_(ids[:200]))
            .order_by(Project.title)
        ).all()
        for project_id, title, status, sector, organisation in rows:
            shown = bool(visible.get(project_id))
            projects.append(
                {
                    "id": project_id,
                    "sector": _(sector),
                    "status": project_status_label(status.value),
                    "title": title if shown else _("Sensitive entry (details restricted)"),
                    "organisation": organisation if shown else None,
                    "url": url_for("registry.record_detail", slug="projects", record_id=project_id),
                }
            )
    names = sorted({name for p in projects if (name := p["organisation"])})
    list_args = {**query.filters.as_args(), "area": area.id}
    return jsonify(
        pcode=area.pcode,
        name=area.name,
        total=len(ids),
        projects=projects,
        organisations=names,
        sensitive_entries=sum(1 for p in projects if p["organisation"] is None),
        list_url=url_for("registry.record_list", slug="projects", **list_args),
    )


@bp.route("/areas.json")
@operation_required
def areas_json(operation: Operation):
    """Every admin area with its parent's name and centroid, for the searchable area picker."""
    areas = db.session.execute(
        sa.select(
            AdminArea.id,
            AdminArea.pcode,
            AdminArea.name,
            AdminArea.level,
            AdminArea.parent_id,
            AdminArea.latitude,
            AdminArea.longitude,
        )
        .where(AdminArea.operation_id == operation.id)
        .order_by(AdminArea.path)
    ).all()
    names = {a.id: f"{a.name} ({a.pcode})" for a in areas}
    return jsonify(
        areas=[
            {
                "id": a.id,
                "pcode": a.pcode,
                "name": a.name,
                "level": a.level,
                "parent": names.get(a.parent_id),
                "lat": a.latitude,
                "lon": a.longitude,
            }
            for a in areas
        ]
    )


def _upload_dir() -> Path:
    path = Path(current_app.instance_path) / "boundary-uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


@bp.route("/boundaries", methods=["GET", "POST"])
@operation_required
def boundaries(operation: Operation):
    """Administrators load COD-AB boundaries: upload, preview with a row report, then load (all or nothing)."""
    if not can_load_boundaries(current_user, operation):
        abort(403)
    form, commit_form, report, status = BoundaryUploadForm(), BoundaryCommitForm(), None, 200
    if request.method == "POST" and "upload" in request.form:
        if commit_form.validate_on_submit() and UPLOAD_NAME.match(commit_form.upload.data or ""):
            path = _upload_dir() / commit_form.upload.data
            if not path.exists():
                flash(_("The uploaded file has expired: upload it again."), "warning")
                return redirect(url_for("maps.boundaries"))
            try:
                report = ops.load_boundaries(
                    current_user,
                    operation,
                    path.read_bytes(),
                    commit_form.filename.data or "",
                    int(commit_form.level.data),
                    commit=True,
                )
            except (DomainError, ValueError) as error:
                flash(getattr(error, "message", str(error)), "danger")
                return redirect(url_for("maps.boundaries"))
            if report.written:
                path.unlink(missing_ok=True)
                flash(_("%(count)s boundaries loaded.", count=len(report.matched)), "success")
            else:
                flash(_("Nothing was loaded: fix the problems listed and upload the file again."), "danger")
                status = 422
        else:
            abort(400)
    elif form.validate_on_submit():
        raw, filename = form.file.data.read(), form.file.data.filename or ""
        try:
            report = ops.load_boundaries(current_user, operation, raw, filename, form.level.data, commit=False)
        except DomainError as error:
            show_domain_error(form, error)
            status = 422
        else:
            token = secrets.token_hex(16)
            (_upload_dir() / token).write_bytes(raw)
            commit_form = BoundaryCommitForm(
                formdata=None, upload=token, level=str(form.level.data), filename=filename[:300]
            )
    elif request.method == "POST":
        status = 422
    counts = dict(
        db.session.execute(
            sa.select(AdminArea.level, sa.func.count())
            .where(AdminArea.operation_id == operation.id)
            .group_by(AdminArea.level)
        ).all()
    )
    loaded = dict(
        db.session.execute(
            sa.select(AdminArea.level, sa.func.count())
            .where(AdminArea.operation_id == operation.id, AdminArea.boundary_web.is_not(None))
            .group_by(AdminArea.level)
        ).all()
    )
    return render_template(
        "maps/boundaries.html",
        operation=operation,
        form=form,
        commit_form=commit_form,
        report=report,
        problem_message=problem_message,
        counts=counts,
        loaded=loaded,
    ), status


@bp.route("/snapshot.pdf")
@operation_required
def snapshot(operation: Operation):
    """The printable one-page 3W snapshot (map, sector table, partner count, date and source) as a PDF."""
    from coordhub.maps.snapshot import snapshot_pdf

    try:
        query = parse_map_query("presence", operation, request.args)
    except DomainError as error:
        return _error_json(error)
    pdf = snapshot_pdf(operation, current_user, query)
    name = f"coordhub-3W-{date.today().isoformat()}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.route("/charts/<name>.csv")
@operation_required
def chart_csv(name: str, operation: Operation):
    """A dashboard chart's numbers as CSV."""
    import csv
    import io

    from coordhub.maps.dashboard import CHARTS

    if name not in CHARTS:
        abort(404)
    chart = CHARTS[name](operation, current_user)
    if chart is None:
        abort(404)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["", *[label for label, _values in chart.series]])
    writer.writerows(chart.rows())
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="coordhub-{name}.csv"'},
    )
