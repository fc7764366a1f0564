"""Capacities imported from a partner's file keep their throughput per period and access clearances."""

from __future__ import annotations

import sqlalchemy as sa

from coordhub.extensions import db
from coordhub.registry.models import Capacity
from tests.interop.helpers import csv_bytes


def test_capacity_import_reads_throughput_and_clearances(world, app, tmp_path):
    path = tmp_path / "caps.csv"
    path.write_bytes(
        csv_bytes(
            [
                [
                    "Capacity",
                    "Organisation",
                    "Resource type",
                    "Service areas",
                    "Quantity",
                    "Unit cost",
                    "Start date",
                    "Throughput",
                    "Clearances",
                ],
                [
                    "Escorted teams",
                    "NGOA",
                    "Water trucking",
                    "CF63",
                    "40",
                    "2",
                    "2026-03-01",
                    "10",
                    "escort; UN_security",
                ],
                ["Open teams", "NGOA", "Water trucking", "CF63", "40", "2", "2026-03-01", "", ""],
            ]
        )
    )
    result = app.test_cli_runner().invoke(
        args=["import", "capacities", str(path), "--user", world.users["focal"].email], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    rows = {c.title: (c.throughput, c.clearances) for c in db.session.scalars(sa.select(Capacity))}
    assert rows == {"Escorted teams": (10.0, "escort;un_security"), "Open teams": (None, "")}
