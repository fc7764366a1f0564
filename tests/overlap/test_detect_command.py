"""`coordhub detect-overlaps --operation NAME`, and full detection after the demo loads."""

from __future__ import annotations

import json

import sqlalchemy as sa

from coordhub.extensions import db
from coordhub.overlap.models import AlertKind, AlertState, OverlapAlert, OverlapCluster
from tests import factories


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_detect_overlaps_command(world, app):
    first = factories.make_project(world.operation, world.ngo, ["CF632"])
    factories.make_project(world.operation, world.other_ngo, ["CF63"])
    factories.make_project(world.operation, world.coordination, ["CF711"])
    result = invoke(app, "detect-overlaps", "--operation", "CAR recovery 2026")
    assert result.exit_code == 0, result.output
    assert "3 projects in 'CAR recovery 2026': 1 overlapping pairs (1 new alerts" in result.output
    counts = json.loads(result.output.strip().splitlines()[-1])
    assert (counts["projects"], counts["pairs"], counts["raised"], counts["closed"]) == (3, 1, 1, 0)
    first.archived_at = first.created_at  # archived behind detection's back: the next run closes the alert
    db.session.commit()
    counts = json.loads(invoke(app, "detect-overlaps", "--operation", "CAR recovery 2026").output.splitlines()[-1])
    assert counts["closed"] == 1 and db.session.scalar(sa.select(OverlapAlert.state)) is AlertState.closed
    result = invoke(app, "detect-overlaps", "--operation", "Nowhere")
    assert result.exit_code != 0 and "No operation named 'Nowhere'" in result.output


def test_the_demo_comes_with_alerts_clusters_and_its_funding_chain_counted_once(app):
    from coordhub.demo.loader import DEMO_PASSWORD, load_demo

    load_demo(DEMO_PASSWORD)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OverlapAlert)) > 10
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OverlapCluster)) > 0
    [chain] = db.session.scalars(sa.select(OverlapAlert).where(OverlapAlert.kind == AlertKind.double_count)).all()
    assert {p.code for p in chain.projects} == {"UNHCR-CHAIN-1", "SECADEV-CHAIN-1"}
    counted = next(p for p in chain.projects if p.id == chain.counted_project_id)
    assert counted.organisation.acronym == "SECADEV"  # the implementer's report counts, UNHCR's is linked
