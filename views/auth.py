"""Sign-in and sign-out for everybody (staff, CFA, employer)."""
import datetime as dt

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from forms.auth import LoginForm
from models import User, new_session_token
from services.audit import record
from services.numbering import immediate_transaction
from services.passwords import hash_password, needs_rehash, verify_password

bp = Blueprint("auth", __name__)

# A dummy hash so unknown emails cost as much time as known ones.
_DUMMY_HASH = None


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
def login():
    global _DUMMY_HASH
    if current_user.is_authenticated and request.method == "GET":
        return redirect(landing_url(current_user))
    form = LoginForm()
    if request.method == "POST" and form.validate():
        email = form.email.data.strip().lower()
        now = dt.datetime.now()
        attempts = current_app.config["LOCKOUT_ATTEMPTS"]
        # No transaction around the (slow) password check: writes below are short and take their lock at once.
        user = User.select().where(User.email == email).first()
        if user is None:
            _DUMMY_HASH = _DUMMY_HASH or hash_password("dummy-password")
            verify_password(_DUMMY_HASH, form.password.data)
            form.password.errors = ["Adresse e-mail ou mot de passe incorrect."]
        elif user.locked_until and user.locked_until > now:
            minutes = int((user.locked_until - now).total_seconds() // 60) + 1
            form.password.errors = [
                f"Compte verrouillé après {attempts} tentatives infructueuses. "
                f"Réessayez dans {minutes} minute{'s' if minutes > 1 else ''}."]
        elif not user.active:
            form.password.errors = ["Ce compte est désactivé. Contactez votre administrateur."]
        elif not verify_password(user.password_hash, form.password.data):
            if _count_failure(user, now, attempts):
                form.password.errors = [
                    f"Compte verrouillé pour {current_app.config['LOCKOUT_MINUTES']} minutes après "
                    f"{attempts} tentatives infructueuses."]
            else:
                form.password.errors = ["Adresse e-mail ou mot de passe incorrect."]
        else:
            changes = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
            if needs_rehash(user.password_hash):
                changes["password_hash"] = hash_password(form.password.data)
            with immediate_transaction():
                User.update(**changes).where(User.id == user.id).execute()
            login_user(user)
            flash(f"Bienvenue, {user.full_name}.", "success")
            return redirect(_safe_next(request.args.get("next")) or landing_url(user))
        locked = any("verrouillé" in e for e in form.password.errors)
        return render_template("auth/login.html", form=form), 429 if locked else 401
    return render_template("auth/login.html", form=form), 400 if request.method == "POST" else 200


def _count_failure(user, now, attempts):
    """Count a failed attempt atomically (several processes may count at once); lock at the limit."""
    with immediate_transaction():
        User.update(failed_logins=User.failed_logins + 1).where(User.id == user.id).execute()
        failed = User.select(User.failed_logins).where(User.id == user.id).scalar()
        if failed < attempts:
            return False
        locked = now + dt.timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
        User.update(failed_logins=0, locked_until=locked).where(User.id == user.id).execute()
        record("user", user.id, "verrouillage", {"failed_logins": failed}, {"locked_until": locked},
               user=user, note="Verrouillage après échecs de connexion")
    return True


@bp.route("/deconnexion", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        # A new token invalidates this session and any copy of its cookie.
        User.update(session_token=new_session_token()).where(User.id == current_user.id).execute()
    logout_user()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))
