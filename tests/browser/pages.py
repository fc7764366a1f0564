"""Every page a role can reach, for the accessibility and phone-width browser tests: the demo operation (lists
long enough to page, runs, alerts, results, notifications), crawled with the test client by following links from
the dashboard and from every GET page of the URL map that takes no argument, one page per kind (endpoint and
query-parameter names), so that a list's second page, a filtered list and a detail page are each seen once."""

from __future__ import annotations

import html
import re
from collections import deque
from urllib.parse import parse_qsl, urlsplit

from werkzeug.exceptions import HTTPException

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


def load_demo_operation() -> dict:
    """The demo operation with the test password; role -> user."""
    users = load_demo(factories.PASSWORD)
    db.session.commit()
    assert users, "the demo was already loaded"
    by_email = {u.email: u for u in users}
    return {role: by_email[email] for role, email in DEMO_ACCOUNTS.items()}


def page_kind(app, url: str) -> tuple[str, tuple[str, ...]] | None:
    """(endpoint, sorted query-parameter names) of a URL, or None when no GET route serves it."""
    parts = urlsplit(url)
    try:
        endpoint, _ = app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:
        return None
    return endpoint, tuple(sorted({name for name, _ in parse_qsl(parts.query)}))


def argument_free_pages(app) -> list[str]:
    """Every GET route of the URL map that needs no argument (pages no link may lead to)."""
    adapter = app.url_map.bind("localhost")
    return [
        adapter.build(rule.endpoint, {})
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and not rule.endpoint.startswith(("static", "bootstrap"))
    ]


def crawl(app, client) -> list[str]:
    """Every kind of HTML page the signed-in client reaches (one URL per kind), in the order found."""
    start = ["/"] + [url for url in argument_free_pages(app) if url != "/" and not SKIP.search(url)]
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
