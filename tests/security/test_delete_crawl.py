"""Every back-office delete path, generated from `app.url_map`: nothing referenced is ever erased, nothing cascades.

The delete paths of each model view are the row button (`POST /admin/<model>/delete/`), the details page
(its delete form, or the same POST sent back to the details page when the page offers none) and the list's
bulk action (`POST /admin/<model>/action/` with action=delete). Each is tried by each staff role on a record
that another table points at (or on a money/audit record, never deletable): refused, every table keeps its
rows and its data. A record nothing points at is deleted by the role allowed to, with its audit entry.
"""
import datetime as dt
import re
from decimal import Decimal

import pytest
from peewee import ForeignKeyField

import models
from tests.portal.world import two_cfas
from tests.security.test_admin_roles import MODEL_WRITERS
from tests.security.test_csrf import POST_RULES, counts
from tests.test_access import db_digest

STAFF_ROLES = ("conseiller", "comptable", "admin")
NEVER_DELETED = {models.Invoice, models.InvoiceLine, models.InvoiceEvent, models.Payment, models.PaymentLine,
                 models.PaymentDeduction, models.CreditNote, models.Installment, models.AuditEntry,
                 models.Delegation,  # a delegation is the history of who could see and bill what: it ends
                 models.HelpdeskContact}  # the one contact row every portal page's footer shows
DELETE_VIEWS = sorted(re.match(r"/admin/([^/]+)/delete/$", rule).group(1) for rule in POST_RULES
                      if re.match(r"/admin/[^/]+/delete/$", rule))
MODEL_OF = {model.__name__.lower(): model for model in models.MODELS}
# Views whose records can never be referenced and that the spec lets an admin write: only the unreferenced case.
REFUSED_VIEWS = [endpoint for endpoint in DELETE_VIEWS
                 if MODEL_OF[endpoint]._meta.backrefs or endpoint not in MODEL_WRITERS
                 or MODEL_OF[endpoint] in NEVER_DELETED]


def _view(app, endpoint):
    return next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == endpoint)


def _pointing_rows(instance):
    """Rows of other tables whose foreign keys name `instance` (the test's own walk over the schema)."""
    total = 0
    for model in models.MODELS:
        for field in model._meta.sorted_fields:
            if isinstance(field, ForeignKeyField) and field.rel_model is type(instance):
                total += model.select().where(field == instance.id).count()
    return total


def _target(model):
    """A row of `model` another row points at; any row when nothing can point at it (read-only records)."""
    for row in model.select().order_by(model.id):
        if _pointing_rows(row) or not model._meta.backrefs:
            return row
    return None


def _world(app, factory):
    sud, nord, employer, staff = two_cfas(app, factory)
    from models.settings import seed_helpdesk_contact
    seed_helpdesk_contact()
    models.Delegation.create(delegate=sud.organisation, delegator=nord.organisation, state="terminee")
    models.AuditEntry.create(user=staff, actor=staff.email, entity="dossier", entity_id=str(sud.dossier.id),
                             action="engagement")
    models.InvoiceEvent.create(invoice=sud.invoice, state="en_traitement", by=staff)
    installment = models.Installment.select().where(models.Installment.dossier == sud.dossier.id).first()
    models.InvoiceLine.update(installment=installment).where(models.InvoiceLine.invoice == sud.invoice.id).execute()
    note = sud.credit_note
    models.PaymentDeduction.create(payment=sud.payment, credit_note=note, amount=Decimal("10.00"))
    models.NpecReference.create(rncp_code="RNCP35320", cpne_code="0001", training_label="BTS MCO",
                                npec=Decimal("7000.00"), applicable_from=dt.date(2024, 1, 1))
    models.IdccCpne.create(idcc="1090", idcc_label="Services de l'automobile", cpne_code="0001")
    proposal = models.ContractProposal.create(organisation=sud.organisation, employer_siret="12345678901234",
                                              employer_name="Garage", apprentice_last_name="Durand",
                                              apprentice_first_name="Léo", created_by=sud.admin)
    models.ProposalStep.create(proposal=proposal, state="brouillon", by=sud.admin)
    models.OutboxEmail.create(recipient=sud.admin.email, subject="Récapitulatif", body="Deux notifications")
    return sud


def _delete_requests(client, app, endpoint, record_id):
    """(path name, url, body) of the three delete paths for one record."""
    list_url = f"/admin/{endpoint}/"
    details_url = f"/admin/{endpoint}/details/?id={record_id}"
    page = client.get(details_url).get_data(as_text=True)
    form = re.search(r'<form[^>]*action="([^"]*/delete/)"[^>]*>(.*?)</form>', page, re.S)
    if form:
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
        fields.pop("csrf_token", None)
        details = ("page de détails", form.group(1), fields)
    else:
        details = ("page de détails", f"/admin/{endpoint}/delete/", {"id": str(record_id), "url": details_url})
    return [("bouton de la liste", f"/admin/{endpoint}/delete/", {"id": str(record_id), "url": list_url}),
            details,
            ("action groupée", f"/admin/{endpoint}/action/", {"action": "delete", "rowid": str(record_id),
                                                             "url": list_url})]


def test_the_crawl_covers_every_model_view_of_the_back_office(app):
    model_views = {v.endpoint for v in app.extensions["admin"][0]._views if getattr(v, "model", None)}
    assert set(DELETE_VIEWS) == model_views
    assert set(DELETE_VIEWS) == set(REFUSED_VIEWS) | set(UNREFERENCED)
    assert {"organisation", "employer", "user", "invoice", "payment", "creditnote", "auditentry"} <= set(DELETE_VIEWS)


@pytest.mark.parametrize("endpoint", REFUSED_VIEWS)
def test_a_referenced_record_is_refused_on_every_delete_path_for_every_role(app, factory, make_client, endpoint):
    _world(app, factory)
    model = _view(app, endpoint).model
    target = _target(model)
    assert target is not None, f"the test world has no {endpoint} another row points at"
    clients = {role: make_client(factory.staff(role).email) for role in STAFF_ROLES}
    for role, client in clients.items():
        for path, url, body in _delete_requests(client, app, endpoint, target.id):
            before_counts, before = counts(), db_digest()
            response = client.post_form(url, body)
            assert response.status_code in (302, 403), f"{role} / {path}: {response.status_code}"
            assert counts() == before_counts, f"{role} / {path} on {endpoint} #{target.id} removed or added rows"
            assert db_digest() == before, f"{role} / {path} on {endpoint} #{target.id} changed data"
            assert model.get_or_none(model.id == target.id) is not None


def test_the_refusal_says_what_references_the_record_and_offers_deactivation(app, factory, make_client):
    sud = _world(app, factory)
    client = make_client(factory.staff("conseiller").email)
    employer = sud.dossier.employer
    response = client.post_form("/admin/employer/action/", {"action": "delete", "rowid": str(employer.id),
                                                            "url": "/admin/employer/"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Suppression impossible" in html and "dossier" in html and "Désactivez-le plutôt" in html
    admin = make_client(factory.staff("admin").email)
    html = admin.post_form("/admin/organisation/delete/", {"id": str(sud.organisation.id),
                                                          "url": "/admin/organisation/"},
                           follow_redirects=True).get_data(as_text=True)
    for words in ("dossiers", "facture", "règlement", "avoir"):
        assert words in html, words


def test_money_and_audit_records_offer_no_delete_button_to_any_role(app, factory, make_client):
    sud = _world(app, factory)
    for role in STAFF_ROLES:
        client = make_client(factory.staff(role).email)
        for endpoint, row in (("invoice", sud.invoice), ("payment", sud.payment), ("creditnote", sud.credit_note),
                              ("auditentry", models.AuditEntry.select().first()),
                              ("installment", models.Installment.select().first())):
            for url in (f"/admin/{endpoint}/", f"/admin/{endpoint}/details/?id={row.id}"):
                html = client.get(url).get_data(as_text=True)
                assert "/delete/" not in html and 'value="delete"' not in html, f"{role} {url}"


def _staff_without_history(factory):
    return factory.staff("conseiller")


UNREFERENCED = {
    "organisation": lambda f: f.organisation(),
    "employer": lambda f: f.employer(),
    "apprentice": lambda f: f.apprentice(),
    "user": _staff_without_history,
    "npecreference": lambda f: models.NpecReference.create(
        rncp_code=f"RNCP{f.seq():05d}", cpne_code="0002", training_label="CAP", npec=Decimal("6000.00"),
        applicable_from=dt.date(2024, 1, 1)),
    "idcccpne": lambda f: models.IdccCpne.create(idcc=f"{f.seq() % 10000:04d}", idcc_label="Convention",
                                                 cpne_code="0002"),
}


def _deletable_cases():
    return [pytest.param(endpoint, role, id=f"{endpoint} {role}") for endpoint, roles in MODEL_WRITERS.items()
            if endpoint in UNREFERENCED for role in sorted(roles)]


def test_every_view_that_offers_delete_has_an_unreferenced_recipe(app):
    deletable = {v.endpoint for v in app.extensions["admin"][0]._views if getattr(v, "deletable", False)
                 and getattr(v, "model", None)}
    assert deletable <= set(UNREFERENCED), deletable - set(UNREFERENCED)


@pytest.mark.parametrize("endpoint,role", _deletable_cases())
def test_an_unreferenced_record_is_deleted_by_the_allowed_role_on_every_path_with_its_audit_entry(
        app, factory, make_client, endpoint, role):
    actor = factory.staff(role)
    client = make_client(actor.email)
    model = _view(app, endpoint).model
    for path in range(3):
        record = UNREFERENCED[endpoint](factory)
        assert _pointing_rows(record) == 0
        name, url, body = _delete_requests(client, app, endpoint, record.id)[path]
        others = {m.__name__: n for m, n in ((m, m.select().count()) for m in models.MODELS)
                  if m not in (model, models.AuditEntry)}
        last_entry = models.AuditEntry.select(models.AuditEntry.id).order_by(models.AuditEntry.id.desc()).scalar() or 0
        response = client.post_form(url, body)
        assert response.status_code == 302, f"{name}: {response.status_code}"
        assert model.get_or_none(model.id == record.id) is None, f"{role} / {name}: not deleted"
        assert {m.__name__: m.select().count() for m in models.MODELS
                if m not in (model, models.AuditEntry)} == others, f"{name}: other tables changed"
        entries = list(models.AuditEntry.select().where(models.AuditEntry.id > last_entry))
        assert len(entries) == 1, f"{role} / {name}: {len(entries)} audit entries for one deletion"
        entry = entries[0]
        assert (entry.entity, entry.entity_id, entry.action) == (model._meta.table_name, str(record.id), "delete")
        assert entry.user_id == actor.id and entry.before["id"] == record.id and entry.after is None


@pytest.mark.parametrize("endpoint", sorted(UNREFERENCED))
def test_a_role_without_the_right_cannot_delete_even_an_unreferenced_record(app, factory, make_client, endpoint):
    model = _view(app, endpoint).model
    for role in sorted(set(STAFF_ROLES) - MODEL_WRITERS[endpoint]):
        client = make_client(factory.staff(role).email)
        record = UNREFERENCED[endpoint](factory)
        for name, url, body in _delete_requests(client, app, endpoint, record.id):
            before = counts()
            assert client.post_form(url, body).status_code in (302, 403)
            assert counts() == before and model.get_or_none(model.id == record.id) is not None, f"{role} {name}"


def test_an_admin_cannot_delete_their_own_account(app, factory, make_client):
    admin = factory.staff("admin")
    client = make_client(admin.email)
    html = client.post_form("/admin/user/delete/", {"id": str(admin.id), "url": "/admin/user/"},
                            follow_redirects=True).get_data(as_text=True)
    assert "propre compte" in html
    assert models.User.get_or_none(models.User.id == admin.id) is not None
