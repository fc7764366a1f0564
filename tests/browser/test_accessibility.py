"""Accessible to everyone, on a desk and on a phone: every page each role reaches passes an axe-core audit
(WCAG 2.1 A and AA rules) with no serious or critical finding, in English at 1366 px and in French at 390 px;
at 390 px nothing is wider than the screen and the alerts badge stays visible; at 1366 px the navigation bar
holds on one line in both languages; the keyboard reaches every control with a visible focus, starting with a
skip-to-content link."""

from __future__ import annotations

import re
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from coordhub.extensions import db
from tests import factories
from tests.browser.conftest import PHONE, choose_language, wait
from tests.browser.pages import crawl, load_demo_operation, page_kind, pages_behind_forms

AXE = (Path(__file__).parent / "axe" / "axe.min.js").read_text(encoding="utf-8")
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
BLOCKING = {"serious", "critical"}
ROLES = ["admin", "coordinator", "focal", "viewer"]  # the demo accounts of tests/browser/pages.py


def audit(driver) -> list[str]:
    """The serious and critical axe findings of the page in the browser, one line each (rule, element, why)."""
    if not driver.execute_script("return typeof window.axe === 'object';"):
        driver.execute_script(AXE)
    result = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, arguments[0]).then(done, function (e) { done({error: String(e)}); });",
        AXE_OPTIONS,
    )
    assert "error" not in result, result
    return [
        f"{violation['id']} ({violation['impact']}): {node['target']} {node['failureSummary'][:200]!r}"
        for violation in result["violations"]
        if violation["impact"] in BLOCKING
        for node in violation["nodes"][:3]
    ]


def overflow(driver) -> str | None:
    """What is wider than the screen, or None."""
    return driver.execute_script(
        """
        var width = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth <= width) { return null; }
        var culprit = null;
        document.querySelectorAll('body *').forEach(function (el) {
          var box = el.getBoundingClientRect();
          if (!culprit && box.right > width + 1 && el.closest('.table-responsive, .overflow-auto') === null) {
            culprit = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
              (el.className && el.className.baseVal === undefined ? '.' + el.className.split(' ').join('.') : '') +
              ' ' + Math.round(box.right) + 'px';
          }
        });
        return 'page ' + document.documentElement.scrollWidth + 'px wide on ' + width + 'px: ' + culprit;
        """
    )


def hidden_badges(driver) -> list[str]:
    """The unread counters of the menu (alerts, assignments, notifications) not shown while it is folded."""
    return driver.execute_script(
        """
        var width = document.documentElement.clientWidth, hidden = [];
        document.querySelectorAll('#mainnav [data-badge]').forEach(function (inMenu) {
          var shown = Array.prototype.some.call(document.querySelectorAll('.nav-alerts-badge'), function (badge) {
            var box = badge.getBoundingClientRect();
            return badge.textContent.replace(/\\D/g, '') === inMenu.textContent.replace(/\\D/g, '') &&
              box.width > 0 && box.height > 0 && box.right <= width;
          });
          if (!shown) { hidden.push(inMenu.closest('a').textContent.trim().replace(/\\s+/g, ' ')); }
        });
        return hidden;
        """
    )


def navigation_lines(driver) -> int:
    """On how many lines the navigation bar's entries lie (1 when nothing wraps)."""
    return driver.execute_script(
        """
        var tops = [];
        document.querySelectorAll('.navbar-brand, #mainnav .navbar-nav > .nav-item, #mainnav .nav-end > *')
          .forEach(function (el) {
            var box = el.getBoundingClientRect(), middle = box.top + box.height / 2;
            if (box.height > 0 && !tops.some(function (t) { return Math.abs(t - middle) < 12; })) { tops.push(middle); }
          });
        return tops.length;
        """
    )


def test_every_page_of_every_role_passes_axe_fits_a_phone_and_keeps_the_bar_on_one_line(app, client, login, signed_in):
    """The demo operation, crawled as an administrator, a coordinator, a focal point and a viewer. Each kind of
    page (endpoint, its choices and query-parameter names) is audited the first time a role reaches it, in
    English at 1366 px and in French at 390 px; every page of every role is checked for width and badges at
    390 px in French (the longer labels); the bar is checked on one line at 1366 px in both languages."""
    users = load_demo_operation()
    behind_forms = pages_behind_forms(client, users["coordinator"])
    findings: list[str] = []
    audited: dict[str, set] = {"en": set(), "fr": set()}
    crawled = {}
    badges_seen: dict[str, int] = {}
    for role in ROLES:
        user = users[role]
        login(user)
        pages = crawled[role] = crawl(app, client, behind_forms)
        assert len(pages) > 30, pages
        db.session.commit()
        driver = signed_in(user)
        lines = navigation_lines(driver)
        if lines != 1:
            findings.append(f"{role} / [en, 1366px]: the navigation bar takes {lines} lines")
        for url in pages:
            if page_kind(app, url) in audited["en"]:
                continue
            audited["en"].add(page_kind(app, url))
            driver.get(driver.live_url + url)
            findings += [f"{role} {url} [en, 1366px]: {line}" for line in audit(driver)]
        choose_language(driver, "fr")
        lines = navigation_lines(driver)
        if lines != 1:
            findings.append(f"{role} / [fr, 1366px]: the navigation bar takes {lines} lines")
        driver.set_window_size(*PHONE)
        badges = 0
        for url in pages:
            driver.get(driver.live_url + url)
            if page_kind(app, url) not in audited["fr"]:
                audited["fr"].add(page_kind(app, url))
                findings += [f"{role} {url} [fr, 390px]: {line}" for line in audit(driver)]
            too_wide = overflow(driver)
            if too_wide:
                findings.append(f"{role} {url} [fr, 390px]: {too_wide}")
            findings += [
                f"{role} {url} [fr, 390px]: the badge of {badge!r} is hidden" for badge in hidden_badges(driver)
            ]
            badges += len(driver.find_elements(By.CSS_SELECTOR, ".nav-alerts-badge"))
        badges_seen[role] = badges
        driver.delete_all_cookies()
    print(
        f"pages per role: { {role: len(pages) for role, pages in crawled.items()} }, kinds audited: "
        f"{len(audited['en'])} in English, {len(audited['fr'])} in French"
    )
    assert findings == [], f"{len(findings)} findings:\n" + "\n".join(findings)
    assert badges_seen["focal"], "the demo's NRC focal point has unread alerts: their badge shows on a phone"


def focus_state(driver) -> dict:
    """The focused element: its tag, name or text, whether it is on screen and whether its focus is drawn."""
    return driver.execute_script(
        """
        var el = document.activeElement, style = getComputedStyle(el), box = el.getBoundingClientRect();
        var ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) ||
          (style.boxShadow && style.boxShadow !== 'none');
        return {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name') || '',
                text: (el.textContent || el.value || '').trim().slice(0, 40), ring: ring,
                shown: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < window.innerHeight};
        """
    )


def test_the_keyboard_reaches_every_control_with_a_visible_focus(signed_in, world):
    """Tab from the top of a list page: the first stop is the skip link, which leads into the page; from
    there every filter control, the table's links and the page's buttons take the focus in turn, each on
    screen and with its focus ring drawn."""
    from selenium.webdriver.common.action_chains import ActionChains

    for n in range(12):  # enough projects for a second page
        factories.make_project(world.operation, world.ngo, ("CF632",), title=f"Classrooms {n}")
    db.session.commit()
    driver = signed_in(world.users["coordinator"])
    driver.get(driver.live_url + "/projects/")
    keys = ActionChains(driver)
    keys.send_keys(Keys.TAB).perform()
    first = focus_state(driver)
    assert first["text"] == "Skip to content" and first["shown"] and first["ring"], first
    keys.send_keys(Keys.ENTER).perform()
    assert driver.execute_script("return document.activeElement.id;") == "content"
    stops = []
    for _ in range(60):
        keys.send_keys(Keys.TAB).perform()
        state = focus_state(driver)
        if state["tag"] == "body" or (stops and state == stops[0]):
            break
        stops.append(state)
    assert all(s["ring"] and s["shown"] for s in stops), [s for s in stops if not (s["ring"] and s["shown"])]
    reached = {s["name"] for s in stops}
    form = driver.find_element(By.CSS_SELECTOR, "form.filters")
    controls = {
        c.get_attribute("name")
        for c in form.find_elements(By.CSS_SELECTOR, "input, select")
        if c.get_attribute("type") != "hidden"
    }
    assert controls and controls <= reached, controls - reached
    texts = [s["text"] for s in stops]
    assert "Classrooms 0" in " ".join(texts) or any(s["tag"] == "a" for s in stops)
    assert "2" in texts  # the second page's link
    # The focus moves on at each Tab, never back (a date field takes three: day, month, year).
    visited = [(s["tag"], s["id"], s["name"], s["text"]) for s in stops]
    moves = [stop for n, stop in enumerate(visited) if n == 0 or stop != visited[n - 1]]
    assert len(set(moves)) == len(moves), moves

    # The navigation bar and its menus work from the keyboard too, with their focus drawn on the dark bar.
    driver.get(driver.live_url + "/projects/")
    registry = driver.find_element(By.CSS_SELECTOR, "#mainnav .dropdown-toggle")
    keys.send_keys(Keys.TAB, Keys.TAB, Keys.TAB).perform()  # skip link, brand, first menu
    assert driver.switch_to.active_element == registry
    assert focus_state(driver)["ring"]
    keys.send_keys(Keys.ENTER).perform()
    wait(driver).until(lambda d: registry.get_attribute("aria-expanded") == "true")
    keys.send_keys(Keys.ARROW_DOWN).perform()
    item = focus_state(driver)
    assert item["tag"] == "a" and item["ring"] and item["shown"], item


def test_sign_in_page_passes_axe_and_fits_a_phone(browser):
    browser.get(browser.live_url + "/login")
    assert audit(browser) == []
    browser.set_window_size(*PHONE)
    browser.get(browser.live_url + "/login")
    assert audit(browser) == [] and overflow(browser) is None


def test_page_links_are_bare_addresses_named_for_screen_readers(world, login, client):
    """Bootstrap-Flask's page links carried a line break and spaces inside every href; ours are the address
    alone, keep the list's filters, and the bar and the current page are named (in French too)."""
    for n in range(25):
        factories.make_project(world.operation, world.ngo, ("CF632",), title=f"Classrooms {n}")
    db.session.commit()
    login(world.users["coordinator"])
    page = client.get("/projects/?q=Classrooms&page=2").get_data(as_text=True)
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and [h for h in hrefs if h != h.strip() or re.search(r"\s", h)] == []
    assert 'href="/projects/?q=Classrooms&amp;page=3"' in page and 'rel="prev"' in page
    assert '<li class="page-item active" aria-current="page"><span class="page-link">2</span></li>' in page
    assert '<nav aria-label="Pages">' in page and 'href="#"' not in page.split('aria-label="Pages"')[1]
    world.users["coordinator"].locale = "fr"
    db.session.commit()
    assert 'aria-label="Page suivante"' in client.get("/projects/").get_data(as_text=True)
