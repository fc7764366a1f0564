"""Alerts and clusters as a given user may see them: sensitive entries reduced to "exists in sector and area"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import gettext as _

from coordhub.auth import rights
from coordhub.auth.models import User
from coordhub.extensions import db
from coordhub.overlap.core.explain import render_overlap
from coordhub.overlap.models import OverlapAlert, OverlapCluster
from coordhub.registry.models import Project


@dataclass
class Side:
    """One project of an alert, and whether the user may see its details."""

    project: Project
    visible: bool

    @property
    def organisation_label(self) -> str:
        return self.project.organisation.label if self.visible else _("a sensitive entry")


def sides(user: User, alert: OverlapAlert) -> tuple[Side, Side]:
    return tuple(Side(p, rights.can_see_details(user, p)) for p in alert.projects)


def explanation(user: User, alert: OverlapAlert) -> str:
    """The alert's sentence; with a sensitive side the user may not see, only that it exists, where, in what."""
    a, b = sides(user, alert)
    if a.visible and b.visible:
        return render_overlap(alert.explanation_reason, gettext) if alert.explanation_reason else alert.explanation
    values = {"sector": _(alert.sector.name), "area": alert.shared_area.label}
    if not a.visible and not b.visible:
        return _("Two sensitive entries (details restricted): %(sector)s, %(area)s", **values)
    shown = a if a.visible else b
    return _(
        "%(org)s and a sensitive entry (details restricted): %(sector)s, %(area)s",
        org=shown.project.organisation.label,
        **values,
    )


def author_hidden(user: User, alert: OverlapAlert, event) -> bool:
    """Whether the author of a change belongs to the organisation behind a sensitive entry of the alert that
    `user` may not see (naming them would tell who is behind the entry)."""
    if event.user is None:
        return False
    hidden = {side.project.organisation_id for side in sides(user, alert) if not side.visible}
    return event.user.organisation_id in hidden and event.user.organisation_id != user.organisation_id


def event_author(user: User, alert: OverlapAlert, event) -> str | None:
    """Who made a change, as `user` may know it (None: overlap detection)."""
    if event.user_id is None:
        return None
    if event.user is None:
        return _("a deleted account")
    if author_hidden(user, alert, event):
        return _("someone of the organisation behind the sensitive entry")
    return f"{event.user.name} ({event.user.organisation.label})"


@dataclass
class ClusterView:
    cluster: OverlapCluster
    organisations: list[str]  # labels of the organisations the user may see
    hidden_entries: int  # sensitive entries whose organisation the user may not see
    projects: list[Project]  # the entries the user may see in full

    # With sensitive entries the user may not see, the stored count and window depend on their hidden fields
    # (organisation, dates): the user gets the organisations they may see plus one per hidden entry, no window.
    @property
    def organisation_count(self) -> int:
        return (
            self.cluster.organisation_count
            if not self.hidden_entries
            else len(self.organisations) + self.hidden_entries
        )

    @property
    def window(self) -> tuple[date | None, date | None] | None:
        return None if self.hidden_entries else (self.cluster.start_date, self.cluster.end_date)

    @property
    def sentence(self) -> str:
        names = ", ".join(self.organisations)
        if self.hidden_entries:
            extra = (
                _("%(n)d sensitive entries", n=self.hidden_entries)
                if self.hidden_entries > 1
                else _("a sensitive entry")
            )
            names = f"{names}, {extra}" if names else extra
        return _(
            "%(count)d organisations in %(sector)s, %(area)s: %(names)s",
            count=self.organisation_count,
            sector=_(self.cluster.sector.name),
            area=self.cluster.area.label,
            names=names,
        )


def cluster_views(user: User, clusters: list[OverlapCluster]) -> list[ClusterView]:
    ids = {pid for c in clusters for pid in c.project_ids}
    projects = {p.id: p for p in db.session.scalars(sa.select(Project).where(Project.id.in_(ids)))} if ids else {}
    out = []
    for cluster in clusters:
        shown, labels, hidden = [], {}, 0
        for pid in cluster.project_ids:
            project = projects.get(pid)
            if project is None:
                continue
            if rights.can_see_details(user, project):
                shown.append(project)
                labels[project.organisation_id] = project.organisation.label
            else:
                hidden += 1
        out.append(ClusterView(cluster, sorted(labels.values(), key=str.casefold), hidden, shown))
    return out
