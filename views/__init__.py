"""Registers every blueprint and the back office on the app."""


def register_views(app):
    from . import auth, email_change, health, invitation, password_reset, portal, registration
    from .extensions import csrf, limiter
    from views.admin import init_admin

    app.register_blueprint(auth.bp)
    app.register_blueprint(health.bp)
    csrf.exempt(health.bp)  # GET only; and never rate limited: probes come often, from one address
    limiter.exempt(health.bp)
    app.register_blueprint(password_reset.bp)
    app.register_blueprint(email_change.bp)
    app.register_blueprint(registration.bp)
    app.register_blueprint(invitation.bp)
    app.register_blueprint(portal.bp)
    # Browsers ask for /favicon.ico on every page that names none (PDFs, API documentation): never a 404.
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.ico"))
    init_admin(app)
    register_api(app)


def register_api(app):
    """The JSON API for the CFAs' software (/api/v1): one list of its blueprints."""
    from views import api
    from views.api import (contracts, dossier_documents, dossier_ruptures, dossiers, invoice_deposit, invoices, key,
                           payments)

    api.register(app, [contracts.blp, dossier_documents.blp, dossier_ruptures.blp, dossiers.blp, invoice_deposit.blp,
                       invoices.blp, key.blp, payments.blp])
