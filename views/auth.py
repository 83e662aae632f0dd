"""Sign-in and sign-out for everybody (staff, CFA, employer)."""
import datetime as dt

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from peewee import Case

from forms.auth import LoginForm
from models import User, new_session_token
from workflows.audit import record
from workflows.registration import sign_in_refusal
from views.extensions import limiter
from infrastructure.numbering import immediate_transaction
from infrastructure.passwords import hash_password, needs_rehash, throttle_delay, verify_password

bp = Blueprint("auth", __name__)

# A dummy hash so unknown emails cost as much time as known ones.
_DUMMY_HASH = None

# One answer for an unknown email, a wrong password and a throttled account: none tells which emails exist.
REFUSAL = ("Adresse e-mail ou mot de passe incorrect. Après plusieurs échecs, la connexion à ce compte est "
           "retardée de quelques minutes au plus.")

# Said only to whoever typed the right password of a self-registered account (workflows/registration.py).
NOT_YET = {
    "not_activated": "Votre compte n'est pas encore activé : cliquez sur le lien de l'e-mail d'activation reçu lors "
                     "de la création du compte (valable 24 heures). Lien expiré ou e-mail introuvable ? Demandez un "
                     "nouveau lien d'activation.",
    "pending": "L'inscription de votre organisme est en cours de validation par l'OPCO : vous pourrez vous "
               "connecter dès qu'elle sera validée, un e-mail vous en informera.",
    "refused": "L'inscription de votre organisme a été refusée par l'OPCO (motif envoyé par e-mail). Contactez "
               "l'OPCO pour toute question.",
}


def _now():
    """The clock of the sign-in throttle (tests move it instead of sleeping)."""
    return dt.datetime.now()


def landing_url(user):
    return url_for("admin.index") if user.kind == "staff" else url_for("portal.dashboard")


def _safe_next(target):
    """Only a local path: browsers read a backslash as a slash and drop tabs/newlines ("/\t/evil" = "//evil")."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ord(c) < 0x21 or ord(c) == 0x7f for c in target)):
        return target
    return None


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(landing_url(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/connexion", methods=["GET", "POST"])
# Only failed attempts count against the per-IP limit: an office behind one address signs in freely.
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
               deduct_when=lambda response: response.status_code != 302)
def login():
    global _DUMMY_HASH
    if current_user.is_authenticated and request.method == "GET":
        return redirect(landing_url(current_user))
    form = LoginForm()
    if request.method == "POST" and form.validate():
        email = form.email.data.strip().lower()
        now = _now()
        # No transaction around the (slow) password check: writes below are short and take their lock at once.
        user = User.select().where(User.email == email).first()
        if user is None:
            _DUMMY_HASH = _DUMMY_HASH or hash_password("dummy-password")
            verify_password(_DUMMY_HASH, form.password.data)
            form.password.errors = [REFUSAL]
        else:
            # The password is checked in every case so a throttled account answers as slowly as any other.
            right = verify_password(user.password_hash, form.password.data)
            if user.locked_until and user.locked_until > now:
                form.password.errors = [REFUSAL]  # not counted: waiting out the delay is all it takes
            elif not right:
                _count_failure(user, now)
                form.password.errors = [REFUSAL]
            elif not user.active:  # said only to whoever knows the password
                form.password.errors = ["Ce compte est désactivé. Contactez votre administrateur."]
            elif refusal := sign_in_refusal(user):
                form.password.errors = [NOT_YET[refusal]]
                return render_template("auth/login.html", form=form, not_activated=refusal == "not_activated"), 403
            else:
                changes = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
                if needs_rehash(user.password_hash):
                    changes["password_hash"] = hash_password(form.password.data)
                with immediate_transaction():
                    User.update(**changes).where(User.id == user.id).execute()
                login_user(user)
                flash(f"Bienvenue, {user.full_name}.", "success")
                return redirect(_safe_next(request.args.get("next")) or landing_url(user))
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 400 if request.method == "POST" else 200


def _count_failure(user, now):
    """Count a failed attempt atomically (several processes may count at once) and set the next delay.

    `locked_until` is the time before which the account's password is not checked; it is also the mark of the
    last failure, so a streak older than LOGIN_FAILURES_FORGOTTEN_HOURS starts again from one.
    """
    cfg = current_app.config
    forgotten = now - dt.timedelta(hours=cfg["LOGIN_FAILURES_FORGOTTEN_HOURS"])
    with immediate_transaction():
        User.update(failed_logins=Case(None, [(User.locked_until > forgotten, User.failed_logins + 1)], 1)).where(
            User.id == user.id).execute()
        failed = User.select(User.failed_logins).where(User.id == user.id).scalar()
        delay = throttle_delay(failed, cfg["LOGIN_FREE_FAILURES"], cfg["LOGIN_FIRST_DELAY_SECONDS"],
                               cfg["LOGIN_MAX_DELAY_SECONDS"])
        until = now + delay
        User.update(locked_until=until).where(User.id == user.id).execute()
        if failed == cfg["LOGIN_FREE_FAILURES"]:
            record("user", user.id, "lock", {"failed_logins": failed}, {"locked_until": until},
                   user=user, note="Connexions ralenties après échecs de connexion")


@bp.route("/deconnexion", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        # A new token invalidates this session and any copy of its cookie.
        User.update(session_token=new_session_token()).where(User.id == current_user.id).execute()
    logout_user()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))
