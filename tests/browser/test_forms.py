"""The project form in a real browser: the searchable area picker (type a name or P-code, see the parent, pick
on the map) and activity types filtered by the chosen sector."""

from __future__ import annotations

import sqlalchemy as sa
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from coordhub.extensions import db
from coordhub.registry.models import Project
from tests.browser.conftest import click, wait


def picker_ready(driver):
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".area-picker[data-ready='1']"))
    return driver.find_element(By.CSS_SELECTOR, ".area-picker")


def test_register_a_project_with_the_area_picker(signed_in, mapped):
    driver = signed_in(mapped.users["focal"])
    driver.get(driver.live_url + "/projects/new")
    picker = picker_ready(driver)
    assert not driver.find_element(By.NAME, "area_ids").is_displayed()  # the long multi-select is replaced
    search = picker.find_element(By.CSS_SELECTOR, "input[type=search]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'start', behavior: 'instant'});", picker)
    search.send_keys("bria")
    result = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, ".area-picker .results button"))
    assert "Bria (CF711)" in result.text and "Haute-Kotto (CF71)" in result.text  # the parent is shown
    result.click()
    search.send_keys("CF632")
    search.send_keys("\n")  # Enter picks the first
    chips = [chip.get_attribute("data-pcode") for chip in picker.find_elements(By.CSS_SELECTOR, ".chips .badge")]
    assert chips == ["CF632", "CF711"]
    picker.find_element(By.CSS_SELECTOR, ".chips .badge[data-pcode='CF632'] button").click()
    assert [c.get_attribute("data-pcode") for c in picker.find_elements(By.CSS_SELECTOR, ".chips .badge")] == ["CF711"]

    # Pick on the map: Bocaranga's circle.
    picker.find_element(By.XPATH, ".//button[contains(., 'Pick on the map')]").click()
    map_box = picker.find_element(By.CSS_SELECTOR, ".coordhub-map")
    wait(driver).until(lambda d: map_box.is_displayed())
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", map_box)
    x, y = driver.execute_script(
        "var s = arguments[0].coordhub, p = s.map.latLngToContainerPoint(s.markers['CF633'].getLatLng());"
        "return [p.x, p.y];",
        map_box,
    )
    size = map_box.size
    ActionChains(driver).move_to_element_with_offset(
        map_box, int(x - size["width"] / 2), int(y - size["height"] / 2)
    ).click().perform()
    wait(driver).until(lambda d: len(picker.find_elements(By.CSS_SELECTOR, ".chips .badge")) == 2)
    picker.find_element(By.CSS_SELECTOR, ".chips .badge[data-pcode='CF633'] button").click()

    sector = Select(driver.find_element(By.NAME, "sector_id"))
    types = driver.find_element(By.NAME, "resource_type_id")
    sector.select_by_visible_text("Water and sanitation")
    visible = [o.text for o in types.find_elements(By.TAG_NAME, "option") if o.get_attribute("hidden") is None]
    assert visible and all(text.startswith("Water and sanitation") or text == "— none —" for text in visible)
    Select(types).select_by_visible_text("Water and sanitation › Borehole drilling (boreholes)")
    driver.find_element(By.NAME, "title").send_keys("Boreholes in Bria")
    driver.execute_script("arguments[0].value = '2026-03-01';", driver.find_element(By.NAME, "start_date"))
    click(driver, driver.find_element(By.CSS_SELECTOR, "form [type=submit][name=submit]"))
    wait(driver).until(lambda d: "/projects/" in d.current_url and "/new" not in d.current_url)
    db.session.expire_all()
    project = db.session.scalar(sa.select(Project).where(Project.title == "Boreholes in Bria"))
    assert [a.pcode for a in project.areas] == ["CF711"]
    assert project.resource_type.code == "WASH-BOREHOLE"
