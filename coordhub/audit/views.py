"""The audit log browser (administrators only)."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user, login_required

from coordhub.audit.models import AuditEntry
from coordhub.auth import rights
from coordhub.auth.models import User
from coordhub.extensions import db
from coordhub.web import parse_id

bp = Blueprint("audit", __name__)


@bp.route("/admin/audit/")
@login_required
def log():
    if not rights.can_view_audit(current_user):
        abort(403)
    query = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    entity_type = request.args.get("entity_type") or ""
    user_id = parse_id(request.args.get("user"))
    entity_id = parse_id(request.args.get("entity_id"))
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if entity_id:
        query = query.where(AuditEntry.entity_id == entity_id)
    if user_id:
        query = query.where(AuditEntry.user_id == user_id)
    for name, op in (("date_from", "ge"), ("date_to", "lt")):
        try:
            day = date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            continue
        query = query.where(AuditEntry.at >= day if op == "ge" else AuditEntry.at < day + timedelta(days=1))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    types = db.session.scalars(sa.select(AuditEntry.entity_type).distinct().order_by(AuditEntry.entity_type)).all()
    users = db.session.scalars(sa.select(User).order_by(User.name)).all()
    return render_template("audit/log.html", page=page, types=types, users=users, args=request.args)
