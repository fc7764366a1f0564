"""Importing results (5W/4W reporting files with #indicator, #reached, #targeted and breakdown hashtags) through
the registry's importer: rows grouped into one report per project and period, checked by the monitoring checks,
written by the monitoring operations, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from coordhub.extensions import db
from coordhub.interop import lookups
from coordhub.interop.importer import Planner, match_organisation
from coordhub.interop.mapping import REPORT_BREAKDOWNS
from coordhub.interop.records import RowRecord
from coordhub.monitoring import operations as mops
from coordhub.monitoring.core import Entry
from coordhub.monitoring.core.checks import ERROR
from coordhub.monitoring.messages import issue_message
from coordhub.monitoring.models import Indicator, Report, ReportingPeriod, Target
from coordhub.monitoring.queries import report_values
from coordhub.monitoring.rights import can_report
from coordhub.registry.models import AdminArea, Project

VALUE_FIELDS = {"": "reached", **{category: f"reached_{attribute}" for attribute, category, _l in REPORT_BREAKDOWNS}}


@dataclass
class _Group:
    """The rows of one project and period: its values, the rows each came from, a comment."""

    project: Project
    period: ReportingPeriod
    values: dict[tuple[int, int, str], float] = field(default_factory=dict)
    rows: dict[tuple[int, int, str], int] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)
    action: str = "create"


class ReportPlanner(Planner):
    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.organisations = lookups.organisation_matcher()
        self.projects = {
            (p.organisation_id, p.code): p
            for p in db.session.scalars(
                sa.select(Project).where(
                    Project.operation_id == self.operation.id, Project.archived_at.is_(None), Project.code.is_not(None)
                )
            )
        }
        self.indicators = {
            i.code: i
            for i in db.session.scalars(
                sa.select(Indicator).where(Indicator.operation_id == self.operation.id, Indicator.archived.is_(False))
            )
        }
        self.areas = dict(
            db.session.execute(
                sa.select(AdminArea.pcode, AdminArea.id).where(AdminArea.operation_id == self.operation.id)
            ).all()
        )
        self.periods = list(
            db.session.scalars(
                sa.select(ReportingPeriod)
                .where(ReportingPeriod.operation_id == self.operation.id)
                .order_by(ReportingPeriod.start_date)
            )
        )
        self.groups: dict[tuple[int, int], _Group] = {}
        self.targets: dict[int, dict[tuple[int, int, str], float]] = {}  # project -> targets from the file
        self.target_rows: dict[tuple[int, tuple[int, int, str]], int] = {}

    def add_row(self, row_record: RowRecord) -> None:
        number, values = row_record.row, row_record.values
        if self.cell_problems(row_record):
            self.outcome(number, "error")
            return
        organisation = match_organisation(
            self.organisations, values.get("organisation"), values.get("organisation_acronym")
        )
        if not organisation.ok:
            self.match_problem(number, ("organisation", "organisation_acronym"), organisation)
            self.outcome(number, "error")
            return
        failed = False
        project = self.projects.get((organisation.record.id, values.get("project_code")))
        if project is None:
            self.problem(
                number,
                "project_code",
                _("No project of %(org)s has this code in the operation.", org=organisation.record.name),
                values.get("project_code"),
            )
            failed = True
        elif not can_report(self.user, project):
            self.problem(
                number,
                "project_code",
                _("Only %(org)s reports on this project.", org=project.organisation.label),
                values.get("project_code"),
            )
            failed = True
        indicator = self.indicators.get(values.get("indicator_code"))
        if indicator is None:
            self.problem(
                number,
                "indicator_code",
                _("No indicator has this code in the operation."),
                values.get("indicator_code"),
            )
            failed = True
        area_id = self.areas.get(values.get("pcode"))
        if area_id is None:
            self.problem(number, "pcode", _("This P-code is not an admin area of the operation."), values.get("pcode"))
            failed = True
        day = values.get("start_date")
        period = next((p for p in self.periods if day is not None and p.start_date <= day <= p.end_date), None)
        if period is None:
            self.problem(number, ("start_date", "month"), _("No reporting period contains this date."), day)
            failed = True
        if failed:
            self.outcome(number, "error")
            return
        group = self.groups.setdefault((project.id, period.id), _Group(project, period))
        for category, name in VALUE_FIELDS.items():
            if values.get(name) is None:
                continue
            key = (indicator.id, area_id, category)
            if key in group.values:
                self.problem(
                    number,
                    name,
                    _(
                        "Row %(row)d already gives this value for this project, period, indicator and area.",
                        row=group.rows[key],
                    ),
                    values[name],
                )
                self.outcome(number, "error")
                return
            group.values[key] = float(values[name])
            group.rows[key] = number
        if values.get("targeted") is not None:
            target_key = (indicator.id, area_id, "")
            self.targets.setdefault(project.id, {})[target_key] = float(values["targeted"])
            self.target_rows[(project.id, target_key)] = number
        if values.get("comment") and values["comment"] not in group.comments:
            group.comments.append(values["comment"])
        self.outcome(number, "create", f"{project.title} · {period.label}")

    def _targets_of(self, project: Project) -> dict[tuple[int, int, str], float]:
        stored = mops.project_targets(project.id)
        return {**stored, **self.targets.get(project.id, {})}

    def finish(self) -> None:
        actions: dict[tuple[int, int], str] = {}
        for key, group in self.groups.items():
            existing = db.session.scalar(
                sa.select(Report).where(Report.project_id == group.project.id, Report.period_id == group.period.id)
            )
            first_row = min(group.rows.values()) if group.rows else None
            if existing is not None:
                stored = report_values(existing)
                entries = [Entry(*k, v) for k, v in group.values.items()]
                completed, _issues = mops.check_values(
                    group.project, group.period, entries, self._targets_of(group.project)
                )
                if {e.key: e.value for e in completed} == stored:
                    actions[key] = "unchanged"
                    continue
                if not existing.editable:
                    self.problem(
                        first_row,
                        "project_code",
                        _(
                            "The report of %(period)s is %(state)s: it can no longer be changed.",
                            period=group.period.label,
                            state=existing.state_label,
                        ),
                    )
                    actions[key] = "error"
                    continue
                group.action = "update"
            if group.period.closed:
                self.problem(
                    first_row, ("start_date", "month"), _("The period %(label)s is closed.", label=group.period.label)
                )
                actions[key] = "error"
                continue
            entries = [Entry(*k, v) for k, v in sorted(group.values.items())]
            try:
                _entries, issues = mops.check_values(
                    group.project, group.period, entries, self._targets_of(group.project)
                )
            except mops.ValidationError as error:
                self.problem(first_row, "indicator_code", error.message)
                actions[key] = "error"
                continue
            for issue in issues:
                row = group.rows.get(issue.key, first_row) if issue.key else first_row
                column = VALUE_FIELDS.get(issue.key[2], "reached") if issue.key else "start_date"
                self.problem(
                    row, column, issue_message(issue), severity="error" if issue.severity == ERROR else "warning"
                )
            actions[key] = "error" if any(i.severity == ERROR for i in issues) else group.action
        by_label = {f"{g.project.title} · {g.period.label}": actions.get(k, g.action) for k, g in self.groups.items()}
        for outcome in self.report.rows:
            if outcome.action == "create" and outcome.label in by_label:
                outcome.action = by_label[outcome.label]
        self.actions = actions

    def write(self) -> tuple[int, int]:
        for project_id in self.targets:
            project = db.session.get(Project, project_id)
            merged = self._targets_of(project)
            baselines = {
                (t.indicator_id, t.admin_area_id, t.disaggregation): t.baseline
                for t in db.session.scalars(sa.select(Target).where(Target.project_id == project_id))
            }
            mops.save_targets(
                self.user,
                project,
                [mops.TargetRow(k[0], k[1], v, baselines.get(k), k[2]) for k, v in sorted(merged.items())],
                commit=False,
            )
        created = updated = 0
        for key, group in self.groups.items():
            action = self.actions.get(key)
            if action not in ("create", "update"):
                continue
            entries = [Entry(*k, v) for k, v in sorted(group.values.items())]
            existing_comment = db.session.scalar(
                sa.select(Report.comment).where(
                    Report.project_id == group.project.id, Report.period_id == group.period.id
                )
            )
            mops.save_report(
                self.user,
                group.project,
                group.period,
                entries,
                comment="\n".join(group.comments) or existing_comment or "",
                confirm=True,
                commit=False,
            )
            created += action == "create"
            updated += action == "update"
        return created, updated


def export_rows(user: Any, operation) -> list[dict[str, Any]]:
    """The reports the user may see, one row per project, indicator, area and period, in the import's layout
    (sensitive projects only for those who may see them)."""
    from coordhub.monitoring.models import ReportState, ReportValue
    from coordhub.monitoring.rights import can_see_draft, can_see_results
    from coordhub.registry.models import Organisation

    rows: dict[tuple, dict[str, Any]] = {}
    query = (
        sa.select(ReportValue, Project, ReportingPeriod, Indicator.code, AdminArea.pcode, Organisation, Report.state)
        .join(Report, Report.id == ReportValue.report_id)
        .join(Project, Project.id == ReportValue.project_id)
        .join(ReportingPeriod, ReportingPeriod.id == ReportValue.period_id)
        .join(Indicator, Indicator.id == ReportValue.indicator_id)
        .join(AdminArea, AdminArea.id == ReportValue.admin_area_id)
        .join(Organisation, Organisation.id == Project.organisation_id)
        .where(ReportValue.operation_id == operation.id)
        .order_by(Organisation.name, Project.code, ReportingPeriod.start_date, Indicator.code, AdminArea.pcode)
    )
    targets = {
        (t.project_id, t.indicator_id, t.admin_area_id): t.value
        for t in db.session.scalars(
            sa.select(Target).join(Project).where(Project.operation_id == operation.id, Target.disaggregation == "")
        )
    }
    seen: dict[int, bool] = {}
    for value, project, period, indicator_code, pcode, organisation, state in db.session.execute(query):
        if project.id not in seen:
            seen[project.id] = can_see_results(user, project) and project.code is not None
        if not seen[project.id] or (state is ReportState.draft and not can_see_draft(user, project)):
            continue
        key = (project.id, period.id, value.indicator_id, value.admin_area_id)
        row = rows.setdefault(
            key,
            {
                "organisation": organisation.name,
                "organisation_acronym": organisation.acronym,
                "project_code": project.code,
                "indicator_code": indicator_code,
                "pcode": pcode,
                "start_date": period.start_date,
                "targeted": targets.get((project.id, value.indicator_id, value.admin_area_id)),
            },
        )
        row[VALUE_FIELDS[value.disaggregation]] = value.value
    return list(rows.values())


EXPORTED_FIELDS = (
    "organisation",
    "organisation_acronym",
    "project_code",
    "indicator_code",
    "pcode",
    "start_date",
    "targeted",
    *VALUE_FIELDS.values(),
)
