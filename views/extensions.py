"""Flask extensions, created unbound and attached in create_app()."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
# Storage from RATELIMIT_STORAGE_URI (config.py); no default limit, only the routes that ask for one.
limiter = Limiter(key_func=get_remote_address)
