"""The four map layers of an operation, read through the lists' and the gap matrix's own queries."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from coordhub.allocation.models import AllocationAssignment, AllocationExplanation, AllocationRun
from coordhub.allocation.queries import latest_published_run
from coordhub.allocation.rights import can_manage_allocations
from coordhub.auth.models import User
from coordhub.errors import NotFound, ValidationError
from coordhub.extensions import db
from coordhub.maps.core.layers import LAYERS, AreaTree, MapArea, classes, feature_collection, fold
from coordhub.overlap.matrix import gap_matrix, levels_of
from coordhub.overlap.models import AlertState, OverlapAlert, OverlapCluster
from coordhub.overlap.queries import AlertFilters, alert_query
from coordhub.registry.models import (
    AdminArea,
    Capacity,
    Need,
    Operation,
    Organisation,
    OrganisationType,
    Project,
    Sector,
    capacity_areas,
    project_areas,
)
from coordhub.registry.queries import RecordFilters, details_visible_clause, record_query
from coordhub.web import parse_id

MEASURES = ("organisations", "projects")
# The columns each layer's CSV export carries, after P-code, name and level.
CSV_COLUMNS = {
    "presence": ["organisations", "projects", "organisation_names"],
    "needs": ["need_count", "need_quantity", "activity_count", "organisation_count", "is_gap", "gap_sectors"],
    "allocation": ["needed", "met", "share_met", "unmet_needs"],
    "overlaps": ["alerts", "open", "acknowledged", "resolved", "dismissed", "closed", "clusters"],
}


@dataclass
class MapQuery:
    """What a map shows: the layer, the admin level, the lists' filters, and layer options."""

    layer: str
    level: int
    levels: list[int]
    filters: RecordFilters
    measure: str = "organisations"
    run_id: int | None = None

    def as_args(self) -> dict[str, Any]:
        args = dict(self.filters.as_args())
        args["level"] = self.level
        if self.layer == "presence" and self.measure != "organisations":
            args["measure"] = self.measure
        if self.run_id:
            args["run"] = self.run_id
        return args


def parse_map_query(layer: str, operation: Operation, args: Mapping[str, Any]) -> MapQuery:
    """Validate a map request; raises NotFound (unknown layer) or ValidationError naming the bad argument."""
    if layer not in LAYERS:
        raise NotFound(_("There is no map layer '%(layer)s' (try: %(layers)s).", layer=layer, layers=", ".join(LAYERS)))
    levels = levels_of(operation)
    raw_level = (args.get("level") or "").strip()
    if raw_level:
        message = _(
            "level must be one of the operation's admin levels: %(levels)s.", levels=", ".join(str(v) for v in levels)
        )
        if not raw_level.isdigit():
            raise ValidationError(message, "level")
        if int(raw_level) not in levels:  # a well-formed level this operation does not have: no such map
            raise NotFound(message, "level")
        level = int(raw_level)
    else:
        level = 1 if 1 in levels else (levels[0] if levels else 0)
    measure = (args.get("measure") or "organisations").strip()
    if measure not in MEASURES:
        raise ValidationError(_("measure must be 'organisations' or 'projects'."), "measure")
    organisation_type = (args.get("organisation_type") or "").strip()
    if organisation_type and organisation_type not in {t.value for t in OrganisationType}:
        raise ValidationError(
            _("Unknown organisation type '%(value)s'.", value=organisation_type[:40]), "organisation_type"
        )
    for name in ("date_from", "date_to"):
        value = (args.get(name) or "").strip()
        # Not shaped like a date: refused, naming the field. A well-shaped day that does not exist (year 0)
        # is ignored, as the lists ignore it.
        if value and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValidationError(_("'%(value)s' is not a date (use YYYY-MM-DD).", value=value[:40]), name)
    run_id = None
    if (args.get("run") or "").strip():
        run_id = parse_id(args.get("run"))
        if run_id is None:
            raise ValidationError(_("run must be the number of an allocation run."), "run")
    return MapQuery(
        layer=layer, level=level, levels=levels, filters=RecordFilters.from_args(args), measure=measure, run_id=run_id
    )


def load_tree(operation: Operation, with_boundaries_at: int | None = None) -> AreaTree:
    """Every area of the operation; simplified boundaries only for the level drawn (they are the weight)."""
    columns = [
        AdminArea.id,
        AdminArea.pcode,
        AdminArea.name,
        AdminArea.level,
        AdminArea.parent_id,
        AdminArea.latitude,
        AdminArea.longitude,
    ]
    areas = {
        row.id: MapArea(row.id, row.pcode, row.name, row.level, row.parent_id, row.latitude, row.longitude)
        for row in db.session.execute(sa.select(*columns).where(AdminArea.operation_id == operation.id))
    }
    if with_boundaries_at is not None:
        # As stored text: the polygons go out as they are (see core.layers.dumps), never parsed here.
        for area_id, geometry in db.session.execute(
            sa.select(AdminArea.id, sa.cast(AdminArea.boundary_web, sa.Text)).where(
                AdminArea.operation_id == operation.id,
                AdminArea.level == with_boundaries_at,
                AdminArea.boundary_web.is_not(None),
            )
        ):
            area = areas[area_id]
            areas[area_id] = MapArea(
                area.id, area.pcode, area.name, area.level, area.parent_id, area.latitude, area.longitude, geometry
            )
    return AreaTree(areas)


def _hidden_expression(user: User):
    """1 when the user may not see who is behind the project (the lists' rule), else 0."""
    return sa.case((details_visible_clause(Project, user), 0), else_=1)


def presence_projects(
    operation: Operation, user: User, filters: RecordFilters, tree: AreaTree, level: int
) -> dict[int, set[tuple[int, int, bool]]]:
    """Projects of the list with these filters, grouped by area at `level`: [(project id, organisation id,
    hidden)]. A project counts in an area when one of its areas is that area or lies below it, as the
    list's area filter counts it; projects registered only above the level are in no area."""
    listed = (
        record_query(Project, operation, user, filters)
        .order_by(None)
        .with_only_columns(project_areas.c.admin_area_id, Project.id, Project.organisation_id, _hidden_expression(user))
        .join(project_areas, project_areas.c.project_id == Project.id)
    )
    # Plain rows through the connection: at 20,000 projects the ORM's per-row work costs more than the query.
    targets = tree.targets(level)
    grouped: dict[int, set] = defaultdict(set)
    for area_id, project_id, organisation_id, hidden in db.session.connection().execute(listed):
        target = targets.get(area_id)
        if target is not None:  # a project in two districts of a province is one entry of the province
            grouped[target].add((project_id, organisation_id, hidden == 1))
    return grouped


def presence_figures(grouped: dict[int, set[tuple[int, int, bool]]]) -> dict[int, dict[str, Any]]:
    names = dict(
        db.session.execute(sa.select(Organisation.id, sa.func.coalesce(Organisation.acronym, Organisation.name))).all()
    )
    figures = {}
    for area_id, projects in grouped.items():
        visible = sorted({names[org] for _pid, org, hidden in projects if not hidden})
        hidden = {pid for pid, _org, is_hidden in projects if is_hidden}
        # Each sensitive entry the reader may not see counts as one organisation, never named (as the matrix).
        organisations = len({org for _pid, org, is_hidden in projects if not is_hidden}) + len(hidden)
        figures[area_id] = {
            "projects": len({pid for pid, _org, _h in projects}),
            "organisations": organisations,
            "organisation_names": visible,
            "sensitive_entries": len(hidden),
        }
    return figures


def _presence(query: MapQuery, operation: Operation, user: User, tree: AreaTree) -> tuple[dict, dict, list]:
    figures = presence_figures(presence_projects(operation, user, query.filters, tree, query.level))
    for values in figures.values():
        values["value"] = values[query.measure]
    return (
        figures,
        {"projects": 0, "organisations": 0, "organisation_names": [], "sensitive_entries": 0, "value": 0},
        [],
    )


@dataclass(frozen=True)
class GapCells:
    """The gap matrix's figures as plain data (kept between requests while the data do not change)."""

    level: int
    sectors: dict[int, tuple[str, str]]  # sector id -> (code, name)
    cells: dict[tuple[int, int], Any]  # (sector id, area id) -> overlap.core GapCell

    @property
    def gap_count(self) -> int:
        return sum(1 for cell in self.cells.values() if cell.is_gap)


_GAP_CACHE: dict[tuple, GapCells] = {}
_GAP_CACHE_SIZE = 32


def _data_fingerprint(operation: Operation) -> tuple:
    """Changes whenever a project, need, capacity or their areas and partners change (cheap aggregates)."""
    from coordhub.registry.models import project_partners

    row = []
    for kind in (Project, Need, Capacity):
        row.extend(
            db.session.execute(
                sa.select(
                    sa.func.count(kind.id),
                    sa.func.max(kind.updated_at),
                    sa.func.sum(kind.id * (1 + sa.func.coalesce(kind.organisation_id, 0))),
                ).where(kind.operation_id == operation.id)
            ).one()
        )
    for link, key, other in (
        (project_areas, project_areas.c.project_id, project_areas.c.admin_area_id),
        (project_partners, project_partners.c.project_id, project_partners.c.organisation_id),
        (capacity_areas, capacity_areas.c.capacity_id, capacity_areas.c.admin_area_id),
    ):
        owner = Project if link is not capacity_areas else Capacity
        row.extend(
            db.session.execute(
                sa.select(sa.func.count(), sa.func.sum(key * 7919 + other))
                .select_from(link)
                .join(owner, owner.id == key)
                .where(owner.operation_id == operation.id)
            ).one()
        )
    return tuple(str(value) for value in row)


def gap_cells(operation: Operation, user: User, level: int) -> GapCells:
    """overlap.matrix.gap_matrix for this reader, remembered until the operation's data change: the matrix
    itself is the counting rule, this only avoids computing it again for every map and home page."""
    from coordhub.auth.models import Role

    sees = "all" if user.role in (Role.admin, Role.coordinator) else f"organisation-{user.organisation_id}"
    key = (operation.id, level, sees, _data_fingerprint(operation))
    cached = _GAP_CACHE.get(key)
    if cached is None:
        matrix = gap_matrix(operation, user, level)
        cached = GapCells(
            level=matrix.level, sectors={s.id: (s.code, s.name) for s in matrix.sectors}, cells=dict(matrix.cells)
        )
        if len(_GAP_CACHE) >= _GAP_CACHE_SIZE:
            _GAP_CACHE.pop(next(iter(_GAP_CACHE)))
        _GAP_CACHE[key] = cached
    return cached


def _needs(query: MapQuery, operation: Operation, user: User, tree: AreaTree) -> tuple[dict, dict, list]:
    matrix = gap_cells(operation, user, query.level)
    names = {sector_id: _(name) for sector_id, (_code, name) in matrix.sectors.items()}  # translated once
    figures: dict[int, dict[str, Any]] = {}
    for (sector_id, area_id), cell in matrix.cells.items():
        if query.filters.sector_id and sector_id != query.filters.sector_id:
            continue
        sector_code, sector_name = matrix.sectors[sector_id][0], names[sector_id]
        values = figures.setdefault(
            area_id,
            {
                "need_count": 0,
                "need_quantity": 0.0,
                "activity_count": 0,
                "organisation_count": 0,
                "gap_sectors": [],
                "by_sector": {},
            },
        )
        values["need_count"] += cell.need_count
        values["need_quantity"] += cell.need_quantity
        values["activity_count"] += cell.activity_count
        values["organisation_count"] += cell.organisation_count
        if cell.is_gap:
            values["gap_sectors"].append(sector_name)
        values["by_sector"][sector_code] = {
            "sector": sector_name,
            "needs": cell.need_count,
            "quantity": round(cell.need_quantity, 3),
            "activities": cell.activity_count,
            "organisations": cell.organisation_count,
            "gap": cell.is_gap,
        }
    for values in figures.values():
        values["need_quantity"] = round(values["need_quantity"], 3)
        values["is_gap"] = bool(values["gap_sectors"])
        values["value"] = values["need_count"]
    return (
        figures,
        {
            "need_count": 0,
            "need_quantity": 0.0,
            "activity_count": 0,
            "organisation_count": 0,
            "gap_sectors": [],
            "by_sector": {},
            "is_gap": False,
            "value": 0,
        },
        [],
    )


def visible_run(operation: Operation, user: User, run_id: int | None) -> AllocationRun | None:
    """The run a map shows: the one asked for if the user may see it, else the latest they may see
    (coordinators: any run; everyone else: published runs only)."""
    manager = can_manage_allocations(user, operation)
    if run_id is not None:
        run = db.session.get(AllocationRun, run_id)
        if run is None or run.operation_id != operation.id or not (manager or run.published):
            raise NotFound(_("No allocation run %(id)s that you can see.", id=run_id))
        return run
    if manager:
        return db.session.scalar(
            sa.select(AllocationRun)
            .where(AllocationRun.operation_id == operation.id)
            .order_by(AllocationRun.created_at.desc(), AllocationRun.id.desc())
            .limit(1)
        )
    return latest_published_run(operation)


def _allocation(query: MapQuery, operation: Operation, user: User, tree: AreaTree) -> tuple[dict, dict, list]:
    run = visible_run(operation, user, query.run_id)
    defaults = {"needed": 0.0, "met": 0.0, "share_met": None, "unmet_needs": 0, "value": 0}
    if run is None:
        return {}, defaults, []
    area_ids = {area.pcode: area.id for area in tree.areas.values()}
    figures: dict[int, dict[str, Any]] = {}
    for pcode, (needed, met) in run.coverage.get("by_area", {}).items():
        target = tree.ancestor_at(area_ids.get(pcode, -1), query.level)
        if target is None:
            continue
        values = figures.setdefault(target, dict(defaults))
        values["needed"] += needed
        values["met"] += met
    unmet = db.session.execute(
        sa.select(Need.admin_area_id, AllocationExplanation.need_id)
        .join(Need, Need.id == AllocationExplanation.need_id)
        .where(AllocationExplanation.run_id == run.id, AllocationExplanation.subject == "need")
    )
    for area_id, need_ids in fold(tree, query.level, unmet).items():
        figures.setdefault(area_id, dict(defaults))["unmet_needs"] = len(need_ids)
    for values in figures.values():
        values["needed"], values["met"] = round(values["needed"], 3), round(values["met"], 3)
        values["share_met"] = round(values["met"] / values["needed"], 4) if values["needed"] > 0 else None
        values["value"] = values["share_met"] if values["share_met"] is not None else 0
    # Lines from where capacities come from to the needs they serve, folded to the level shown.
    assignments = (
        sa.select(AllocationAssignment.capacity_id, Need.admin_area_id, AllocationAssignment.quantity)
        .join(Need, Need.id == AllocationAssignment.need_id)
        .where(AllocationAssignment.run_id == run.id)
    )
    if not can_manage_allocations(user, operation):
        assignments = assignments.where(AllocationAssignment.organisation_id == user.organisation_id)
    rows = db.session.execute(assignments).all()
    origin: dict[int, int] = {}
    for capacity_id, area_id in db.session.execute(
        sa.select(capacity_areas.c.capacity_id, sa.func.min(capacity_areas.c.admin_area_id))
        .where(capacity_areas.c.capacity_id.in_({r[0] for r in rows} or {-1}))
        .group_by(capacity_areas.c.capacity_id)
    ):
        origin[capacity_id] = area_id
    flows: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0.0, 0])
    for capacity_id, need_area_id, quantity in rows:
        source = origin.get(capacity_id)
        if source is None:
            continue
        start = tree.ancestor_at(source, query.level) or source
        end = tree.ancestor_at(need_area_id, query.level) or need_area_id
        flows[(start, end)][0] += quantity
        flows[(start, end)][1] += 1
    lines = []
    for (start, end), (quantity, count) in sorted(flows.items()):
        a, b = tree.centroid(start), tree.centroid(end)
        if a is None or b is None:
            continue
        coordinates = [[a[1], a[0]], [b[1], b[0]]]
        lines.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coordinates},
                "properties": {
                    "kind": "flow",
                    "from": tree.areas[start].pcode,
                    "to": tree.areas[end].pcode,
                    "quantity": round(quantity, 3),
                    "assignments": count,
                },
            }
        )
    return figures, defaults, lines


def _overlaps(query: MapQuery, operation: Operation, user: User, tree: AreaTree) -> tuple[dict, dict, list]:
    alert_filters = AlertFilters(
        sector_id=query.filters.sector_id, organisation_id=query.filters.organisation_id, area_id=query.filters.area_id
    )
    alerts = (
        alert_query(operation, user, alert_filters)
        .with_only_columns(OverlapAlert.shared_area_id, OverlapAlert.id, OverlapAlert.state)
        .order_by(None)
    )
    states = [s.value for s in AlertState]
    defaults = {"alerts": 0, "clusters": 0, "value": 0, **dict.fromkeys(states, 0)}
    figures: dict[int, dict[str, Any]] = {}
    for area_id, items in fold(
        tree, query.level, ((area_id, (alert_id, state)) for area_id, alert_id, state in db.session.execute(alerts))
    ).items():
        values = figures.setdefault(area_id, dict(defaults))
        for _alert_id, state in items:
            values[state.value] += 1
        values["alerts"] = len(items)
        values["value"] = values[AlertState.open.value] + values[AlertState.acknowledged.value]
    clusters = sa.select(OverlapCluster.admin_area_id, OverlapCluster.id).where(
        OverlapCluster.operation_id == operation.id
    )
    if query.filters.sector_id:
        clusters = clusters.where(OverlapCluster.sector_id == query.filters.sector_id)
    for area_id, ids in fold(tree, query.level, db.session.execute(clusters)).items():
        figures.setdefault(area_id, dict(defaults))["clusters"] = len(ids)
    return figures, defaults, []


def _boundary_count(operation: Operation, level: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AdminArea)
            .where(
                AdminArea.operation_id == operation.id, AdminArea.level == level, AdminArea.boundary_web.is_not(None)
            )
        )
        or 0
    )


BUILDERS = {"presence": _presence, "needs": _needs, "allocation": _allocation, "overlaps": _overlaps}


def describe(query: MapQuery, operation: Operation) -> str:
    """The map's title in words: what is shown and every filter applied."""
    titles = {
        "presence": _("Who does what where: organisations present")
        if query.measure == "organisations"
        else _("Who does what where: projects"),
        "needs": _("Needs and gaps"),
        "allocation": _("Allocation run: coverage"),
        "overlaps": _("Overlap alerts and clusters"),
    }
    parts = [titles[query.layer], _("admin level %(level)s", level=query.level)]
    filters = query.filters
    if filters.sector_id and (sector := db.session.get(Sector, filters.sector_id)):
        parts.append(_(sector.name))
    if (
        query.layer in ("presence", "overlaps")
        and filters.organisation_id
        and (organisation := db.session.get(Organisation, filters.organisation_id))
    ):
        parts.append(organisation.label)
    if query.layer == "presence":
        if filters.organisation_type:
            from coordhub.maps.present import organisation_type_label

            parts.append(organisation_type_label(filters.organisation_type))
        if filters.status:
            from coordhub.maps.present import project_status_label

            parts.append(project_status_label(filters.status))
        if filters.date_from or filters.date_to:
            parts.append(_("active %(start)s – %(end)s", start=filters.date_from or "…", end=filters.date_to or "…"))
    if query.layer == "allocation" and query.run_id:
        parts.append(_("run %(id)s", id=query.run_id))
    return " · ".join([operation.name, *parts])


def map_layer(query: MapQuery, operation: Operation, user: User, with_boundaries: bool = True) -> dict[str, Any]:
    """The layer as a GeoJSON FeatureCollection: one feature per area at the level (P-code, name, figures),
    then any lines; `metadata` carries the title, the shading classes and the run shown. Without
    `with_boundaries` (a page's table), areas get their centroid only."""
    tree = load_tree(operation, with_boundaries_at=query.level if with_boundaries else None)
    figures, defaults, extra = BUILDERS[query.layer](query, operation, user, tree)
    areas = tree.at_level(query.level)
    values = [figures.get(area.id, {}).get("value") or 0 for area in areas]
    meta = {
        "layer": query.layer,
        "level": query.level,
        "title": describe(query, operation),
        "filters": query.as_args(),
        "classes": classes(values) if query.layer != "allocation" else [0.25, 0.5, 0.75, 1.0],
        "boundaries": _boundary_count(operation, query.level),
    }
    if query.layer == "allocation":
        run = visible_run(operation, user, query.run_id)
        meta["run"] = run.id if run is not None else None
    return feature_collection(areas, figures, defaults, meta, extra)
