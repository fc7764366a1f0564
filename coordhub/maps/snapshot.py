"""The printable one-page 3W snapshot (map, sector table, partner count, date and source) as a PDF, drawn with
reportlab from the presence layer and the projects list's own query."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen import canvas

from coordhub.auth.models import User
from coordhub.extensions import db
from coordhub.maps.core.layers import geometry_of
from coordhub.maps.queries import MapQuery, map_layer
from coordhub.registry.models import Operation, Organisation, Project, Sector
from coordhub.registry.queries import details_visible_clause, record_query

PALETTE = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c", "#08306b"]


def sector_rows(operation: Operation, user: User, query: MapQuery) -> tuple[list[tuple[str, int, int]], int, int]:
    """(sector, projects, organisations) from the projects list with the map's filters; the number of partners
    and how many of them are local. Sensitive entries the reader may not see count as one organisation each."""
    listed = (
        record_query(Project, operation, user, query.filters)
        .with_only_columns(
            Project.id,
            Project.sector_id,
            Project.organisation_id,
            details_visible_clause(Project, user).label("visible"),
        )
        .order_by(None)
        .subquery()
    )
    projects: dict[int, int] = defaultdict(int)
    organisations: dict[int, set] = defaultdict(set)
    partners: set = set()
    for project_id, sector_id, organisation_id, visible in db.session.execute(sa.select(listed)):
        key = organisation_id if visible else f"sensitive-{project_id}"
        projects[sector_id] += 1
        organisations[sector_id].add(key)
        partners.add(key)
    names = dict(db.session.execute(sa.select(Sector.id, Sector.name)).all())
    local_ids = set(db.session.scalars(sa.select(Organisation.id).where(Organisation.is_local.is_(True))))
    rows = sorted(((_(names[s]), projects[s], len(organisations[s])) for s in projects), key=lambda r: (-r[1], r[0]))
    return rows, len(partners), sum(1 for key in partners if key in local_ids)


def _rings(geometry: dict) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry["type"] == "MultiPolygon":
        return [polygon[0] for polygon in geometry["coordinates"]]
    return []


def _draw_map(pdf: canvas.Canvas, collection: dict, x0: float, y0: float, width: float, height: float) -> None:
    features = [
        {**f, "geometry": geometry_of(f)}
        for f in collection["features"]
        if f.get("geometry") and "pcode" in f["properties"]
    ]
    points = []
    for feature in features:
        geometry = feature["geometry"]
        points.extend(
            geometry["coordinates"] and [geometry["coordinates"]]
            if geometry["type"] == "Point"
            else [p for ring in _rings(geometry) for p in ring]
        )
    pdf.setStrokeColor(colors.HexColor("#adb5bd"))
    pdf.rect(x0, y0, width, height)
    if not points:
        pdf.drawString(x0 + 10, y0 + height / 2, _("No admin area has a boundary or a centroid."))
        return
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 0.5)
    scale = min((width - 40) / span, (height - 40) / span)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2

    def place(lon: float, lat: float) -> tuple[float, float]:
        return x0 + width / 2 + (lon - cx) * scale, y0 + height / 2 + (lat - cy) * scale

    bounds = collection["metadata"].get("classes") or []
    top = max([f["properties"].get("value") or 0 for f in features] + [1])
    for feature in features:
        value = feature["properties"].get("value") or 0
        index = next((i for i, bound in enumerate(bounds) if value <= bound), len(bounds) - 1)
        fill = colors.white if not value else colors.HexColor(PALETTE[min(index, len(PALETTE) - 1)])
        pdf.setFillColor(fill)
        pdf.setStrokeColor(colors.HexColor("#495057"))
        geometry = feature["geometry"]
        if geometry["type"] == "Point":
            x, y = place(*geometry["coordinates"])
            pdf.circle(x, y, 4 + 14 * (value / top) ** 0.5, stroke=1, fill=1)
            label_at = (x, y)
        else:
            for ring in _rings(geometry):
                path = pdf.beginPath()
                path.moveTo(*place(*ring[0]))
                for point in ring[1:]:
                    path.lineTo(*place(*point))
                path.close()
                pdf.drawPath(path, stroke=1, fill=1)
            centroid = feature["properties"].get("centroid")
            label_at = place(centroid[1], centroid[0]) if centroid and centroid[0] is not None else None
        if label_at and value:
            pdf.setFillColor(colors.black)
            pdf.setFont("Helvetica", 6)
            pdf.drawCentredString(label_at[0], label_at[1] - 2, f"{feature['properties']['name']} ({value})")


def snapshot_pdf(operation: Operation, user: User, query: MapQuery) -> bytes:
    """One A4 landscape page: title and date, the presence map shaded by organisations, its legend, the
    sector table, the partner count and local share, and the source line."""
    collection = map_layer(query, operation, user)
    rows, partners, local = sector_rows(operation, user, query)
    buffer = io.BytesIO()
    page_width, page_height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=landscape(A4), invariant=True)  # no timestamp: same data, same file
    pdf.setTitle(f"3W {operation.name}")
    now = datetime.now(UTC)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(30, page_height - 40, _("Who does what where (3W): %(operation)s", operation=operation.name))
    pdf.setFont("Helvetica", 9)
    pdf.drawString(30, page_height - 56, collection["metadata"]["title"])
    pdf.drawRightString(page_width - 30, page_height - 40, now.strftime("%Y-%m-%d"))
    map_width, map_height = page_width * 0.58, page_height - 140
    _draw_map(pdf, collection, 30, 60, map_width, map_height)
    # Legend under the map.
    pdf.setFont("Helvetica", 7)
    x = 30
    bounds = collection["metadata"].get("classes") or []
    low = 0
    for index, bound in enumerate([0, *bounds]):
        pdf.setFillColor(colors.white if index == 0 else colors.HexColor(PALETTE[min(index - 1, len(PALETTE) - 1)]))
        pdf.rect(x, 44, 9, 9, stroke=1, fill=1)
        pdf.setFillColor(colors.black)
        label = "0" if index == 0 else (f"{low + 1:g}–{bound:g}" if bound - low > 1 else f"{bound:g}")
        pdf.drawString(x + 12, 46, label)
        x += 60
        low = bound
    pdf.drawString(
        x + 10,
        46,
        _("organisations present (circles: areas without a boundary)")
        if query.measure == "organisations"
        else _("projects (circles: areas without a boundary)"),
    )
    # Sector table and partner count.
    left = 30 + map_width + 20
    y = page_height - 90
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(left, y, _("%(count)s partners", count=partners))
    pdf.setFont("Helvetica", 9)
    if partners:
        pdf.drawString(left + 110, y, _("local share: %(share)s %%", share=f"{100 * local / partners:.0f}"))
    y -= 24
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(left, y, _("Sector"))
    pdf.drawRightString(page_width - 90, y, _("Projects"))
    pdf.drawRightString(page_width - 30, y, _("Organisations"))
    pdf.setFont("Helvetica", 9)
    for sector, projects, organisations in rows[:30]:
        y -= 14
        pdf.drawString(left, y, sector[:48])
        pdf.drawRightString(page_width - 90, y, str(projects))
        pdf.drawRightString(page_width - 30, y, str(organisations))
    pdf.setFont("Helvetica-Oblique", 7)
    source = _(
        "Source: coordhub registry of %(operation)s, as partners reported it, on %(date)s UTC. Boundaries: %(boundaries)s.",
        operation=operation.name,
        date=now.strftime("%Y-%m-%d"),
        boundaries=_("COD-AB loaded by the administrators")
        if collection["metadata"]["boundaries"]
        else _("none loaded, areas drawn at their centroids"),
    )
    pdf.drawString(30, 24, source)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
