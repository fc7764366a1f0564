"""The application is what coordhub.wiring declares: its blueprints, API modules, job handlers, CLI commands and
navigation entries, and nothing that registered itself on import."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from flask import url_for
from sqlalchemy.orm import Session

from coordhub import create_app, wiring
from coordhub.jobs.runner import HANDLERS_KEY
from coordhub.web import NAVIGATION_KEY, Menu

PACKAGE = Path(wiring.__file__).resolve().parent
FLASK_OWN = {"static", "bootstrap"}  # Flask's static files and Bootstrap-Flask's assets


def fresh_app():
    return create_app("testing")


def test_the_blueprints_are_the_declared_ones():
    app = fresh_app()
    assert set(app.blueprints) - FLASK_OWN == {blueprint.name for blueprint in wiring.BLUEPRINTS}
    endpoints = {rule.endpoint.partition(".")[0] for rule in app.url_map.iter_rules()}
    assert endpoints - FLASK_OWN == {blueprint.name for blueprint in wiring.BLUEPRINTS}


def test_every_api_endpoint_comes_from_a_declared_api_module():
    app = fresh_app()
    api_views = [
        app.view_functions[rule.endpoint] for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")
    ]
    modules = {view.__module__ for view in api_views}
    assert modules == {module.__name__ for module in wiring.API_MODULES}
    # and every module that declares API routes is one of them (a module missing here would lose its routes)
    declaring = {
        ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        for path in PACKAGE.rglob("*.py")
        if re.search(r"^@api_route\(", path.read_text(), re.MULTILINE)
    }
    assert declaring <= modules


def test_the_job_registry_is_the_declared_one():
    app = fresh_app()
    assert app.extensions[HANDLERS_KEY] == dict(wiring.JOB_HANDLERS)
    assert set(wiring.JOB_HANDLERS) == {"allocation", "import", "notifications-deliver", "overlap-detection"}


def test_the_cli_commands_are_the_declared_ones():
    app = fresh_app()
    assert set(app.cli.commands) == {command.name for command in wiring.COMMANDS} | {"db"}  # db: Flask-Migrate


def test_the_navigation_is_the_declared_one_and_every_entry_leads_to_a_page():
    app = fresh_app()
    assert app.extensions[NAVIGATION_KEY] == wiring.NAVIGATION
    with app.test_request_context():
        for entry in wiring.NAVIGATION:
            assert url_for(entry.endpoint, **entry.args)


def test_the_reactions_to_other_modules_events_are_connected_once():
    fresh_app()
    fresh_app()  # a second app adds nothing: signals and session events are process-wide
    for signal, receiver in wiring.SIGNAL_RECEIVERS:
        assert [ref() for ref in signal.receivers.values()].count(receiver) == 1
    session = Session()  # every session, the app's included, dispatches to the class's listeners
    for event, listener in wiring.SESSION_LISTENERS:
        assert list(getattr(session.dispatch, event)).count(listener) == 1, event


def _nav_links(html: str) -> list[str]:
    navbar = html[html.index('id="mainnav"') : html.index("</nav>")]
    links = re.findall(r'class="(?:nav-link|dropdown-item)[^"]*"\s+href="([^"]+)"', navbar)
    # "#": the toggles of the drop-down menus; /account/: the signed-in user's own menu, not a navigation entry
    return [link for link in links if link not in ("#", "/account/")]


def test_each_role_sees_the_declared_links_that_its_rights_allow(world, client, login):
    shown_order = [Menu.registry, Menu.bar, Menu.administration]  # the bar's drop-downs as base.html lays them out
    entries = [entry for menu in shown_order for entry in wiring.NAVIGATION if entry.menu is menu]
    with client.application.test_request_context():
        urls = [url_for(entry.endpoint, **entry.args) for entry in entries]
    login(world.users["admin"])
    assert _nav_links(client.get("/").get_data(as_text=True)) == urls
    focal = world.users["focal"]
    login(focal)
    seen = _nav_links(client.get("/").get_data(as_text=True))
    assert seen == [url for url, entry in zip(urls, entries) if entry.visible is None or entry.visible(focal)]
    assert "/allocations/" not in seen and "/audit/" not in seen and "/users/" not in seen
    assert len(seen) == len(urls) - 5  # not Allocations nor the four links of Administration


def test_no_module_registers_itself_on_import():
    """The registries that modules used to fill when imported are gone, and no module is imported only for what
    importing it registers (the idiom was an unused `from … import views as _views  # noqa: F401`)."""
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"NAV_LINKS|NAV_BADGES|NAV_VISIBLE|REGISTRY_MENU|@job_handler", text), path
        tree = ast.parse(text)
        used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                unused = [
                    alias.name
                    for alias in node.names
                    if alias.asname and alias.asname.startswith("_") and alias.asname not in used
                ]
                assert not unused, f"{path}: imports {unused} for what importing them registers"
