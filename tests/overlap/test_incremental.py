"""Property: the alerts and clusters that incremental detection keeps while projects are created, changed,
archived and restored are exactly those full detection finds on the same data."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from coordhub.extensions import db
from coordhub.overlap.detection import detect_operation
from coordhub.overlap.models import AlertState, OverlapAlert, OverlapCluster
from coordhub.registry import operations as ops
from coordhub.registry.models import Project
from tests.overlap.helpers import save_project

PCODES = ["CF", "CF63", "CF632", "CF632", "CF633", "CF711"]  # Bozoum twice: more pairs and clusters
TYPES = ["EDU-CLASSROOM", "EDU-TEACHER-TRAIN", "HEALTH-MOBILE-CLINIC"]
USERS = ["focal", "other_focal", "local_focal", "coordinator"]
TITLES = ["Classrooms", "Classroom rehabilitation", "Mobile clinic", ""]
FIRST = date(2026, 1, 1)

placement = st.fixed_dictionaries(
    {
        "pcodes": st.lists(st.sampled_from(PCODES), min_size=1, max_size=2).map(lambda p: sorted(set(p))),
        "type_code": st.sampled_from(TYPES),
        "start": st.integers(0, 40),
        "length": st.none() | st.integers(0, 60),
        "title": st.sampled_from(TITLES),
        "partner": st.none() | st.sampled_from(USERS),
    }
)
create = st.tuples(st.just("create"), st.sampled_from(USERS), placement)
step = st.one_of(
    create,
    create,
    st.tuples(st.just("update"), st.integers(0, 20), placement),
    st.tuples(st.just("archive"), st.integers(0, 20), st.booleans()),
)


def _fields(world, values: dict) -> dict:
    start = FIRST + timedelta(days=values["start"])
    partner = world.users[values["partner"]].organisation_id if values["partner"] else None
    return {
        "start_date": start,
        "end_date": None if values["length"] is None else start + timedelta(values["length"]),
        "title": values["title"] or "Untitled",
        "description": "",
        "partner_ids": [partner] if partner is not None else [],
    }


def _apply(world, steps) -> None:
    projects: list[Project] = []
    for action, who, values in steps:
        if action == "create":
            user = world.users[who]
            fields = _fields(world, values)
            if user.organisation_id in fields["partner_ids"]:
                fields["partner_ids"] = []
            projects.append(save_project(user, world.operation, values["pcodes"], values["type_code"], **fields))
        elif projects:
            project = projects[who % len(projects)]
            owner = next(
                u
                for u in world.users.values()
                if u.organisation_id == project.organisation_id and u.role.value in ("focal_point", "coordinator")
            )
            if action == "update":
                fields = _fields(world, values)
                if project.organisation_id in fields["partner_ids"]:
                    fields["partner_ids"] = []
                save_project(owner, world.operation, values["pcodes"], values["type_code"], project=project, **fields)
            else:
                ops.set_archived(owner, project, values)


def _alerts() -> dict[tuple[int, int], tuple]:
    return {
        (a.project_a_id, a.project_b_id): (
            a.kind,
            a.score,
            a.shared_area_id,
            a.relation,
            a.overlap_start,
            a.overlap_end,
            a.days,
            a.counted_project_id,
            a.explanation,
            a.organisation_a_id,
            a.organisation_b_id,
            a.sector_id,
            a.state,
        )
        for a in db.session.scalars(sa.select(OverlapAlert))
    }


def _clusters() -> set[tuple]:
    return {
        (
            c.sector_id,
            c.admin_area_id,
            c.start_date,
            c.end_date,
            c.organisation_count,
            tuple(sorted(c.project_ids)),
            tuple(sorted(c.linked_project_ids)),
        )
        for c in db.session.scalars(sa.select(OverlapCluster))
    }


def _clear(world, projects_too: bool) -> None:
    db.session.execute(sa.delete(OverlapAlert))
    db.session.execute(sa.delete(OverlapCluster))
    if projects_too:
        db.session.execute(sa.delete(Project).where(Project.operation_id == world.operation.id))
    db.session.commit()
    db.session.expire_all()


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=3, max_size=16))
def test_incremental_detection_equals_full_detection(world, steps):
    try:
        _apply(world, steps)
        incremental, clusters = _alerts(), _clusters()
        event(
            f"alerts: {min(len(incremental), 5)}{'+' if len(incremental) >= 5 else ''}, clusters: {bool(clusters)}, "
            f"some closed: {any(f[-1] is AlertState.closed for f in incremental.values())}"
        )
        # full detection over what incremental detection kept changes nothing …
        counts = detect_operation(world.operation)
        assert (counts.raised, counts.raised_again, counts.closed) == (0, 0, 0)
        assert _alerts() == incremental and _clusters() == clusters
        # … and from nothing it finds exactly the pairs still open, with the same figures, and the same clusters
        _clear(world, projects_too=False)
        detect_operation(world.operation)
        still_open = {pair: figures for pair, figures in incremental.items() if figures[-1] is AlertState.open}
        assert _alerts() == still_open
        assert _clusters() == clusters
        assert all(figures[-1] in (AlertState.open, AlertState.closed) for figures in incremental.values())
    finally:
        db.session.rollback()
        _clear(world, projects_too=True)


def test_many_projects_in_one_transaction_take_the_bulk_path_and_match_full_detection(world, monkeypatch):
    """An import saves thousands of projects in one transaction: detection then runs in full over their
    sectors, and loads ids in chunks (PostgreSQL takes at most 65,535 parameters in one statement)."""
    from coordhub.overlap import detection
    from tests import factories

    monkeypatch.setattr(detection, "BULK_CHANGES", 2)
    monkeypatch.setattr(detection, "ID_CHUNK", 2)
    rtype = factories.resource_type("EDU-CLASSROOM")
    try:
        for index, (who, pcode) in enumerate(
            [
                ("focal", "CF632"),
                ("other_focal", "CF63"),
                ("coordinator", "CF632"),
                ("local_focal", "CF633"),
                ("focal", "CF711"),
                ("other_focal", "CF"),
            ]
        ):
            ops.save_record(
                world.users[who],
                world.operation,
                Project,
                {
                    "title": f"Classrooms {index}",
                    "sector_id": rtype.sector_id,
                    "resource_type_id": rtype.id,
                    "area_ids": [factories.area(world.operation, pcode).id],
                    "start_date": FIRST,
                    "end_date": FIRST + timedelta(days=90),
                },
                commit=False,
            )
        db.session.commit()
        bulk, clusters = _alerts(), _clusters()
        assert len(bulk) >= 8
        _clear(world, projects_too=False)
        detect_operation(world.operation)
        assert _alerts() == bulk and _clusters() == clusters
    finally:
        db.session.rollback()
        _clear(world, projects_too=True)
