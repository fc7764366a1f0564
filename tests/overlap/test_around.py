"""Detection on a save loads only the projects around it, and the area tree each process keeps is replaced as
soon as the operation's areas change (whichever process changed them)."""

from __future__ import annotations

import sqlalchemy as sa

from coordhub.extensions import db
from coordhub.overlap import detection
from coordhub.overlap.models import OverlapAlert
from coordhub.registry import operations as ops
from coordhub.registry.admin_areas import AreaRecord
from coordhub.registry.models import Operation
from tests.overlap.helpers import save_project


def test_a_save_loads_only_the_projects_that_can_overlap_it(world, monkeypatch):
    focal, other = world.users["focal"], world.users["other_focal"]
    for pcode in ("CF711", "CF711", "CF71"):  # Bria and its prefecture: nothing to do with Bozoum
        save_project(other, world.operation, (pcode,))
    near = save_project(other, world.operation, ("CF63",))  # the prefecture above Bozoum
    loaded = []
    original = detection.load_activities

    def spy(*args, **kwargs):
        activities, sectors = original(*args, **kwargs)
        loaded.append({int(a.id) for a in activities})
        return activities, sectors

    monkeypatch.setattr(detection, "load_activities", spy)
    project = save_project(focal, world.operation, ("CF632",))
    assert loaded == [{near.id, project.id}]
    pairs = set(
        db.session.execute(
            sa.select(OverlapAlert.project_a_id, OverlapAlert.project_b_id).where(
                sa.or_(OverlapAlert.project_a_id == project.id, OverlapAlert.project_b_id == project.id)
            )
        ).all()
    )
    assert pairs == {(near.id, project.id)}


def test_the_area_tree_is_kept_until_the_areas_change(world):
    operation_id = world.operation.id
    first = detection.load_area_tree(operation_id)
    assert detection.load_area_tree(operation_id) is first  # kept: one small query to check the stamp
    operation = db.session.get(Operation, operation_id)
    ops.load_admin_areas(operation, [AreaRecord("CF6321", "Bozoum centre", 3, "CF632")], world.users["admin"])
    second = detection.load_area_tree(operation_id)
    assert second is not first and "CF6321" in second.ids
    # Another process changing the areas changes the stamp in the database, which is all this one reads.
    db.session.execute(sa.update(Operation).where(Operation.id == operation_id).values(areas_stamp="elsewhere"))
    db.session.commit()
    assert detection.load_area_tree(operation_id) is not second
