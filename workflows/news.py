"""OPCO news: staff broadcast them to every CFA or to chosen ones; each CFA user marks them read.

A broadcast writes one news row and one row per chosen organisation (none for "every CFA"), never one per
user: read marks are written when a user reads. Publishing and withdrawing are audited in their transaction.
"""
import re

from peewee import chunked

from access import scope as scoped
from access.permissions import can
from models import OpcoNews, OpcoNewsRead, OpcoNewsTarget, Organisation, db, now
from models.states import OrganisationStatus
from rules.identifiers import normalize_siret

from .audit import record, snapshot

TITLE_MAX = 150
BODY_MAX = 5000
TARGETS_MAX = 5000


class NewsRefused(ValueError):
    """A broadcast refused, with the French reason per field: {"title": "…", "sirets": "…"}."""

    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def parse_sirets(text):
    """The SIRETs typed one per line (or separated by commas or semicolons), spaces allowed, duplicates once."""
    seen = []
    for part in re.split(r"[\n\r,;]+", text or ""):
        siret = normalize_siret(part)
        if siret and siret not in seen:
            seen.append(siret)
    return seen


def check_broadcast(title, body, all_cfas, sirets):
    """(title, body, [organisation ids]) ready to publish, or NewsRefused with what to correct."""
    errors = {}
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        errors["title"] = "Le titre est obligatoire."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Le titre dépasse {TITLE_MAX} caractères."
    if not body:
        errors["body"] = "Le texte de l'actualité est obligatoire."
    elif len(body) > BODY_MAX:
        errors["body"] = f"Le texte dépasse {BODY_MAX} caractères."
    organisation_ids = []
    if not all_cfas:
        wanted = parse_sirets(sirets)
        if not wanted:
            errors["sirets"] = "Choisissez « Tous les CFA » ou saisissez le SIRET d'au moins un CFA."
        elif len(wanted) > TARGETS_MAX:
            errors["sirets"] = f"{TARGETS_MAX} CFA au plus par diffusion : choisissez « Tous les CFA »."
        else:
            found = {}
            for batch in chunked(wanted, 500):
                found.update(Organisation.select(Organisation.siret, Organisation.id).where(
                    Organisation.siret.in_(batch) & (Organisation.is_cfa == True)  # noqa: E712
                    & (Organisation.status == OrganisationStatus.ACTIVE)).tuples())
            unknown = [s for s in wanted if s not in found]
            if unknown:
                shown = ", ".join(s[:20] for s in unknown[:10]) + (" …" if len(unknown) > 10 else "")
                errors["sirets"] = f"SIRET sans CFA actif connu de l'OPCO : {shown}."
            organisation_ids = [found[s] for s in wanted if s in found]
    if errors:
        raise NewsRefused(errors)
    return title, body, organisation_ids


def publish_news(actor, title, body, all_cfas=False, sirets=""):
    """Broadcast a news to every CFA, or to the active CFAs whose SIRETs are given; the news row."""
    if not can(actor, "news.publish"):
        raise PermissionError("news.publish")
    title, body, organisation_ids = check_broadcast(title, body, all_cfas, sirets)
    with db.atomic():
        news = OpcoNews.create(title=title, body=body, all_cfas=bool(all_cfas), published_at=now(),
                               author=getattr(actor, "id", None))
        for batch in chunked(organisation_ids, 500):
            OpcoNewsTarget.insert_many([{"news": news.id, "organisation": org_id} for org_id in batch]).execute()
        audience = "tous les CFA" if all_cfas else f"{len(organisation_ids)} CFA"
        record("opco_news", news.id, "create", None, {**snapshot(news), "organisation_ids": organisation_ids},
               user=actor, note=f"Actualité diffusée à {audience}")
    return news


def withdraw_news(actor, news_id):
    """Stop showing a news (kept, with its read marks); False when it was already withdrawn."""
    if not can(actor, "news.publish"):
        raise PermissionError("news.publish")
    with db.atomic():
        news = OpcoNews.get_by_id(news_id)
        if news.withdrawn_at is not None:
            return False
        before = snapshot(news)
        OpcoNews.update(withdrawn_at=now()).where(OpcoNews.id == news.id).execute()
        record("opco_news", news.id, "update", before, snapshot(OpcoNews.get_by_id(news.id)), user=actor,
               note="Actualité retirée")
    return True


def mark_news_read(scope, news_ids=None):
    """Mark read, for the scope's user, the given news (every unread one when None) among those it may see;
    how many were newly marked."""
    query = scoped.unread_news(scope, OpcoNews.select(OpcoNews.id))
    if news_ids is not None:
        query = query.where(OpcoNews.id.in_(list(news_ids)))
    visible = [n for (n,) in query.tuples()]
    if not visible:
        return 0
    OpcoNewsRead.insert_many([{"news": news_id, "user": scope.user.id, "read_at": now()} for news_id in visible]
                             ).on_conflict_ignore().execute()
    return len(visible)
