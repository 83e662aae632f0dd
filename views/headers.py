"""Security headers shared by every response: the Content-Security-Policy and its per-request nonce."""
import secrets

from flask import g


def csp_nonce():
    """This request's nonce: the only inline scripts that run are the ones that carry it."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy():
    """Everything from our own origin; inline scripts only with this request's nonce. Inline styles stay allowed:
    Flask-Admin's widgets (select2, date pickers) and our tables write style attributes, which a nonce cannot
    cover, and a style cannot run code."""
    script = f"'self' 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else "'self'"
    return (f"default-src 'self'; script-src {script}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'")
