"""The running app's configuration values the workflows need (upload limit, mobility flat amount).

Workflows ask here instead of importing Flask, so they also run outside a request or an app context (CLI,
API, tests), where the defaults of config.py apply.
"""
from flask import current_app, has_app_context

DEFAULTS = {"MAX_UPLOAD_BYTES": 10 * 1024 * 1024, "MOBILITY_FLAT_AMOUNT": "500.00"}


def setting(name):
    if has_app_context():
        return current_app.config.get(name, DEFAULTS.get(name))
    return DEFAULTS.get(name)
