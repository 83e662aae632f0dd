"""Configuration read from the environment, in one object."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


class Config:
    """Defaults suitable for the embedded (SQLite) deployment."""

    def __init__(self, **overrides):
        env = os.environ
        data_dir = Path(env.get("DATA_DIR", BASE_DIR / "data"))
        self.DATA_DIR = str(data_dir)
        self.SECRET_KEY = env.get("SECRET_KEY") or _local_secret(data_dir)
        self.DATABASE_URL = env.get("DATABASE_URL", f"sqlite:///{data_dir / 'portail.db'}")
        self.UPLOAD_DIR = env.get("UPLOAD_DIR", str(data_dir / "files"))
        # Empty: uploaded files live in UPLOAD_DIR. `s3://bucket/prefix`: in that S3-compatible bucket, at
        # S3_ENDPOINT_URL (empty for AWS itself); credentials and region from boto3's AWS_* variables.
        self.STORAGE_URL = env.get("STORAGE_URL", "").strip()
        self.S3_ENDPOINT_URL = env.get("S3_ENDPOINT_URL", "").strip()
        # A form may carry two files (invoice + completion certificate): each one is held to MAX_UPLOAD_BYTES
        # exactly by workflows.documents; this only cuts requests that cannot be valid.
        self.MAX_CONTENT_LENGTH = 2 * int(env.get("MAX_UPLOAD_BYTES", 10 * 1024 * 1024)) + 512 * 1024
        self.MAX_UPLOAD_BYTES = int(env.get("MAX_UPLOAD_BYTES", 10 * 1024 * 1024))
        # Background jobs (make worker): a SQLite queue in DATA_DIR by default; with REDIS_URL (redis://host:6379/0)
        # the queue lives in Redis, shared by the web and worker processes of several machines.
        self.REDIS_URL = env.get("REDIS_URL", "").strip()
        self.JOBS_DATABASE = env.get("JOBS_DATABASE", "")  # empty: DATA_DIR/jobs.db
        self.JOBS_QUEUE_NAME = env.get("JOBS_QUEUE_NAME", "portail-cfa")
        self.MAIL_SERVER = env.get("MAIL_SERVER", "")
        self.MAIL_PORT = int(env.get("MAIL_PORT", "25"))
        self.MAIL_SENDER = env.get("MAIL_SENDER", "portail@opco.test")
        # The portal's public address, for links in emails written outside a request (the daily digest).
        self.SITE_URL = env.get("SITE_URL", "http://127.0.0.1:5000").rstrip("/")
        self.MAIL_USERNAME = env.get("MAIL_USERNAME", "")  # with MAIL_PASSWORD: SMTP login (AUTH)
        self.MAIL_PASSWORD = env.get("MAIL_PASSWORD", "")
        self.MAIL_USE_TLS = env.get("MAIL_USE_TLS", "").strip().lower() in ("1", "true", "yes", "oui")  # STARTTLS
        self.OPCO_NAME = env.get("OPCO_NAME", "OPCO Avenir Compétences")
        self.OPCO_ADDRESS = env.get("OPCO_ADDRESS", "12 rue de la Formation, 75010 Paris")
        self.OPCO_IBAN = env.get("OPCO_IBAN", "FR7630006000011234567890189")
        self.OPCO_BIC = env.get("OPCO_BIC", "AGRIFRPPXXX")  # with the IBAN in the refund instructions (credit notes)
        self.MOBILITY_FLAT_AMOUNT = env.get("MOBILITY_FLAT_AMOUNT", "500.00")
        # argon2id cost (argon2-cffi's defaults, above OWASP's minimum); only the test suite lowers it.
        self.ARGON2_TIME_COST = int(env.get("ARGON2_TIME_COST", 3))
        self.ARGON2_MEMORY_COST = int(env.get("ARGON2_MEMORY_COST", 65536))
        self.ARGON2_PARALLELISM = int(env.get("ARGON2_PARALLELISM", 4))
        # Sign-in throttle per account: free failures, then a delay doubling from the first one, capped;
        # a failure streak older than LOGIN_FAILURES_FORGOTTEN_HOURS starts again from zero.
        self.LOGIN_FREE_FAILURES = 3
        self.LOGIN_FIRST_DELAY_SECONDS = 5
        self.LOGIN_MAX_DELAY_SECONDS = 300
        self.LOGIN_FAILURES_FORGOTTEN_HOURS = 24
        # Per-IP limit on POST /connexion (failed attempts only). `memory://` holds for one process: a
        # deployment with several workers sets RATELIMIT_STORAGE_URI=redis://host:6379 so they share it.
        self.LOGIN_RATE_LIMIT = env.get("LOGIN_RATE_LIMIT", "20 per minute;100 per hour")
        self.PASSWORD_RESET_RATE_LIMIT = env.get("PASSWORD_RESET_RATE_LIMIT", "5 per minute;30 per hour")
        # Per-IP limit shared by the POSTs of the registration pages (SIRET, account, sheet, new activation link).
        self.REGISTRATION_RATE_LIMIT = env.get("REGISTRATION_RATE_LIMIT", "30 per minute;200 per hour")
        # Per API key (every route of /api/v1 together); the storage must be shared by the workers (redis://).
        self.API_RATE_LIMIT = env.get("API_RATE_LIMIT", "600 per minute")  # one window: one Redis round trip
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_SWALLOW_ERRORS = True  # a storage outage must not stop sign-in (the account throttle stays)
        self.WTF_CSRF_TIME_LIMIT = None
        # HTTPS=1 for a deployment served over HTTPS only: cookies never sent in clear, HSTS on every response.
        self.HTTPS = env.get("HTTPS", "").strip().lower() in ("1", "true", "yes", "oui")
        self.SESSION_COOKIE_SECURE = self.HTTPS
        self.REMEMBER_COOKIE_SECURE = self.HTTPS
        self.PREFERRED_URL_SCHEME = "https" if self.HTTPS else "http"
        # Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none).
        self.TRUSTED_PROXIES = int(env.get("TRUSTED_PROXIES", "0") or 0)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        # Webhook URLs resolving to private, loopback or link-local addresses (and plain http) are refused
        # unless WEBHOOK_ALLOW_PRIVATE=1: only for tests and a developer's machine (SSRF guard).
        self.WEBHOOK_ALLOW_PRIVATE = env.get("WEBHOOK_ALLOW_PRIVATE", "").strip().lower() in ("1", "true", "yes", "oui")
        self.BABEL_DEFAULT_LOCALE = "fr"
        self.BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
        self.FLASK_ADMIN_SWATCH = "cerulean"
        self.TESTING = False
        for key, value in overrides.items():
            setattr(self, key, value)


def _local_secret(data_dir: Path) -> str:
    """Keep one random secret per installation so sessions survive restarts."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "secret_key"
    if not path.exists():
        try:  # readable by the app's user only: whoever reads it can forge sessions and CSRF tokens
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(os.urandom(32).hex())
    return path.read_text().strip()
