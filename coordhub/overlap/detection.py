"""Overlap detection on stored projects: projects as core activities, alerts and clusters kept in step.

Incremental detection runs inside the transaction of every project create, update, archive and restore:
the `project_saved` signal notes the project, and just before that transaction commits the saved projects'
sectors (only those) of their operation are loaded, the core's OverlapIndex says what each project
overlaps, and those projects' alerts are reconciled; the sectors' clusters are recomputed. Full detection does the same for a whole operation (CLI, background job, demo). Both write
through `reconcile`, so they agree (tests/overlap/test_incremental.py proves it on random data).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import aliased

from coordhub.database import utcnow
from coordhub.extensions import db
from coordhub.overlap.core import Activity, Cluster, Overlap, OverlapIndex, OverlapKind, detect_overlaps
from coordhub.overlap.core import AdminArea as CoreArea
from coordhub.overlap.core.explain import overlap_reason
from coordhub.overlap.models import (
    ACTIVE_STATES,
    AlertEvent,
    AlertKind,
    AlertState,
    OverlapAlert,
    OverlapCluster,
)
from coordhub.reading.areas import AreaTree as CoreAreaTree
from coordhub.registry.models import (
    AdminArea,
    Operation,
    Organisation,
    Project,
    ResourceType,
    Sector,
    project_areas,
    project_partners,
)

KINDS = {
    OverlapKind.OVERLAP: AlertKind.overlap,
    OverlapKind.COMPLEMENTARY: AlertKind.complementary,
    OverlapKind.DUPLICATE_ENTRY: AlertKind.duplicate_entry,
    OverlapKind.DOUBLE_COUNT: AlertKind.double_count,
}

Progress = Callable[[float, str], None]


def activity_id(project_id: int) -> str:
    """Zero-padded, so the core's string order of ids (a.id < b.id) is the numeric order of project ids."""
    return f"{project_id:010d}"


@dataclass
class DetectionCounts:
    """What one detection run changed."""

    projects: int = 0
    pairs: int = 0
    raised: int = 0  # new alerts
    raised_again: int = 0  # dismissed or closed alerts opened again
    closed: int = 0  # active alerts whose pair no longer overlaps
    kept_dismissed: int = 0  # pairs found again but dismissed, with neither project changed since
    clusters: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class AreaTree:
    """An operation's admin areas as the core wants them (also numbered, as the core's tree), and the ids
    behind their P-codes."""

    areas: list[CoreArea]
    ids: dict[str, int]
    core: CoreAreaTree | None = None

    def __post_init__(self) -> None:
        if self.core is None:
            self.core = CoreAreaTree(self.areas)
        self.pcodes = {area_id: pcode for pcode, area_id in self.ids.items()}

    def around(self, area_ids: Iterable[int]) -> set[int]:
        """The areas that contain one of `area_ids` or lie within one (the areas themselves included): where
        projects that can overlap a project registered in `area_ids` are registered."""
        tree, found = self.core, set()
        for area_id in area_ids:
            node = tree.index.get(self.pcodes.get(area_id, ""))
            if node is None:
                continue
            for other in (*tree.ancestors(node), *tree.subtree(node)):
                found.add(self.ids[tree.areas[other].pcode])
        return found


# operation id -> (areas stamp, tree): each process keeps the trees it has built, and uses one only while the
# operation's stamp in the database is still the one it was built under (so a change made by any process is
# seen by all at their next detection).
_AREA_TREES: dict[int, tuple[str, AreaTree]] = {}


def load_area_tree(operation_id: int) -> AreaTree:
    stamp = db.session.scalar(sa.select(Operation.areas_stamp).where(Operation.id == operation_id)) or ""
    cached = _AREA_TREES.get(operation_id)
    if stamp and cached is not None and cached[0] == stamp:
        return cached[1]
    parent = aliased(AdminArea)
    rows = db.session.execute(
        sa.select(AdminArea.id, AdminArea.pcode, AdminArea.name, AdminArea.level, parent.pcode)
        .outerjoin(parent, parent.id == AdminArea.parent_id)
        .where(AdminArea.operation_id == operation_id)
    ).all()
    tree = AreaTree(
        [CoreArea(pcode, parent_pcode, name, level) for _, pcode, name, level, parent_pcode in rows],
        {pcode: area_id for area_id, pcode, *_ in rows},
    )
    if stamp:
        _AREA_TREES[operation_id] = (stamp, tree)
    return tree


def load_activities(
    operation_id: int, sector_ids: Iterable[int] | None = None, area_ids: Iterable[int] | None = None
) -> tuple[list[Activity], dict[int, int]]:
    """The operation's live (not archived) projects as core activities, optionally of some sectors only, and
    optionally only those registered in one of `area_ids` (and anywhere else too).

    Returns the activities and each project's sector id. Organisations are keyed by id (so name variants
    cannot split or merge them) and shown by acronym; implementing partners by id too.
    """
    where = [Project.operation_id == operation_id, Project.archived_at.is_(None)]
    if sector_ids is not None:
        where.append(Project.sector_id.in_(list(sector_ids)))
    chosen = sa.select(Project.id).where(*where)
    if area_ids is not None:
        # Ids first (the index by area, then primary keys): the plan does not depend on the statistics.
        around = sorted(
            set(
                db.session.scalars(
                    sa.select(project_areas.c.project_id).where(project_areas.c.admin_area_id.in_(sorted(area_ids)))
                )
            )
        )
        chosen = list(db.session.scalars(chosen.where(Project.id.in_(around)))) if around else []
        where.append(Project.id.in_(chosen))
    rows = db.session.execute(
        sa.select(
            Project.id,
            Project.organisation_id,
            Organisation.acronym,
            Organisation.name,
            Project.sector_id,
            Sector.name,
            ResourceType.name,
            Project.start_date,
            Project.end_date,
            Project.title,
            Project.description,
            Project.target_group,
            Project.beneficiaries_targeted,
        )
        .join(Organisation, Organisation.id == Project.organisation_id)
        .join(Sector, Sector.id == Project.sector_id)
        .outerjoin(ResourceType, ResourceType.id == Project.resource_type_id)
        .where(*where)
        .order_by(Project.id)
    ).all()
    pcodes: dict[int, list[str]] = defaultdict(list)
    for project_id, pcode in db.session.execute(
        sa.select(project_areas.c.project_id, AdminArea.pcode)
        .join(AdminArea, AdminArea.id == project_areas.c.admin_area_id)
        .where(project_areas.c.project_id.in_(chosen))
    ):
        pcodes[project_id].append(pcode)
    partners: dict[int, list[str]] = defaultdict(list)
    for project_id, organisation_id in db.session.execute(
        sa.select(project_partners.c.project_id, project_partners.c.organisation_id).where(
            project_partners.c.project_id.in_(chosen)
        )
    ):
        partners[project_id].append(str(organisation_id))
    activities, sectors = [], {}
    for (
        project_id,
        organisation_id,
        acronym,
        organisation_name,
        sector_id,
        sector_name,
        type_name,
        start,
        end,
        title,
        description,
        target_group,
        beneficiaries,
    ) in rows:
        sectors[project_id] = sector_id
        activities.append(
            Activity(
                id=activity_id(project_id),
                organisation=str(organisation_id),
                organisation_name=acronym or organisation_name,
                sector=sector_name,
                pcodes=tuple(sorted(pcodes[project_id])),
                activity_type=type_name or "",
                start=start,
                end=end,
                title=title,
                description=description or "",
                target_group=target_group or "",
                beneficiaries=beneficiaries,
                implementing_partners=tuple(sorted(partners[project_id])),
            )
        )
    return activities, sectors


def min_score() -> float:
    """Pairs scoring less raise no alert: config OVERLAP_MIN_SCORE, else COORDHUB_OVERLAP_MIN_SCORE, else 0 (all)."""
    default = float(os.environ.get("COORDHUB_OVERLAP_MIN_SCORE", "0") or 0)
    return float(current_app.config.get("OVERLAP_MIN_SCORE", default)) if has_app_context() else default


# --- dismissal memory ----------------------------------------------------------------------------


def project_signature(project: Project) -> str:
    """What dismissal remembers of a project: sector, admin areas and dates."""
    areas = ",".join(str(i) for i in sorted(a.id for a in project.areas))
    end = project.end_date.isoformat() if project.end_date else ""
    return f"{project.sector_id}|{areas}|{project.start_date.isoformat()}|{end}"


def pair_signature(alert: OverlapAlert) -> str:
    return f"{project_signature(alert.project_a)}#{project_signature(alert.project_b)}"


# --- writing alerts and clusters -----------------------------------------------------------------


def _alert_values(overlap: Overlap, sectors: dict[int, int], tree: AreaTree) -> dict:
    counted = overlap.counted_activity_id
    return {
        "organisation_a_id": int(overlap.a.organisation),
        "organisation_b_id": int(overlap.b.organisation),
        "sector_id": sectors[int(overlap.a.id)],
        "shared_area_id": tree.ids[overlap.shared_pcode],
        "relation": overlap.relation.value,
        "kind": KINDS[overlap.kind],
        "score": float(overlap.score),
        "overlap_start": overlap.start,
        "overlap_end": overlap.end,
        "days": overlap.days,
        "title_similarity": overlap.title_similarity,
        "counted_project_id": int(counted) if counted is not None else None,
        "explanation": overlap.explanation,
        "explanation_reason": overlap_reason(overlap),
    }


def _event(alert: OverlapAlert, to_state: AlertState, key: str, now) -> None:
    alert.events.append(AlertEvent(at=now, user_id=None, from_state=alert.state, to_state=to_state, comment=key))
    alert.state, alert.resolution, alert.changed_at = to_state, None, now


# Up to this many new alerts, their ids come back from the INSERT itself.
RETURNING_ROWS = 2000


def reconcile(
    operation_id: int,
    found: Iterable[Overlap],
    existing: Iterable[OverlapAlert],
    sectors: dict[int, int],
    tree: AreaTree,
    counts: DetectionCounts,
) -> None:
    """Make the stored alerts in `existing` (the scope looked at) match the pairs `found`.

    New pairs raise an open alert; found pairs update their alert's figures; a closed alert, or a dismissed
    one whose projects changed sector, areas or dates since, opens again; active alerts of the scope not
    found any more are closed. Every state change gets an event by detection (user None). New alerts are
    written in bulk (a first full detection may raise hundreds of thousands).
    """
    now = utcnow()
    by_pair = {(alert.project_a_id, alert.project_b_id): alert for alert in existing}
    seen: set[tuple[int, int]] = set()
    new_rows = []
    for overlap in found:
        pair = (int(overlap.a.id), int(overlap.b.id))
        seen.add(pair)
        counts.pairs += 1
        values = _alert_values(overlap, sectors, tree)
        alert = by_pair.get(pair)
        if alert is None:
            new_rows.append(
                {
                    "operation_id": operation_id,
                    "project_a_id": pair[0],
                    "project_b_id": pair[1],
                    "state": AlertState.open,
                    "resolution": None,
                    "dismissed_signature": None,
                    "created_at": now,
                    "changed_at": now,
                    "detected_at": now,
                    **values,
                }
            )
            continue
        changed = {field: value for field, value in values.items() if getattr(alert, field) != value}
        if changed:
            for field, value in changed.items():
                setattr(alert, field, value)
            alert.detected_at = now
        if alert.state is AlertState.closed:
            _event(alert, AlertState.open, "overlaps_again", now)
            counts.raised_again += 1
        elif alert.state is AlertState.dismissed:
            if alert.dismissed_signature != pair_signature(alert):
                _event(alert, AlertState.open, "raised_again", now)
                alert.dismissed_signature = None
                counts.raised_again += 1
            else:
                counts.kept_dismissed += 1
    for pair, alert in by_pair.items():
        if pair not in seen and alert.state in ACTIVE_STATES:
            _event(alert, AlertState.closed, "no_longer_overlaps", now)
            counts.closed += 1
    if len(new_rows) <= RETURNING_ROWS:  # a save: a few new alerts, their ids straight from the INSERT
        new_ids = (
            db.session.scalars(sa.insert(OverlapAlert.__table__).returning(OverlapAlert.id), new_rows).all()
            if new_rows
            else []
        )
    else:
        floor = db.session.scalar(sa.select(sa.func.max(OverlapAlert.id))) or 0
        db.session.execute(sa.insert(OverlapAlert.__table__), new_rows)
        # Every alert gets its first event when raised, so the new ones are those above the old highest id
        # without any (cheaper than RETURNING in parameter order, which doubles the insert on PostgreSQL).
        new_ids = db.session.scalars(
            sa.select(OverlapAlert.id).where(
                OverlapAlert.id > floor,
                OverlapAlert.operation_id == operation_id,
                ~sa.exists().where(AlertEvent.alert_id == OverlapAlert.id),
            )
        ).all()
    if new_rows:
        db.session.execute(
            sa.insert(AlertEvent.__table__),
            [
                {
                    "alert_id": alert_id,
                    "at": now,
                    "user_id": None,
                    "from_state": None,
                    "to_state": AlertState.open,
                    "resolution": None,
                    "comment": "raised",
                }
                for alert_id in new_ids
            ],
        )
        counts.raised += len(new_rows)
    from coordhub.notifications.events import alerts_detected  # tell the organisations' users

    changed_now = [alert for alert in by_pair.values() if alert.changed_at == now]
    alerts_detected(
        new_ids if new_rows else [],
        reopened=[a.id for a in changed_now if a.state is AlertState.open],
        closed=[a.id for a in changed_now if a.state is AlertState.closed],
    )


def _cluster_key(sector_id, area_id, start, end, count, project_ids, linked_ids) -> tuple:
    return (sector_id, area_id, start, end, count, tuple(sorted(project_ids)), tuple(sorted(linked_ids)))


def _store_clusters(
    operation_id: int,
    clusters: Iterable[Cluster],
    sector_ids: dict[str, int],
    tree: AreaTree,
    only_sectors: Iterable[int] | None,
    counts: DetectionCounts,
    only_areas: Iterable[int] | None = None,
) -> None:
    """Make the stored clusters of the operation (or of some of its sectors only, in some areas only) the ones
    given: clusters that did not change are left alone, so a save rewrites only the few it touched."""
    query = sa.select(OverlapCluster).where(OverlapCluster.operation_id == operation_id)
    if only_sectors is not None:
        query = query.where(OverlapCluster.sector_id.in_(list(only_sectors)))
    if only_areas is not None:
        query = query.where(OverlapCluster.admin_area_id.in_(sorted(only_areas)))
    stored = {
        _cluster_key(
            c.sector_id,
            c.admin_area_id,
            c.start_date,
            c.end_date,
            c.organisation_count,
            c.project_ids,
            c.linked_project_ids,
        ): c
        for c in db.session.scalars(query)
    }
    wanted = {}
    for cluster in clusters:
        values = {
            "sector_id": sector_ids[cluster.sector],
            "admin_area_id": tree.ids[cluster.area.pcode],
            "start_date": cluster.start,
            "end_date": cluster.end,
            "organisation_count": cluster.organisation_count,
            "project_ids": sorted(int(i) for i in cluster.activity_ids),
            "linked_project_ids": sorted(int(i) for i in cluster.linked_activity_ids),
        }
        wanted[_cluster_key(*values.values())] = values
    for key, cluster in stored.items():
        if key not in wanted:
            db.session.delete(cluster)
    now = utcnow()
    for key, values in wanted.items():
        if key not in stored:
            db.session.add(OverlapCluster(operation_id=operation_id, detected_at=now, **values))
    counts.clusters += len(wanted)


def _sector_names(activities: Iterable[Activity], sectors: dict[int, int]) -> dict[str, int]:
    return {a.sector: sectors[int(a.id)] for a in activities}


# --- incremental ---------------------------------------------------------------------------------

PENDING = "overlap_pending_projects"  # session.info: project id -> sectors it left in this transaction
LEFT_AREAS = "overlap_left_areas"  # session.info: project id -> P-codes of the areas it left in this transaction


# Above this many projects saved in one transaction, detection runs in full over their sectors.
BULK_CHANGES = 500
# Ids per IN (...) list: PostgreSQL takes at most 65,535 parameters in one statement.
ID_CHUNK = 5000


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start : start + ID_CHUNK]


def detect_for_projects(changed: dict[int, set[int]], left_areas: dict[int, set[str]] | None = None) -> DetectionCounts:
    """Reconcile the alerts of projects just created, changed, archived or restored (no commit).

    `changed` maps each project id to the sectors it moved out of, `left_areas` to the P-codes of the areas
    it left. A few projects (a form, the API): only the projects around them are loaded (their sector, in
    their areas or above or below them, see _detect_around); every pair involving one of them is checked
    with the core's OverlapIndex, and the clusters of their cells are recomputed. Many projects (an import):
    their whole sectors are loaded once (one query each for projects, areas and partners).
    """
    counts = DetectionCounts()
    left_areas = left_areas or {}
    projects = [
        project
        for chunk in _chunks(list(changed))
        for project in db.session.scalars(sa.select(Project).where(Project.id.in_(chunk)))
    ]
    by_operation: dict[int, list[Project]] = defaultdict(list)
    for project in projects:
        by_operation[project.operation_id].append(project)
    for operation_id, group in by_operation.items():
        tree = load_area_tree(operation_id)
        whole = set()
        if len(group) <= BULK_CHANGES and min_score() == 0:
            by_sector: dict[int, list[Project]] = defaultdict(list)
            for project in group:
                by_sector[project.sector_id].append(project)
            for sector_id, members in by_sector.items():
                if not _detect_around(operation_id, sector_id, members, left_areas, tree, counts):
                    whole.add(sector_id)
        else:
            whole = {p.sector_id for p in group}
        if whole:
            _detect_in_sectors(operation_id, [p for p in group if p.sector_id in whole], whole, tree, counts)
        left = {s for p in group for s in changed[p.id]} - {p.sector_id for p in group}
        if left:
            old, old_sectors = load_activities(operation_id, left)
            _store_clusters(
                operation_id,
                OverlapIndex(old, tree.areas, tree=tree.core).clusters(),
                _sector_names(old, old_sectors),
                tree,
                left,
                counts,
            )
    return counts


def _existing_alerts(project_ids: list[int]) -> list[OverlapAlert]:
    existing: dict[int, OverlapAlert] = {}
    for chunk in _chunks(project_ids):
        for alert in db.session.scalars(
            sa.select(OverlapAlert).where(
                sa.or_(OverlapAlert.project_a_id.in_(chunk), OverlapAlert.project_b_id.in_(chunk))
            )
        ):
            existing[alert.id] = alert
    return list(existing.values())


def _detect_in_sectors(
    operation_id: int, group: list[Project], sector_ids: set[int], tree: AreaTree, counts: DetectionCounts
) -> None:
    """The projects of `group` against their whole sectors; all the sectors' clusters recomputed."""
    activities, sectors = load_activities(operation_id, sector_ids)
    index = OverlapIndex(activities, tree.areas, min_score=min_score(), tree=tree.core)
    counts.projects += len(activities)
    found: dict[tuple[str, str], Overlap] = {}
    if len(group) > BULK_CHANGES:
        # Many projects at once (an import): one full detection over their sectors finds the same
        # pairs as checking each project, far faster.
        touched = {activity_id(p.id) for p in group}
        for overlap in index.overlaps().overlaps:
            if overlap.a.id in touched or overlap.b.id in touched:
                found[overlap.key] = overlap
    else:
        for project in group:
            own = index.get(activity_id(project.id))  # None when archived: no overlaps any more
            for overlap in index.check(own) if own is not None else ():
                found[overlap.key] = overlap
    reconcile(operation_id, found.values(), _existing_alerts([p.id for p in group]), sectors, tree, counts)
    _store_clusters(operation_id, index.clusters(), _sector_names(activities, sectors), tree, sector_ids, counts)


def _detect_around(
    operation_id: int,
    sector_id: int,
    group: list[Project],
    left_areas: dict[int, set[str]],
    tree: AreaTree,
    counts: DetectionCounts,
) -> bool:
    """The projects of `group` (all of `sector_id`) against the projects that can overlap them, and the
    clusters of their cells (their sector in each area they are or were registered in). Loaded: the sector's
    projects registered in those areas, above or below them, and around the areas of every project of those
    cells (whose double counts decide what a cluster counts). Indexed queries, whatever the operation's size.

    Returns False, having written nothing, when a project of `group` is or was in a double count: that may
    change what other projects' clusters count elsewhere in the sector, which the caller then recomputes."""
    ids = [p.id for p in group]
    cells = set(db.session.scalars(sa.select(project_areas.c.admin_area_id).where(project_areas.c.project_id.in_(ids))))
    cells |= {tree.ids[pcode] for p in group for pcode in left_areas.get(p.id, ()) if pcode in tree.ids}
    existing = _existing_alerts(ids)
    if any(alert.kind is AlertKind.double_count for alert in existing):
        return False
    in_cells = (
        sa.select(project_areas.c.project_id)
        .join(Project, Project.id == project_areas.c.project_id)
        .where(
            project_areas.c.admin_area_id.in_(sorted(cells)),
            Project.sector_id == sector_id,
            Project.operation_id == operation_id,
            Project.archived_at.is_(None),
        )
    )
    member_areas = set(
        db.session.scalars(
            sa.select(project_areas.c.admin_area_id).distinct().where(project_areas.c.project_id.in_(in_cells))
        )
    )
    activities, sectors = load_activities(operation_id, [sector_id], tree.around(cells | member_areas))
    index = OverlapIndex(activities, tree.areas, min_score=min_score(), tree=tree.core)
    counts.projects += len(activities)
    found: dict[tuple[str, str], Overlap] = {}
    for project in group:
        own = index.get(activity_id(project.id))  # None when archived: no overlaps any more
        for overlap in index.check(own) if own is not None else ():
            if overlap.kind is OverlapKind.DOUBLE_COUNT:
                return False
            found[overlap.key] = overlap
    names = _sector_names(activities, sectors)
    sector_name = next((name for name, sid in names.items() if sid == sector_id), None)
    clusters = index.clusters_in(sector_name, [tree.pcodes[a] for a in cells]) if sector_name else []
    reconcile(operation_id, found.values(), existing, sectors, tree, counts)
    _store_clusters(operation_id, clusters, names, tree, [sector_id], counts, only_areas=cells)
    return True


def note_saved_project(project: Project, user=None, created: bool = False, changes: dict | None = None, **_):
    """Sent by registry operations inside their transaction: note the project; detection runs just before
    the transaction commits (see detect_before_commit), once for all projects saved in it."""
    moved = (changes or {}).get("sector_id")
    left = db.session.info.setdefault(PENDING, {}).setdefault(project.id, set())
    if moved and not created and moved[0] is not None:
        left.add(moved[0])
    areas = (changes or {}).get("areas")
    if areas and not created:
        db.session.info.setdefault(LEFT_AREAS, {}).setdefault(project.id, set()).update(areas[0] or ())


def detect_before_commit(session) -> None:
    """Session "before_commit": detection for the projects saved in the transaction."""
    changed = session.info.pop(PENDING, None)
    left_areas = session.info.pop(LEFT_AREAS, None)
    if changed:
        detect_for_projects(changed, left_areas)  # its writes are flushed by this same commit


def forget_saved_projects(session) -> None:
    """Session "after_rollback": the rolled-back saves need no detection."""
    session.info.pop(PENDING, None)
    session.info.pop(LEFT_AREAS, None)


# --- full ----------------------------------------------------------------------------------------


def detect_operation(operation: Operation, progress: Progress | None = None) -> DetectionCounts:
    """Full detection over every live project of `operation`; reconciles all its alerts and clusters.

    Commits once, at the end (progress is reported only before any write, see coordhub.jobs.runner).
    """
    import time

    began = time.perf_counter()
    report = progress or (lambda fraction, message="": None)
    counts = DetectionCounts()
    report(0.05, "Loading projects and admin areas")
    tree = load_area_tree(operation.id)
    activities, sectors = load_activities(operation.id)
    counts.projects = len(activities)
    report(0.2, f"Detecting overlaps among {len(activities)} projects")
    result = detect_overlaps(activities, tree.areas, min_score=min_score())
    report(0.6, f"Recording {len(result.overlaps)} pairs and {len(result.clusters)} clusters")
    existing = db.session.scalars(sa.select(OverlapAlert).where(OverlapAlert.operation_id == operation.id)).all()
    reconcile(operation.id, result.overlaps, existing, sectors, tree, counts)
    _store_clusters(operation.id, result.clusters, _sector_names(activities, sectors), tree, None, counts)
    db.session.commit()
    counts.seconds = round(time.perf_counter() - began, 3)
    return counts


def linked_project_ids(operation_id: int) -> set[int]:
    """Funders' reports duplicating their partners' (double counts not dismissed), left out of coverage."""
    rows = db.session.execute(
        sa.select(OverlapAlert.project_a_id, OverlapAlert.project_b_id, OverlapAlert.counted_project_id).where(
            OverlapAlert.operation_id == operation_id,
            OverlapAlert.kind == AlertKind.double_count,
            OverlapAlert.state.not_in([AlertState.dismissed, AlertState.closed]),
            OverlapAlert.counted_project_id.is_not(None),
        )
    )
    return {b if counted == a else a for a, b, counted in rows}


def check_unsaved(operation_id: int, sector_id: int, activity: Activity) -> list[Overlap]:
    """The overlaps an unsaved project would have with the stored ones of its sector (nothing written).

    `activity.id` is the project's when it is an edit (its stored version is then not compared)."""
    tree = load_area_tree(operation_id)
    activities, _ = load_activities(operation_id, [sector_id])
    return OverlapIndex(activities, tree.areas, min_score=min_score(), tree=tree.core).check(activity)
