"""Sensitive entries leak nothing through the side doors: for every list the application serves (discovered from
its URL map), every query parameter its view reads (discovered from the source and the filter classes) and
every id page, what a partner receives is the same, byte for byte, before and after every hidden field of the
sensitive entries they may not see (and of the alerts about them) has changed."""

from __future__ import annotations

import dataclasses
import inspect
import re
import typing
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.routing import AnyConverter

from coordhub.api.models import ApiToken
from coordhub.extensions import db
from coordhub.overlap.detection import detect_operation
from coordhub.overlap.models import AlertKind, AlertState, OverlapAlert, OverlapCluster
from coordhub.overlap.queries import ALERT_PUBLIC_FIELDS, ALERT_SORTS, CLUSTER_PUBLIC_FIELDS, AlertFilters
from coordhub.registry.models import NeedStatus, Project, ProjectStatus, project_partners
from coordhub.registry.queries import PUBLIC_FIELDS, SORTS, RecordFilters
from tests import factories
from tests.allocation.helpers import make_scenario, run_from_form
from tests.overlap.helpers import save_project

FILTER_CLASSES = (RecordFilters, AlertFilters)
# Each sort key of the lists and of the alerts, ascending and descending.
SORT_VALUES = list(dict.fromkeys(order for key in [*SORTS, *ALERT_SORTS] for order in (key, f"-{key}")))
ARG_NAMES = re.compile(r"""(?:request\.args\.get\(|request\.args\[|clean_arg\()\s*["'](\w+)["']""")
# Parts of an answer that change with the clock, not with the data: CSRF tokens (signed with the time) and
# the IATI file's generation time.
CLOCK = re.compile(rb'name="csrf_token" value="[^"]*"|generated-datetime="[^"]*"')
SKIPPED_FORMATS = {"xlsx"}  # the same rows as the CSV (one export path); the workbook carries its build time
SKIPPED_PAGES = {
    "/account/tokens",
    "/account/",
    "/healthz",
}  # the reader's own tokens and sessions (last used at the time of the walk); the health check's timings


def filter_parameters(filters: type) -> dict[str, type]:
    """Query parameter -> type of every field of a filter class, found by setting one field at a time."""
    hints = typing.get_type_hints(filters)
    samples = {int: 1, date: date(2026, 1, 1), str: "x", bool: True, float: 0.5}
    found = {}
    for field in dataclasses.fields(filters):
        kind = next(k for k in samples if k in typing.get_args(hints[field.name]) or hints[field.name] is k)
        names = set(filters(**{field.name: samples[kind]}).as_args()) - set(filters().as_args())
        assert len(names) == 1, f"{filters.__name__}.{field.name} is not a query parameter"
        found[names.pop()] = kind
    return found


def view_parameters(view) -> dict[str, type]:
    """The query parameters a view reads: request.args names and filter classes in its source and in the
    coordhub functions it calls (two calls deep)."""
    found: dict[str, type] = {}
    seen, todo = set(), [(inspect.unwrap(view), 0)]
    while todo:
        function, depth = todo.pop()
        if function in seen:
            continue
        seen.add(function)
        source = inspect.getsource(function)
        found.update({name: str for name in ARG_NAMES.findall(source) if name not in found})
        for filters in FILTER_CLASSES:
            if filters.__name__ in source:
                found.update(filter_parameters(filters))
        if depth < 2:
            for name in set(re.findall(r"\b(\w+)\(", source)):
                called = function.__globals__.get(name)
                if inspect.isfunction(called) and called.__module__.startswith("coordhub"):
                    todo.append((called, depth + 1))
    return found


def list_urls(app) -> list[tuple[str, object]]:
    """(URL, view) of every GET page and endpoint whose only arguments are choices (`any`)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.startswith(("static", "bootstrap")):
            continue
        if not all(isinstance(c, AnyConverter) for c in rule._converters.values()):
            continue
        choices = [[]]
        for name, converter in rule._converters.items():
            choices = [c + [(name, v)] for c in choices for v in converter.items if v not in SKIPPED_FORMATS]
        adapter = app.url_map.bind("localhost")
        for values in choices:
            urls.append((adapter.build(rule.endpoint, dict(values)), app.view_functions[rule.endpoint]))
    return urls


def id_urls(app, ids: list[int]) -> list[str]:
    """Every GET page and endpoint with one id argument, for each of `ids` (plus its `any` choices)."""
    urls = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        converters = rule._converters
        id_args = [n for n, c in converters.items() if type(c).__name__ == "IdConverter"]
        others = {n: c for n, c in converters.items() if n not in id_args}
        if (
            "GET" not in rule.methods
            or len(id_args) != 1
            or not all(isinstance(c, AnyConverter) for c in others.values())
        ):
            continue
        choices = [{}]
        for name, converter in others.items():
            choices = [{**c, name: v} for c in choices for v in converter.items if v not in SKIPPED_FORMATS]
        urls += [adapter.build(rule.endpoint, {**c, id_args[0]: i}) for c in choices for i in ids]
    return urls


def changed(value, column, record_id: int):
    """Another valid value for a hidden column (dates move a year and more, text changes, numbers grow)."""
    if isinstance(value, datetime):
        return value - timedelta(days=500)
    if isinstance(value, date):
        return value - timedelta(days=400)
    if isinstance(value, bool) or (value is None and not isinstance(column.type, sa.String)):
        return value
    if isinstance(value, (int, float)) and column.foreign_keys:
        return value
    if isinstance(value, float) and column.name in ("score", "title_similarity"):
        return round(1 - value, 3) or 0.5
    if isinstance(value, (int, float)):
        return value * 3 + 7
    if isinstance(column.type, sa.String) or isinstance(value, str):
        return f"Moved zeta {column.name} {record_id}"[: getattr(column.type, "length", None) or 100]
    return value


def hidden_changes(record, public: frozenset[str]) -> dict[str, object]:
    """New values for every column of `record` a reader who may not see its details may not see either."""
    values = {}
    for column in type(record).__table__.columns:
        if column.key in public or column.primary_key:
            continue
        new = changed(getattr(record, column.key), column, record.id)
        if new != getattr(record, column.key):
            values[column.key] = new
    if getattr(record, "start_date", None) and getattr(
        record, "end_date", None
    ):  # keep end >= start: move the window back as a whole
        values["end_date"] = record.end_date + (values["start_date"] - record.start_date)
    return values


@pytest.fixture
def scene(world, login, client):
    """A partner (NGOA's focal point) next to sensitive projects and needs of the prefecture, alerts between
    them and the partner's projects, and a published allocation run that serves a sensitive need."""
    s = make_scenario(world)
    login(world.users["coordinator"])
    run = run_from_form(client)
    assert client.post(f"/allocations/{run.id}/publish").status_code == 302
    prefect = world.users["local_focal"]
    op = world.operation
    save_project(
        world.users["focal"],
        op,
        ("CF632",),
        title="NGOA classrooms Bozoum",
        start_date=date(2026, 2, 1),
        end_date=date(2026, 8, 31),
    )
    save_project(
        world.users["other_focal"],
        op,
        ("CF632",),
        title="NGOB classrooms",
        start_date=date(2026, 4, 1),
        end_date=date(2026, 5, 31),
    )
    hidden = [
        save_project(
            prefect,
            op,
            ("CF632",),
            title="Safe classrooms for survivors",
            sensitive=True,
            start_date=date(2026, 3, 1),
            end_date=date(2026, 6, 30),
            budget=5000.0,
            beneficiaries_targeted=40,
            target_group="survivors",
            description="names withheld",
            code="PREF-1",
        ),
        save_project(
            prefect,
            op,
            ("CF63",),
            title="Discreet school repairs",
            sensitive=True,
            start_date=date(2026, 1, 15),
            end_date=None,
            code="PREF-2",
        ),
    ]
    hidden.append(s.sensitive)
    hidden.append(
        factories.make_need(
            op,
            world.local_authority,
            "CF632",
            title="Survivors' classroom",
            quantity=7.0,
            priority=2,
            sensitive=True,
            code="PREF-N2",
            start_date=date(2026, 2, 1),
            end_date=date(2026, 7, 31),
        )
    )
    detect_operation(op)  # clusters come from a full detection
    db.session.commit()
    alerts = list(
        db.session.scalars(
            sa.select(OverlapAlert).where(
                sa.or_(
                    OverlapAlert.project_a_id.in_([h.id for h in hidden if isinstance(h, Project)]),
                    OverlapAlert.project_b_id.in_([h.id for h in hidden if isinstance(h, Project)]),
                )
            )
        )
    )
    assert alerts, "the scene needs alerts about sensitive projects"
    assert any(
        {h.id for h in hidden[:2]} & set(c.project_ids + c.linked_project_ids)
        for c in db.session.scalars(sa.select(OverlapCluster))
    )
    _, plain = ApiToken.issue(world.users["focal"], "side doors")
    db.session.commit()
    login(world.users["focal"])
    return hidden, alerts, {"Authorization": f"Bearer {plain}"}, run


def change_every_hidden_field(world, hidden, alerts) -> None:
    sensitive_ids = {h.id for h in hidden if isinstance(h, Project)}
    for record in hidden:
        values = hidden_changes(record, PUBLIC_FIELDS[type(record)])
        values.update(
            organisation_id=world.other_ngo.id,
            created_by_id=world.users["other_focal"].id,
            updated_by_id=world.users["other_focal"].id,
        )
        db.session.execute(sa.update(type(record)).where(type(record).id == record.id).values(**values))
        if isinstance(record, Project):
            db.session.execute(sa.delete(project_partners).where(project_partners.c.project_id == record.id))
            db.session.execute(
                sa.insert(project_partners).values(project_id=record.id, organisation_id=world.coordination.id)
            )
    for alert in alerts:
        values = hidden_changes(alert, ALERT_PUBLIC_FIELDS)
        if alert.project_a_id in sensitive_ids:
            values["organisation_a_id"] = world.other_ngo.id
        if alert.project_b_id in sensitive_ids:
            values["organisation_b_id"] = world.other_ngo.id
        db.session.execute(sa.update(OverlapAlert).where(OverlapAlert.id == alert.id).values(**values))
    for cluster in db.session.scalars(sa.select(OverlapCluster)).all():
        if sensitive_ids & set(cluster.project_ids + cluster.linked_project_ids):
            values = hidden_changes(cluster, CLUSTER_PUBLIC_FIELDS)
            db.session.execute(sa.update(OverlapCluster).where(OverlapCluster.id == cluster.id).values(**values))
    db.session.commit()
    db.session.expire_all()


def parameter_values(kind: type, hidden, alerts, world) -> list[str]:
    """Values to try for a parameter of this type: the hidden entries' own values, before and after."""
    if kind is date:
        days = {d for h in hidden for d in (h.start_date, h.end_date) if d}
        days |= {d - timedelta(days=400) for d in days}
        return sorted(d.isoformat() for d in days)
    if kind is float:
        return sorted({str(a.score) for a in alerts} | {str(round(1 - a.score, 3)) for a in alerts})
    if kind is bool:
        return ["1"]
    ids = (
        {h.id for h in hidden}
        | {h.sector_id for h in hidden}
        | {world.local_authority.id, world.other_ngo.id, world.ngo.id}
    )
    ids |= {a.id for h in hidden for a in h.areas} | {h.resource_type_id for h in hidden if h.resource_type_id}
    ids |= {1, 3, 5}
    if kind is int:
        return sorted(str(i) for i in ids)
    enums = [e.value for enum in (ProjectStatus, NeedStatus, AlertState, AlertKind) for e in enum]
    return list(dict.fromkeys(["safe", "zeta"] + enums + SORT_VALUES + ["active", "1", str(world.local_authority.id)]))


def test_partners_learn_nothing_of_hidden_fields_from_any_list_filter_sort_or_page(app, world, client, scene):
    hidden, alerts, token, run = scene
    requests: list[str] = []
    for url, view in list_urls(app):
        if url in SKIPPED_PAGES:
            continue
        requests.append(url)
        parameters = view_parameters(view)
        # Each filter value goes with each sort key in turn (where the list sorts), so filters and sorts mix.
        sorts = [f"&sort={key}" for key in SORT_VALUES] if "sort" in parameters else [""]
        for name, kind in parameters.items():
            values = parameter_values(kind, hidden, alerts, world)
            requests += [f"{url}?{name}={value}{sorts[i % len(sorts)]}" for i, value in enumerate(values)]
    ids = sorted({h.id for h in hidden} | {a.id for a in alerts} | {run.id, world.local_authority.id})
    requests += id_urls(app, ids)
    requests = list(dict.fromkeys(requests))

    def answers() -> dict[str, tuple[int, bytes]]:
        found = {}
        for url in requests:
            response = client.get(url, headers=token if url.startswith("/api/") else {})
            found[url] = (response.status_code, CLOCK.sub(b"", response.get_data()))
        return found

    # Reading changes what the next pages show (flashed messages, unread alerts, the token's last use):
    # read them once first.
    from coordhub.notifications.models import Notification

    for url in (
        ["/"]
        + [f"/overlaps/{i}" for i in db.session.scalars(sa.select(OverlapAlert.id))]
        + [f"/notifications/{i}" for i in db.session.scalars(sa.select(Notification.id))]
    ):
        client.get(url)
    client.get("/api/v1/sectors", headers=token)

    before = answers()
    # The walk reached the hidden entries (else it proves nothing): the API lists them, redacted.
    listed = before["/api/v1/projects"][1].decode() + before["/api/v1/needs"][1].decode()
    assert all(f'"id":{h.id},' in listed.replace(" ", "") for h in hidden)
    assert sum(status == 200 for status, _ in before.values()) > 500
    change_every_hidden_field(world, hidden, alerts)
    after = answers()
    differing = [url for url in requests if before[url] != after[url]]
    pages = sorted({url.partition("?")[0] for url in differing})
    assert not differing, f"{len(differing)} of {len(requests)} answers depend on hidden fields, on {pages}"
