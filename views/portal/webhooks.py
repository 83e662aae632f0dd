"""Webhooks (admin OF): the URLs the organisation's software listens on, their secret, the delivery log, replays.

Everything is read through `workflows.webhooks.endpoints/deliveries(scope)`: another organisation's endpoint or
delivery is a 404. The rules (SSRF guard, signature, back-off) live in workflows/webhooks.py and
infrastructure/webhook_http.py.
"""
import json

from flask import current_app, flash, redirect, render_template, request, url_for

from access.web import current_scope, first_or_404, int_or_404, require
from forms.portal import WebhookForm
from models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from views.portal import bp
from workflows import webhooks as workflow

LOG_PAGE = 50


def _allow_private():
    return bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE"))


def _endpoint_or_404(endpoint_id):
    return first_or_404(workflow.endpoints(current_scope()).where(WebhookEndpoint.id == int_or_404(endpoint_id)))


def _delivery_or_404(endpoint, delivery_id):
    return first_or_404(workflow.deliveries(current_scope()).where(
        (WebhookDelivery.id == int_or_404(delivery_id)) & (WebhookDelivery.endpoint == endpoint.id)))


def _list(form, status=200):
    rows = list(workflow.endpoints(current_scope()).order_by(WebhookEndpoint.active.desc(), WebhookEndpoint.id))
    return render_template("portal/webhooks/index.html", form=form, endpoints=rows, events=workflow.EVENTS,
                           allow_private=_allow_private()), status


@bp.route("/webhooks", methods=["GET", "POST"])
@require("organisation.admin")
def webhooks():
    form = WebhookForm()
    if not form.is_submitted():
        return _list(form)
    if form.validate():
        try:
            endpoint = workflow.register(current_scope(), form.url.data, form.description.data or "",
                                         allow_private=_allow_private())
        except (workflow.WebhookError, workflow.WebhookUrlError) as exc:
            form.url.errors = list(form.url.errors) + [str(exc)]
        else:
            flash("Adresse enregistrée. Copiez son secret de signature ci-dessous dans le logiciel qui reçoit les "
                  "notifications : il sert à vérifier qu'elles viennent bien du portail.", "success")
            return redirect(url_for("portal.webhook_detail", endpoint_id=endpoint.id, secret=1))
    return _list(form, 400)


@bp.route("/webhooks/<int:endpoint_id>")
@require("organisation.admin")
def webhook_detail(endpoint_id):
    endpoint = _endpoint_or_404(endpoint_id)
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    log = list(workflow.deliveries(current_scope()).where(WebhookDelivery.endpoint == endpoint.id)
               .order_by(WebhookDelivery.id.desc()).paginate(page, LOG_PAGE))
    more = len(log) == LOG_PAGE
    return render_template("portal/webhooks/detail.html", endpoint=endpoint, log=log, page=page, more=more,
                           states=workflow.STATE_LABELS, events=workflow.EVENTS,
                           show_secret=request.args.get("secret") == "1")


@bp.route("/webhooks/<int:endpoint_id>/envois/<int:delivery_id>")
@require("organisation.admin")
def webhook_delivery(endpoint_id, delivery_id):
    endpoint = _endpoint_or_404(endpoint_id)
    delivery = _delivery_or_404(endpoint, delivery_id)
    attempts = list(WebhookAttempt.select().where(WebhookAttempt.delivery == delivery.id)
                    .order_by(WebhookAttempt.id))
    body = json.dumps(delivery.payload, ensure_ascii=False, indent=2, sort_keys=True)
    return render_template("portal/webhooks/delivery.html", endpoint=endpoint, delivery=delivery, attempts=attempts,
                           body=body, states=workflow.STATE_LABELS, events=workflow.EVENTS)


def _toggle(endpoint_id, active):
    endpoint = _endpoint_or_404(endpoint_id)
    try:
        workflow.set_active(current_scope(), endpoint, active, allow_private=_allow_private())
    except (workflow.WebhookError, workflow.WebhookUrlError) as exc:
        flash(str(exc), "danger")
    else:
        flash("Adresse réactivée : les prochains événements lui seront envoyés." if active else
              "Adresse désactivée : plus aucun événement ne lui sera envoyé.", "success")
    return redirect(url_for("portal.webhook_detail", endpoint_id=endpoint.id))


@bp.route("/webhooks/<int:endpoint_id>/desactiver", methods=["POST"])
@require("organisation.admin")
def webhook_deactivate(endpoint_id):
    return _toggle(endpoint_id, False)


@bp.route("/webhooks/<int:endpoint_id>/reactiver", methods=["POST"])
@require("organisation.admin")
def webhook_reactivate(endpoint_id):
    return _toggle(endpoint_id, True)


@bp.route("/webhooks/<int:endpoint_id>/envois/<int:delivery_id>/rejouer", methods=["POST"])
@require("organisation.admin")
def webhook_replay(endpoint_id, delivery_id):
    endpoint = _endpoint_or_404(endpoint_id)
    delivery = _delivery_or_404(endpoint, delivery_id)
    try:
        copy = workflow.replay(current_scope(), delivery)
    except workflow.WebhookError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("portal.webhook_delivery", endpoint_id=endpoint.id, delivery_id=delivery.id))
    flash(f"Envoi rejoué : le nouvel envoi n° {copy.id} part au prochain passage de l'expéditeur.", "success")
    return redirect(url_for("portal.webhook_delivery", endpoint_id=endpoint.id, delivery_id=copy.id))


