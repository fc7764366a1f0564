"""Importing files into the registry: the one code path of the wizard, the API and `coordhub import`.

read the table → choose the mapping (given, from a template, or proposed) → parse the rows → match
organisations, sectors, resource types and areas → check each record with the registry operations'
own rules (rights, meaning) → PREVIEW (what would be created, updated, left unchanged; every problem
by row and column) → COMMIT in one transaction: every row or none (unless the person chose to skip
the rejected rows). Re-importing the same file changes nothing: records are found again by the
partner's code, else by a fingerprint of the matched values stored as the code ('auto:…').
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from rapidfuzz import fuzz

from coordhub.audit.models import AuditAction, record
from coordhub.auth import rights
from coordhub.auth.models import Role, User
from coordhub.database import utcnow
from coordhub.errors import DomainError, PermissionDenied, ValidationError
from coordhub.extensions import db
from coordhub.interop import lookups
from coordhub.interop.mapping import KindSpec, apply_template, get_kind, propose_mapping, validate_mapping
from coordhub.interop.matching import (
    AreaQuery,
    MatchResult,
    MatchStatus,
    OrganisationMatcher,
    Suggestion,
    name_key,
)
from coordhub.interop.models import ImportRun, ImportStatus
from coordhub.interop.records import ExtractOptions, RowRecord, iter_records, row_fingerprint
from coordhub.locks import exclusive
from coordhub.reading.tables import Table, TableError, read_table
from coordhub.reading.values import normalise_text
from coordhub.reading.vocabulary import clean_sector_text
from coordhub.registry import operations as ops
from coordhub.registry.admin_areas import AreaRecord
from coordhub.registry.models import (
    AdminArea,
    Capacity,
    Need,
    Operation,
    Organisation,
    OrganisationType,
    Project,
    capacity_areas,
    project_areas,
    project_partners,
)

RECORD_KINDS: dict[str, type] = {"projects": Project, "needs": Need, "capacities": Capacity}
IMPORT_KINDS = ("projects", "needs", "capacities", "organisations", "admin_areas", "reports")
MAX_ROWS_KEPT = 1000  # row outcomes kept in a stored report (counts are always complete)
MAX_PROBLEMS_KEPT = 5000

Progress = Callable[[float, str], None]
# Exports put an apostrophe before text that spreadsheets would run as a formula; imports take it off.
FORMULA_STARTS = ("=", "+", "-", "@")


def kind_spec(kind: str) -> KindSpec:
    """The import kind's fields; an organisation may be given by its acronym alone (the name is then the acronym)."""
    spec = get_kind(kind)
    if spec.name == "organisations":
        fields = tuple(replace(f, required=False) if f.name == "name" else f for f in spec.fields)
        spec = replace(spec, fields=fields, one_of=(("name", "acronym"),))
    return spec


def can_import(user: User, kind: str) -> bool:
    """The same rights as the forms: records for one's own organisation (any, for admins; needs, for
    coordinators), organisations and admin areas for administrators."""
    if kind in RECORD_KINDS:
        return rights.can_register_any(user, RECORD_KINDS[kind])
    if kind == "organisations":
        return rights.can_manage_organisations(user)
    if kind == "admin_areas":
        return rights.can_manage_operations(user)
    if kind == "reports":  # results of one's own organisation's projects (each row is checked again)
        return user.role is not Role.viewer
    return False


# ---------------------------------------------------------------------------------------------
# The report


@dataclass
class Problem:
    """One reason a row (or the file) cannot be imported as it is; warnings do not block."""

    row: int | None
    column: str
    message: str
    value: str = ""
    suggestions: list[str] = field(default_factory=list)
    severity: str = "error"
    cause: str = ""  # what kind of problem, for the summary: 'organisation:not_found', 'value', 'rule:budget' …

    def __str__(self) -> str:
        where = f"Row {self.row}" if self.row is not None else "File"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "value": self.value,
            "suggestions": self.suggestions,
            "severity": self.severity,
            "cause": self.cause,
        }

    @property
    def group_key(self) -> str:
        """Problems of one cause in one column are one group of the summary."""
        return f"{self.cause or self.message}|{self.column}"


@dataclass
class RowOutcome:
    """What happens to one row: create, update, unchanged, duplicate (of an earlier row) or error."""

    row: int
    action: str
    label: str = ""
    record_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "action": self.action, "label": self.label, "record_id": self.record_id}


ACTIONS = ("create", "update", "unchanged", "duplicate", "error")


@dataclass
class ImportReport:
    kind: str
    filename: str
    sheet: str | None = None
    mapping: dict[str, int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # field → column label
    mapping_problems: list[str] = field(default_factory=list)
    template_notes: list[str] = field(default_factory=list)
    rows: list[RowOutcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    committed: bool = False
    skip_invalid: bool = False
    skip_causes: frozenset[str] = frozenset()  # group keys whose rows are skipped
    written: dict[str, int] = field(default_factory=dict)  # created / updated actually written
    new_organisations: list[dict[str, Any]] = field(default_factory=list)  # registered by this import
    area_prefixes: tuple[str, ...] = ()  # the operation's P-code prefixes ('TD')

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(outcome.action for outcome in self.rows)
        return {action: counted.get(action, 0) for action in ACTIONS}

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "warning"]

    @property
    def blocked(self) -> bool:
        """True when nothing may be written: the file or mapping is unusable, or rows were rejected and
        the person did not choose to skip them."""
        file_problem = any(problem.row is None and problem.severity == "error" for problem in self.problems)
        if self.mapping_problems or file_problem:
            return True
        if self.counts["error"] == 0 or self.skip_invalid:
            return False
        return bool(self.blocking_rows())

    def blocking_rows(self) -> set[int]:
        """Rows rejected for a cause the person did not choose to skip."""
        return {
            problem.row
            for problem in self.errors
            if problem.row is not None and problem.group_key not in self.skip_causes
        }

    @property
    def writable(self) -> int:
        """How many rows the import would write (create or update)."""
        counts = self.counts
        return counts["create"] + counts["update"]

    def groups(self, examples: int = 3) -> list[dict[str, Any]]:
        """The rejected rows' problems grouped by cause and column, the largest group first: how many rows,
        how many distinct values, a few examples, and the first message (the whole file in one glance)."""
        grouped: dict[str, dict[str, Any]] = {}
        for problem in self.errors:
            if problem.row is None:
                continue
            group = grouped.setdefault(
                problem.group_key,
                {
                    "key": problem.group_key,
                    "cause": problem.cause,
                    "column": problem.column,
                    "message": problem.message,
                    "rows": set(),
                    "values": Counter(),
                },
            )
            group["rows"].add(problem.row)
            group["values"][problem.value] += 1
        result = []
        for group in grouped.values():
            values = [value for value, _count in group["values"].most_common() if value]
            other_country = False
            if group["cause"].startswith("area:") and self.area_prefixes and values:
                other_country = not any(value[:2].upper() in self.area_prefixes for value in values)
            result.append(
                {
                    "key": group["key"],
                    "cause": group["cause"],
                    "column": group["column"],
                    "message": group["message"],
                    "rows": len(group["rows"]),
                    "distinct": len(values),
                    "examples": values[:examples],
                    "first_row": min(group["rows"]),
                    "other_country": other_country,
                    "skipped": group["key"] in self.skip_causes,
                }
            )
        result.sort(key=lambda group: (-group["rows"], group["key"]))
        return result

    def to_json(self, max_rows: int = MAX_ROWS_KEPT, max_problems: int = MAX_PROBLEMS_KEPT) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "filename": self.filename,
            "sheet": self.sheet,
            "mapping": self.mapping,
            "columns": self.columns,
            "mapping_problems": self.mapping_problems,
            "template_notes": self.template_notes,
            "counts": self.counts,
            "rows_total": len(self.rows),
            "committed": self.committed,
            "blocked": self.blocked,
            "skip_invalid": self.skip_invalid,
            "written": self.written,
            "error_count": len(self.errors),
            "warning_count": len(self.warnings),
            "writable": self.writable,
            "groups": self.groups(),
            "skip_causes": sorted(self.skip_causes),
            "new_organisations": self.new_organisations,
            "rows": [outcome.to_json() for outcome in self.rows[:max_rows]],
            "problems": [problem.to_json() for problem in self.problems[:max_problems]],
        }

    def summary(self) -> str:
        counts = self.counts
        return (
            f"{len(self.rows)} rows: {counts['create']} to create, {counts['update']} to update, "
            f"{counts['unchanged']} unchanged, {counts['duplicate']} duplicates, {counts['error']} rejected"
        )


@dataclass
class ImportSettings:
    """How to read one file: its kind, sheet, mapping (None: a template's, else the proposed one),
    dates for rows without any, and whether rejected rows may be skipped at commit."""

    kind: str
    sheet: str | None = None
    mapping: dict[str, int] | None = None
    template: dict | None = None
    default_start: date | None = None
    default_end: date | None = None
    skip_invalid: bool = False
    day_first: bool = True
    create_organisations: bool = False  # register the organisations the file names that are not known
    skip_causes: tuple[str, ...] = ()  # problem groups (Problem.group_key) whose rows are skipped
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)  # 'sector' → {file value: sector code}

    def to_json(self) -> dict[str, Any]:
        return {
            "default_start": self.default_start.isoformat() if self.default_start else None,
            "default_end": self.default_end.isoformat() if self.default_end else None,
            "skip_invalid": self.skip_invalid,
            "day_first": self.day_first,
            "create_organisations": self.create_organisations,
            "skip_causes": list(self.skip_causes),
            "value_maps": self.value_maps,
        }

    @classmethod
    def for_run(cls, run: ImportRun) -> ImportSettings:
        options = run.options or {}

        def as_date(text):
            return date.fromisoformat(text) if text else None

        return cls(
            kind=run.kind,
            sheet=run.sheet,
            mapping={k: int(v) for k, v in (run.mapping or {}).items()} or None,
            default_start=as_date(options.get("default_start")),
            default_end=as_date(options.get("default_end")),
            skip_invalid=bool(options.get("skip_invalid")),
            day_first=options.get("day_first", True),
            create_organisations=bool(options.get("create_organisations")),
            skip_causes=tuple(options.get("skip_causes") or ()),
            value_maps=dict(options.get("value_maps") or {}),
        )


# ---------------------------------------------------------------------------------------------
# Entry points


def load_table(data: bytes, filename: str, sheet: str | None = None) -> Table:
    """The uploaded file as a table (raises TableError with a message for people)."""
    return read_table(data, filename=filename, sheet=sheet)


def choose_mapping(table: Table, settings: ImportSettings) -> tuple[dict[str, int], list[str]]:
    """(mapping, notes): the settings' own mapping, else the template applied, else the proposal."""
    spec = kind_spec(settings.kind)
    if settings.mapping is not None:
        return dict(settings.mapping), []
    if settings.template is not None:
        return apply_template(table, settings.template)
    return propose_mapping(table, spec).mapping, []


def run_import(
    user: User,
    operation: Operation,
    data: bytes,
    filename: str,
    settings: ImportSettings,
    *,
    commit: bool,
    progress: Progress | None = None,
    run: ImportRun | None = None,
) -> ImportReport:
    """Preview (commit False) or import a file; returns the row report. With `commit`, writes every
    row in one transaction, or nothing when the report is blocked; records the batch as an ImportRun
    (the given `run`, else a new one) with the report and one audit entry. Raises PermissionDenied
    when `user` may not import this kind into `operation`, ValidationError when `run` was already imported.

    Imports into one operation are written one at a time (across processes): the second of two imports of the
    same file reads the registry after the first has written it, so it matches every row instead of writing
    it again."""
    if not commit:
        return _run_import(user, operation, data, filename, settings, commit=False, progress=progress, run=run)
    with exclusive("import", operation.id):
        if run is not None:
            db.session.refresh(run)
            if run.status is ImportStatus.committed:
                raise ValidationError(_("This file was already imported."))
        return _run_import(user, operation, data, filename, settings, commit=True, progress=progress, run=run)


def _run_import(
    user: User,
    operation: Operation,
    data: bytes,
    filename: str,
    settings: ImportSettings,
    *,
    commit: bool,
    progress: Progress | None,
    run: ImportRun | None,
) -> ImportReport:
    if settings.kind not in IMPORT_KINDS:
        raise ValidationError(_("Unknown import kind '%(kind)s'.", kind=settings.kind), "kind")
    if not rights.can_access_operation(user, operation):
        raise PermissionDenied(_("You are not a member of the operation %(name)s.", name=operation.name))
    if not can_import(user, settings.kind):
        raise PermissionDenied(_("You may not import %(kind)s.", kind=settings.kind.replace("_", " ")))
    if settings.create_organisations and not rights.can_register_organisations(user):
        raise PermissionDenied(_("Only administrators and coordinators register organisations."))
    report = ImportReport(
        kind=settings.kind,
        filename=filename,
        skip_invalid=settings.skip_invalid,
        skip_causes=frozenset(settings.skip_causes),
    )
    progress = progress or (lambda fraction, message="": None)
    try:
        table = load_table(data, filename, settings.sheet)
    except TableError as error:
        report.problems.append(Problem(None, "", str(error)))
        return report
    report.sheet = table.sheet
    spec = kind_spec(settings.kind)
    mapping, report.template_notes = choose_mapping(table, settings)
    report.mapping = mapping
    report.columns = {name: table.column_label(column) for name, column in mapping.items() if 0 <= column < table.width}
    report.mapping_problems = validate_mapping(table, spec, mapping)
    if report.mapping_problems:
        return report
    options = ExtractOptions(
        day_first=settings.day_first, default_start=settings.default_start, default_end=settings.default_end
    )
    from coordhub.monitoring.importing import ReportPlanner

    planner_class = {"organisations": OrganisationPlanner, "admin_areas": AreaPlanner, "reports": ReportPlanner}.get(
        settings.kind, RecordPlanner
    )
    planner = planner_class(user, operation, settings.kind, report, mapping)
    planner.settings = settings
    # Organisations registered for this file exist only inside this savepoint until the import is written.
    savepoint = db.session.begin_nested() if settings.create_organisations and settings.kind in RECORD_KINDS else None
    total = max(len(table.rows), 1)
    for index, row_record in enumerate(iter_records(table, spec, mapping, options)):
        if index % 2000 == 0:
            progress(0.05 + 0.75 * index / total, f"Checked {index} of {total} rows")
        for name, value in row_record.values.items():
            if value.__class__ is str and value[:1] == "'" and value[1:2] in FORMULA_STARTS:
                row_record.values[name] = value[1:]
        planner.add_row(row_record)
    progress(0.8, "Checking records against the registry")
    planner.finish()
    report.rows.sort(key=lambda outcome: outcome.row)
    report.problems.sort(key=lambda problem: (problem.row or 0, problem.severity != "error"))
    if not commit or report.blocked:
        if savepoint is not None:
            savepoint.rollback()
        return report
    if savepoint is not None:
        savepoint.commit()
    progress(0.9, "Writing")  # the last progress report: writes below stay in one uncommitted transaction
    try:
        created, updated = planner.write()
        report.written = {"created": created, "updated": updated}
        report.committed = True
        _record_batch(user, operation, data, filename, settings, report, run)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        report.committed = False
        report.written = {}
        report.problems.insert(0, Problem(None, "", _("Nothing was written: %(reason)s", reason=error.message)))
    return report


def _record_batch(
    user: User,
    operation: Operation,
    data: bytes,
    filename: str,
    settings: ImportSettings,
    report: ImportReport,
    run: ImportRun | None,
) -> ImportRun:
    """The import run (the batch) with its report, and one audit entry naming it, in the current transaction."""
    if run is None:
        run = ImportRun(
            operation_id=operation.id,
            user_id=user.id,
            kind=settings.kind,
            filename=filename[:300],
            content=data,
            sheet=report.sheet,
            options=settings.to_json(),
        )
        db.session.add(run)
    run.mapping = report.mapping
    run.status = ImportStatus.committed
    run.committed_at = utcnow()
    run.row_count = len(report.rows)
    run.report = report.to_json()
    db.session.flush()
    counts = report.counts
    record(
        user,
        AuditAction.create,
        run,
        {
            "import": [
                None,
                f"{report.written.get('created', 0)} created, {report.written.get('updated', 0)} updated, "
                f"{counts['unchanged']} unchanged, {counts['duplicate']} duplicates, "
                f"{counts['error']} rejected rows skipped",
            ]
        },
        summary=f"Import of {settings.kind.replace('_', ' ')} from {filename}"[:300],
        operation_id=operation.id,
    )
    return run


# ---------------------------------------------------------------------------------------------
# Planners: one per kind of import

ACRONYM_NAME_SCORE = 80  # how alike the names must be when only the acronym matched


def match_organisation(matcher: OrganisationMatcher, name: str | None, acronym: str | None = None) -> MatchResult:
    """The matcher's answer, except that a match found through the acronym alone is refused when the
    file's name is another one: acronyms collide ('PIN' is People in Need and Peace Initiative Network).
    Answers are remembered on the matcher: a 3W file repeats the same few hundred organisations."""
    cache = matcher.__dict__.setdefault("_guarded_answers", {})
    key = (name, acronym)
    if key not in cache:
        cache[key] = _match_organisation(matcher, name, acronym)
    return cache[key]


def _match_organisation(matcher: OrganisationMatcher, name: str | None, acronym: str | None) -> MatchResult:
    result = matcher.match(name, acronym)
    if not (result.ok and name and acronym):
        return result
    found = result.record
    if name_key(name) in (name_key(found.name), name_key(found.acronym)):
        return result
    if fuzz.WRatio(normalise_text(name), normalise_text(found.name)) >= ACRONYM_NAME_SCORE:
        return result
    label = f"{found.name} ({found.acronym})" if found.acronym else found.name
    return MatchResult(
        query=result.query,
        status=MatchStatus.near_miss,
        suggestions=(Suggestion(found, 50.0, "acronym"),),
        message=f"no organisation named {name!r} in the registry; the acronym {acronym!r} is {label!r}'s",
    )


# The family of file fields a matching problem is about (its cause in the summary).
FIELD_FAMILIES = {
    "organisation": "organisation",
    "organisation_acronym": "organisation",
    "sector": "sector",
    "sector_code": "sector",
    "resource_type": "resource_type",
    "resource_type_code": "resource_type",
    "implementing_partner": "partner",
    "pcode": "area",
    "pcodes": "area",
    **{f"adm{level}_{part}": "area" for level in range(4) for part in ("code", "name")},
}


class Planner:
    def __init__(self, user: User, operation: Operation, kind: str, report: ImportReport, mapping: dict[str, int]):
        self.user, self.operation, self.kind, self.report, self.mapping = user, operation, kind, report, mapping
        self.spec = kind_spec(kind)
        self.settings = ImportSettings(kind=kind)

    def column(self, *fields: str) -> str:
        """The label of the first of `fields` that is mapped (the column a problem is reported against)."""
        for name in fields:
            if name in self.report.columns:
                return self.report.columns[name]
        return ""

    def problem(
        self,
        row: int | None,
        fields: Iterable[str] | str,
        message: str,
        value: Any = "",
        suggestions: list[str] | None = None,
        severity: str = "error",
        cause: str = "",
    ) -> None:
        fields = (fields,) if isinstance(fields, str) else tuple(fields)
        self.report.problems.append(
            Problem(
                row,
                self.column(*fields),
                message,
                "" if value is None else str(value),
                suggestions or [],
                severity,
                cause,
            )
        )

    def match_problem(self, row: int, fields: tuple[str, ...], result: MatchResult) -> None:
        cause = f"{FIELD_FAMILIES.get(fields[0], fields[0])}:{result.status.value}"
        self.problem(row, fields, result.message, result.query, lookups.suggestion_labels(result), cause=cause)

    def cell_problems(self, row_record: RowRecord) -> bool:
        """Report the parse errors and warnings of a row; True when it has errors."""
        for cell in row_record.errors:
            self.report.problems.append(Problem(cell.row, cell.column, cell.message, cell.value, cause="value"))
        for cell in row_record.warnings:
            self.report.problems.append(
                Problem(cell.row, cell.column, cell.message, cell.value, severity="warning", cause="value")
            )
        return bool(row_record.errors)

    def outcome(self, row: int, action: str, label: str = "", record_id: int | None = None) -> None:
        self.report.rows.append(RowOutcome(row, action, label[:200], record_id))

    def add_row(self, row_record: RowRecord) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError

    def write(self) -> tuple[int, int]:
        raise NotImplementedError


# Which file fields a registry field comes from, to name the column of an operation's error.
FIELD_SOURCES: dict[str, tuple[str, ...]] = {
    "organisation_id": ("organisation", "organisation_acronym"),
    "sector_id": ("sector_code", "sector"),
    "resource_type_id": ("resource_type_code", "resource_type"),
    "area_ids": ("pcodes", "adm3_code", "adm3_name", "adm2_code", "adm2_name", "adm1_code", "adm1_name"),
    "admin_area_id": ("pcode", "adm3_code", "adm3_name", "adm2_code", "adm2_name", "adm1_code", "adm1_name"),
    "partner_ids": ("implementing_partner",),
    "title": ("title", "sector", "sector_code"),
}
# Registry fields copied from the file as they are (when their column is mapped); blank text becomes "".
PLAIN_FIELDS: dict[type, tuple[str, ...]] = {
    Project: (
        "title",
        "description",
        "start_date",
        "end_date",
        "status",
        "budget",
        "currency",
        "beneficiaries_targeted",
        "target_group",
    ),
    Need: ("title", "description", "quantity", "priority", "start_date", "end_date", "lead_time", "source", "status"),
    Capacity: (
        "title",
        "quantity",
        "start_date",
        "end_date",
        "unit_cost",
        "currency",
        "notes",
        "throughput",
        "clearances",
    ),
}
TEXT_FIELDS = {"description", "target_group", "source", "notes", "clearances"}
NULLABLE_FIELDS = {"end_date", "budget", "beneficiaries_targeted", "throughput"}


@dataclass
class _Row:
    number: int
    data: dict[str, Any]
    key: tuple
    label: str
    by_fingerprint: bool
    sources: dict[str, Any] = field(default_factory=dict)  # registry field → the file's text it came from


class RecordPlanner(Planner):
    """Projects, needs and capacities: matched, keyed, checked with prepare_record, written in bulk."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.model = RECORD_KINDS[self.kind]
        self.organisations = lookups.organisation_matcher()
        self.sectors = lookups.sector_matcher()
        self.resource_types = lookups.resource_type_matcher()
        self.areas = lookups.area_matcher(self.operation)
        self.area_pcode = {ref.id: ref.pcode for ref in self.areas.areas}
        self.rows: list[_Row] = []
        self.prepared: list[ops.PreparedRecord] = []
        self.answers: dict[tuple, MatchResult] = {}
        self.report.area_prefixes = tuple(sorted({ref.pcode[:2].upper() for ref in self.areas.areas if ref.pcode}))
        self.new_organisations: dict[str, dict[str, Any]] = {}  # name key → what to register, for create_organisations
        self.deferred: list[RowRecord] = []  # rows waiting for their organisation

    # -- one row ------------------------------------------------------------------------------

    def add_row(self, row_record: RowRecord) -> None:
        number, values = row_record.row, row_record.values
        failed = self.cell_problems(row_record)
        data: dict[str, Any] = {}
        organisation = match_organisation(
            self.organisations, values.get("organisation"), values.get("organisation_acronym")
        )
        if not organisation.ok and self._defer_for_new_organisation(row_record, organisation):
            return
        if organisation.ok or organisation.query:
            failed |= not self.resolve(
                number, data, "organisation_id", organisation, ("organisation", "organisation_acronym")
            )
        if self.model is not Capacity and ("sector" in values or "sector_code" in values):
            chosen = self._mapped_value("sector", values.get("sector_code"), values.get("sector"))
            sector = (
                self.memo(self.sectors.match_any, chosen, None)
                if chosen
                else self.memo(self.sectors.match_any, values.get("sector_code"), values.get("sector"))
            )
            failed |= not self.resolve(number, data, "sector_id", sector, ("sector_code", "sector"))
        if self.model is not Project and ("resource_type" in values or "resource_type_code" in values):
            resource_type = self.memo(
                self.resource_types.match_any, values.get("resource_type_code"), values.get("resource_type")
            )
            failed |= not self.resolve(
                number, data, "resource_type_id", resource_type, ("resource_type_code", "resource_type")
            )
            if resource_type.ok and self.model is Need:
                data.setdefault("sector_id", resource_type.record.sector_id)
        area_ids = self._areas(number, values)
        if area_ids is None:
            failed = True
        elif self.model is Need:
            if len(area_ids) > 1:
                self.problem(
                    number,
                    FIELD_SOURCES["admin_area_id"],
                    _("A need is in one admin area; this row names %(n)d.", n=len(area_ids)),
                )
                failed = True
            elif area_ids:
                data["admin_area_id"] = area_ids[0]
        else:
            data["area_ids"] = area_ids
        if self.model is Project and values.get("implementing_partner"):
            partner_ids = []
            for name in values["implementing_partner"]:
                partner = self.organisations.match(name)
                if partner.ok:
                    partner_ids.append(partner.record.id)
                else:
                    self.match_problem(number, ("implementing_partner",), partner)
                    failed = True
            data["partner_ids"] = partner_ids
        elif self.model is Project and "implementing_partner" in self.mapping:
            data["partner_ids"] = []
        for name in PLAIN_FIELDS[self.model]:
            if name in values:
                data[name] = values[name]
            elif name in self.mapping:
                if name in TEXT_FIELDS:
                    data[name] = ""
                elif name in NULLABLE_FIELDS:
                    data[name] = None
        if self.model is Project and "title" not in self.mapping and isinstance(data.get("title"), str):
            data["title"] = clean_sector_text(data["title"])  # 'Operational Presence: Health' → 'Health'
        if failed:
            self.outcome(number, "error", str(data.get("title") or ""))
            return
        pcodes = tuple(sorted(self.area_pcode[i] for i in area_ids or []))
        code = values.get("code")
        if code:
            key = (data.get("organisation_id"), str(code))
            data["code"] = str(code)
        else:
            key = (data.get("organisation_id"), self.fingerprint(data, pcodes))
        sources = {
            "organisation_id": values.get("organisation") or values.get("organisation_acronym"),
            "sector_id": values.get("sector_code") or values.get("sector"),
            "resource_type_id": values.get("resource_type_code") or values.get("resource_type"),
            "partner_ids": "; ".join(values.get("implementing_partner") or []),
            "area_ids": ", ".join(pcodes),
            "admin_area_id": ", ".join(pcodes),
        }
        self.rows.append(_Row(number, data, key, str(data.get("title") or ""), not code, sources))

    def _mapped_value(self, family: str, *texts: Any) -> str | None:
        """The code the person chose for this file value (Settings.value_maps), if any."""
        chosen = self.settings.value_maps.get(family) or {}
        for text in texts:
            if text and normalise_text(str(text)) in chosen:
                return chosen[normalise_text(str(text))]
        return None

    def _defer_for_new_organisation(self, row_record: RowRecord, result: MatchResult) -> bool:
        """With create_organisations, keep a row whose organisation is not registered until finish() has
        registered it; True when the row waits. Ambiguous names are never registered again."""
        if not self.settings.create_organisations or result.status not in (
            MatchStatus.not_found,
            MatchStatus.near_miss,
        ):
            return False
        values = row_record.values
        name = values.get("organisation") or values.get("organisation_acronym")
        if not name:
            return False
        entry = self.new_organisations.setdefault(
            name_key(name),
            {
                "name": name,
                "acronym": values.get("organisation_acronym") if values.get("organisation") else None,
                "type": None,
                "rows": 0,
                "similar": lookups.suggestion_labels(result),
                "first_row": row_record.row,
            },
        )
        entry["type"] = entry["type"] or values.get("organisation_type")
        entry["rows"] += 1
        self.deferred.append(row_record)
        return True

    def _register_new_organisations(self) -> None:
        """Register the organisations the deferred rows name (those whose type the file gives), then plan the
        deferred rows again; rows of an organisation without a type are rejected, saying so."""
        registered = set()
        for key, entry in self.new_organisations.items():
            if not entry["type"]:
                continue
            acronym = (
                entry["acronym"]
                if entry["acronym"] and not self.organisations.match(None, entry["acronym"]).ok
                else None
            )
            try:
                ops.save_organisation(
                    self.user,
                    {
                        "name": entry["name"][:300],
                        "acronym": (acronym or "")[:50] or None,
                        "type": entry["type"],
                        "is_local": entry["type"] in ("national_ngo", "local_authority"),
                    },
                    commit=False,
                )
            except DomainError as error:
                entry["error"] = error.message
                continue
            registered.add(key)
            self.report.new_organisations.append(
                {
                    "name": entry["name"],
                    "acronym": acronym,
                    "type": entry["type"],
                    "rows": entry["rows"],
                    "similar": entry["similar"],
                }
            )
        db.session.flush()
        self.organisations = lookups.organisation_matcher()
        settings, self.settings = self.settings, replace(self.settings, create_organisations=False)
        for row_record in self.deferred:
            values = row_record.values
            entry = self.new_organisations[name_key(values.get("organisation") or values.get("organisation_acronym"))]
            if name_key(entry["name"]) in registered:
                self.add_row(row_record)
                continue
            message = entry.get("error") or _(
                "%(name)s is not registered and no row of the file gives its organisation type (map a type column).",
                name=entry["name"],
            )
            self.problem(
                row_record.row,
                ("organisation", "organisation_acronym"),
                message,
                entry["name"],
                cause="organisation:no_type",
            )
            self.outcome(row_record.row, "error", entry["name"])
        self.settings = settings
        self.deferred = []

    def memo(self, match: Callable[..., MatchResult], *arguments) -> MatchResult:
        """A matcher's answer for these exact cell values, computed once per file (the matchers normalise
        every value before their own cache: 50,000 rows hold a few hundred distinct values)."""
        key = (match.__name__, arguments)
        if key not in self.answers:
            self.answers[key] = match(*arguments)
        return self.answers[key]

    def resolve(
        self, number: int, data: dict[str, Any], name: str, result: MatchResult, fields: tuple[str, ...]
    ) -> bool:
        """Put the matched record's id in data[name], or report why there is none; True when matched."""
        if result.ok:
            data[name] = result.record.id
            return True
        self.match_problem(number, fields, result)
        return False

    def _areas(self, number: int, values: dict[str, Any]) -> list[int] | None:
        """Area ids of a row (admin levels by P-code or by name within the parent, and/or P-code lists); None on error."""
        found: list[int] = []
        levels = [
            AreaQuery(level, values.get(f"adm{level}_code"), values.get(f"adm{level}_name")) for level in (1, 2, 3)
        ]
        if any(query.pcode or query.name for query in levels):
            result = self.memo(self.areas.match_path, tuple(levels))
            if not result.ok:
                # Name the level whose value failed (the file's own text), else the deepest one given.
                failed_level = next(
                    (query.level for query in levels if result.query and result.query in (query.pcode, query.name)),
                    max(query.level for query in levels if query.pcode or query.name),
                )
                fields = (
                    (f"adm{failed_level}_code", f"adm{failed_level}_name")
                    if result.query != levels[failed_level - 1].name
                    else (f"adm{failed_level}_name", f"adm{failed_level}_code")
                )
                self.match_problem(number, fields, result)
                return None
            found.append(result.record.id)
        listed = values.get("pcodes") or ([values["pcode"]] if values.get("pcode") else [])
        failed = False
        for pcode in listed:
            result = self.areas.match_pcode(pcode)
            if result.ok:
                found.append(result.record.id)
            else:
                self.match_problem(number, ("pcodes", "pcode"), result)
                failed = True
        return None if failed else list(dict.fromkeys(found))

    def fingerprint(self, data: dict[str, Any], pcodes: tuple[str, ...]) -> str:
        """The stable key of a record without a code: who, what, where, when, by matched ids."""
        resource_type_id = data.get("resource_type_id") if self.model is not Project else None  # not in project files
        return row_fingerprint(
            self.kind,
            data.get("organisation_id"),
            data.get("sector_id"),
            resource_type_id,
            ";".join(pcodes),
            data.get("title"),
            data.get("start_date"),
            data.get("end_date"),
        )

    # -- all rows -----------------------------------------------------------------------------

    def finish(self) -> None:
        if self.deferred:
            self._register_new_organisations()
        existing, by_code, by_fingerprint = self._existing()
        merged: dict[tuple, _Row] = {}
        ordered: list[_Row] = []
        for row in self.rows:
            first = merged.get(row.key)
            if first is None:
                merged[row.key] = row
                ordered.append(row)
                continue
            differ = sorted(
                name
                for name in set(row.data) | set(first.data)
                if name != "area_ids" and row.data.get(name) != first.data.get(name)
            )
            if differ:
                fields = ", ".join(differ)
                if row.by_fingerprint:
                    message = _(
                        "Row %(row)d has the same organisation, sector, area, activity and dates but other "
                        "values (%(fields)s): give each row its own code, or remove one.",
                        row=first.number,
                        fields=fields,
                    )
                else:
                    message = _(
                        "The code %(code)s is also on row %(row)d, with other values (%(fields)s).",
                        code=row.data.get("code"),
                        row=first.number,
                        fields=fields,
                    )
                self.problem(row.number, ("code",) + tuple(differ), message, row.data.get("code"))
                self.outcome(row.number, "error", row.label)
            elif "area_ids" in row.data and set(row.data["area_ids"]) - set(first.data["area_ids"]):
                # 3W files list one row per area: the rows of one code are one record in several areas.
                first.data["area_ids"] = list(dict.fromkeys(first.data["area_ids"] + row.data["area_ids"]))
                self.outcome(row.number, "duplicate", row.label)
                self.problem(
                    row.number,
                    ("code",),
                    _("Same record as row %(row)d; its admin area is added there.", row=first.number),
                    severity="warning",
                )
            else:
                self.outcome(row.number, "duplicate", row.label)
                self.problem(
                    row.number,
                    ("code", "title"),
                    _("Same record as row %(row)d: skipped.", row=first.number),
                    severity="warning",
                )
        cache = ops.CachedLookups(self.operation, self.model)
        for row in ordered:
            organisation_id, code = row.key
            record_id = by_code.get((organisation_id, code))
            data = dict(row.data)
            if record_id is None and row.by_fingerprint:
                record_id = by_fingerprint.get(row.key)
                if record_id is None:
                    data["code"] = code  # a new record keeps its fingerprint as its code
            current = existing.get(record_id) if record_id is not None else None
            try:
                prepared = ops.prepare_record(self.user, self.operation, self.model, data, current, cache)
            except DomainError as error:
                sources = FIELD_SOURCES.get(error.field or "", (error.field,) if error.field else ())
                value = row.sources[error.field] if error.field in row.sources else _value_of(data, error.field)
                message = error.message
                if error.field and not self.column(*sources):  # no column of the file gives this field
                    message = _(
                        "%(field)s: %(message)s (no column of the file gives it; choose one, or a default "
                        "date for dates)",
                        field=error.field.replace("_id", "").replace("_", " ").capitalize(),
                        message=error.message,
                    )
                self.problem(row.number, sources, message, value, cause=f"rule:{error.field or ''}")
                self.outcome(row.number, "error", row.label, record_id)
                continue
            if prepared.creating:
                self.outcome(row.number, "create", row.label)
            elif prepared.changes:
                self.outcome(row.number, "update", row.label, record_id)
            else:
                self.outcome(row.number, "unchanged", row.label, record_id)
            self.prepared.append(prepared)

    def _existing(self) -> tuple[dict[int, dict], dict[tuple, int], dict[tuple, int]]:
        """The operation's records of this kind as record_state dicts, indexed by (organisation, code) and,
        for records without a code, by (organisation, fingerprint)."""
        table = self.model.__table__
        columns = [table.c.id, table.c.operation_id, table.c.version] + [table.c[f] for f in ops.FIELDS[self.model]]
        states = {
            row["id"]: dict(row)
            for row in db.session.execute(
                sa.select(*columns).where(table.c.operation_id == self.operation.id)
            ).mappings()
        }
        links = {
            Project: {
                "area_ids": (project_areas, "project_id", "admin_area_id"),
                "partner_ids": (project_partners, "project_id", "organisation_id"),
            },
            Capacity: {"area_ids": (capacity_areas, "capacity_id", "admin_area_id")},
        }.get(self.model, {})
        for name, (link, key, other) in links.items():
            for state in states.values():
                state[name] = []
            owners = sa.select(table.c.id).where(table.c.operation_id == self.operation.id)
            for owner, linked in db.session.execute(
                sa.select(link.c[key], link.c[other]).where(link.c[key].in_(owners))
            ):
                states[owner][name].append(linked)
        by_code = {(s["organisation_id"], s["code"]): rid for rid, s in states.items() if s["code"]}
        by_fingerprint = {}
        for rid, state in states.items():
            if not state["code"]:
                area_ids = state.get("area_ids") or ([state["admin_area_id"]] if state.get("admin_area_id") else [])
                pcodes = tuple(sorted(self.area_pcode[i] for i in area_ids if i in self.area_pcode))
                by_fingerprint[(state["organisation_id"], self.fingerprint(state, pcodes))] = rid
        return states, by_code, by_fingerprint

    def write(self) -> tuple[int, int]:
        return ops.write_records(self.user, self.operation, self.model, self.prepared, commit=False)


def _value_of(data: dict[str, Any], field_name: str | None) -> Any:
    value = data.get(field_name) if field_name else None
    return value.isoformat() if isinstance(value, date) else value


class OrganisationPlanner(Planner):
    """Organisations: name variants (case, accents, spacing, punctuation) are one organisation, in the
    file and against the registry; a known one is updated only where the file adds or changes a value."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.matcher = lookups.organisation_matcher(include_archived=True)
        self.registry = {o.id: o for o in db.session.scalars(sa.select(Organisation))}
        self.entries: dict[Any, dict[str, Any]] = {}  # key → {"row", "id", "values"}
        self.keys: dict[str, Any] = {}  # name_key of names and acronyms → entry key
        self.plan: list[tuple[int | None, dict[str, Any]]] = []

    def add_row(self, row_record: RowRecord) -> None:
        number, values = row_record.row, dict(row_record.values)
        if self.cell_problems(row_record):
            self.outcome(number, "error", str(values.get("name") or values.get("acronym") or ""))
            return
        if not values.get("name"):
            values["name"] = values["acronym"]
            self.problem(
                number,
                ("name",),
                _("No name: the acronym %(acronym)s is used as the name.", acronym=values["acronym"]),
                severity="warning",
            )
        name = values["name"]
        label = name if not values.get("acronym") else f"{name} ({values['acronym']})"
        if len(name) > 300 or len(values.get("acronym") or "") > 50 or len(values.get("iati_identifier") or "") > 100:
            self.problem(
                number,
                ("name", "acronym"),
                _("Too long: at most 300 characters for a name, 50 for an acronym, 100 for an IATI identifier."),
                name,
            )
            self.outcome(number, "error", label)
            return
        key = self.keys.get(name_key(name))
        if key is None:
            match = match_organisation(self.matcher, name, values.get("acronym"))
            if match.status.value == "ambiguous":
                self.match_problem(number, ("name", "acronym"), match)
                self.outcome(number, "error", label)
                return
            if match.ok:
                key = ("registry", match.record.id)
            else:
                key = ("new", name_key(name))
                if match.suggestions:
                    self.problem(
                        number,
                        ("name",),
                        _(
                            "New organisation; similar to %(names)s: check it is not the same one.",
                            names=", ".join(lookups.suggestion_labels(match)),
                        ),
                        name,
                        lookups.suggestion_labels(match),
                        severity="warning",
                    )
        entry = self.entries.get(key)
        if entry is not None:
            for name_field in ("acronym", "type", "iati_identifier", "is_local"):
                if entry["values"].get(name_field) is None and values.get(name_field) is not None:
                    entry["values"][name_field] = values[name_field]
            self.outcome(number, "duplicate", label)
            return
        self.entries[key] = {
            "row": number,
            "id": key[1] if key[0] == "registry" else None,
            "values": values,
            "label": label,
        }
        self.keys[name_key(name)] = key
        if values.get("acronym") and key[0] == "new":
            self.keys.setdefault(name_key(values["acronym"]), key)

    def finish(self) -> None:
        for entry in self.entries.values():
            values, number, label = entry["values"], entry["row"], entry["label"]
            existing = self.registry.get(entry["id"]) if entry["id"] is not None else None
            if existing is None:
                if not values.get("type"):
                    self.problem(number, ("type",), _("The organisation type is required for a new organisation."))
                    self.outcome(number, "error", label)
                    continue
                data = {
                    "name": values["name"],
                    "acronym": values.get("acronym"),
                    "type": values["type"],
                    "is_local": bool(values.get("is_local")),
                    "iati_identifier": values.get("iati_identifier"),
                }
                self.plan.append((None, data))
                self.outcome(number, "create", label)
                continue
            current = {
                "name": existing.name,
                "acronym": existing.acronym,
                "type": existing.type.value,
                "is_local": existing.is_local,
                "iati_identifier": existing.iati_identifier,
            }
            data = dict(current)
            data.update(
                {k: values[k] for k in ("acronym", "type", "iati_identifier", "is_local") if values.get(k) is not None}
            )
            if data == current:
                self.outcome(number, "unchanged", label, existing.id)
            else:
                self.plan.append((existing.id, data))
                self.outcome(number, "update", label, existing.id)

    def write(self) -> tuple[int, int]:
        created = updated = 0
        for organisation_id, data in self.plan:
            organisation = self.registry.get(organisation_id) if organisation_id is not None else None
            ops.save_organisation(
                self.user, {**data, "type": OrganisationType(data["type"]).value}, organisation, commit=False
            )
            created += organisation is None
            updated += organisation is not None
        return created, updated


class AreaPlanner(Planner):
    """Admin areas from COD lists or from the admin columns of any file (a 3W's districts): one area per
    P-code, its parent the nearest level above it in the row (an area whose file gives no parent keeps
    the one it has)."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        rows = db.session.execute(
            sa.select(
                AdminArea.id,
                AdminArea.pcode,
                AdminArea.name,
                AdminArea.level,
                AdminArea.parent_id,
                AdminArea.latitude,
                AdminArea.longitude,
            ).where(AdminArea.operation_id == self.operation.id)
        ).all()
        pcodes = {row.id: row.pcode for row in rows}
        self.existing = {
            row.pcode: {
                "name": row.name,
                "level": row.level,
                "parent": pcodes.get(row.parent_id),
                "latitude": row.latitude,
                "longitude": row.longitude,
                "id": row.id,
            }
            for row in rows
        }
        self.found: dict[str, dict[str, Any]] = {}
        self.changes: list[AreaRecord] = []

    def add_row(self, row_record: RowRecord) -> None:
        number, values = row_record.row, row_record.values
        if self.cell_problems(row_record):
            self.outcome(number, "error")
            return
        parent, deepest, new_here, failed = None, None, False, False
        for level in (0, 1, 2, 3):
            pcode = values.get(f"adm{level}_code")
            if not pcode:
                continue
            name = values.get(f"adm{level}_name") or pcode
            known = self.found.get(pcode)
            if known is None:
                self.found[pcode] = {"name": name, "level": level, "parent": parent, "row": number}
                new_here = True
            elif parent is not None and known["parent"] not in (None, parent):
                self.problem(
                    number,
                    (f"adm{level}_code",),
                    _(
                        "P-code %(pcode)s is under %(first)s on row %(row)d and under %(second)s here.",
                        pcode=pcode,
                        first=known["parent"],
                        row=known["row"],
                        second=parent,
                    ),
                    pcode,
                )
                failed = True
            else:
                if known["parent"] is None and parent is not None:
                    known["parent"] = parent
                if name != known["name"] and name_key(name) != name_key(known["name"]):
                    self.problem(
                        number,
                        (f"adm{level}_name",),
                        _(
                            "P-code %(pcode)s is named %(first)s on row %(row)d; that name is kept.",
                            pcode=pcode,
                            first=known["name"],
                            row=known["row"],
                        ),
                        name,
                        severity="warning",
                    )
            parent = deepest = pcode
        if failed:
            self.outcome(number, "error", deepest or "")
            return
        if values.get("latitude") is not None and values.get("longitude") is not None and deepest:
            self.found[deepest].update(latitude=values["latitude"], longitude=values["longitude"])
        self.outcome(number, "create" if new_here else "duplicate", deepest or "")

    def finish(self) -> None:
        actions: dict[str, str] = {}
        for pcode, area in sorted(self.found.items(), key=lambda item: item[1]["level"]):
            known = self.existing.get(pcode)
            parent = area["parent"] if area["parent"] is not None else (known["parent"] if known else None)
            if parent is not None and parent not in self.found and parent not in self.existing:
                actions[pcode] = "error"
                continue
            latitude = area.get("latitude", known["latitude"] if known else None)
            longitude = area.get("longitude", known["longitude"] if known else None)
            wanted = AreaRecord(pcode, area["name"][:200], area["level"], parent, latitude, longitude)
            if known is None:
                actions[pcode] = "create"
            elif (known["name"], known["level"], known["parent"], known["latitude"], known["longitude"]) != (
                wanted.name,
                wanted.level,
                wanted.parent_pcode,
                latitude,
                longitude,
            ):
                actions[pcode] = "update"
            else:
                actions[pcode] = "unchanged"
                continue
            self.changes.append(wanted)
        # Each row reports the action of the deepest area it introduced.
        for outcome in self.report.rows:
            if outcome.action == "create" and outcome.label in actions:
                outcome.action = actions[outcome.label]
                if outcome.action == "error":
                    self.problem(
                        outcome.row,
                        ("adm1_code", "adm2_code", "adm3_code"),
                        _("The parent of %(pcode)s is neither in the file nor in the operation.", pcode=outcome.label),
                    )

    def write(self) -> tuple[int, int]:
        if not self.changes:
            return 0, 0
        return ops.load_admin_areas(self.operation, self.changes, self.user, commit=False)
