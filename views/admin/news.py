"""Actualités de l'OPCO: staff broadcast a news to every CFA or to chosen ones (by SIRET) and withdraw it.

The news appears on the chosen CFAs' portal dashboard until each user marks it read (workflows/news.py).
Nothing is edited or deleted once published: a mistake is withdrawn and published again.
"""
from flask import flash, g
from flask_admin.actions import action
from markupsafe import Markup, escape
from peewee import JOIN, fn
from wtforms import BooleanField, StringField, TextAreaField

from models import OpcoNews, OpcoNewsRead, OpcoNewsTarget, Organisation, User
from workflows.news import BODY_MAX, TITLE_MAX, NewsRefused, publish_news, withdraw_news

from .base import AdminForm, StaffModelView


class NewsForm(AdminForm):
    title = StringField("Titre", render_kw={"maxlength": TITLE_MAX})
    body = TextAreaField("Texte", render_kw={"rows": 6, "maxlength": BODY_MAX})
    all_cfas = BooleanField("Tous les CFA")
    sirets = TextAreaField("SIRET des CFA destinataires", render_kw={"rows": 4},
                           description="Un SIRET par ligne (espaces admis), si « Tous les CFA » n'est pas coché.")


def _audience(view, context, model, name):
    if model.all_cfas:
        return "Tous les CFA"
    count = getattr(model, "target_count", 0) or 0
    return f"{count} CFA"


def _targets(view, context, model, name):
    """Details page: the chosen organisations (SIRET – name)."""
    if model.all_cfas:
        return "Tous les CFA"
    rows = (Organisation.select(Organisation.siret, Organisation.name)
            .join(OpcoNewsTarget, on=(OpcoNewsTarget.organisation == Organisation.id))
            .where(OpcoNewsTarget.news == model.id).order_by(Organisation.name).tuples())
    return Markup("<br>".join(f"{escape(siret)} – {escape(name)}" for siret, name in rows))


def _state(view, context, model, name):
    return "Retirée" if model.withdrawn_at else "Publiée"


class OpcoNewsView(StaffModelView):
    """List, publish and withdraw; read by every staff role, written with `news.publish`."""

    manage_permission = "news.publish"
    deletable = False
    audit_entity = "opco_news"
    form = NewsForm
    column_list = ["published_at", "title", "audience", "read_count", "author", "withdrawn_at"]
    column_details_list = ["published_at", "title", "body", "targets", "read_count", "author", "state",
                           "withdrawn_at"]
    column_export_list = ["published_at", "title", "body", "audience", "read_count", "author", "withdrawn_at"]
    column_sortable_list = ["published_at"]
    column_default_sort = ("published_at", True)
    column_searchable_list = ["title"]
    column_labels = {"published_at": "Publiée le", "title": "Titre", "body": "Texte", "audience": "Destinataires",
                     "targets": "Destinataires", "read_count": "Lue par (utilisateurs)", "author": "Auteur",
                     "withdrawn_at": "Retirée le", "state": "État"}
    column_formatters = {"audience": _audience, "targets": _targets, "state": _state,
                         "read_count": lambda v, c, m, n: getattr(m, "read_count", 0) or 0}
    column_formatters_detail = column_formatters
    column_formatters_export = {"audience": _audience,
                                "read_count": lambda v, c, m, n: getattr(m, "read_count", 0) or 0}

    @property
    def can_edit(self):
        return False

    def get_query(self):
        """Each row with its number of chosen CFAs and of readers: two correlated counts, no query per row."""
        targets = (OpcoNewsTarget.select(fn.COUNT(OpcoNewsTarget.id)).where(OpcoNewsTarget.news == OpcoNews.id))
        reads = OpcoNewsRead.select(fn.COUNT(OpcoNewsRead.id)).where(OpcoNewsRead.news == OpcoNews.id)
        return (OpcoNews.select(OpcoNews, User, targets.alias("target_count"), reads.alias("read_count"))
                .join(User, JOIN.LEFT_OUTER, on=(OpcoNews.author == User.id)))

    joined_models = (User,)

    def get_one(self, id):
        try:
            return self.get_query().where(OpcoNews.id == int(id)).first()
        except (TypeError, ValueError):
            return None

    def create_model(self, form):
        """Publish through the workflow (checks, targets, audit); a refusal is shown on its fields."""
        try:
            return publish_news(self.actor, form.title.data, form.body.data, all_cfas=form.all_cfas.data,
                                sirets=form.sirets.data)
        except NewsRefused as refusal:
            for name, message in refusal.errors.items():
                getattr(form, name).errors = [*getattr(form, name).errors, message]
            flash("Diffusion impossible : corrigez les champs signalés ci-dessous.", "error")
            g.admin_save_failed = True
            return False

    def after_model_change(self, form, model, is_created):
        flash(f"Actualité « {model.title} » diffusée.", "success")

    def is_action_allowed(self, name):
        if name == "withdraw":
            return self.allowed(self.manage_permission)
        return super().is_action_allowed(name)

    @action("withdraw", "Retirer", "Retirer les actualités sélectionnées ? Elles ne s'afficheront plus sur le "
                                   "portail des CFA.")
    def action_withdraw(self, ids):
        ids = self.action_ids(self.manage_permission, ids)
        done = sum(bool(withdraw_news(self.actor, news.id))
                   for news in OpcoNews.select(OpcoNews.id).where(OpcoNews.id.in_(ids)).order_by(OpcoNews.id))
        flash(f"{done} actualité(s) retirée(s).", "success")


VIEWS = [
    (OpcoNewsView, OpcoNews, "Actualités de l'OPCO", "Documents"),
]
