"""The overlap pages as people use them: form preview, alert page and its form, inbox badge, clusters, gaps, job."""

from __future__ import annotations

import re

import sqlalchemy as sa

from coordhub.extensions import db
from coordhub.jobs.models import Job, JobStatus
from coordhub.overlap.models import AlertState, OverlapAlert
from coordhub.registry.models import Project
from tests import factories
from tests.overlap.helpers import alert_between, alerts, save_project


def _form(operation, pcodes=("CF632",), type_code="EDU-CLASSROOM", **extra) -> dict:
    rtype = factories.resource_type(type_code)
    data = {
        "organisation_id": extra.pop("organisation_id", ""),
        "title": "Classrooms in Bozoum",
        "sector_id": rtype.sector_id,
        "resource_type_id": rtype.id,
        "start_date": "2026-05-01",
        "end_date": "2026-08-31",
        "status": "planned",
        "currency": "USD",
        "area_ids": [factories.area(operation, p).id for p in pcodes],
    }
    data.update(extra)
    return data


def test_the_project_form_shows_the_overlaps_it_would_create_without_saving(world, client, login):
    theirs = save_project(world.users["other_focal"], world.operation, ("CF63",), title="Classrooms Ouham-Pendé")
    login(world.users["focal"])
    page = client.get("/projects/new").get_data(as_text=True)
    assert "Check for overlaps" in page
    response = client.post(
        "/projects/new", data=_form(world.operation, organisation_id=world.ngo.id, check_overlaps="Check for overlaps")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="overlap-preview"' in page
    assert "nothing has been saved" in page and "Classrooms Ouham-Pendé" in page
    assert "NGOB and NGOA" in page and "Ouham-Pendé (CF63) contains Bozoum (CF632)" in page
    assert 'value="Classrooms in Bozoum"' in page  # the form keeps what was typed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 1 and alerts() == []
    # the same data, saved, raises exactly that alert
    response = client.post("/projects/new", data=_form(world.operation, organisation_id=world.ngo.id))
    assert response.status_code == 302
    saved = db.session.scalar(sa.select(Project).where(Project.title == "Classrooms in Bozoum"))
    assert alert_between(saved, theirs).kind.value == "overlap"


def test_the_preview_says_when_nothing_overlaps_or_what_is_missing(world, client, login):
    save_project(world.users["other_focal"], world.operation, ("CF711",))
    login(world.users["focal"])
    page = client.post("/projects/new", data=_form(world.operation, check_overlaps="1")).get_data(as_text=True)
    assert "No overlap" in page
    page = client.post("/projects/new", data=_form(world.operation, area_ids=[], check_overlaps="1")).get_data(
        as_text=True
    )
    assert "Choose a sector, at least one admin area and a start date" in page


def test_the_preview_on_an_edit_knows_dismissed_pairs_and_hides_sensitive_entries(world, client, login):
    mine = save_project(world.users["focal"], world.operation, ("CF632",), title="Mine")
    theirs = save_project(world.users["other_focal"], world.operation, ("CF632",), title="Theirs")
    alert = alert_between(mine, theirs)
    login(world.users["focal"])
    client.post(f"/overlaps/{alert.id}/state", data={"state": "dismissed", "comment": "Different schools"})
    form = _form(
        world.operation,
        organisation_id=world.ngo.id,
        title="Mine",
        start_date="2026-03-01",
        end_date="2026-06-30",
        check_overlaps="1",
    )
    page = client.post(f"/projects/{mine.id}/edit", data=form).get_data(as_text=True)
    assert "it stays dismissed" in page
    page = client.post(f"/projects/{mine.id}/edit", data={**form, "end_date": "2026-07-31"}).get_data(as_text=True)
    assert "it would be raised again" in page
    save_project(
        world.users["other_focal"], world.operation, ("CF632",), "PROT-PSS", title="Safe house", sensitive=True
    )
    page = client.post("/projects/new", data=_form(world.operation, type_code="PROT-PSS", check_overlaps="1")).get_data(
        as_text=True
    )
    assert "A sensitive entry (details restricted) in Protection and victim support" in page
    assert "Safe house" not in page


def test_alert_page_shows_both_projects_side_by_side_and_changes_state_with_a_comment(world, client, login):
    mine = save_project(world.users["focal"], world.operation, ("CF632",), title="NGOA classrooms")
    theirs = save_project(world.users["other_focal"], world.operation, ("CF632",), title="NGOB classrooms")
    alert = alert_between(mine, theirs)
    login(world.users["focal"])
    page = client.get(f"/overlaps/{alert.id}").get_data(as_text=True)
    assert "NGOA classrooms" in page and "NGOB classrooms" in page and 'id="history"' in page
    assert "Raised by overlap detection." in page
    response = client.post(f"/overlaps/{alert.id}/state", data={"state": "acknowledged", "comment": ""})
    assert response.status_code == 422 and alert.state is AlertState.open
    response = client.post(f"/overlaps/{alert.id}/state", data={"state": "resolved", "comment": "Agreed"})
    assert response.status_code == 422 and "Say how it was resolved" in response.get_data(as_text=True)
    response = client.post(
        f"/overlaps/{alert.id}/state",
        data={"state": "resolved", "resolution": "coordinated", "comment": "We split the schools."},
    )
    assert response.status_code == 302
    db.session.expire_all()
    alert = db.session.get(OverlapAlert, alert.id)
    assert alert.state is AlertState.resolved and alert.events[-1].comment == "We split the schools."
    page = client.get(f"/overlaps/{alert.id}").get_data(as_text=True)
    assert "We split the schools." in page and "coordinated" in page
    # the project page lists the alert too
    assert f"/overlaps/{alert.id}" in client.get(f"/projects/{mine.id}").get_data(as_text=True)


def _badge(page: str) -> int | None:
    found = re.search(r'My alerts\s*<span class="badge[^>]*>(\d+)</span>', page)
    return int(found.group(1)) if found else None


def _alert_links(page: str) -> set[int]:
    return {int(i) for i in re.findall(r'href="/overlaps/(\d+)"', page)}


def test_inbox_lists_my_organisations_alerts_with_an_unread_badge(world, client, login):
    focal, other = world.users["focal"], world.users["other_focal"]
    mine = save_project(focal, world.operation, ("CF632",))
    theirs = save_project(other, world.operation, ("CF632",))
    third = save_project(other, world.operation, ("CF63",), "EDU-TEACHER-TRAIN")  # complementary to mine
    pref = save_project(world.users["local_focal"], world.operation, ("CF711",))
    ocha = save_project(world.users["coordinator"], world.operation, ("CF711",))  # PREF × OCHA: not NGOA's
    overlap, complementary = alert_between(mine, theirs), alert_between(mine, third)
    assert len(alerts()) == 3 and alert_between(theirs, third) is None and alert_between(pref, ocha)
    login(focal)
    assert _badge(client.get("/").get_data(as_text=True)) == 2
    assert _alert_links(client.get("/overlaps/inbox").get_data(as_text=True)) == {overlap.id, complementary.id}
    client.get(f"/overlaps/{overlap.id}")
    assert _badge(client.get("/").get_data(as_text=True)) == 1
    # a change by the other organisation makes it unread again; one's own change does not
    login(other)
    assert _badge(client.get("/").get_data(as_text=True)) == 2
    client.post(f"/overlaps/{overlap.id}/state", data={"state": "acknowledged", "comment": "Seen"})
    assert _badge(client.get("/").get_data(as_text=True)) == 1
    login(focal)
    assert _badge(client.get("/").get_data(as_text=True)) == 2
    assert _alert_links(client.get("/overlaps/inbox?unread=1").get_data(as_text=True)) == {overlap.id, complementary.id}
    client.post("/overlaps/inbox/read")
    assert _badge(client.get("/").get_data(as_text=True)) is None
    assert _alert_links(client.get("/overlaps/inbox?unread=1").get_data(as_text=True)) == set()
    # each user has their own read marks; coordinators' inbox is their own organisation's too
    login(world.users["viewer"])
    assert _badge(client.get("/").get_data(as_text=True)) == 2
    login(world.users["coordinator"])
    assert _alert_links(client.get("/overlaps/inbox").get_data(as_text=True)) == {alert_between(pref, ocha).id}


def test_alert_list_filters_and_pagination(world, client, login):
    focal, other = world.users["focal"], world.users["other_focal"]
    for number in range(12):
        save_project(other, world.operation, ("CF632",), title=f"Classrooms {number}")
    save_project(focal, world.operation, ("CF711",), "HEALTH-MOBILE-CLINIC", title="Clinic")
    save_project(other, world.operation, ("CF71",), "HEALTH-MOBILE-CLINIC", title="Clinic")  # province: 0.75
    login(world.users["coordinator"])
    assert "67 found" in client.get("/overlaps/").get_data(as_text=True)  # 66 duplicate entries + 1 overlap
    health = factories.sector("HEALTH").id
    page = client.get(f"/overlaps/?sector={health}").get_data(as_text=True)
    assert "1 found" in page and "NGOA · NGOB" in page
    bria = factories.area(world.operation, "CF71").id
    assert "1 found" in client.get(f"/overlaps/?area={bria}").get_data(as_text=True)
    assert "1 found" in client.get(f"/overlaps/?organisation={world.ngo.id}").get_data(as_text=True)
    assert "66 found" in client.get("/overlaps/?kind=duplicate_entry").get_data(as_text=True)
    assert "66 found" in client.get("/overlaps/?min_score=0.8").get_data(as_text=True)
    assert "0 found" in client.get("/overlaps/?state=dismissed").get_data(as_text=True)
    assert "67 found" in client.get("/overlaps/?state=active&min_score=nonsense&area=x").get_data(as_text=True)
    second = client.get("/overlaps/?kind=duplicate_entry&page=2").get_data(as_text=True)
    assert second.count('<tr class=') == 10  # PAGE_SIZE in testing


def test_clusters_page(world, client, login):
    for name in ("focal", "other_focal", "coordinator"):
        save_project(world.users[name], world.operation, ("CF632",))
    login(world.users["viewer"])
    page = client.get("/overlaps/clusters").get_data(as_text=True)
    assert "NGOA, NGOB, OCHA" in page and "Bozoum (CF632)" in page


def test_gap_matrix_colours_cells_and_links_to_the_lists_behind_them(world, client, login):
    local = world.local_authority
    factories.make_need(world.operation, local, "CF632", "EDU-CLASSROOM")
    factories.make_need(world.operation, local, "CF633", "EDU-CLASSROOM")
    factories.make_need(world.operation, local, "CF711", "HEALTH-MOBILE-CLINIC")
    save_project(world.users["focal"], world.operation, ("CF632",))
    save_project(
        world.users["other_focal"], world.operation, ("CF632",), title="Classrooms", partner_ids=[world.ngo.id]
    )  # reported again by NGOB as funder: counted once
    save_project(world.users["coordinator"], world.operation, ("CF63",))
    login(world.users["viewer"])
    page = client.get("/gaps/?level=2").get_data(as_text=True)
    body = page.split("<tbody>", 1)[1]
    rows = {m.group(1): m.group(2) for m in re.finditer(r'<th class="area">([^<]+)</th>(.*?)</tr>', body, re.S)}
    assert set(rows) == {"Bozoum (CF632)", "Bocaranga (CF633)", "Bria (CF711)"}
    education = factories.sector("EDU").id
    bozoum, bocaranga, bria = (factories.area(world.operation, p).id for p in ("CF632", "CF633", "CF711"))
    assert 'class="need-covered"' in rows["Bozoum (CF632)"] and "2 org." in rows["Bozoum (CF632)"]  # NGOA + OCHA
    assert 'class="need-covered"' in rows["Bocaranga (CF633)"]  # OCHA works in all of Ouham-Pendé
    assert 'class="need-gap gap"' in rows["Bria (CF711)"] and "1 need<" in rows["Bria (CF711)"]
    assert f"/projects/?sector={education}&amp;area={bozoum}" in page
    assert f"/needs/?sector={education}&amp;area={bocaranga}" in page
    assert "1 gap<" in page and "1 gaps" not in page
    world.users["viewer"].locale = "fr"
    db.session.commit()
    french = client.get("/gaps/?level=2").get_data(as_text=True)
    assert "1 besoin<" in french and "1 lacune<" in french and "1 needs" not in french
    page = client.get("/gaps/?level=2&colour=organisations").get_data(as_text=True)
    assert 'class="orgs-2"' in page and 'class="orgs-1"' in page
    assert "Haute-Kotto (CF71)" in client.get("/gaps/?level=1").get_data(as_text=True)
    assert f"area={bria}" in client.get(
        "/gaps/?level=2&within=" + str(factories.area(world.operation, "CF71").id)
    ).get_data(as_text=True)


def test_coordinators_run_full_detection_as_a_background_job(world, client, login):
    factories.make_project(world.operation, world.ngo, ["CF632"])
    factories.make_project(world.operation, world.other_ngo, ["CF632"])
    login(world.users["focal"])
    assert "Run full detection" not in client.get("/overlaps/").get_data(as_text=True)
    assert client.post("/overlaps/detect").status_code == 403
    login(world.users["coordinator"])
    assert "Run full detection" in client.get("/overlaps/").get_data(as_text=True)
    response = client.post("/overlaps/detect")
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job = db.session.scalar(sa.select(Job))
    assert job.status is JobStatus.finished and job.result["raised"] == 1 and job.result_url == "/overlaps/"
    assert len(alerts()) == 1
    opened = client.get(response.headers["Location"])  # the finished job opens its result
    assert opened.status_code == 302 and opened.headers["Location"] == "/overlaps/"


def test_the_alert_sentence_is_written_in_the_readers_language(world, client, login):
    """Alerts keep their sentence as a reason code with parameters; each reader gets it in their language."""
    a = save_project(world.users["focal"], world.operation, ("CF632",), title="NGOA classrooms")
    b = save_project(world.users["other_focal"], world.operation, ("CF632",), title="NGOB classrooms")
    alert = alert_between(a, b)
    assert alert.explanation_reason["code"] == "overlap"
    login(world.users["focal"])
    english = client.get(f"/overlaps/{alert.id}").get_data(as_text=True)
    assert "both active" in english and "tous deux actifs" not in english
    world.users["focal"].locale = "fr"
    db.session.commit()
    french = client.get(f"/overlaps/{alert.id}").get_data(as_text=True)
    assert "tous deux actifs" in french and "both active" not in french
    assert "mars" in french  # month names too ('1 mars – 30 juin 2026')
