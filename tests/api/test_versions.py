"""The API's side of optimistic concurrency: every read carries the version (field and ETag), If-Match makes a
change conditional and a stale one answers 409 with the record as it is now."""

from __future__ import annotations

from coordhub.extensions import db
from coordhub.registry.models import Capacity
from tests import factories


def test_api_etag_if_match_and_409(world, client, token_for):
    capacity = factories.make_capacity(world.operation, world.ngo)
    headers = token_for(world.users["focal"])
    read = client.get(f"/api/v1/capacities/{capacity.id}", headers=headers)
    assert read.headers["ETag"] == '"1"' and read.json["version"] == 1
    changed = client.patch(
        f"/api/v1/capacities/{capacity.id}",
        json={"quantity": 30},
        headers={**headers, "If-Match": read.headers["ETag"]},
    )
    assert changed.status_code == 200 and changed.headers["ETag"] == '"2"' and changed.json["version"] == 2
    stale = client.patch(
        f"/api/v1/capacities/{capacity.id}", json={"quantity": 40}, headers={**headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 409 and stale.headers["ETag"] == '"2"'
    error = stale.json["error"]
    assert error["field"] == "version" and error["current"]["quantity"] == 30 and error["current"]["version"] == 2
    assert (
        client.patch(
            f"/api/v1/capacities/{capacity.id}", json={"quantity": 40, "version": 1}, headers=headers
        ).status_code
        == 409
    )
    bad = client.patch(
        f"/api/v1/capacities/{capacity.id}", json={"quantity": 40}, headers={**headers, "If-Match": '"soon"'}
    )
    assert bad.status_code == 422 and bad.json["error"]["field"] == "If-Match"
    # Without If-Match (or with *) the change is unconditional, as documented.
    assert (
        client.patch(
            f"/api/v1/capacities/{capacity.id}", json={"quantity": 50}, headers={**headers, "If-Match": "*"}
        ).json["version"]
        == 3
    )
    listed = client.get("/api/v1/capacities", headers=headers).json["items"]
    assert listed[0]["version"] == 3
    db.session.expire_all()
    assert db.session.get(Capacity, capacity.id).quantity == 50


def test_redacted_reads_carry_no_version(world, client, token_for):
    """How often a hidden entry was edited is a hidden detail too (the side-door rule); its readers cannot edit it."""
    need = factories.make_need(world.operation, world.ngo, sensitive=True)
    response = client.get(f"/api/v1/needs/{need.id}", headers=token_for(world.users["other_focal"]))
    assert response.json["details_restricted"] is True and "version" not in response.json
    assert "ETag" not in response.headers
    owner = client.get(f"/api/v1/needs/{need.id}", headers=token_for(world.users["focal"]))
    assert owner.json["version"] == 1 and owner.headers["ETag"] == '"1"'
