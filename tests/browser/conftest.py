"""Browser fixtures (reusable for any page): the app served by a live server thread on a free port, and a real
headless Chromium (Debian's chromium + chromium-driver, installed by .ci/browser) driven by selenium, signed
in per role, at desktop or phone width, in English or French.

    def test_something(signed_in, mapped):
        driver = signed_in(mapped.users["viewer"], width=390, language="fr")
        driver.get(driver.live_url + "/maps/presence")
"""

from __future__ import annotations

import shutil
import socket
import threading

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

from coordhub.extensions import db
from tests import factories

PHONE = (390, 844)
DESKTOP = (1366, 900)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(app):
    """The test app on http://127.0.0.1:<free port>, one request at a time (SQLite in memory shares one
    connection with the tests)."""
    server = make_server("127.0.0.1", _free_port(), app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def _chromium() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        pytest.fail(
            "Chromium and its driver are needed for the browser tests: run `bash .ci/browser` "
            "(apt-get install chromium chromium-driver)."
        )
    return browser, driver


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole run (starting one costs a second or two)."""
    browser, driver_path = _chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--lang=en-GB",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium, live_server):
    """The shared Chromium, signed out, at desktop width; `browser.live_url` is the server's address."""
    chromium.set_window_size(*DESKTOP)
    chromium.live_url = live_server
    db.session.commit()  # the live server must see what the test wrote
    yield chromium
    if not chromium.current_url.startswith(live_server):
        chromium.get(live_server + "/static-nothing")  # cookies are deleted per site: be on the site first
    chromium.delete_all_cookies()
    chromium.get("about:blank")


@pytest.fixture
def signed_in(browser):
    """signed_in(user, width=1366, language=None): sign in through the form, as a user would; `language`
    ('fr') is then chosen with the navigation bar's language button."""

    def sign_in(user, width: int = DESKTOP[0], language: str | None = None):
        db.session.commit()
        browser.set_window_size(width, PHONE[1] if width <= PHONE[0] else DESKTOP[1])
        browser.get(browser.live_url + "/login")
        browser.find_element(By.NAME, "email").send_keys(user.email)
        browser.find_element(By.NAME, "password").send_keys(factories.PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "form [type=submit]").click()
        wait(browser).until(expected_conditions.url_matches(r"/$|/\?"))
        if language:
            choose_language(browser, language)
        return browser

    return sign_in


def wait(driver, seconds: float = 15) -> WebDriverWait:
    return WebDriverWait(driver, seconds)


def choose_language(driver, code: str) -> None:
    """Click the language button of the navigation bar (opening the menu first on a phone)."""
    toggler = driver.find_elements(By.CSS_SELECTOR, ".navbar-toggler")
    if toggler and toggler[0].is_displayed():
        toggler[0].click()
        wait(driver).until(expected_conditions.visibility_of_element_located((By.ID, "mainnav")))
    button = next(
        b
        for b in driver.find_elements(By.CSS_SELECTOR, "nav form button")
        if (b.get_attribute("textContent") or "").strip().lower() == code.lower()
    )
    wait(driver).until(expected_conditions.element_to_be_clickable(button))
    button.click()
    wait(driver).until(lambda d: d.execute_script("return document.documentElement.lang;") == code)


def console_errors(driver) -> list[str]:
    """Errors the page's scripts logged (a failed script, a blocked resource)."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"]
    ]


def click(driver, element) -> None:
    """Scroll the element to the middle of the screen at once (Bootstrap makes scrolling smooth, which
    makes Selenium click where the element was), then click it as a user would."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
    element.click()
