"""Map pages, their exports, the area list and the dashboards per role, through the test client."""

from __future__ import annotations

import csv
import io

import pytest

from coordhub.extensions import db
from coordhub.registry.models import Project


@pytest.mark.parametrize("layer", ["presence", "needs", "allocation", "overlaps"])
@pytest.mark.parametrize("role", ["admin", "coordinator", "focal", "viewer"])
def test_every_map_page_opens(client, mapped, login, layer, role):
    login(mapped.users[role])
    page = client.get(f"/maps/{layer}?level=2")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="map"' in html and "<script>" not in html and "leaflet.js" in html
    assert client.get(f"/maps/{layer}/data?level=2").status_code == 200
    exported = client.get(f"/maps/{layer}/data?level=2&format=csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[0][:3] == ["pcode", "name", "level"] and {r[0] for r in rows[1:]} == {"CF632", "CF633", "CF711"}
    geojson = client.get(f"/maps/{layer}/data?level=2&format=geojson")
    assert "attachment" in geojson.headers["Content-Disposition"]
    assert geojson.get_json()["type"] == "FeatureCollection"


def test_page_title_says_what_is_filtered(client, mapped, login):
    login(mapped.users["viewer"])
    html = client.get("/maps/presence?level=2&status=ongoing&organisation_type=international_ngo").get_data(
        as_text=True
    )
    assert "admin level 2" in html and "ongoing" in html and "International NGO" in html


def test_bad_level_on_the_page_is_a_clear_400(client, mapped, login):
    login(mapped.users["viewer"])
    response = client.get("/maps/presence?level=9")
    assert response.status_code == 400 and "level" in response.get_data(as_text=True)
    data = client.get("/maps/presence/data?level=9")
    assert data.status_code == 404 and data.get_json()["error"]["field"] == "level"
    data = client.get("/maps/presence/data?level=two")
    assert data.status_code == 422 and data.get_json()["error"]["field"] == "level"
    assert client.get("/maps/nowhere").status_code == 404


def test_area_list_is_redacted_like_the_list(client, mapped, login):
    login(mapped.users["viewer"])
    data = client.get("/maps/presence/area/CF711?level=2").get_json()
    assert data["total"] == 2
    titles = {p["title"] for p in data["projects"]}
    assert "Sensitive entry (details restricted)" in titles
    assert mapped.projects["sensitive_bria"].title not in titles
    assert data["organisations"] == ["NGOA"]
    assert "area=" in data["list_url"]
    listed = client.get(data["list_url"]).get_data(as_text=True)
    assert mapped.projects["ngo_both"].title in listed
    login(mapped.users["coordinator"])
    data = client.get("/maps/presence/area/CF711?level=2").get_json()
    assert mapped.projects["sensitive_bria"].title in {p["title"] for p in data["projects"]}
    assert client.get("/maps/presence/area/CF63?level=2").status_code == 404


def test_areas_json_gives_parents_for_the_picker(client, mapped, login):
    login(mapped.users["focal"])
    areas = {a["pcode"]: a for a in client.get("/maps/areas.json").get_json()["areas"]}
    assert areas["CF632"]["parent"] == "Ouham-Pendé (CF63)"


def test_pages_need_sign_in(client, mapped):
    assert client.get("/maps/presence").status_code == 302
    assert client.get("/maps/presence/data").status_code == 302


@pytest.mark.parametrize(
    "role,marker",
    [
        ("focal", "dashboard-focal_point"),
        ("coordinator", "dashboard-coordinator"),
        ("admin", "dashboard-coordinator"),
        ("viewer", "dashboard-viewer"),
    ],
)
def test_dashboard_per_role(client, mapped, login, role, marker):
    login(mapped.users[role])
    html = client.get("/").get_data(as_text=True)
    assert marker in html
    assert "coordhub-chart" in html and "chart.umd.min.js" in html and "<script>" not in html
    if role == "focal":
        assert "Our projects by status" in html and "Assignments waiting for an answer" in html
        assert mapped.projects["ngo_bozoum"].title in html  # ends 2026-06-30: due (or overdue)
    if role == "coordinator":
        assert "Gaps by sector" in html and "Partners by type" in html and "Recent imports" in html
        assert "Local share" in html


def test_dashboard_counts_follow_the_lists(client, mapped, login):
    db.session.get(Project, mapped.projects["completed"].id).archived_at = db.func.now()
    db.session.commit()
    login(mapped.users["viewer"])
    by_sector = client.get("/maps/charts/by_sector.csv").get_data(as_text=True)
    rows = {r[0]: r[1:] for r in csv.reader(io.StringIO(by_sector))}
    assert rows["Education"] == ["4", "2"]  # 4 unarchived education projects, 2 education needs
    assert client.get("/maps/charts/over_time.csv").status_code == 200
    assert client.get("/maps/charts/nothing.csv").status_code == 404


def test_printable_3w_snapshot(client, mapped, login):
    from coordhub.maps.queries import parse_map_query
    from coordhub.maps.snapshot import sector_rows

    login(mapped.users["viewer"])
    response = client.get("/maps/snapshot.pdf?level=2")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert (
        response.data.startswith(b"%PDF")
        and response.data.count(b"/Type /Page\n") + response.data.count(b"/Type /Page ") >= 1
    )
    rows, partners, local = sector_rows(
        mapped.operation, mapped.users["viewer"], parse_map_query("presence", mapped.operation, {})
    )
    # NGOA, NGOB and the sensitive entry (PREF's, counted as one, unnamed).
    assert partners == 3 and local == 0
    assert {sector: projects for sector, projects, _o in rows} == {"Education": 5, "Water and sanitation": 1}
    assert client.get("/maps/snapshot.pdf?level=12").status_code == 404
