"""`Idempotency-Key` on the API's POSTs: a repeat with the same key and body gets the first answer (status
and body) and creates nothing; the same key with another body is refused (422).

The first request claims the key by inserting its record (a unique column: of four concurrent repeats exactly
one inserts); it then runs and stores its answer in the same transaction as its work. The others wait for
that answer and replay it. Records are kept at least 24 hours (`workflows.api_keys.purge_idempotency_records`,
hourly on the worker)."""
import datetime as dt
import hashlib
import time
from functools import wraps

from flask import current_app, g, json, request
from peewee import IntegrityError
from werkzeug.exceptions import HTTPException

from infrastructure.numbering import immediate_transaction
from models import IdempotencyRecord, db

from .problems import ApiProblem, handle_exception

HEADER = "Idempotency-Key"
STALE = dt.timedelta(minutes=2)  # a claim never answered (its process died) may be taken over after this
WAIT_SECONDS = 15.0


def fingerprint():
    """sha256 of what the request asks: method, path, query and body (JSON canonicalised; form fields and
    files' contents for multipart, so a new boundary is the same request)."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}?{request.query_string.decode('latin-1')}\n".encode())
    if request.mimetype == "multipart/form-data" or request.mimetype == "application/x-www-form-urlencoded":
        for name, value in sorted(request.form.items(multi=True)):
            digest.update(f"form:{name}={value}\n".encode("utf-8", "surrogatepass"))
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            content = upload.stream.read()
            upload.stream.seek(0)
            digest.update(f"file:{name}:{upload.filename}:{hashlib.sha256(content).hexdigest()}\n".encode(
                "utf-8", "surrogatepass"))
    else:
        body = request.get_json(silent=True)
        if body is not None:
            digest.update(json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass"))
        else:
            digest.update(request.get_data())
    return digest.hexdigest()


def _record_key(raw):
    key_id = g.api_scope.api_key.id
    return f"api:{key_id}:" + hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:64]


def _replay(record):
    stored = record.response or {}
    text = stored["text"] if "text" in stored else json.dumps(stored.get("body"), ensure_ascii=False)
    response = current_app.response_class(text, status=record.status,
                                          mimetype=stored.get("mimetype") or "application/json")
    for name, value in (stored.get("headers") or {}).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _stored(response):
    headers = {name: value for name, value in response.headers.items() if name in ("Location",)}
    return {"body": response.get_json(silent=True), "text": response.get_data(as_text=True),  # replayed byte for byte
            "mimetype": response.mimetype, "headers": headers}


def _claim(key, print_):
    """Insert the claim; return None when this request owns it, else the existing record."""
    now = dt.datetime.now()
    try:
        with db.atomic():
            IdempotencyRecord.create(key=key, status=0, fingerprint=print_, created_at=now)
        return None
    except IntegrityError:
        pass
    record = IdempotencyRecord.get_or_none(IdempotencyRecord.key == key)
    if record is None:  # purged between the two statements: try once more
        return _claim(key, print_)
    if record.completed_at is None and record.fingerprint == print_ and now - record.created_at > STALE:
        taken = (IdempotencyRecord.update(created_at=now)
                 .where((IdempotencyRecord.id == record.id) & IdempotencyRecord.completed_at.is_null()
                        & (IdempotencyRecord.created_at == record.created_at)).execute())
        if taken:
            return None
    return record


def _answer_of_other(record, print_):
    if record.fingerprint != print_:
        raise ApiProblem(422, "Cette clé d'idempotence a déjà servi pour une autre requête : utilisez-en une "
                              "nouvelle pour une nouvelle opération.", code="cle_idempotence_reutilisee")
    deadline = time.monotonic() + WAIT_SECONDS
    while record.completed_at is None and time.monotonic() < deadline:
        time.sleep(0.05)
        record = IdempotencyRecord.get_or_none(IdempotencyRecord.id == record.id)
        if record is None:
            raise ApiProblem(409, "La première requête portant cette clé d'idempotence a échoué : renvoyez-la.",
                             code="requete_en_cours")
    if record.completed_at is None:
        raise ApiProblem(409, "Une requête portant cette clé d'idempotence est en cours : réessayez dans un "
                              "instant.", code="requete_en_cours", headers={"Retry-After": "2"})
    return _replay(record)


def _finish(key, response):
    IdempotencyRecord.update(status=response.status_code, response=_stored(response),
                             completed_at=dt.datetime.now()).where(IdempotencyRecord.key == key).execute()


def idempotent(view):
    """Make a POST view idempotent under `Idempotency-Key` (place it above the schema decorators)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        raw = request.headers.get(HEADER)
        if raw is None:
            return view(*args, **kwargs)
        if not raw.strip() or len(raw) > 255 or not raw.isprintable():
            raise ApiProblem(400, "L'en-tête Idempotency-Key doit contenir de 1 à 255 caractères imprimables.",
                             code="cle_idempotence_invalide")
        key, print_ = _record_key(raw), fingerprint()
        other = _claim(key, print_)
        if other is not None:
            return _answer_of_other(other, print_)
        try:
            with immediate_transaction():  # the work and its stored answer commit together
                response = current_app.make_response(view(*args, **kwargs))
                if response.status_code < 500:
                    _finish(key, response)
            if response.status_code >= 500:
                IdempotencyRecord.delete().where(IdempotencyRecord.key == key).execute()
            return response
        except HTTPException as error:
            if (error.code or 500) >= 500:
                IdempotencyRecord.delete().where(IdempotencyRecord.key == key).execute()
                raise
            response = handle_exception(error)  # a refusal is an answer too: a repeat gets the same one
            _finish(key, response)
            return response
        except Exception:
            IdempotencyRecord.delete().where(IdempotencyRecord.key == key).execute()
            raise

    return wrapper

