"""What every API endpoint shares: token authentication, JSON errors, the operation, pagination, input parsing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, g, jsonify, request
from werkzeug.exceptions import HTTPException

from coordhub.api.models import ApiToken, hash_token
from coordhub.database import utcnow
from coordhub.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationError
from coordhub.extensions import csrf, db
from coordhub.registry.limits import MAX_PAGE, check_number
from coordhub.registry.models import AdminArea, Operation
from coordhub.web import accessible_operations, parse_id

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # token-authenticated, no cookies: CSRF does not apply

MAX_PER_PAGE = 200


def error_response(status: int, message: str, field: str | None = None, errors: dict | None = None):
    body: dict[str, Any] = {"status": status, "message": message}
    if field:
        body["field"] = field
    if errors:
        body["errors"] = errors
    return jsonify(error=body), status


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    db.session.rollback()
    return error_response(error.status_code, error.message, error.field, error.errors or None)


@bp.errorhandler(Conflict)
def _conflict(error: Conflict):
    """409 with the record as it is now (redacted as any read) and its version, also as the ETag."""
    from coordhub.api.serialise import RECORD_SERIALISERS

    db.session.rollback()
    response, status = error_response(409, error.message, error.field)
    record = error.current.get("record")
    serialiser = RECORD_SERIALISERS.get(type(record))
    if serialiser is not None:
        body = response.get_json()
        body["error"]["current"] = serialiser(record, g.api_user)
        response = jsonify(body)
    if error.current.get("version") is not None:
        response.headers["ETag"] = etag(error.current["version"])
    return response, status


def etag(version: int) -> str:
    """A record's version as an entity tag: `"<version>"` (sent back in If-Match to update that version only)."""
    return f'"{version}"'


def if_match_version() -> int | None:
    """The version named by If-Match (None when absent or `*`: an unconditional update)."""
    header = request.headers.get("If-Match")
    if header is None or not header.strip() or request.if_match.star_tag:
        return None
    tags = request.if_match.as_set(include_weak=True)
    if len(tags) != 1:
        raise ValidationError("Send one version in If-Match, as the ETag of your last read (e.g. \"3\").", "If-Match")
    from coordhub.registry.operations import parse_version

    try:
        return parse_version(next(iter(tags)))
    except ValidationError:
        raise ValidationError("If-Match must be the ETag of your last read (e.g. \"3\").", "If-Match") from None


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return error_response(error.code or 500, error.description or error.name)


def authenticate() -> None:
    """Resolve `Authorization: Bearer <token>` to g.api_user; raises PermissionDenied-like 401 otherwise."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorised("Send a personal API token as 'Authorization: Bearer <token>'.")
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip())))
    if row is None or not row.active or not row.user.active:
        raise Unauthorised("This API token is unknown, revoked, expired, or its account is disabled.")
    row.last_used_at = utcnow()
    db.session.commit()
    g.api_user = row.user


class Unauthorised(DomainError):
    status_code = 401


def api_route(rule: str, **options) -> Callable:
    """Register an authenticated JSON endpoint; the view receives `user`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            authenticate()
            return view(*args, user=g.api_user, **kwargs)

        bp.add_url_rule(rule, view.__name__, wrapper, **options)
        return wrapper

    return decorator


def operation_for(user) -> Operation:
    """The operation named by ?operation=<id>, else the user's current one; must be accessible."""
    raw = request.args.get("operation")
    wanted = parse_id(raw)
    if raw not in (None, "") and wanted is None:
        raise NotFound(f"No operation {raw} that you can access.")
    options = accessible_operations(user)
    if wanted is not None:
        operation = next((o for o in options if o.id == wanted), None)
        if operation is None:
            raise NotFound(f"No operation {wanted} that you can access.")
        return operation
    current = user.current_operation
    if current is not None and current in options:
        return current
    if not options:
        raise PermissionDenied("You are not a member of any operation.")
    return options[0]


def paginate(query, serialise: Callable[[Any], dict]) -> tuple[Any, int]:
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)  # create_app refuses others
    per_page = min(max(request.args.get("per_page", 50, type=int) or 50, 1), MAX_PER_PAGE)
    result = db.paginate(query, page=page, per_page=per_page, error_out=False)
    return jsonify(
        items=[serialise(item) for item in result.items],
        page=page,
        per_page=per_page,
        total=result.total,
        pages=result.pages,
    ), 200


def _reject_nul(value: Any, field: str | None) -> None:
    """PostgreSQL cannot store NUL characters: refuse them with the field's name instead of failing later."""
    if isinstance(value, str) and "\x00" in value:
        raise ValidationError("Text cannot contain NUL (\\u0000) characters.", field)
    if isinstance(value, dict):
        for key, item in value.items():
            _reject_nul(key, field or str(key))
            _reject_nul(item, field or str(key))
    elif isinstance(value, list):
        for item in value:
            _reject_nul(item, field)


def json_body() -> dict[str, Any]:
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        raise ValidationError("The JSON body is nested too deeply.") from None
    if not isinstance(body, dict):
        raise ValidationError("The request body must be a JSON object.")
    _reject_nul(body, None)
    return body


def clean_arg(name: str) -> str:
    """A query-string value as text, without NUL characters (which no database column can hold)."""
    return (request.args.get(name) or "").replace("\x00", "").strip()


def parse_date(body: dict, field: str) -> date | None:
    value = body.get(field)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(f"'{value}' is not a date (use YYYY-MM-DD).", field) from None


def parse_number(body: dict, field: str, kind: type = float):
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(f"{field} must be a number.", field)
    check_number(field, value)
    if field.endswith("_id") and parse_id(value) is None:
        raise ValidationError(f"{field} is not a known id.", field)
    if kind is int and float(value) != int(value):
        raise ValidationError(f"{field} must be a whole number.", field)
    return kind(value)


def parse_id_list(body: dict, field: str) -> list[int] | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and parse_id(v) is not None for v in value
    ):
        raise ValidationError(f"{field} must be a list of ids.", field)
    return value


def areas_from_pcodes(operation: Operation, pcodes: Any, field: str) -> list[int]:
    if not isinstance(pcodes, list) or not all(isinstance(p, str) for p in pcodes):
        raise ValidationError(f"{field} must be a list of P-codes.", field)
    found = dict(
        db.session.execute(
            sa.select(AdminArea.pcode, AdminArea.id).where(
                AdminArea.operation_id == operation.id, AdminArea.pcode.in_(pcodes)
            )
        ).all()
    )
    missing = [p for p in pcodes if p not in found]
    if missing:
        raise ValidationError(f"Unknown P-code(s) in this operation: {', '.join(missing)}.", field)
    return [found[p] for p in pcodes]
