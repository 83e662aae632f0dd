"""Emails that leave: the outbox rows sent by SMTP (MAIL_SERVER), after the transaction that wrote them commits.

Rows are written by `workflows.notify.send_email`. `drain_outbox` claims each unsent row with a guarded UPDATE
(so two workers never send the same email), sends it and stamps `sent_at`; a failure leaves the row unsent with
`attempts` and `last_error` for the next drain (after each request that wrote an email, the worker's periodic
sweep and `flask send-emails`). `send_one` is the worker's job for one row (queued when its transaction commits).
"""
import datetime as dt
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from models import OutboxEmail, db
from models.base import now

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "email"
CLAIM_TIMEOUT = dt.timedelta(minutes=10)  # a worker that died while sending releases its rows after this
MAX_ATTEMPTS = 10  # then the row stays in the outbox for an administrator to read

_templates = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                         trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render_email(kind, **context):
    """The plain-text and HTML bodies of one kind of email: templates/email/<kind>.txt and <kind>.html."""
    return (_templates.get_template(f"{kind}.txt").render(**context),
            _templates.get_template(f"{kind}.html").render(**context))


def build_message(row, sender):
    """An RFC 5322 message in UTF-8: plain text, with the HTML body as an alternative when there is one."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(row.body, charset="utf-8")
    if row.html_body:
        message.add_alternative(row.html_body, subtype="html", charset="utf-8")
    return message


def smtp_connection(config):
    """An open SMTP session: STARTTLS when MAIL_USE_TLS, login when MAIL_USERNAME is set."""
    smtp = smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25),
                        timeout=float(config.get("MAIL_TIMEOUT") or 30))
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except Exception:
        smtp.close()
        raise
    return smtp


def _claim(row_id):
    """Take one unsent row for this worker; False when another worker has it or it was sent meanwhile."""
    stamp = now()
    claimed = (OutboxEmail.update(claimed_at=stamp, attempts=OutboxEmail.attempts + 1)
               .where((OutboxEmail.id == row_id) & OutboxEmail.sent_at.is_null()
                      & (OutboxEmail.claimed_at.is_null() | (OutboxEmail.claimed_at < stamp - CLAIM_TIMEOUT)))
               .execute())
    return claimed == 1


def drain_outbox(config, limit=200):
    """Send the unsent outbox rows when MAIL_SERVER is set; return (sent, failed). Never raises on SMTP errors."""
    if not config.get("MAIL_SERVER"):
        return 0, 0
    sent = failed = 0
    smtp = None
    ids = [i for (i,) in OutboxEmail.select(OutboxEmail.id)
           .where(OutboxEmail.sent_at.is_null() & (OutboxEmail.attempts < MAX_ATTEMPTS))
           .order_by(OutboxEmail.id).limit(limit).tuples()]
    try:
        for row_id in ids:
            with db.atomic():
                if not _claim(row_id):
                    continue
            row = OutboxEmail.get_by_id(row_id)
            try:
                connecting = smtp is None
                if connecting:
                    smtp = smtp_connection(config)
                smtp.send_message(build_message(row, config.get("MAIL_SENDER") or "portail@opco.test"))
            except (smtplib.SMTPException, OSError, ValueError) as exc:
                OutboxEmail.update(claimed_at=None, last_error=f"{type(exc).__name__}: {exc}"[:1000]).where(
                    OutboxEmail.id == row_id).execute()
                failed += 1
                if connecting and smtp is None:
                    break  # the server cannot be reached: the other rows wait for the next drain
                if not isinstance(exc, smtplib.SMTPRecipientsRefused) and smtp is not None:
                    _quit(smtp)  # the session may be unusable: the next row opens a new one
                    smtp = None
                continue
            OutboxEmail.update(sent_at=now(), claimed_at=None, last_error=None).where(
                OutboxEmail.id == row_id).execute()
            sent += 1
    finally:
        if smtp is not None:
            _quit(smtp)
    return sent, failed


def send_one(config, row_id):
    """Send one outbox row (the worker's job queued at commit); True when sent here, False when there is nothing
    to do (no MAIL_SERVER, already sent, another worker has it, or too many attempts: the row stays for the sweep).
    Raises on an SMTP failure, after releasing the row with its error, so that the job is retried."""
    if not config.get("MAIL_SERVER"):
        return False
    with db.atomic():
        if not OutboxEmail.select().where((OutboxEmail.id == row_id) & (OutboxEmail.attempts < MAX_ATTEMPTS)).exists():
            return False
        if not _claim(row_id):
            return False
    row = OutboxEmail.get_by_id(row_id)
    try:
        smtp = smtp_connection(config)
        try:
            smtp.send_message(build_message(row, config.get("MAIL_SENDER") or "portail@opco.test"))
        finally:
            _quit(smtp)
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        OutboxEmail.update(claimed_at=None, last_error=f"{type(exc).__name__}: {exc}"[:1000]).where(
            OutboxEmail.id == row_id).execute()
        raise
    OutboxEmail.update(sent_at=now(), claimed_at=None, last_error=None).where(OutboxEmail.id == row_id).execute()
    return True


def _quit(smtp):
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
