"""The interface in French is French: every catalogue entry is translated, and a crawl of every page reachable
by following links, as each role, finds no English sentence left in text, titles, labels or placeholders."""

from __future__ import annotations

import html
import re
from collections import deque
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.pofile import read_po

from coordhub.extensions import db
from coordhub.overlap.detection import detect_operation
from tests import factories

CATALOGUE = Path(__file__).resolve().parents[1] / "coordhub" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
# Words of English sentences that no French sentence of the interface contains (user data in the crawl's
# operation is French or a proper name).
ENGLISH = re.compile(
    r"\b(the|and|with|your|this|these|which|must|cannot|should|there|were|been|have|has|will|"
    r"would|is|are|from|into|when|what|who|only|nothing|yet|click|please|choose|select|none)\b",
    re.IGNORECASE,
)
SKIP_LINKS = re.compile(
    r"\.(csv|xlsx|xml|json|png|pdf|geojson)(\?|$)|^/(logout|api/|static/|bootstrap/|xstatic/)|"
    r"/(export|download)"
)
MAX_PAGES = 250
MAX_PER_PATH = 2  # the same page with other filters adds nothing


def test_every_catalogue_entry_has_a_french_translation():
    with open(CATALOGUE, "rb") as f:
        catalogue = read_po(f)
    missing = [
        message.id
        for message in catalogue
        if message.id
        and (message.fuzzy or not all(message.string if isinstance(message.string, tuple) else (message.string,)))
    ]
    assert missing == []


def visible_text(page: str) -> list[str]:
    """The sentences a reader meets: text between tags and the title, aria-label, placeholder and alt
    attributes; scripts, styles and code samples left out."""
    page = re.sub(r"<(script|style|code|pre)\b.*?</\1>", " ", page, flags=re.S | re.I)
    attributes = re.findall(r'\b(?:title|aria-label|placeholder|alt)="([^"]*)"', page)
    text = re.sub(r"<[^>]+>", "\n", page)
    return [html.unescape(part).strip() for part in text.split("\n") + attributes if part.strip()]


def french_operation(world) -> None:
    """Records named in French in the test operation, with an overlap alert, so that detail pages exist."""
    first = factories.make_project(
        world.operation,
        world.ngo,
        ("CF632",),
        title="Réhabilitation d'écoles à Bozoum",
        start_date=date(2026, 2, 1),
        end_date=date(2026, 7, 31),
    )
    factories.make_project(
        world.operation,
        world.other_ngo,
        ("CF632",),
        title="Salles de classe à Bozoum",
        start_date=date(2026, 3, 1),
        end_date=date(2026, 8, 31),
        sensitive=True,
    )
    factories.make_need(world.operation, world.local_authority, "CF633", title="Écoles détruites de Bocaranga")
    factories.make_capacity(world.operation, world.ngo, title="Équipes de maçons")
    detect_operation(world.operation)
    db.session.commit()
    assert first.id


def crawl(client, start: str = "/") -> dict[str, str]:
    """Every page reachable from `start` by links (GET only), path → page."""
    pages, seen, per_path = {}, {start}, {}
    queue = deque([start])
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        page = response.get_data(as_text=True)
        pages[url] = page
        for link in re.findall(r'href="(/[^"#]*)"', page):
            link = html.unescape(link)
            path = urlsplit(link).path
            if SKIP_LINKS.search(link) or link in seen or per_path.get(path, 0) >= MAX_PER_PATH:
                continue
            seen.add(link)
            per_path[path] = per_path.get(path, 0) + 1
            queue.append(link)
    return pages


@pytest.mark.parametrize("role", ["admin", "coordinator", "focal", "viewer"])
def test_every_page_in_french_has_no_english_left(world, login, client, role):
    french_operation(world)
    user = world.users[role]
    user.locale = "fr"
    user.name = "Awa Mahamat"
    db.session.commit()
    login(user)
    client.get("/")  # shows (and so drops) what was flashed to the anonymous, English visitor before signing in
    pages = crawl(client)
    assert len(pages) > 10
    found = []
    for url, page in pages.items():
        for text in visible_text(page):
            if ENGLISH.search(text) and text not in ("English",):
                found.append(f"{url}: {text[:120]!r}")
    assert found == [], "\n".join(sorted(set(found))[:80])
