"""/api/v1/imports: preview or import a CSV/xlsx file through the wizard's code path (same rights, same report)."""

from __future__ import annotations

from datetime import date

from flask import current_app, jsonify, request

from coordhub.api.core import api_route, operation_for
from coordhub.api.openapi import EXTRA_PATHS, EXTRA_SCHEMAS, ID, _error_responses, _json, _ref
from coordhub.errors import ValidationError
from coordhub.extensions import db
from coordhub.interop import operations as interop_ops
from coordhub.interop.importer import IMPORT_KINDS, ImportSettings, choose_mapping, load_table, run_import
from coordhub.interop.jobs import JOB_KIND
from coordhub.interop.operations import clean_filename, find_template
from coordhub.jobs.api import ACCEPTED, job_accepted
from coordhub.jobs.runner import start_job
from coordhub.reading.tables import TableError

TRUE = ("1", "true", "yes", "on")


def _flag(name: str) -> bool:
    value = (request.form.get(name) or "").strip().lower()
    if value not in TRUE + ("", "0", "false", "no", "off"):
        raise ValidationError(f"{name} must be true or false.", name)
    return value in TRUE


def _date(name: str) -> date | None:
    value = (request.form.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"'{value}' is not a date (use YYYY-MM-DD).", name) from None


def _text(name: str) -> str | None:
    value = request.form.get(name)
    if value is not None and "\x00" in value:
        raise ValidationError("Text cannot contain NUL (\\u0000) characters.", name)
    return value.strip() or None if value is not None else None


@api_route("/imports", methods=["POST"])
def create_import(user):
    """multipart/form-data: kind, file, and optionally commit, skip_invalid, sheet, template, default_start/end."""
    operation = operation_for(user)
    kind = _text("kind")
    if kind not in IMPORT_KINDS:
        raise ValidationError(f"kind must be one of: {', '.join(IMPORT_KINDS)}.", "kind")
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError("Send the file as the multipart field 'file'.", "file")
    data = upload.read()
    if not data:
        raise ValidationError("The file is empty.", "file")
    template_name = _text("template")
    settings = ImportSettings(
        kind=kind,
        sheet=_text("sheet"),
        template=find_template(user, operation, kind, template_name).template if template_name else None,
        default_start=_date("default_start"),
        default_end=_date("default_end"),
        skip_invalid=_flag("skip_invalid"),
        day_first=not _flag("month_first"),
    )
    commit = _flag("commit")
    filename = clean_filename(upload.filename)
    try:
        rows = len(load_table(data, filename, settings.sheet).rows)
    except TableError:
        rows = 0  # run_import reports the problem
    if rows > current_app.config["IMPORT_BACKGROUND_ROWS"]:
        return job_accepted(_start_import_job(user, operation, data, filename, settings, commit))
    report = run_import(user, operation, data, filename, settings, commit=commit)
    return jsonify(report.to_json()), 201 if report.committed else 200


def _start_import_job(user, operation, data: bytes, filename: str, settings: ImportSettings, commit: bool):
    """A large file, as the wizard does it: stored as an import run (mapping chosen now) and previewed or
    imported by a worker. The job's result names the import (GET /imports/{import_id} for its report)."""
    run = interop_ops.create_run(user, operation, settings.kind, filename, data)
    if settings.sheet:
        interop_ops.choose_sheet(user, run, settings.sheet)
    mapping, _notes = choose_mapping(load_table(data, filename, run.sheet), settings)
    run.mapping = mapping
    run.options = {
        "default_start": settings.default_start.isoformat() if settings.default_start else None,
        "default_end": settings.default_end.isoformat() if settings.default_end else None,
        "day_first": settings.day_first,
        "skip_invalid": settings.skip_invalid,
    }
    job = start_job(JOB_KIND, {"run_id": run.id, "commit": commit}, user=user, operation=operation)
    run.job_id = job.id
    db.session.commit()
    return job


@api_route("/imports/<id:import_id>", methods=["GET"])
def read_import(import_id: int, user):
    """An import started through the API (or the wizard): its status and the report of its last preview or
    commit."""
    run = interop_ops.get_run(user, operation_for(user), import_id)
    return jsonify(
        {
            "id": run.id,
            "kind": run.kind,
            "filename": run.filename,
            "status": run.status.value,
            "job_id": run.job_id,
            "report": run.report or None,
        }
    )


_COUNTS = {
    "type": "object",
    "required": ["create", "update", "unchanged", "duplicate", "error"],
    "properties": {
        name: {"type": "integer", "minimum": 0} for name in ("create", "update", "unchanged", "duplicate", "error")
    },
}
EXTRA_SCHEMAS["ImportReport"] = {
    "type": "object",
    "required": [
        "kind",
        "filename",
        "counts",
        "committed",
        "blocked",
        "mapping",
        "mapping_problems",
        "problems",
        "rows",
    ],
    "properties": {
        "kind": {"type": "string", "enum": list(IMPORT_KINDS)},
        "filename": {"type": "string"},
        "sheet": {"type": ["string", "null"]},
        "mapping": {
            "type": "object",
            "additionalProperties": {"type": "integer"},
            "description": "field → column index (0-based)",
        },
        "columns": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "field → column label",
        },
        "mapping_problems": {"type": "array", "items": {"type": "string"}},
        "template_notes": {"type": "array", "items": {"type": "string"}},
        "counts": _COUNTS,
        "rows_total": {"type": "integer"},
        "committed": {
            "type": "boolean",
            "description": "true when the rows were written (all, or all valid ones "
            "with skip_invalid), in one transaction",
        },
        "blocked": {"type": "boolean", "description": "true when nothing may be written as things stand"},
        "skip_invalid": {"type": "boolean"},
        "written": {"type": "object", "additionalProperties": {"type": "integer"}},
        "error_count": {"type": "integer"},
        "warning_count": {"type": "integer"},
        "rows": {
            "type": "array",
            "description": "the first 1,000 rows",
            "items": {
                "type": "object",
                "required": ["row", "action"],
                "properties": {
                    "row": {"type": "integer"},
                    "action": {"type": "string", "enum": ["create", "update", "unchanged", "duplicate", "error"]},
                    "label": {"type": "string"},
                    "record_id": {"type": ["integer", "null"]},
                },
            },
        },
        "problems": {
            "type": "array",
            "description": "the first 5,000 problems, by row",
            "items": {
                "type": "object",
                "required": ["row", "column", "message", "severity"],
                "properties": {
                    "row": {"type": ["integer", "null"]},
                    "column": {"type": "string"},
                    "message": {"type": "string"},
                    "value": {"type": "string"},
                    "suggestions": {"type": "array", "items": {"type": "string"}},
                    "severity": {"type": "string", "enum": ["error", "warning"]},
                },
            },
        },
    },
}
EXTRA_PATHS["/imports"] = {
    "post": {
        "summary": "Preview or import a CSV/xlsx file (projects, needs, capacities, organisations, admin areas)",
        "description": "The import wizard's code path: columns recognised by HXL hashtag or header (or a saved template), "
        "values matched to the registry, every problem reported by row and column. Without commit=true "
        "nothing is written (200). With commit=true the rows are written in one transaction (201), or "
        "nothing is when rows are rejected and skip_invalid is not true (200, blocked). Same rights as "
        "the forms.",
        "tags": ["imports"],
        "parameters": [
            {
                "name": "operation",
                "in": "query",
                "schema": {"type": "integer"},
                "description": "Operation id (default: the user's current operation)",
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["kind", "file"],
                        "properties": {
                            "kind": {"type": "string", "enum": list(IMPORT_KINDS)},
                            "file": {"type": "string", "format": "binary", "description": "CSV or .xlsx"},
                            "commit": {
                                "type": "string",
                                "enum": ["true", "false"],
                                "description": "write (default: preview only)",
                            },
                            "skip_invalid": {
                                "type": "string",
                                "enum": ["true", "false"],
                                "description": "write the valid rows and skip the rejected ones",
                            },
                            "sheet": {
                                "type": "string",
                                "description": "sheet of an .xlsx workbook (default: the first)",
                            },
                            "template": {"type": "string", "description": "name of a saved column-mapping template"},
                            "default_start": {
                                "type": "string",
                                "format": "date",
                                "description": "start date for rows without dates",
                            },
                            "default_end": {
                                "type": "string",
                                "format": "date",
                                "description": "end date for rows without dates",
                            },
                            "month_first": {
                                "type": "string",
                                "enum": ["true", "false"],
                                "description": "03/01/2026 is 1 March",
                            },
                        },
                    }
                }
            },
        },
        "responses": {
            "200": _json(_ref("ImportReport"), "Preview, or an import that wrote nothing (see blocked)"),
            "201": _json(_ref("ImportReport"), "Imported"),
            "202": {
                **ACCEPTED,
                "description": "A file of more than IMPORT_BACKGROUND_ROWS rows "
                "(5,000 by default), as in the wizard: previewed or imported "
                "by a background job; its result holds import_id.",
            },
            **_error_responses(400, 401, 403, 404, 422),
        },
    }
}
EXTRA_PATHS["/imports/{import_id}"] = {
    "get": {
        "summary": "An import's status and the report of its last preview or commit (its starter, administrators)",
        "tags": ["imports"],
        "parameters": [
            {"name": "import_id", "in": "path", "required": True, "schema": ID},
            {"name": "operation", "in": "query", "schema": {"type": "integer"}},
        ],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["id", "kind", "status", "report"],
                    "properties": {
                        "id": {"type": "integer"},
                        "kind": {"type": "string"},
                        "filename": {"type": "string"},
                        "status": {"type": "string", "enum": ["uploaded", "previewed", "committed", "failed"]},
                        "job_id": {"type": ["string", "null"]},
                        "report": {"oneOf": [_ref("ImportReport"), {"type": "null"}]},
                    },
                }
            ),
            **_error_responses(401, 404),
        },
    }
}
