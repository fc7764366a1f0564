"""Every page a role can reach, for the accessibility and phone-width browser tests: the demo operation (lists
long enough to page, runs, alerts, results, notifications), crawled with the test client by following links from
the dashboard and from every GET page of the URL map that takes no argument, one page per kind (endpoint and
query-parameter names), so that a list's second page, a filtered list and a detail page are each seen once."""

from __future__ import annotations

import html
import re
from collections import deque
from urllib.parse import parse_qsl, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException

from coordhub.auth.models import User
from coordhub.demo.loader import load_demo
from coordhub.extensions import db
from tests import factories

# Files, API answers and sign-out are not pages; static files and the health check neither.
SKIP = re.compile(
    r"\.(csv|xlsx|xml|json|png|pdf|geojson|zip)(\?|$)|^/(logout|api/|static/|bootstrap/|xstatic/|healthz)|"
    r"/(export|download|iati|template)\b"
)
MAX_PAGES = 200
# The demo accounts used for each role.
DEMO_ACCOUNTS = {
    "admin": "admin@demo.coordhub.org",
    "coordinator": "coordinator@demo.coordhub.org",
    "focal": "nrc@demo.coordhub.org",
    "viewer": "donor@demo.coordhub.org",
}


def load_demo_operation() -> dict[str, User]:
    """The demo operation with the test password; role -> user."""
    users = load_demo(factories.PASSWORD)
    db.session.commit()
    assert users, "the demo was already loaded"
    by_email = {u.email: u for u in users}
    return {role: by_email[email] for role, email in DEMO_ACCOUNTS.items()}


def page_kind(app: Flask, url: str) -> tuple | None:
    """(endpoint, its arguments other than ids, sorted query-parameter names) of a URL, or None when no GET
    route serves it: /projects/ and /needs/ are two kinds, /projects/1 and /projects/2 one."""
    parts = urlsplit(url)
    try:
        endpoint, arguments = app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:
        return None
    choices = tuple(sorted((name, value) for name, value in arguments.items() if not isinstance(value, int)))
    return endpoint, choices, tuple(sorted({name for name, _ in parse_qsl(parts.query)}))


def argument_free_pages(app: Flask) -> list[str]:
    """Every GET route of the URL map that needs no argument (pages no link may lead to)."""
    adapter = app.url_map.bind("localhost")
    return [
        adapter.build(rule.endpoint, {})
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or set())
        and not rule.arguments
        and not rule.endpoint.startswith(("static", "bootstrap"))
    ]


def pages_behind_forms(client: FlaskClient, coordinator: User) -> list[str]:
    """Pages reached by a form rather than a link, made by the coordinator: a second run, published (its
    withdrawal page, the partners' assignments), the comparison of the two runs, and an import's sheet choice,
    column mapping and report (a workbook of projects, previewed)."""
    from tests.allocation.helpers import latest_run, run_from_form
    from tests.interop.helpers import PROJECT_HEADER, preview, project_rows, upload, xlsx_bytes
    from tests.interop.helpers import latest_run as latest_import

    client.post("/logout")
    client.post("/login", data={"email": coordinator.email, "password": factories.PASSWORD})
    first = latest_run()
    second = run_from_form(client)
    assert client.post(f"/allocations/{second.id}/publish").status_code == 302  # partners see assignments
    rows: list[list[object]] = [list(PROJECT_HEADER), *project_rows("NRC", 12)]
    workbook = xlsx_bytes({"Lisez-moi": [["Projets de l'Est"]], "Projets": rows})
    sheet = upload(client, "projects", workbook, "projets.xlsx")
    assert sheet.status_code == 302, sheet.get_data(as_text=True)
    run = latest_import()
    urls = [urlsplit(sheet.headers["Location"]).path]
    client.post(urls[0], data={"sheet": "Projets"})
    urls.append(f"/imports/{run.id}/mapping")
    job = preview(client, run.id)
    urls += [urlsplit(job.headers["Location"]).path, f"/imports/{run.id}"]
    urls.append(f"/allocations/compare?a={first.id}&b={second.id}")
    client.post("/logout")
    db.session.commit()
    return urls


def crawl(app: Flask, client: FlaskClient, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Every kind of HTML page the signed-in client reaches (one URL per kind), in the order found, starting
    from the dashboard, the URL map's argument-free pages and `extra`."""
    start = ["/"] + [url for url in argument_free_pages(app) if url != "/" and not SKIP.search(url)] + list(extra)
    pages: list[str] = []
    seen_kinds: set = set()
    seen = set(start)
    queue = deque(start)
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        kind = page_kind(app, url)
        if kind is None or kind in seen_kinds:
            continue
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        seen_kinds.add(kind)
        pages.append(url)
        for link in re.findall(r'href="\s*(/[^"#]*)', response.get_data(as_text=True)):
            link = html.unescape(link).strip()
            if link in seen or SKIP.search(link):
                continue
            seen.add(link)
            if page_kind(app, link) not in seen_kinds:
                queue.append(link)
    return pages
