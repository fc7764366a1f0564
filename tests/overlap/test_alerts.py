"""Stored overlap alerts: raised on save, kept in step with edits and archives, lifecycle, dismissal memory."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from coordhub.errors import PermissionDenied, ValidationError
from coordhub.extensions import db
from coordhub.overlap import operations as overlap_ops
from coordhub.overlap.detection import detect_operation, linked_project_ids
from coordhub.overlap.models import AlertKind, AlertState, OverlapCluster, Resolution
from coordhub.registry import operations as ops
from tests import factories
from tests.overlap.helpers import alert_between, alerts, save_project


def test_saving_an_overlapping_project_raises_an_alert_with_its_figures(world):
    mine = save_project(world.users["focal"], world.operation, ("CF632",), title="Classrooms Bozoum")
    assert alerts() == []
    theirs = save_project(
        world.users["other_focal"],
        world.operation,
        ("CF63",),
        title="Classrooms Ouham-Pendé",
        start_date=date(2026, 6, 1),
        end_date=None,
    )
    alert = alert_between(mine, theirs)
    assert alert.kind is AlertKind.overlap and alert.state is AlertState.open
    assert (alert.organisation_a_id, alert.organisation_b_id) == (world.ngo.id, world.other_ngo.id)
    assert alert.shared_area.pcode == "CF632" and alert.relation == "within"
    assert (alert.overlap_start, alert.overlap_end, alert.days) == (date(2026, 6, 1), date(2026, 6, 30), 30)
    assert 0 < alert.score < 1
    assert "NGOA and NGOB" in alert.explanation and "Bozoum (CF632) lies within Ouham-Pendé (CF63)" in alert.explanation
    assert [(e.to_state, e.user_id, e.comment) for e in alert.events] == [(AlertState.open, None, "raised")]


def test_touching_dates_share_one_day_and_other_sectors_or_places_do_not_overlap(world):
    first = save_project(world.users["focal"], world.operation, ("CF632",), end_date=date(2026, 6, 30))
    touching = save_project(
        world.users["other_focal"], world.operation, ("CF632",), start_date=date(2026, 6, 30), end_date=date(2026, 8, 1)
    )
    assert alert_between(first, touching).days == 1
    save_project(world.users["other_focal"], world.operation, ("CF711",))  # elsewhere
    save_project(world.users["other_focal"], world.operation, ("CF632",), "HEALTH-MOBILE-CLINIC")  # other sector
    save_project(
        world.users["local_focal"], world.operation, ("CF632",), start_date=date(2026, 8, 2), end_date=date(2026, 9, 1)
    )  # after both
    assert len(alerts()) == 1


def test_kinds_duplicate_entry_complementary_and_double_count(world):
    focal, other = world.users["focal"], world.users["other_focal"]
    first = save_project(focal, world.operation, ("CF632",), title="Classrooms")
    again = save_project(focal, world.operation, ("CF632",), title="Classrooms")
    assert alert_between(first, again).kind is AlertKind.duplicate_entry
    training = save_project(other, world.operation, ("CF632",), "EDU-TEACHER-TRAIN", title="Teacher training")
    assert alert_between(first, training).kind is AlertKind.complementary
    assert alert_between(first, training).score < alert_between(first, again).score
    # NGOB funds NGOA for the same intervention and both report it: one intervention, counted once.
    funded = save_project(other, world.operation, ("CF632",), title="Classrooms", partner_ids=[world.ngo.id])
    alert = alert_between(first, funded)
    assert alert.kind is AlertKind.double_count and alert.counted_project_id == first.id
    assert alert.linked_project_id == funded.id and funded.id in linked_project_ids(world.operation.id)
    assert "names NGOA as implementing partner" in alert.explanation


def test_an_alert_closes_when_the_pair_no_longer_overlaps_and_opens_again(world):
    mine = save_project(world.users["focal"], world.operation, ("CF632",))
    theirs = save_project(world.users["other_focal"], world.operation, ("CF632",))
    alert = alert_between(mine, theirs)
    save_project(world.users["other_focal"], world.operation, ("CF711",), project=theirs, type_code=None)
    assert alert.state is AlertState.closed and alert.events[-1].comment == "no_longer_overlaps"
    assert alert.events[-1].user_id is None
    save_project(world.users["other_focal"], world.operation, ("CF633", "CF632"), project=theirs, type_code=None)
    assert alert.state is AlertState.open and alert.events[-1].comment == "overlaps_again"
    ops.set_archived(world.users["focal"], mine, True)
    assert alert.state is AlertState.closed
    ops.set_archived(world.users["focal"], mine, False)
    assert alert.state is AlertState.open
    # a change of sector closes it as well
    save_project(world.users["other_focal"], world.operation, None, "HEALTH-MOBILE-CLINIC", project=theirs)
    assert alert.state is AlertState.closed and len(alerts()) == 1


def _open_alert(world):
    mine = save_project(world.users["focal"], world.operation, ("CF632",))
    theirs = save_project(world.users["other_focal"], world.operation, ("CF632",))
    return mine, theirs, alert_between(mine, theirs)


def test_lifecycle_open_acknowledged_resolved_reopened(world):
    _mine, _theirs, alert = _open_alert(world)
    focal, other = world.users["focal"], world.users["other_focal"]
    overlap_ops.change_state(focal, alert, "acknowledged", None, "We will call them.")
    overlap_ops.change_state(other, alert, "resolved", "coordinated", "Split the schools between us.")
    assert (alert.state, alert.resolution) == (AlertState.resolved, Resolution.coordinated)
    overlap_ops.change_state(world.users["coordinator"], alert, "open", None, "The split did not happen.")
    overlap_ops.change_state(focal, alert, "resolved", "merged", "One project now.")
    history = [(e.from_state, e.to_state, e.resolution, e.user_id, e.comment) for e in alert.events]
    assert history[1:] == [
        (AlertState.open, AlertState.acknowledged, None, focal.id, "We will call them."),
        (
            AlertState.acknowledged,
            AlertState.resolved,
            Resolution.coordinated,
            other.id,
            "Split the schools between us.",
        ),
        (AlertState.resolved, AlertState.open, None, world.users["coordinator"].id, "The split did not happen."),
        (AlertState.open, AlertState.resolved, Resolution.merged, focal.id, "One project now."),
    ]
    assert all(e.at is not None for e in alert.events)
    # resolved alerts stay resolved when detection runs again (only dismissals have a memory)
    detect_operation(world.operation)
    assert alert.state is AlertState.resolved


@pytest.mark.parametrize(
    "state, resolution, comment, field",
    [
        ("resolved", None, "done", "resolution"),
        ("resolved", "somehow", "done", "resolution"),
        ("acknowledged", "merged", "done", "resolution"),
        ("acknowledged", None, "  ", "comment"),
        ("acknowledged", None, "x" * 2001, "comment"),
        ("closed", None, "done", "state"),
        ("everything", None, "done", "state"),
        ("open", None, "done", "state"),  # already open
    ],
)
def test_invalid_changes_are_refused_naming_the_field(world, state, resolution, comment, field):
    *_, alert = _open_alert(world)
    with pytest.raises(ValidationError) as error:
        overlap_ops.change_state(world.users["focal"], alert, state, resolution, comment)
    assert error.value.field == field
    db.session.rollback()
    assert alert.state is AlertState.open and len(alert.events) == 1


def test_closed_alerts_cannot_be_changed_by_people(world):
    mine, _theirs, alert = _open_alert(world)
    ops.set_archived(world.users["focal"], mine, True)
    with pytest.raises(ValidationError):
        overlap_ops.change_state(world.users["coordinator"], alert, "open", None, "Please")


def test_only_the_two_organisations_focal_points_and_coordinators_change_state(world):
    *_, alert = _open_alert(world)
    for name in ("viewer", "local_focal", "outsider"):
        with pytest.raises(PermissionDenied):
            overlap_ops.change_state(world.users[name], alert, "acknowledged", None, "Seen")
    overlap_ops.change_state(world.users["admin"], alert, "acknowledged", None, "Seen by the admin")
    overlap_ops.change_state(world.users["coordinator"], alert, "dismissed", None, "Different schools")
    assert alert.state is AlertState.dismissed


def test_a_dismissed_pair_is_not_raised_again_until_sector_area_or_dates_change(world):
    focal, other = world.users["focal"], world.users["other_focal"]
    mine, theirs, alert = _open_alert(world)
    overlap_ops.change_state(focal, alert, "dismissed", None, "Different schools in the same town.")
    # changes that are not sector, area or dates: stays dismissed, also after a full detection
    save_project(other, world.operation, None, None, project=theirs, title="Renamed", budget=1000.0)
    detect_operation(world.operation)
    assert alert.state is AlertState.dismissed
    # dates change: raised again, by detection
    save_project(other, world.operation, None, None, project=theirs, end_date=date(2026, 7, 31))
    assert alert.state is AlertState.open and alert.events[-1].comment == "raised_again"
    assert alert.dismissed_signature is None
    # dismissed again; an area change raises it again
    overlap_ops.change_state(focal, alert, "dismissed", None, "Still different schools.")
    save_project(focal, world.operation, ("CF632", "CF633"), None, project=mine)
    assert alert.state is AlertState.open
    # dismissed again; a sector change and back (to a type of the same sector) raises it again
    overlap_ops.change_state(focal, alert, "dismissed", None, "Still different schools.")
    save_project(focal, world.operation, None, "EDU-SCHOOL-KIT", project=mine)
    assert alert.state is AlertState.dismissed  # same sector: not a change of sector, area or dates
    save_project(focal, world.operation, None, "HEALTH-MOBILE-CLINIC", project=mine)
    assert alert.state is AlertState.dismissed  # no longer overlapping: nothing to raise
    save_project(focal, world.operation, None, "EDU-CLASSROOM", project=mine)
    assert alert.state is AlertState.dismissed  # back to what was dismissed: still not an overlap
    save_project(focal, world.operation, None, "HEALTH-MOBILE-CLINIC", project=mine)
    save_project(other, world.operation, None, "HEALTH-MOBILE-CLINIC", project=theirs)
    assert alert.state is AlertState.open and alert.sector.code == "HEALTH"


def test_full_detection_agrees_with_what_saves_did_and_repairs_missing_alerts(world):
    factories.make_project(world.operation, world.ngo, ["CF632"])  # written around the operations: no signal
    factories.make_project(world.operation, world.other_ngo, ["CF63"])
    save_project(world.users["local_focal"], world.operation, ("CF711",))
    assert alerts() == []
    counts = detect_operation(world.operation)
    assert (counts.projects, counts.pairs, counts.raised, counts.closed) == (3, 1, 1, 0)
    again = detect_operation(world.operation)
    assert (again.raised, again.raised_again, again.closed) == (0, 0, 0)


def test_clusters_of_more_than_two_organisations_are_stored_and_follow_changes(world):
    users = [world.users["focal"], world.users["other_focal"], world.users["local_focal"]]
    projects = [save_project(user, world.operation, ("CF632",)) for user in users[:2]]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OverlapCluster)) == 0
    third = save_project(world.users["coordinator"], world.operation, ("CF632",))
    cluster = db.session.scalar(sa.select(OverlapCluster))
    assert cluster.organisation_count == 3 and cluster.area.pcode == "CF632"
    assert sorted(cluster.project_ids) == sorted([p.id for p in projects] + [third.id])
    save_project(world.users["coordinator"], world.operation, None, "HEALTH-MOBILE-CLINIC", project=third)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OverlapCluster)) == 0


PATHS = {  # how to bring a fresh alert into each state, as (state, resolution) steps
    AlertState.open: [],
    AlertState.acknowledged: [("acknowledged", None)],
    AlertState.resolved: [("resolved", "coordinated")],
    AlertState.dismissed: [("dismissed", None)],
}


@pytest.mark.parametrize("start", list(PATHS))
@pytest.mark.parametrize("target", [s for s in AlertState if s is not AlertState.closed])
def test_every_transition_is_allowed_or_refused_as_the_lifecycle_says(world, start, target):
    *_, alert = _open_alert(world)
    for state, resolution in PATHS[start]:
        overlap_ops.change_state(world.users["focal"], alert, state, resolution, "step")
    resolution = "merged" if target is AlertState.resolved else None
    if target in overlap_ops.TRANSITIONS[start]:
        overlap_ops.change_state(world.users["other_focal"], alert, target.value, resolution, "why")
        assert alert.state is target and alert.events[-1].from_state is start
        assert (alert.resolution is not None) == (target is AlertState.resolved)
    else:
        with pytest.raises(ValidationError):
            overlap_ops.change_state(world.users["other_focal"], alert, target.value, resolution, "why")
    allowed = {(s, t) for s, targets in overlap_ops.TRANSITIONS.items() for t in targets}
    assert allowed == {
        (AlertState.open, AlertState.acknowledged),
        (AlertState.open, AlertState.resolved),
        (AlertState.open, AlertState.dismissed),
        (AlertState.acknowledged, AlertState.resolved),
        (AlertState.acknowledged, AlertState.dismissed),
        (AlertState.acknowledged, AlertState.open),
        (AlertState.resolved, AlertState.open),
        (AlertState.dismissed, AlertState.open),
    }
