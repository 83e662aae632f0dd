"""*Pas de compte ?* (seed 001): SIRET, then account creation or the registration sheet; the activation link.

The SIRET checked on the first page is kept in the session for the next one (shown read-only, never posted).
The answers say no more than the seed needs: whether an account can be created, whether the organisation's
registration is being examined, or to ask the organisation's administrator or the OPCO.
"""
from flask import Blueprint, current_app, redirect, render_template, session, url_for

from forms.registration import AccountForm, ActivateForm, ResendActivationForm, SheetForm, SiretForm
from infrastructure import signed_links
from rules.identifiers import normalize_siret
from views.extensions import limiter
from workflows import registration as flow
from workflows import tokens
from workflows.password_reset import PasswordRefused

bp = Blueprint("registration", __name__)
SESSION_KEY = "registration_siret"
NO_REFERRER = {"Referrer-Policy": "no-referrer"}

limited = limiter.shared_limit(lambda: current_app.config["REGISTRATION_RATE_LIMIT"], scope="registration",
                               methods=["POST"])

OUTCOMES = {
    flow.PENDING: ("Inscription en cours de validation",
                   "L'inscription de cet organisme est en cours de validation par l'OPCO. Le demandeur recevra un "
                   "e-mail dès qu'elle sera traitée."),
    flow.TAKEN: ("Votre organisme a déjà accès au portail",
                 "Demandez à l'administrateur de votre organisme de vous créer un compte (écran « Utilisateurs »). "
                 "Si vous avez déjà un compte et avez perdu votre mot de passe, utilisez « Mot de passe oublié »."),
    flow.CLOSED: ("Inscription en ligne impossible",
                  "L'inscription en ligne n'est pas possible pour cet organisme. Contactez l'OPCO en rappelant "
                  "votre numéro SIRET."),
}
SENT = ("Un e-mail vient d'être envoyé à l'adresse saisie. Vous avez 24 heures pour cliquer sur le lien qu'il "
        "contient, ce qui activera votre compte. Pensez à vérifier vos courriers indésirables.")
SHEET_SENT = ("Votre demande d'inscription est transmise à l'OPCO. Un e-mail vient d'être envoyé à l'adresse saisie : "
              "cliquez dans les 24 heures sur le lien qu'il contient pour activer votre compte. Vous pourrez vous "
              "connecter dès que l'OPCO aura validé l'inscription de votre organisme ; vous en serez informé par "
              "e-mail.")
RESENT = ("Si un compte en attente d'activation correspond à cette adresse, un nouveau lien d'activation vient de "
          "lui être envoyé (valable 24 heures). Pensez à vérifier vos courriers indésirables.")
INVALID = {
    "unknown": (404, "Ce lien d'activation n'est pas valide. Vérifiez qu'il a été copié en entier."),
    "expired": (410, "Ce lien d'activation a expiré : il n'est valable que 24 heures."),
    "used": (410, "Ce lien d'activation a déjà été utilisé ou remplacé par un lien plus récent. Si votre compte "
                  "est activé, connectez-vous."),
}


@bp.errorhandler(429)
def _too_many(error):
    return render_template("error.html", code=429, title="Trop de tentatives",
                           text="Trop de demandes d'inscription depuis votre adresse. Patientez quelques minutes "
                                "avant de réessayer."), 429


def _links():
    return {"activation": lambda secret: url_for("registration.activate", _external=True,
                                                 token=signed_links.sign(secret, "activation")),
            "login": lambda: url_for("auth.login", _external=True)}


def _outcome_page(outcome):
    title, text = OUTCOMES[outcome]
    session.pop(SESSION_KEY, None)
    return render_template("registration/outcome.html", title=title, text=text)


@bp.route("/inscription", methods=["GET", "POST"])
@limited
def siret():
    form = SiretForm()
    if form.validate_on_submit():
        number = normalize_siret(form.siret.data)
        outcome = flow.lookup(number)
        if outcome in OUTCOMES:
            return _outcome_page(outcome)
        session[SESSION_KEY] = number
        return redirect(url_for("registration.account" if outcome == flow.ACCOUNT else "registration.sheet"))
    return render_template("registration/siret.html", form=form), 400 if form.is_submitted() else 200


def _step(expected, form_class, template, register, sent):
    """One of the two steps after the SIRET: the form, then the workflow, then the neutral "email sent" page."""
    number = session.get(SESSION_KEY)
    if not number:
        return redirect(url_for("registration.siret"))
    outcome = flow.lookup(number)
    if outcome != expected:
        return _outcome_page(outcome) if outcome in OUTCOMES else redirect(url_for("registration.siret"))
    form = form_class()
    if form.validate_on_submit():
        try:
            register(number, form)
        except PasswordRefused as refused:
            form.password.errors = list(refused.problems)
        except flow.RegistrationRefused as refused:
            if refused.outcome in OUTCOMES:
                return _outcome_page(refused.outcome)
            return redirect(url_for("registration.siret"))
        else:
            session.pop(SESSION_KEY, None)
            return render_template("registration/sent.html", text=sent)
    status = 400 if form.is_submitted() else 200
    return render_template(template, form=form, siret=number), status


@bp.route("/inscription/compte", methods=["GET", "POST"])
@limited
def account():
    return _step(flow.ACCOUNT, AccountForm, "registration/account.html",
                 lambda number, form: flow.register_account(number, form.email.data, form.password.data, _links()),
                 SENT)


@bp.route("/inscription/fiche", methods=["GET", "POST"])
@limited
def sheet():
    return _step(flow.SHEET, SheetForm, "registration/sheet.html",
                 lambda number, form: flow.register_organisation(number, form.sheet(), form.email.data,
                                                                 form.password.data, _links()),
                 SHEET_SENT)


def _invalid(reason):
    code, text = INVALID[reason]
    return render_template("registration/activation_invalid.html", text=text, form=ResendActivationForm()), code, \
        NO_REFERRER


@bp.route("/activer/<token>", methods=["GET", "POST"])
def activate(token):
    """GET shows a button, POST activates: a mail scanner opening the link does not use it up."""
    secret = signed_links.unsign(token, "activation")
    if secret is None:
        return _invalid("unknown")
    form = ActivateForm()
    try:
        if form.validate_on_submit():
            user = flow.activate(secret)
            return render_template("registration/activated.html",
                                   pending=flow.sign_in_refusal(user) == "pending"), 200, NO_REFERRER
        tokens.check(secret, "activation")
    except tokens.TokenInvalid as refused:
        return _invalid(refused.reason)
    status = 400 if form.is_submitted() else 200
    return render_template("registration/activate.html", form=form), status, NO_REFERRER


@bp.route("/activation/nouveau-lien", methods=["GET", "POST"])
@limited
def resend():
    form = ResendActivationForm()
    if form.validate_on_submit():
        flow.resend_activation(form.email.data, _links()["activation"])
        return render_template("registration/resend.html", form=form, sent=RESENT)
    return render_template("registration/resend.html", form=form, sent=None), 400 if form.is_submitted() else 200
