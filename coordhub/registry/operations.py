"""The only code that changes registry data: rights check, validation, one transaction, audit entry."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from coordhub.audit.models import AuditAction, AuditEntry, apply_changes, audit_value, record
from coordhub.auth import rights
from coordhub.auth.models import User
from coordhub.database import utcnow
from coordhub.errors import Conflict, PermissionDenied, ValidationError
from coordhub.extensions import db
from coordhub.registry.admin_areas import AreaRecord
from coordhub.registry.limits import check_text_lengths, check_values
from coordhub.registry.models import (
    AdminArea,
    Capacity,
    Need,
    NeedStatus,
    Operation,
    Organisation,
    OrganisationType,
    Project,
    ProjectStatus,
    ResourceType,
    Sector,
    capacity_areas,
    project_areas,
    project_partners,
)
from coordhub.registry.signals import project_saved

# Plain columns each kind accepts from a form or JSON body; relations are handled separately.
FIELDS: dict[type, tuple[str, ...]] = {
    Project: (
        "code",
        "organisation_id",
        "sector_id",
        "resource_type_id",
        "title",
        "description",
        "start_date",
        "end_date",
        "status",
        "budget",
        "currency",
        "beneficiaries_targeted",
        "target_group",
        "sensitive",
    ),
    Need: (
        "code",
        "organisation_id",
        "admin_area_id",
        "sector_id",
        "resource_type_id",
        "title",
        "description",
        "quantity",
        "priority",
        "start_date",
        "end_date",
        "source",
        "status",
        "sensitive",
        "lead_time",
    ),
    Capacity: (
        "code",
        "organisation_id",
        "resource_type_id",
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
REQUIRED: dict[type, tuple[str, ...]] = {
    Project: ("organisation_id", "sector_id", "title", "start_date"),
    Need: ("organisation_id", "admin_area_id", "sector_id", "resource_type_id", "title", "quantity", "start_date"),
    Capacity: ("organisation_id", "resource_type_id", "title", "quantity", "start_date", "unit_cost"),
}
ENUMS = {"status": {Project: ProjectStatus, Need: NeedStatus}}


def _require(condition: bool, message: str, field: str | None = None) -> None:
    if not condition:
        raise ValidationError(str(message), field)  # lazy messages are translated only when raised


class FieldProblems:
    """Collects the first problem of each field, so that a form shows every problem in one submit."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}
        self.first: tuple[str, str | None] | None = None

    def require(self, condition: bool, message: str, field: str | None = None) -> None:
        if condition:
            return
        if field is None:
            raise ValidationError(str(message))  # a problem of the whole record stops the check
        if field not in self.errors:
            self.errors[field] = str(message)
            self.first = self.first or (str(message), field)

    def raise_if_any(self) -> None:
        if self.first is not None:
            raise ValidationError(self.first[0], self.first[1], errors=dict(self.errors))


def _check_operation_access(user: User, operation: Operation) -> None:
    if not rights.can_access_operation(user, operation):
        raise PermissionDenied(_("You are not a member of the operation %(name)s.", name=operation.name))


class DatabaseLookups:
    """What validation looks up, asked of the database one record at a time (forms and the API)."""

    def organisation_label(self, organisation_id: int) -> str | None:
        organisation = db.session.get(Organisation, organisation_id)
        return organisation.label if organisation is not None else None

    def existing_organisations(self, ids: Sequence[int]) -> set[int]:
        return set(db.session.scalars(sa.select(Organisation.id).where(Organisation.id.in_(ids))))

    def sector_exists(self, sector_id: int) -> bool:
        return db.session.get(Sector, sector_id) is not None

    def resource_type_sector(self, resource_type_id: int) -> tuple[int, str] | None:
        """(sector id, sector name) of a resource type, None when unknown."""
        resource_type = db.session.get(ResourceType, resource_type_id)
        return (resource_type.sector_id, resource_type.sector.name) if resource_type is not None else None

    def areas_in_operation(self, operation: Operation, ids: Sequence[int]) -> set[int]:
        return set(
            db.session.scalars(
                sa.select(AdminArea.id).where(AdminArea.id.in_(ids), AdminArea.operation_id == operation.id)
            )
        )

    def area_pcodes(self, ids: Sequence[int]) -> list[str]:
        return list(db.session.scalars(sa.select(AdminArea.pcode).where(AdminArea.id.in_(ids))))

    def code_used_elsewhere(
        self, kind: type, operation: Operation, organisation_id: int, code: str, record_id: int | None
    ) -> bool:
        return (
            db.session.scalar(
                sa.select(kind.id).where(
                    kind.operation_id == operation.id,
                    kind.organisation_id == organisation_id,
                    kind.code == code,
                    kind.id != (record_id or 0),
                )
            )
            is not None
        )

    def claim_code(self, kind: type, organisation_id: int, code: str, record_id: int | None) -> None:
        """Nothing to remember: the database sees each saved record."""


class CachedLookups(DatabaseLookups):
    """The same lookups answered from memory, loaded once: for imports that check thousands of records.

    Codes claimed by records prepared in the same batch count as used, so two rows of one file cannot
    take the same code."""

    def __init__(self, operation: Operation, kind: type) -> None:
        self.organisations = {
            oid: acronym or name
            for oid, name, acronym in db.session.execute(
                sa.select(Organisation.id, Organisation.name, Organisation.acronym)
            )
        }
        self.sectors = set(db.session.scalars(sa.select(Sector.id)))
        self.resource_types = {
            rid: (sid, name)
            for rid, sid, name in db.session.execute(
                sa.select(ResourceType.id, ResourceType.sector_id, Sector.name).join(Sector)
            )
        }
        self.areas = dict(
            db.session.execute(
                sa.select(AdminArea.id, AdminArea.pcode).where(AdminArea.operation_id == operation.id)
            ).all()
        )
        self.codes = {
            (oid, code): rid
            for rid, oid, code in db.session.execute(
                sa.select(kind.id, kind.organisation_id, kind.code).where(
                    kind.operation_id == operation.id, kind.code.is_not(None)
                )
            )
        }

    def organisation_label(self, organisation_id: int) -> str | None:
        return self.organisations.get(organisation_id)

    def existing_organisations(self, ids: Sequence[int]) -> set[int]:
        return {oid for oid in ids if oid in self.organisations}

    def sector_exists(self, sector_id: int) -> bool:
        return sector_id in self.sectors

    def resource_type_sector(self, resource_type_id: int) -> tuple[int, str] | None:
        return self.resource_types.get(resource_type_id)

    def areas_in_operation(self, operation: Operation, ids: Sequence[int]) -> set[int]:
        return {aid for aid in ids if aid in self.areas}

    def area_pcodes(self, ids: Sequence[int]) -> list[str]:
        return [self.areas[aid] for aid in ids if aid in self.areas]

    def code_used_elsewhere(
        self, kind: type, operation: Operation, organisation_id: int, code: str, record_id: int | None
    ) -> bool:
        owner = self.codes.get((organisation_id, code), record_id)
        return owner != record_id

    def claim_code(self, kind: type, organisation_id: int, code: str, record_id: int | None) -> None:
        self.codes[(organisation_id, code)] = record_id if record_id is not None else -len(self.codes) - 1


def _validate(
    kind: type,
    operation: Operation,
    values: dict[str, Any],
    area_ids: list[int] | None,
    partner_ids: list[int] | None,
    record_id: int | None,
    lookups: DatabaseLookups,
) -> None:
    """Check meaning: references exist and belong together, dates and quantities make sense. Every field's
    first problem is reported at once (ValidationError.errors), not one per submit."""
    check_values(kind, values)
    problems = FieldProblems()
    _require = problems.require
    for field in REQUIRED[kind]:
        value = values.get(field)
        _require(value is not None and value != "", _l("This field is required."), field)
    _require(
        lookups.organisation_label(values["organisation_id"]) is not None,
        _l("Unknown organisation."),
        "organisation_id",
    )
    resource_type = None
    if values.get("resource_type_id") is not None:
        resource_type = lookups.resource_type_sector(values["resource_type_id"])
        _require(resource_type is not None, _l("Unknown resource type."), "resource_type_id")
    if "sector_id" in values:
        _require(lookups.sector_exists(values["sector_id"]), _l("Unknown sector."), "sector_id")
        if resource_type is not None:
            _require(
                resource_type[0] == values["sector_id"],
                _l("This resource type belongs to the sector %(sector)s.", sector=resource_type[1]),
                "resource_type_id",
            )
    start, end = values.get("start_date"), values.get("end_date")
    if isinstance(start, date) and isinstance(end, date):
        _require(end >= start, _l("The end date must be on or after the start date."), "end_date")
    if "quantity" in values:
        _require(
            values["quantity"] is not None and values["quantity"] > 0,
            _l("The quantity must be greater than zero."),
            "quantity",
        )
    if "priority" in values and values["priority"] is not None:
        _require(1 <= int(values["priority"]) <= 5, _l("The priority must be between 1 and 5."), "priority")
    if values.get("throughput") is not None:
        _require(
            isinstance(values["throughput"], (int, float)) and values["throughput"] > 0,
            _l("The throughput must be greater than zero."),
            "throughput",
        )
    if "lead_time" in values:
        lead = values["lead_time"]
        _require(
            isinstance(lead, int) and not isinstance(lead, bool) and 0 <= lead <= 3650,
            _l("The lead time must be a whole number of days from 0 to 3650."),
            "lead_time",
        )
    for money in ("budget", "unit_cost"):
        if values.get(money) is not None:
            _require(values[money] >= 0, _l("The amount cannot be negative."), money)
    if values.get("beneficiaries_targeted") is not None:
        _require(values["beneficiaries_targeted"] >= 0, _l("The number cannot be negative."), "beneficiaries_targeted")
    if "admin_area_id" in values:
        _require(
            bool(lookups.areas_in_operation(operation, [values["admin_area_id"]])),
            _l("This admin area is not part of the operation."),
            "admin_area_id",
        )
    if area_ids is not None:
        found = lookups.areas_in_operation(operation, area_ids)
        _require(
            len(found) == len(set(area_ids)), _l("Some of these admin areas are not part of the operation."), "area_ids"
        )
        _require(len(area_ids) > 0, _l("Choose at least one admin area."), "area_ids")
    if partner_ids:
        _require(
            values["organisation_id"] not in partner_ids,
            _l("The reporting organisation cannot be its own implementing partner."),
            "partner_ids",
        )
        found = lookups.existing_organisations(partner_ids)
        _require(len(found) == len(set(partner_ids)), _l("Unknown implementing partner."), "partner_ids")
    code = values.get("code")
    if code:
        clash = lookups.code_used_elsewhere(kind, operation, values["organisation_id"], code, record_id)
        _require(not clash, _l("This organisation already uses the code %(code)s.", code=code), "code")
    problems.raise_if_any()


def _normalise(kind: type, data: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for field in FIELDS[kind]:
        if field not in data:
            continue
        value = data[field]
        if isinstance(value, str):
            value = value.strip()
            if value == "" and field in (
                "code",
                "end_date",
                "resource_type_id",
                "budget",
                "beneficiaries_targeted",
                "throughput",
            ):
                value = None
        if field == "lead_time" and value in (None, ""):
            value = 0  # no lead time
        if field == "clearances":
            value = ";".join(
                sorted({part.strip().lower() for part in str(value or "").replace(",", ";").split(";") if part.strip()})
            )
            _require(len(value) <= 200, _l("At most 200 characters."), "clearances")
        if field == "status" and isinstance(value, str):
            try:
                value = ENUMS["status"][kind](value)
            except ValueError:
                raise ValidationError(_("Unknown status '%(value)s'.", value=value), "status") from None
        if field == "currency" and isinstance(value, str):
            value = value.upper()
            _require(len(value) == 3 and value.isalpha(), _("Use a three-letter ISO 4217 code."), "currency")
        values[field] = value
    return values


@dataclass
class PreparedRecord:
    """A checked create (record_id None) or update, ready to write: the values given, the audit changes,
    and the new area and partner links (None when they do not change)."""

    kind: type
    record_id: int | None
    values: dict[str, Any]
    changes: dict[str, list]
    area_ids: list[int] | None
    partner_ids: list[int] | None
    title: str
    version: int | None = None  # the version the update was prepared from; written only if still current

    @property
    def creating(self) -> bool:
        return self.record_id is None


def record_state(record_obj) -> dict[str, Any]:
    """A saved record's current values, as prepare_record compares them (plain columns, links as ids)."""
    kind = type(record_obj)
    state = {field: getattr(record_obj, field) for field in FIELDS[kind]}
    state.update(
        id=record_obj.id,
        operation_id=record_obj.operation_id,
        version=record_obj.version,
        updated_at=record_obj.updated_at,
        updated_by_id=record_obj.updated_by_id,
    )
    if kind in (Project, Capacity):
        state["area_ids"] = [area.id for area in record_obj.areas]
    if kind is Project:
        state["partner_ids"] = [organisation.id for organisation in record_obj.partners]
    return state


def prepare_record(
    user: User,
    operation: Operation,
    kind: type,
    data: dict[str, Any],
    current: Mapping[str, Any] | None = None,
    lookups: DatabaseLookups | None = None,
) -> PreparedRecord:
    """Check a create (`current` None) or an update of the record whose record_state is `current`: rights,
    shape and meaning, exactly as save_record does. Writes nothing; raises PermissionDenied or ValidationError.

    Imports prepare every row of a file with CachedLookups and write them with write_records."""
    lookups = lookups if lookups is not None else DatabaseLookups()
    creating = current is None
    if creating:
        data = {**data}
        data.setdefault("organisation_id", user.organisation_id)
    else:
        _require(current["operation_id"] == operation.id, _("This record belongs to another operation."))
        if not rights.can_create(user, kind, current["organisation_id"]):
            raise PermissionDenied(
                _(
                    "Only %(org)s (or a coordinator, for needs) can change this record.",
                    org=lookups.organisation_label(current["organisation_id"]),
                )
            )
    if not creating:
        check_version(kind, current, data.get("version"))
    values = _normalise(kind, data)
    merged = {f: current[f] for f in FIELDS[kind]} if not creating else {}
    merged.update(values)
    organisation_id = merged.get("organisation_id")
    if not rights.can_create(user, kind, organisation_id):
        raise PermissionDenied(_("You cannot register this for that organisation."), "organisation_id")
    area_ids = data.get("area_ids") if kind in (Project, Capacity) else None
    partner_ids = data.get("partner_ids") if kind is Project else None
    if creating and kind in (Project, Capacity) and area_ids is None:
        area_ids = []
    record_id = None if creating else current["id"]
    _validate(kind, operation, merged, area_ids, partner_ids, record_id, lookups)
    if merged.get("code"):
        lookups.claim_code(kind, organisation_id, merged["code"], record_id)

    changes: dict[str, list] = {}
    for field, value in values.items():
        old = None if creating else current[field]
        if creating or old != value:
            changes[field] = [audit_value(old), audit_value(value)]
    if area_ids is not None:
        old = [] if creating else lookups.area_pcodes(current["area_ids"])
        new = lookups.area_pcodes(area_ids)
        if sorted(old) != sorted(new):
            changes["areas"] = [sorted(old), sorted(new)]
        else:
            area_ids = None
    if partner_ids is not None:
        old = [] if creating else [lookups.organisation_label(i) for i in current["partner_ids"]]
        new = [lookups.organisation_label(i) for i in set(partner_ids)]
        if sorted(old) != sorted(new):
            changes["partners"] = [sorted(old), sorted(new)]
        else:
            partner_ids = None
    return PreparedRecord(
        kind,
        record_id,
        values,
        changes,
        area_ids,
        partner_ids,
        merged.get("title") or "",
        None if creating else current["version"],
    )


def parse_version(value: Any) -> int | None:
    """A version as sent by a form (hidden field), an If-Match header or a JSON body; None when not given."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError(_("The version must be a whole number."), "version")
    try:
        version = int(str(value).strip().strip('"').removeprefix("W/").strip('"').removeprefix("v"))
    except ValueError:
        raise ValidationError(_("The version must be a whole number."), "version") from None
    if version < 1:
        raise ValidationError(_("The version must be a whole number."), "version")
    return version


def stale_record(kind: type, record_id: int) -> Conflict:
    """The refusal of a save prepared from an older version: who changed the record and when, with its current
    values (read afresh) in `current` for the form or the API to show next to the refused ones."""
    db.session.rollback()
    record_obj = db.session.get(kind, record_id, populate_existing=True)
    if record_obj is None:
        return Conflict(_("This record was deleted since you opened it."), "version")
    editor = db.session.get(User, record_obj.updated_by_id) if record_obj.updated_by_id else None
    message = _(
        "This record was changed by %(user)s at %(time)s since you opened it. Its current values are "
        "shown next to yours: check them, then save again to keep yours.",
        user=editor.name if editor is not None else _("someone"),
        time=format_datetime(record_obj.updated_at, "short"),
    )
    return Conflict(
        message, "version", {"record": record_obj, "version": record_obj.version, "state": record_state(record_obj)}
    )


def check_version(kind: type, current: Mapping[str, Any], expected: Any) -> None:
    """Refuse (Conflict) an update prepared from another version than the current one; no version given
    means an unconditional update (the API without If-Match, the importer, which re-reads in the same
    transaction)."""
    expected = parse_version(expected)
    if expected is not None and expected != current["version"]:
        raise stale_record(kind, current["id"])


def save_record(
    user: User, operation: Operation, kind: type, data: dict[str, Any], record_obj=None, *, commit: bool = True
):
    """Create (record_obj None) or update a Project, Need or Capacity. Commits (unless `commit` is False);
    returns the record.

    `data` holds plain values (dates as date, numbers as numbers) plus optional `area_ids` (projects
    and capacities) and `partner_ids` (projects). Raises PermissionDenied or ValidationError.
    """
    _check_operation_access(user, operation)
    creating = record_obj is None
    prepared = prepare_record(user, operation, kind, data, None if creating else record_state(record_obj))
    obj = record_obj or kind(operation_id=operation.id, created_by_id=user.id)
    if not creating and not prepared.changes:
        return obj
    for field, value in prepared.values.items():
        if field in prepared.changes:
            setattr(obj, field, value)
    if prepared.area_ids is not None:
        obj.areas = list(db.session.scalars(sa.select(AdminArea).where(AdminArea.id.in_(prepared.area_ids))))
    if prepared.partner_ids is not None:
        obj.partners = list(
            db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(prepared.partner_ids)))
        )
    obj.updated_by_id = user.id
    obj.updated_at = utcnow()
    db.session.add(obj)
    try:
        db.session.flush()  # the ORM's UPDATE … WHERE version = the version read: 0 rows when someone was faster
    except StaleDataError:
        raise stale_record(kind, prepared.record_id) from None
    record(user, AuditAction.create if creating else AuditAction.update, obj, prepared.changes, summary=obj.title)
    if kind is Project:
        project_saved.send(obj, user=user, created=creating, changes=prepared.changes)
    if commit:
        db.session.commit()
    return obj


LINKS = {
    Project: {"areas": (project_areas, "project_id"), "partners": (project_partners, "project_id")},
    Capacity: {"areas": (capacity_areas, "capacity_id")},
}


def _column_defaults(kind: type) -> dict[str, Any]:
    """Each writable column's scalar default (None when it has none), so that bulk rows all have the same keys."""
    defaults = {}
    for field in FIELDS[kind]:
        default = kind.__table__.c[field].default
        defaults[field] = default.arg if default is not None and default.is_scalar else None
    return defaults


def _chunks(items: Sequence, size: int = 900) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert_rows(table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows with the same keys in the current transaction: PostgreSQL's COPY (values converted by
    the columns' own SQLAlchemy types, as an INSERT would), else one executemany."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(sa.insert(table), rows)
        return
    names = list(rows[0])
    processors = [
        json.dumps
        if isinstance(table.c[name].type, sa.JSON)  # COPY takes JSON as its text
        else table.c[name].type.bind_processor(connection.dialect)
        for name in names
    ]
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [
                    value if processor is None or value is None else processor(value)
                    for processor, value in zip(processors, (row[name] for name in names))
                ]
            )


def write_records(
    user: User, operation: Operation, kind: type, prepared: Sequence[PreparedRecord], *, commit: bool = True
) -> tuple[int, int]:
    """Write records checked by prepare_record in bulk (a few statements, not one per record): inserts,
    updates, area and partner links, and one audit entry per created or updated record. Records whose
    update changes nothing are left alone. Commits unless `commit` is False. Returns (created, updated)."""
    _check_operation_access(user, operation)
    table = kind.__table__
    now = utcnow()
    creates = [p for p in prepared if p.creating]
    updates = [p for p in prepared if not p.creating and p.changes]
    ids: list[int] = []
    if creates:
        defaults = _column_defaults(kind)
        stamps = {
            "operation_id": operation.id,
            "created_by_id": user.id,
            "updated_by_id": user.id,
            "created_at": now,
            "updated_at": now,
        }
        rows = [{**defaults, **p.values, **stamps} for p in creates]
        if db.session.get_bind().dialect.name == "postgresql":
            # Ids from the sequence first, then COPY: far faster than INSERT … RETURNING over thousands of rows.
            ids = list(
                db.session.scalars(
                    sa.text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"),
                    {"table": table.name, "count": len(rows)},
                )
            )
            for row, record_id in zip(rows, ids):
                row["id"] = record_id
            _insert_rows(table, rows)
        else:
            for chunk in _chunks(rows, 5000):
                result = db.session.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), chunk)
                ids.extend(result.scalars())
    _check_versions(kind, updates)
    groups: dict[tuple[str, ...], list[PreparedRecord]] = {}
    for p in updates:
        groups.setdefault(tuple(sorted(f for f in p.values if f in p.changes)), []).append(p)
    for fields, items in groups.items():
        # Only where the version is still the one prepared from: a record saved meanwhile is not overwritten.
        statement = (
            sa.update(table)
            .where(table.c.id == sa.bindparam("record_id"), table.c.version == sa.bindparam("seen_version"))
            .values(
                updated_by_id=user.id,
                updated_at=now,
                version=table.c.version + 1,
                **{f: sa.bindparam(f"new_{f}") for f in fields},
            )
        )
        result = db.session.execute(
            statement,
            [
                {"record_id": p.record_id, "seen_version": p.version, **{f"new_{f}": p.values[f] for f in fields}}
                for p in items
            ],
            execution_options={"synchronize_session": False},
        )
        if result.rowcount != len(items):  # only where rows could not be locked first (SQLite)
            raise stale_record(kind, items[0].record_id)
    for relation, (link, key) in LINKS.get(kind, {}).items():
        other = "admin_area_id" if relation == "areas" else "organisation_id"
        attribute = "area_ids" if relation == "areas" else "partner_ids"
        reset = [p.record_id for p in updates if getattr(p, attribute) is not None]
        for chunk in _chunks(reset):
            db.session.execute(sa.delete(link).where(link.c[key].in_(chunk)))
        rows = [
            {key: record_id, other: linked}
            for p, record_id in [*zip(creates, ids), *((p, p.record_id) for p in updates)]
            if getattr(p, attribute) is not None
            for linked in set(getattr(p, attribute))
        ]
        if rows:
            _insert_rows(link, rows)
    audit = [
        {
            "user_id": user.id,
            "operation_id": operation.id,
            "at": now,
            "entity_type": kind.__name__,
            "entity_id": record_id,
            "summary": p.title[:300],
            "changes": p.changes,
            "action": AuditAction.create if p.creating else AuditAction.update,
        }
        for p, record_id in [*zip(creates, ids), *((p, p.record_id) for p in updates)]
    ]
    if audit:
        _insert_rows(AuditEntry.__table__, audit)
    if kind is Project and project_saved.receivers and not project_saved.is_muted:
        written = [*zip(creates, ids), *((p, p.record_id) for p in updates)]
        for chunk in _chunks(written):
            projects = {
                project.id: project
                for project in db.session.scalars(
                    sa.select(Project).where(Project.id.in_([record_id for _p, record_id in chunk]))
                )
            }
            for p, record_id in chunk:
                project_saved.send(projects[record_id], user=user, created=p.creating, changes=p.changes)
    if commit:
        db.session.commit()
    return len(creates), len(updates)


def _check_versions(kind: type, updates: Sequence[PreparedRecord]) -> None:
    """Lock the rows about to be updated (PostgreSQL) and refuse the batch if one of them no longer has the
    version it was prepared from."""
    seen = {p.record_id: p.version for p in updates}
    for chunk in _chunks(sorted(seen)):
        for record_id, version in db.session.execute(
            sa.select(kind.id, kind.version).where(kind.id.in_(chunk)).order_by(kind.id).with_for_update()
        ):
            if version != seen[record_id]:
                raise stale_record(kind, record_id)


def set_archived(user: User, record_obj, archived: bool):
    """Archive (hide from lists and allocations) or restore a record. Commits."""
    _check_operation_access(user, record_obj.operation)
    if not rights.can_edit(user, record_obj):
        raise PermissionDenied(
            _("Only %(org)s (or a coordinator, for needs) can change this record.", org=record_obj.organisation.label)
        )
    if record_obj.archived == archived:
        return record_obj
    record_obj.archived_at = utcnow() if archived else None
    record_obj.updated_by_id = user.id
    record(
        user,
        AuditAction.archive if archived else AuditAction.restore,
        record_obj,
        {"archived": [not archived, archived]},
        summary=record_obj.title,
    )
    if isinstance(record_obj, Project):
        project_saved.send(record_obj, user=user, created=False, changes={"archived": [not archived, archived]})
    db.session.commit()
    return record_obj


# --- organisations, users, operations (admin) ---------------------------------------------------


def save_organisation(
    user: User, data: dict[str, Any], organisation: Organisation | None = None, *, commit: bool = True
) -> Organisation:
    """Create or update an organisation (administrators; coordinators may create; `user` None is the command
    line, trusted). Commits unless `commit` is False."""
    if user is not None and not (
        rights.can_manage_organisations(user) or (organisation is None and rights.can_register_organisations(user))
    ):
        raise PermissionDenied(_("Only administrators manage organisations."))
    for field in ("name", "acronym", "iati_identifier"):
        _require(data.get(field) is None or isinstance(data[field], str), _("This must be text."), field)
    name = (data.get("name") or "").strip()
    _require(bool(name), _("This field is required."), "name")
    check_text_lengths(
        Organisation, {field: (data.get(field) or "").strip() for field in ("name", "acronym", "iati_identifier")}
    )
    # SQLite's lower() folds ASCII letters only: the exact name is compared too (the column is unique).
    clash = db.session.scalar(
        sa.select(Organisation.id).where(
            sa.or_(sa.func.lower(Organisation.name) == name.lower(), Organisation.name == name),
            Organisation.id != (organisation.id if organisation else 0),
        )
    )
    _require(clash is None, _("An organisation with this name already exists."), "name")
    org_type = data.get("type")
    if isinstance(org_type, str):
        try:
            org_type = OrganisationType(org_type)
        except ValueError:
            raise ValidationError(_("Unknown organisation type."), "type") from None
    _require(org_type is not None, _("This field is required."), "type")
    creating = organisation is None
    organisation = organisation or Organisation()
    values = {
        "name": name,
        "acronym": (data.get("acronym") or "").strip() or None,
        "type": org_type,
        "is_local": bool(data.get("is_local")),
        "iati_identifier": (data.get("iati_identifier") or "").strip() or None,
    }
    if "archived" in data:
        values["archived"] = bool(data["archived"])
    changes = apply_changes(organisation, values, creating)
    db.session.add(organisation)
    db.session.flush()
    if changes:
        record(
            user,
            AuditAction.create if creating else AuditAction.update,
            organisation,
            changes,
            summary=organisation.name,
        )
    if commit:
        db.session.commit()
    return organisation


def save_operation(user: User | None, data: dict[str, Any], operation: Operation | None = None) -> Operation:
    if user is not None and not rights.can_manage_operations(user):
        raise PermissionDenied(_("Only administrators manage operations."))
    for field in ("name", "acronym", "iati_identifier"):
        _require(data.get(field) is None or isinstance(data[field], str), _("This must be text."), field)
    name = (data.get("name") or "").strip()
    _require(bool(name), _("This field is required."), "name")
    check_text_lengths(
        Organisation, {field: (data.get(field) or "").strip() for field in ("name", "acronym", "iati_identifier")}
    )
    clash = db.session.scalar(
        sa.select(Operation.id).where(Operation.name == name, Operation.id != (operation.id if operation else 0))
    )
    _require(clash is None, _("An operation with this name already exists."), "name")
    country = (data.get("country_code") or "").strip().upper()
    _require(
        2 <= len(country) <= 3 and country.isalpha(), _("Use an ISO country code (e.g. TD or TCD)."), "country_code"
    )
    creating = operation is None
    operation = operation or Operation()
    changes = apply_changes(
        operation,
        {
            "name": name,
            "country_code": country,
            "description": (data.get("description") or "").strip(),
            "currency": (data.get("currency") or "USD").strip().upper(),
        },
        creating,
    )
    db.session.add(operation)
    db.session.flush()
    if changes:
        record(
            user,
            AuditAction.create if creating else AuditAction.update,
            operation,
            changes,
            summary=operation.name,
            operation_id=operation.id,
        )
    db.session.commit()
    return operation


def switch_operation(user: User, operation: Operation) -> None:
    _check_operation_access(user, operation)
    user.current_operation = operation
    db.session.commit()


def load_admin_areas(
    operation: Operation, records: Iterable[AreaRecord], user: User | None = None, *, commit: bool = True
) -> tuple[int, int]:
    """Create or update the operation's admin areas from parsed records (parents first). Commits unless
    `commit` is False.

    Returns (created, updated). All or nothing: any error rolls the whole load back.
    """
    existing = {
        a.pcode: a for a in db.session.scalars(sa.select(AdminArea).where(AdminArea.operation_id == operation.id))
    }
    created = updated = 0
    try:
        for rec in records:
            parent = existing.get(rec.parent_pcode) if rec.parent_pcode else None
            if rec.parent_pcode and parent is None:
                raise ValidationError(_("Parent P-code %(pcode)s is unknown.", pcode=rec.parent_pcode), "parent_pcode")
            path = f"{parent.path if parent else '/'}{rec.pcode}/"
            area = existing.get(rec.pcode)
            if area is None:
                area = AdminArea(operation_id=operation.id, pcode=rec.pcode)
                db.session.add(area)
                existing[rec.pcode] = area
                created += 1
            elif (area.name, area.level, area.path, area.latitude, area.longitude) != (
                rec.name,
                rec.level,
                path,
                rec.latitude,
                rec.longitude,
            ):
                updated += 1
            area.name, area.level, area.parent, area.path = rec.name, rec.level, parent, path
            if rec.latitude is not None:
                area.latitude, area.longitude = rec.latitude, rec.longitude
        if created or updated:
            operation.areas_changed()
        db.session.flush()
        record(
            user,
            AuditAction.update,
            operation,
            {"admin_areas": [None, f"{created} created, {updated} updated"]},
            summary=_("Admin areas loaded"),
            operation_id=operation.id,
        )
        if commit:
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return created, updated
