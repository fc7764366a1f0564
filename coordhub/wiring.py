"""The whole application in one place: every blueprint, API module, background job, CLI command, navigation
entry, form hook and reaction to other modules' events that create_app wires in. Nothing registers itself when imported: a page, job, command or
link that is not declared here is not part of the application (tests/test_wiring.py holds the app to this list).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

import click
import sqlalchemy as sa
from blinker import NamedSignal
from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

# Modules whose endpoints are on the /api/v1 blueprint (coordhub.api.core.api_route): importing them here, before
# the blueprint is registered, is what puts their routes on it.
from coordhub.allocation import api as allocation_api
from coordhub.allocation import jobs as allocation_jobs
from coordhub.allocation import views as allocation_views
from coordhub.allocation.cli import allocate_command
from coordhub.allocation.commands import run_allocation_command
from coordhub.api import core as api_core
from coordhub.api import openapi as api_openapi
from coordhub.api import views as api_views
from coordhub.audit import views as audit_views
from coordhub.auth import rights
from coordhub.auth import views as auth_views
from coordhub.cli import create_user_command, demo_command, seed_command
from coordhub.contacts import api as contacts_api
from coordhub.contacts import views as contacts_views
from coordhub.interop import api as interop_api
from coordhub.interop import jobs as interop_jobs
from coordhub.interop import views as interop_views
from coordhub.interop.cli import import_command
from coordhub.jobs import api as jobs_api
from coordhub.jobs import views as jobs_views
from coordhub.jobs.runner import Handler, register_job_handler
from coordhub.maps import api as maps_api
from coordhub.maps import views as maps_views
from coordhub.monitoring import api as monitoring_api
from coordhub.monitoring import views as monitoring_views
from coordhub.notifications import api as notifications_api
from coordhub.notifications import jobs as notifications_jobs
from coordhub.notifications import views as notifications_views
from coordhub.notifications.cli import send_digests_command, send_mail_command
from coordhub.overlap import api as overlap_api
from coordhub.overlap import detection as overlap_detection
from coordhub.overlap import jobs as overlap_jobs
from coordhub.overlap import views as overlap_views
from coordhub.overlap.cli import overlaps_command
from coordhub.overlap.commands import detect_overlaps_command
from coordhub.overlap.preview import ProjectFormHook
from coordhub.registry import views as registry_views
from coordhub.registry.cli import create_operation_command, import_admin_areas_command
from coordhub.registry.models import Project
from coordhub.registry.signals import project_saved
from coordhub.server import health
from coordhub.server.cli import backup_command, collect_static_command, restore_command, serve_command, worker_command
from coordhub.web import Menu, NavEntry, register_navigation

BLUEPRINTS: tuple[Blueprint, ...] = (
    auth_views.bp,  # sign-in, account, API tokens, users (admin)
    registry_views.bp,  # dashboard, projects, needs, capacities, admin areas, organisations, operations (admin)
    audit_views.bp,  # the audit log
    jobs_views.bp,  # a background job's progress page
    api_core.bp,  # /api/v1: the endpoints of API_MODULES
    overlap_views.bp,  # alerts, clusters, gaps
    interop_views.bp,  # file imports, exports, IATI
    allocation_views.bp,  # allocation runs, constraints, assignments
    monitoring_views.bp,  # indicators, periods, reports, results
    health.bp,  # /health for the load balancer
    maps_views.bp,  # maps and their layers, boundaries
    notifications_views.bp,  # the inbox, subscriptions, unsubscribe links
    contacts_views.bp,  # the contact directory, messages to record owners
)

API_MODULES: tuple[ModuleType, ...] = (
    api_views,  # projects, needs, capacities, organisations, admin areas, sectors, resource types
    api_openapi,  # the OpenAPI description and its page
    allocation_api,
    contacts_api,
    interop_api,
    jobs_api,
    maps_api,
    monitoring_api,
    notifications_api,
    overlap_api,
)

JOB_HANDLERS: Mapping[str, Handler] = {
    allocation_jobs.JOB_KIND: allocation_jobs.allocation_job,
    interop_jobs.JOB_KIND: interop_jobs.import_job,
    notifications_jobs.DELIVER: notifications_jobs.deliver_job,
    overlap_jobs.JOB_KIND: overlap_jobs.run_detection,
}

COMMANDS: tuple[click.Command, ...] = (
    demo_command,
    seed_command,
    create_operation_command,
    create_user_command,
    import_admin_areas_command,
    import_command,
    overlaps_command,
    detect_overlaps_command,
    allocate_command,
    run_allocation_command,
    serve_command,
    worker_command,
    backup_command,
    restore_command,
    collect_static_command,
    send_digests_command,
    send_mail_command,
)

# The navigation bar, menu by menu, in the order shown; `visible` is who sees the link (everyone signed in when
# absent), `badge` what counts next to it.
NAVIGATION: tuple[NavEntry, ...] = (
    NavEntry("maps.index", _l("Maps")),
    # Focal points and viewers have only their assignments: "Allocations" would lead there a second time.
    NavEntry("allocation.runs", _l("Allocations"), visible=rights.can_run_allocation),
    NavEntry("allocation.mine", _l("My assignments"), badge=allocation_views.pending_badge),
    NavEntry("monitoring.home", _l("Results")),
    NavEntry("notifications.inbox", _l("Notifications"), badge=notifications_views.unread_badge),
    NavEntry("overlap.alerts", _l("Overlaps")),
    NavEntry("overlap.inbox", _l("My alerts"), badge=overlap_views.unread_badge),
    NavEntry("overlap.gaps", _l("Gaps")),
    NavEntry("registry.record_list", _l("Projects"), {"slug": "projects"}, Menu.registry),
    NavEntry("registry.record_list", _l("Needs"), {"slug": "needs"}, Menu.registry),
    NavEntry("registry.record_list", _l("Capacities"), {"slug": "capacities"}, Menu.registry),
    NavEntry("registry.areas", _l("Admin areas"), menu=Menu.registry),
    NavEntry("registry.organisations", _l("Organisations"), menu=Menu.registry),
    NavEntry("contacts.directory", _l("Contacts"), menu=Menu.registry),
    NavEntry("interop.imports", _l("Import"), menu=Menu.registry, visible=interop_views.can_import_any),
    NavEntry("auth.users", _l("Users"), menu=Menu.administration, visible=rights.can_manage_users),
    NavEntry(
        "registry.organisations", _l("Organisations"), menu=Menu.administration, visible=rights.can_manage_organisations
    ),
    NavEntry(
        "registry.operations",
        _l("Operations and admin areas"),
        menu=Menu.administration,
        visible=rights.can_manage_operations,
    ),
    NavEntry("audit.log", _l("Audit log"), menu=Menu.administration, visible=rights.can_view_audit),
)

# Forms of the registry that other features extend (kind -> hook; see coordhub.registry.views).
FORM_HOOKS: Mapping[type, Any] = {
    Project: ProjectFormHook(),  # "Check for overlaps" before saving a project
}

# Reactions to what other modules do. Signals and session events are process-wide: connected when the first app is
# created, once (a second app, as tests create, adds nothing).
SIGNAL_RECEIVERS: tuple[tuple[NamedSignal, Callable[..., Any]], ...] = (
    (project_saved, overlap_detection.note_saved_project),  # overlap detection notes every saved project
)
SESSION_LISTENERS: tuple[tuple[str, Callable[[Session], None]], ...] = (
    ("before_commit", overlap_detection.detect_before_commit),  # ... and checks them just before the commit
    ("after_rollback", overlap_detection.forget_saved_projects),
    ("after_commit", notifications_jobs.deliver_after_commit),  # e-mail leaves after the commit that queued it
    ("after_rollback", notifications_jobs.forget_outbox_written),
)


def wire(app: Flask) -> None:
    """Register everything declared above on `app` (called once by create_app)."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    for kind, handler in JOB_HANDLERS.items():
        register_job_handler(app, kind, handler)
    for command in COMMANDS:
        app.cli.add_command(command)
    register_navigation(app, NAVIGATION)
    registry_views.register_form_hooks(app, FORM_HOOKS)
    for signal, receiver in SIGNAL_RECEIVERS:
        signal.connect(receiver)  # blinker keeps one connection per receiver
    for event, listener in SESSION_LISTENERS:
        if not sa.event.contains(Session, event, listener):
            sa.event.listen(Session, event, listener)
