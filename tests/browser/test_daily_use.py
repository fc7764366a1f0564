"""Daily use in a real browser: a messy file through the import triage, a form that reports every problem of
one submit, the interface in French with no English left, the date picker, sortable columns and the "my
organisation" toggle of the lists."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from coordhub.extensions import db
from coordhub.registry.models import Organisation, Project
from tests import factories
from tests.browser.conftest import click, wait
from tests.interop.test_triage import five_w
from tests.test_french import ENGLISH, french_operation, visible_text


def submit(driver, form_selector: str) -> None:
    """Click the submit button of the form as a user would, and wait for the next page."""
    old = driver.find_element(By.TAG_NAME, "html")
    button = driver.find_element(By.CSS_SELECTOR, f"{form_selector} [type=submit], {form_selector} button:not([type])")
    click(driver, button)
    wait(driver).until(lambda d: old.id != d.find_element(By.TAG_NAME, "html").id)


def follow(driver, element) -> None:
    """Click a link or button that loads a new page, and wait for it."""
    old = driver.find_element(By.TAG_NAME, "html")
    click(driver, element)
    wait(driver).until(lambda d: old.id != d.find_element(By.TAG_NAME, "html").id)


def query(driver) -> dict[str, list[str]]:
    return parse_qs(urlsplit(driver.current_url).query)


def row_titles(driver) -> list[str]:
    return [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "table tbody tr td:nth-child(1) a")]


def test_a_messy_file_through_the_import_triage(signed_in, world, tmp_path):
    """A francophone 5W: four organisations not registered (12 rows) and a sector value nobody recognises.
    The administrator sees one line per cause with counts, registers the organisations, reads the value as a
    sector for the whole file, and imports every row."""
    path = tmp_path / "5W_TCD.xlsx"
    path.write_bytes(five_w(sector="Réhabilitation scolaire"))
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))
    driver = signed_in(world.users["admin"])  # a coordinator may register organisations, not their projects
    driver.get(driver.live_url + "/imports/")
    Select(driver.find_element(By.NAME, "kind")).select_by_value("projects")
    driver.find_element(By.NAME, "file").send_keys(str(path))
    submit(driver, "form[enctype='multipart/form-data']")
    assert "/mapping" in driver.current_url
    submit(driver, "form[novalidate]")  # the proposed mapping, as it is
    assert re.search(r"/imports/\d+$", driver.current_url), driver.current_url

    groups = {g.get_attribute("data-cause"): g for g in driver.find_elements(By.CSS_SELECTOR, "li.group")}
    assert "4 organisations are not registered — 12 rows" in groups["organisation:not_found"].text
    sector_cause = next(cause for cause in groups if cause.startswith("sector:"))
    assert "1 sector value is not recognised — 15 rows" in groups[sector_cause].text
    assert "Réhabilitation scolaire" in groups[sector_cause].text  # the example, as the file writes it
    import_button = driver.find_element(By.XPATH, "//button[normalize-space()='Import']")
    assert not import_button.is_enabled()  # no row would be written yet: the button says so
    assert driver.find_element(By.ID, "nothing-to-write").is_displayed()

    follow(driver, groups["organisation:not_found"].find_element(By.XPATH, ".//button[contains(., 'Register them')]"))
    new = driver.find_element(By.ID, "new-organisations")
    assert "4 organisations will be registered with this import" in new.text
    assert {"ADR", "SSFI", "PCNU", "SCRL"} <= set(new.text.split())

    group = driver.find_element(By.CSS_SELECTOR, f"li.group[data-cause='{sector_cause}']")
    Select(group.find_element(By.NAME, "code")).select_by_visible_text("Education")
    follow(driver, group.find_element(By.XPATH, ".//button[contains(., 'Apply to the whole file')]"))
    assert not driver.find_elements(By.CSS_SELECTOR, "li.group[data-cause^='sector:']")

    follow(driver, driver.find_element(By.XPATH, "//form[contains(@action, '/commit')]//*[@type='submit']"))
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 15
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == before + 4


def test_a_form_shows_every_problem_of_one_submit(signed_in, world):
    """No title, a negative budget and an end date before the start (typed with the date picker): three
    problems, all shown after one submit, each next to its field; nothing saved."""
    driver = signed_in(world.users["focal"])
    driver.get(driver.live_url + "/projects/new")
    Select(driver.find_element(By.NAME, "sector_id")).select_by_visible_text("Education")
    type_date(driver, "start_date", date(2026, 5, 1))
    type_date(driver, "end_date", date(2026, 4, 1))
    driver.find_element(By.NAME, "budget").send_keys("-5")
    click(driver, driver.find_element(By.CSS_SELECTOR, "form [type=submit][name=submit]"))
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".invalid-feedback"))
    errors = {
        field.get_attribute("name"): field.find_element(
            By.XPATH, "following-sibling::*[contains(@class, 'invalid-feedback')]"
        ).text
        for field in driver.find_elements(By.CSS_SELECTOR, "form .is-invalid[name]")
    }
    assert {"title", "budget", "end_date"} <= set(errors), errors
    assert "required" in errors["title"] and "at least 0" in errors["budget"]
    assert errors["end_date"] == "The end date must be on or after the start date."
    assert all(e.is_displayed() for e in driver.find_elements(By.CSS_SELECTOR, ".invalid-feedback"))
    # What was typed is kept, in ISO.
    assert driver.find_element(By.NAME, "start_date").get_attribute("value") == "2026-05-01"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 0


def type_date(driver, name: str, day: date) -> None:
    """Type a date into a date field as a user does with the keyboard, in the order the browser's date picker
    shows (its locale's: month/day/year in a US browser); the field's value is then ISO."""
    field = driver.find_element(By.NAME, name)
    assert field.get_attribute("type") == "date"
    order = driver.execute_script(
        "return new Intl.DateTimeFormat(navigator.language).formatToParts(new Date(2026, 4, 1))"
        ".filter(p => p.type !== 'literal').map(p => p.type);"
    )
    parts = {"day": day.strftime("%d"), "month": day.strftime("%m"), "year": day.strftime("%Y")}
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", field)
    field.send_keys("".join(parts[part] for part in order))  # focused by the driver: the first part
    assert field.get_attribute("value") == day.isoformat(), (field.get_attribute("value"), order)


def test_the_period_filter_with_the_date_picker(signed_in, world):
    op = world.operation
    factories.make_project(op, world.ngo, title="Spring works", start_date=date(2026, 3, 1), end_date=date(2026, 4, 30))
    factories.make_project(
        op, world.ngo, title="Autumn works", start_date=date(2026, 9, 1), end_date=date(2026, 10, 31)
    )
    driver = signed_in(world.users["viewer"])
    driver.get(driver.live_url + "/projects/")
    for name, label in (("date_from", "Active between"), ("date_to", "and")):
        field = driver.find_element(By.NAME, name)
        shown = driver.find_element(By.CSS_SELECTOR, f"label[for='{field.get_attribute('id')}']")
        assert shown.is_displayed() and shown.text == label
    type_date(driver, "date_from", date(2026, 4, 1))
    type_date(driver, "date_to", date(2026, 4, 15))
    submit(driver, "form.filters")
    assert query(driver)["date_from"] == ["2026-04-01"] and query(driver)["date_to"] == ["2026-04-15"]
    assert row_titles(driver) == ["Spring works"]
    assert driver.find_element(By.NAME, "date_from").get_attribute("value") == "2026-04-01"


def test_sort_a_column_and_show_my_organisation_only(signed_in, world):
    op = world.operation
    for title in ("Bravo wells", "alpha latrines", "Delta schools"):
        factories.make_project(op, world.ngo, title=title)
    factories.make_project(op, world.other_ngo, title="Charlie clinics")
    driver = signed_in(world.users["focal"])  # NGOA's
    driver.get(driver.live_url + "/projects/")

    def header(text: str):
        return driver.find_element(By.XPATH, f"//thead//th[.//a[starts-with(normalize-space(), '{text}')]]")

    assert header("Title").get_attribute("aria-sort") is None
    follow(driver, header("Title").find_element(By.TAG_NAME, "a"))
    assert row_titles(driver) == ["alpha latrines", "Bravo wells", "Charlie clinics", "Delta schools"]
    assert header("Title").get_attribute("aria-sort") == "ascending" and "▲" in header("Title").text
    follow(driver, header("Title").find_element(By.TAG_NAME, "a"))
    assert row_titles(driver) == ["Delta schools", "Charlie clinics", "Bravo wells", "alpha latrines"]
    assert header("Title").get_attribute("aria-sort") == "descending" and "▼" in header("Title").text
    assert query(driver)["sort"] == ["-title"]

    toggle = driver.find_element(By.CSS_SELECTOR, "a.mine-toggle")
    assert toggle.get_attribute("aria-pressed") == "false" and "NGOA" in toggle.text
    follow(driver, toggle)
    assert row_titles(driver) == ["Delta schools", "Bravo wells", "alpha latrines"]  # the sort is kept
    assert query(driver) == {"sort": ["-title"], "mine": ["1"]}
    assert driver.find_element(By.CSS_SELECTOR, "a.mine-toggle").get_attribute("aria-pressed") == "true"
    # Filtering again keeps both the toggle and the order.
    driver.find_element(By.NAME, "q").send_keys("s")
    submit(driver, "form.filters")
    assert query(driver)["mine"] == ["1"] and query(driver)["sort"] == ["-title"]
    assert row_titles(driver) == ["Delta schools", "Bravo wells", "alpha latrines"]
    follow(driver, driver.find_element(By.CSS_SELECTOR, "a.mine-toggle"))
    assert "Charlie clinics" in row_titles(driver) and "mine" not in query(driver)


MAIN_PAGES = [
    "/",
    "/projects/",
    "/projects/?sort=-title&mine=1",
    "/projects/new",
    "/needs/",
    "/capacities/",
    "/overlaps/",
    "/overlaps/inbox",
    "/overlaps/clusters",
    "/gaps/",
    "/allocations/",
    "/imports/",
    "/maps/presence",
    "/notifications/",
    "/account/",
]


def test_the_main_pages_in_french_have_no_english_left(signed_in, world):
    """The language chosen with the navigation bar's button; every main page as the browser shows it (the
    page's scripts having run) has no English sentence left in its text, titles, labels or placeholders."""
    french_operation(world)
    driver = signed_in(world.users["coordinator"], language="fr")
    found, seen = [], 0
    for path in MAIN_PAGES:
        driver.get(driver.live_url + path)
        assert driver.execute_script("return document.documentElement.lang;") == "fr", path
        if "404" in driver.title or "Introuvable" in driver.title:
            continue
        seen += 1
        for text in visible_text(driver.page_source):
            if ENGLISH.search(text) and text != "English":
                found.append(f"{path}: {text[:120]!r}")
    assert seen >= 12
    assert found == [], "\n".join(found[:60])
