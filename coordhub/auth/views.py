"""Sign-in, language, one's account and API tokens, and the administrators' pages for users."""

from __future__ import annotations

import math
import time
from urllib.parse import urlparse

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from coordhub.audit.models import AuditAction, record
from coordhub.auth import operations as account_operations
from coordhub.auth import rights, sessions
from coordhub.auth.forms import (
    ChangePasswordForm,
    LoginForm,
    UserForm,
)
from coordhub.auth.models import User
from coordhub.database import utcnow
from coordhub.errors import DomainError
from coordhub.extensions import db, limiter, login_manager
from coordhub.registry.models import Operation, Organisation
from coordhub.web import require_right, show_domain_error

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message_category = "warning"
login_manager.login_message = _l("Sign in to open this page.")


def _safe_next(target: str | None) -> str:
    if target and urlparse(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("registry.dashboard")


# --- sign-in, throttled per e-mail address and per client address (failures only) ------------------------


def _attempted_email() -> str:
    return User.normalise_email(request.form.get("email") or "")[:254]


def _sign_in_failed(response) -> bool:
    return bool(g.get("sign_in_failed"))


def _throttled(limit) -> object:
    """The sign-in limit is reached: record it and answer 429 with Retry-After, before any password check."""
    email = _attempted_email()
    user = db.session.scalar(sa.select(User).where(User.email == email)) if email else None
    record(None, AuditAction.sign_in_throttled, user or User(), summary=f"{email} from {request.remote_addr}")
    db.session.commit()
    retry_after = max(1, math.ceil(limit.reset_at - time.time()))
    minutes = max(1, round(retry_after / 60))
    message = ngettext(
        "Too many failed sign-ins. Try again in %(num)d minute.",
        "Too many failed sign-ins. Try again in %(num)d minutes.",
        minutes,
    )
    response = make_response(render_template("error.html", code=429, message=message), 429)
    response.headers["Retry-After"] = str(retry_after)
    return response


def _sign_in_limit(setting: str, key_func, scope: str):
    return limiter.limit(
        lambda: current_app.config[setting],
        key_func=key_func,
        methods=["POST"],
        scope=scope,
        deduct_when=_sign_in_failed,
        on_breach=_throttled,
    )


@bp.route("/login", methods=["GET", "POST"])
@_sign_in_limit("SIGN_IN_LIMIT_ADDRESS", get_remote_address, "sign-in-address")
@_sign_in_limit("SIGN_IN_LIMIT_ACCOUNT", _attempted_email, "sign-in-account")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("registry.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        email = User.normalise_email(form.email.data)
        user = db.session.scalar(sa.select(User).where(User.email == email))
        # Unknown e-mail: hash against a dummy, so the answer takes as long as for a wrong password.
        password_ok = user.check_password(form.password.data) if user else User.check_no_account(form.password.data)
        if not password_ok or not user.active:
            g.sign_in_failed = True
            record(None, AuditAction.sign_in_failed, user or User(), summary=f"{email} from {request.remote_addr}")
            db.session.commit()
            flash(_("Wrong e-mail or password, or the account is disabled."), "danger")
        else:
            sessions.sign_in(user, remember=form.remember.data)
            user.last_login_at = utcnow()
            record(user, AuditAction.sign_in, user, summary=user.email)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    sessions.sign_out()
    db.session.commit()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


# --- the signed-in user's own account: password, sessions ----------------------------------------------


@bp.route("/account/", methods=["GET"])
@login_required
def account():
    from coordhub.web import ConfirmForm

    return render_template(
        "auth/account.html",
        rows=sessions.open_sessions(current_user),
        this_session=sessions.current_session(),
        everywhere_form=ConfirmForm(),
    )


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            account_operations.change_own_password(
                current_user._get_current_object(),
                form.current_password.data,
                form.new_password.data,
                sessions.current_session(),
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("Your password is changed. Every other browser and device is signed out."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form)


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    from coordhub.web import ConfirmForm

    if not ConfirmForm().validate_on_submit():
        abort(400)
    ended = account_operations.sign_out_everywhere(current_user)
    sessions.sign_out()
    db.session.commit()
    flash(
        ngettext(
            "%(num)d session ended: you are signed out everywhere.",
            "%(num)d sessions ended: you are signed out everywhere.",
            ended,
        ),
        "info",
    )
    return redirect(url_for("auth.login"))


@bp.route("/language/<code>", methods=["POST"])
def language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["locale"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


# --- users -----------------------------------------------------------------------------------------


@bp.route("/admin/users/")
@login_required
def users():
    require_right(rights.can_manage_users)
    q = (request.args.get("q") or "").strip()
    query = sa.select(User).order_by(User.name)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(sa.or_(sa.func.lower(User.name).like(like), User.email.like(like)))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("auth/users.html", page=page, q=q)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@bp.route("/admin/users/<id:user_id>", methods=["GET", "POST"])
@login_required
def user_edit(user_id: int | None = None):
    require_right(rights.can_manage_users)
    target = db.session.get(User, user_id) if user_id else None
    if user_id and target is None:
        abort(404)
    form = UserForm(obj=target)
    form.organisation_id.choices = [
        (o.id, o.name) for o in db.session.scalars(sa.select(Organisation).order_by(Organisation.name))
    ]
    form.operation_ids.choices = [
        (o.id, o.name) for o in db.session.scalars(sa.select(Operation).order_by(Operation.name))
    ]
    if request.method == "GET" and target is not None:
        form.role.data = target.role.value
        form.operation_ids.data = [o.id for o in target.operations]
    if form.validate_on_submit():
        data = {k: v for k, v in form.data.items() if k not in ("submit", "csrf_token")}
        try:
            saved = account_operations.save_user(current_user, data, target)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("User %(email)s saved.", email=saved.email), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, target=target)


# --- personal API tokens ---------------------------------------------------------------------------


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    from coordhub.api.models import ApiToken
    from coordhub.auth.forms import TokenForm
    from coordhub.web import ConfirmForm

    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        _row, new_token = account_operations.issue_token(current_user, form.name.data.strip(), form.days.data)
        form = TokenForm(formdata=None)
    rows = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.created_at.desc())
    ).all()
    return render_template("auth/tokens.html", form=form, rows=rows, new_token=new_token, revoke_form=ConfirmForm())


@bp.route("/account/tokens/<id:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    from coordhub.api.models import ApiToken
    from coordhub.web import ConfirmForm

    if not ConfirmForm().validate_on_submit():
        abort(400)
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != current_user.id:
        abort(404)
    if account_operations.revoke_token(current_user, row):
        flash(_("The token %(name)s is revoked.", name=row.name), "success")
    return redirect(url_for("auth.tokens"))
