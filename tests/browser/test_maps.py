"""Maps and dashboards in a real headless Chromium: sign in, open each map and dashboard, click an area and
see its list, switch to French, phone width."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from tests.browser.conftest import PHONE, console_errors, wait

LAYERS = ["presence", "needs", "allocation", "overlaps"]


def map_ready(driver) -> None:
    wait(driver).until(lambda d: d.find_element(By.ID, "map").get_attribute("data-ready") == "1")


def click_area(driver, pcode: str) -> None:
    """A real mouse click on the area's place on the map (its centroid: a circle, or inside its polygon)."""
    element = driver.find_element(By.ID, "map")
    # Selenium offsets are from the centre of the element's visible part: show all of it first (at once:
    # Bootstrap makes scrolling smooth).
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
    x, y = driver.execute_script(
        "var s = arguments[0].coordhub, c = s.byPcode[arguments[1]].properties.centroid;"
        "var p = s.map.latLngToContainerPoint([c[0], c[1]]); return [p.x, p.y];",
        element,
        pcode,
    )
    size = element.size
    ActionChains(driver).move_to_element_with_offset(
        element, int(x - size["width"] / 2), int(y - size["height"] / 2)
    ).click().perform()


@pytest.mark.parametrize("role", ["coordinator", "focal", "viewer"])
def test_dashboard_of_each_role_draws_its_map_and_charts(signed_in, mapped, role):
    driver = signed_in(mapped.users[role])
    marker = {"coordinator": "dashboard-coordinator", "focal": "dashboard-focal_point", "viewer": "dashboard-viewer"}
    assert driver.find_elements(By.ID, marker[role])
    map_ready(driver)
    charts = driver.find_elements(By.CSS_SELECTOR, "canvas.coordhub-chart")
    assert charts
    wait(driver).until(lambda d: all(c.get_attribute("data-ready") == "1" for c in charts))
    assert driver.find_element(By.ID, "map-legend").text.strip()
    assert console_errors(driver) == []


def test_each_map_opens_with_legend_and_export(signed_in, mapped):
    driver = signed_in(mapped.users["coordinator"])
    for layer in LAYERS:
        driver.get(f"{driver.live_url}/maps/{layer}?level=2")
        map_ready(driver)
        assert driver.find_element(By.ID, "map-legend").text.strip()
        assert "admin level 2" in driver.find_element(By.ID, "map-title").text
        png = driver.execute_script("return window.coordhubMaps.exportPng(document.getElementById('map'));")
        assert png > 1000  # a data: URL of a real image
    assert console_errors(driver) == []


def test_click_an_area_and_see_its_list(signed_in, mapped):
    driver = signed_in(mapped.users["viewer"])
    driver.get(f"{driver.live_url}/maps/presence?level=2")
    map_ready(driver)
    click_area(driver, "CF711")
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#area-panel .area-projects li"))
    panel = driver.find_element(By.ID, "area-panel")
    assert "Bria" in panel.text
    assert "Sensitive entry (details restricted)" in panel.text  # PREF's project, redacted
    assert mapped.projects["sensitive_bria"].title not in panel.text
    panel.find_element(By.LINK_TEXT, mapped.projects["ngo_both"].title).click()
    wait(driver).until(lambda d: f"/projects/{mapped.projects['ngo_both'].id}" in d.current_url)


def test_french_and_phone_width(signed_in, mapped):
    driver = signed_in(mapped.users["focal"], width=PHONE[0], language="fr")
    driver.get(f"{driver.live_url}/maps/needs?level=2")
    map_ready(driver)
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    legend = driver.find_element(By.ID, "map-legend").text
    assert "Légende" in legend and "lacune" in legend
    width = driver.execute_script("return document.documentElement.scrollWidth;")
    assert width <= PHONE[0], f"the page is {width} px wide on a {PHONE[0]} px screen"
    assert driver.find_element(By.ID, "map").size["width"] <= PHONE[0]
    click_area(driver, "CF711")
    wait(driver).until(lambda d: "Bria" in d.find_element(By.ID, "area-panel").text)
    driver.get(driver.live_url + "/")
    map_ready(driver)
    assert "Mon organisation" in driver.page_source
    assert driver.execute_script("return document.documentElement.scrollWidth;") <= PHONE[0]
