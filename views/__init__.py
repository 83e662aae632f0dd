"""Registers every blueprint and the back office on the app."""


def register_views(app):
    from . import auth, invitation, password_reset, portal
    from views.admin import init_admin

    app.register_blueprint(auth.bp)
    app.register_blueprint(password_reset.bp)
    app.register_blueprint(invitation.bp)
    app.register_blueprint(portal.bp)
    init_admin(app)
