"""/api/v1/monitoring: reading, saving with warnings to confirm, submitting, reviewing, rights and redaction."""

from __future__ import annotations

import sqlalchemy as sa

from coordhub.api.models import ApiToken
from coordhub.extensions import db
from coordhub.monitoring import operations as mops
from coordhub.monitoring.models import Report
from tests.monitoring.helpers import period, setup


def token(user) -> dict[str, str]:
    _, plain = ApiToken.issue(user, "tests")
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_a_partner_reports_through_the_api_and_a_coordinator_approves(world, client):
    project, periods, area, classrooms, _enrolled = setup(world)
    headers = token(world.users["focal"])
    indicators = client.get("/api/v1/monitoring/indicators", headers=headers).get_json()["items"]
    assert {"EDU-1", "EDU-3"} <= {i["code"] for i in indicators}
    listed = client.get("/api/v1/monitoring/periods", headers=headers).get_json()["items"]
    assert [p["label"] for p in listed] == ["2026-03", "2026-04", "2026-05", "2026-06"]
    url = f"/api/v1/monitoring/projects/{project.id}/reports/{period(periods, 3).id}"
    assert client.get(url, headers=headers).get_json()["state"] is None
    body = {"values": [{"indicator_id": classrooms.id, "pcode": "CF632", "value": 25}], "comment": "done"}
    response = client.post(url, json=body, headers=headers)
    assert response.status_code == 409
    assert response.get_json()["error"]["errors"] == {
        f"v-{classrooms.id}-{area.id}-": "Reached to date (25) is above the target (20)."
    }
    bad = client.post(
        url, json={"values": [{"indicator_id": classrooms.id, "pcode": "CF711", "value": 1}]}, headers=headers
    )
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "values[0]"
    response = client.post(url, json={**body, "confirm": True, "submit": True}, headers=headers)
    assert response.status_code == 200, response.get_json()
    saved = response.get_json()
    assert saved["state"] == "submitted" and saved["warnings_confirmed"] == ["above_target"]
    assert saved["values"] == [{"indicator_id": classrooms.id, "pcode": "CF632", "disaggregation": "", "value": 25.0}]
    review = f"/api/v1/monitoring/reports/{saved['id']}/review"
    assert client.post(review, json={"approve": True}, headers=headers).status_code == 403
    response = client.post(review, json={"approve": True}, headers=token(world.users["coordinator"]))
    assert response.status_code == 200 and response.get_json()["state"] == "approved"
    progress = client.get(f"/api/v1/monitoring/progress?indicator={classrooms.id}", headers=headers).get_json()
    assert progress["rows"][0]["achieved"] == 25 and progress["rows"][0]["percent"] == 125


def test_other_organisations_cannot_report_and_sensitive_projects_are_hidden(world, client):
    project, periods, _area, classrooms, _ = setup(world)
    url = f"/api/v1/monitoring/projects/{project.id}/reports/{period(periods, 3).id}"
    body = {"values": [{"indicator_id": classrooms.id, "pcode": "CF632", "value": 1}]}
    assert client.post(url, json=body, headers=token(world.users["other_focal"])).status_code == 403
    project.sensitive = True
    db.session.commit()
    assert client.get(url, headers=token(world.users["other_focal"])).status_code == 404
    assert client.get(url, headers=token(world.users["coordinator"])).status_code == 200
    late = client.get("/api/v1/monitoring/late", headers=token(world.users["coordinator"])).get_json()["items"]
    assert late and late[0]["project_title"] == project.title


def test_closed_period_refuses_api_writes(world, client):
    project, periods, _area, classrooms, _ = setup(world)
    mops.set_period_closed(world.users["coordinator"], period(periods, 3), True)
    url = f"/api/v1/monitoring/projects/{project.id}/reports/{period(periods, 3).id}"
    response = client.post(
        url,
        json={"values": [{"indicator_id": classrooms.id, "pcode": "CF632", "value": 1}]},
        headers=token(world.users["focal"]),
    )
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "period_id"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0
