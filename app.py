"""Portail CFA: application factory."""
from pathlib import Path

from flask import Flask, abort, render_template, request
from flask_wtf.csrf import CSRFError
from peewee import DataError, OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix

import models
from config import Config
from infrastructure import passwords
from views.extensions import babel, csrf, limiter, login_manager
from infrastructure.formatting import date_fr, montant, oui_non
from infrastructure.storage import parse_storage_url
from views.headers import content_security_policy, csp_nonce


def create_app(config=None):
    """Build the app: configuration, database, extensions, blueprints, back office."""
    app = Flask(__name__, instance_relative_config=False)
    cfg = Config(**(config or {}))
    app.config.from_object(cfg)
    if app.config["TRUSTED_PROXIES"]:  # behind a reverse proxy: the client's address and scheme come from it
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    Path(app.config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
    if app.config["STORAGE_URL"]:  # a mistyped bucket address stops the start, not the first upload
        parse_storage_url(app.config["STORAGE_URL"])

    passwords.configure(app.config["ARGON2_TIME_COST"], app.config["ARGON2_MEMORY_COST"],
                        app.config["ARGON2_PARALLELISM"])
    database = models.bind(app.config["DATABASE_URL"])
    app.extensions["database"] = database

    from infrastructure import jobs
    import commands.tasks  # noqa: F401 — declares the worker's tasks on the queue
    jobs.init_app(app)

    @app.before_request
    def _open_db():
        if request.blueprint == "health":  # the probes open it themselves, and report a failure as such
            return
        database.connect(reuse_if_open=True)

    @app.before_request
    def _refuse_nul_characters():
        """NUL bytes are never legitimate text and PostgreSQL refuses them: stop them at the door."""
        if "\x00" in request.path:
            abort(404)  # no page has such an address (and a path part may become a database parameter)
        for values in (request.args, request.form):
            for key, value in values.items(multi=True):
                if "\x00" in key or "\x00" in value:
                    abort(400)

    @app.teardown_request
    def _close_db(exc):
        if not database.is_closed():
            database.close()

    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=lambda: "fr")
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Veuillez vous connecter pour accéder à cette page."
    login_manager.login_message_category = "warning"

    @login_manager.user_loader
    def _load_user(token):
        return models.User.select().where(
            (models.User.session_token == token) & (models.User.active == True)  # noqa: E712
        ).first()

    app.jinja_env.filters["montant"] = montant
    app.jinja_env.filters["date_fr"] = date_fr
    app.jinja_env.filters["oui_non"] = oui_non
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    from views.request_id import init_request_id
    init_request_id(app)

    from views import register_views
    from views.state_helpers import register_state_helpers
    register_views(app)
    register_state_helpers(app)

    from cli import register_cli
    register_cli(app)

    _register_error_pages(app)
    _send_emails_after_commit(app)

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        if app.config["HTTPS"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    return app


def __getattr__(name):
    """`app.huey`: the queue of an app built from the environment, for `huey_consumer app.huey` (make worker);
    built on first use only, so importing app for `flask --app app` builds nothing."""
    if name == "huey":
        return create_app().extensions["huey"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _send_emails_after_commit(app):
    """A request that wrote outbox emails has committed them by the time its response is sent: with MAIL_SERVER
    set, they leave once the response is closed, so the user never waits for the SMTP server."""
    from infrastructure.mail import drain_outbox
    from workflows.notify import take_emails_written

    @app.before_request
    def _forget_emails_of_another_request():
        take_emails_written()

    @app.after_request
    def _drain_outbox(response):
        if take_emails_written() and app.config.get("MAIL_SERVER"):
            config = app.config

            def send():
                try:
                    drain_outbox(config)
                finally:
                    if not models.db.is_closed():
                        models.db.close()
            response.call_on_close(send)
        return response


ERRORS = {
    400: ("Requête invalide", "La requête n'a pas pu être traitée. Vérifiez les informations saisies."),
    403: ("Accès refusé", "Vous n'avez pas les droits nécessaires pour accéder à cette page."),
    404: ("Page introuvable", "La page ou l'élément demandé n'existe pas ou ne vous est pas accessible."),
    405: ("Méthode non autorisée", "Cette action n'est pas permise sur cette page."),
    413: ("Fichier trop volumineux", "Le fichier envoyé dépasse la taille maximale autorisée (10 Mo)."),
    429: ("Trop de tentatives", "Trop de tentatives de connexion depuis votre adresse. Patientez quelques "
                                "minutes avant de réessayer."),
    500: ("Erreur interne", "Une erreur inattendue est survenue. L'équipe technique a été prévenue."),
    503: ("Service momentanément occupé", "Le service est momentanément très sollicité : votre dernière action "
                                          "n'a pas été enregistrée. Réessayez dans quelques secondes."),
}


def _register_error_pages(app):
    def render_error(code, message=None):
        if request.path.startswith("/api/"):  # an address of the API that no route answers: still JSON
            from views.api.problems import problem_response
            return problem_response(code), code
        title, text = ERRORS[code]
        return render_template("error.html", code=code, title=title, text=message or text), code

    for code in ERRORS:
        app.register_error_handler(code, lambda e, code=code: render_error(code))

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def _out_of_range(e):
        # A number too large for the database (e.g. an id typed in a URL or a select): bad input, not a crash.
        return render_error(400, "Une valeur saisie est hors des limites acceptées (nombre trop grand ou format "
                                 "invalide). Corrigez-la et recommencez.")

    @app.errorhandler(OperationalError)
    def _database_busy(e):
        # Every write runs in one transaction, rolled back by the error: a busy database is "try again", not a crash.
        from infrastructure.numbering import is_busy
        if not is_busy(e):
            raise e
        app.logger.warning("Base occupée (%s) sur %s %s : réponse 503", e, request.method, request.path)
        response, code = render_error(503)
        return response, code, {"Retry-After": "5"}

    @app.errorhandler(CSRFError)
    def _csrf_error(e):
        return render_error(400, "Le formulaire a expiré ou son jeton de sécurité est invalide. "
                                 "Rechargez la page et recommencez.")
