"""Test worlds for the portal: two rival CFAs with one of every scoped record (builders: tests/factories.py)."""
import datetime as dt
from dataclasses import dataclass, field

import models
from tests.factories import make_pdf

PASSWORD = "Portail-Demo-2026"


def store_file(app, data=None):
    from infrastructure.storage import LocalStorage

    return LocalStorage(app.config["UPLOAD_DIR"]).save(data or make_pdf())


@dataclass
class Tenant:
    organisation: models.Organisation
    admin: models.User
    dossier: models.Dossier
    stock_dossier: models.Dossier
    document: models.Document
    invoice: models.Invoice
    invoice_document: models.Document
    letter: models.Letter
    notification: models.Notification
    delegation: models.Delegation
    credit_note: models.CreditNote
    payment: models.Payment
    loose_dossier: models.Dossier = None
    markers: list = field(default_factory=list)
    employer_user: models.User = None  # the user of the employer its proposal is addressed to
    proposal: models.ContractProposal = None
    proposal_document: models.Document = None  # joined on `proposal` (its Documents tab)
    api_key: models.ApiKey = None
    webhook_endpoint: models.WebhookEndpoint = None
    webhook_delivery: models.WebhookDelivery = None
    bank_details: models.BankDetails = None  # with its RIB file (`rib_document`)
    rib_document: models.Document = None
    news: models.OpcoNews = None  # an OPCO news addressed to this organisation only


def tenant(app, factory, name, email, number_base):
    """One CFA with an admin, an engaged dossier, a stock dossier and one of each scoped record."""
    org = factory.organisation(name=name)
    admin = factory.cfa_user(org, email=email)
    apprentice = factory.apprentice(birth_name=f"{name.split()[-1].upper()}ELEVE", first_name="Unique")
    d = factory.engaged_dossier(org, apprentice=apprentice, number=str(number_base),
                                deca_number=f"DECA{number_base}",
                                apprentice_name=f"{apprentice.birth_name} {apprentice.first_name}")
    stock = factory.dossier(organisation=org, number=str(number_base + 1), is_stock=True, state="engage",
                            conclusion_date=dt.date(2019, 5, 1), contract_start=dt.date(2019, 6, 1),
                            contract_end=dt.date(2021, 5, 31), regime="stock")
    loose = factory.dossier(organisation=org, number=str(number_base + 2), without_contract=True, state="engage")
    name_, sha, size = store_file(app)
    document = models.Document.create(organisation=org, dossier=d, doc_type="convention",
                                      original_name=f"convention-{number_base}.pdf", stored_name=name_, sha256=sha,
                                      size=size)
    invoice = models.Invoice.create(number=number_base // 100000000, organisation=org, dossier=d, state="en_traitement",
                                    period_start=d.contract_start, period_end=d.contract_start + dt.timedelta(days=30),
                                    total_ht=100, total_ttc=100, receipt_number=f"R{number_base}",
                                    submitted_at=dt.datetime(2025, 10, 1, 10, 0))
    models.InvoiceLine.create(invoice=invoice, dossier=d, nature="teaching", amount=100,
                              period_start=invoice.period_start, period_end=invoice.period_end)
    name_, sha, size = store_file(app)
    invoice_document = models.Document.create(organisation=org, dossier=d, invoice=invoice, doc_type="recepisse",
                                              original_name=f"recepisse-{number_base}.pdf", stored_name=name_,
                                              sha256=sha, size=size)
    name_, sha, size = store_file(app)
    letter = models.Letter.create(dossier=d, kind="accord", title="Courrier d'accord", stored_name=name_, sha256=sha,
                                  size=size)
    notification = models.Notification.create(organisation=org, dossier=d, message=f"Message secret {name}")
    delegator = factory.organisation(name=f"Déléguant de {name}")
    delegation = models.Delegation.create(delegate=org, delegator=delegator, state="approuvee")
    bank = models.BankDetails.create(organisation=org, iban="FR7630006000011234567890189", bic="AGRIFRPPXXX",
                                     holder=name, status="approved")
    name_, sha, size = store_file(app)
    rib_document = models.Document.create(organisation=org, bank_details=bank, doc_type="rib",
                                          original_name=f"rib-{number_base}.pdf", stored_name=name_, sha256=sha,
                                          size=size)
    credit_note = models.CreditNote.create(number=number_base // 100000000, organisation=org, dossier=d, amount=50,
                                           reason="rupture", issued_on=dt.date(2026, 1, 5))
    payment = models.Payment.create(reference=f"VIR-{number_base}", organisation=org, bank_details=bank,
                                    date=dt.date(2026, 2, 1), gross=100, net=100, submission_key=f"pay-{number_base}")
    models.PaymentLine.create(payment=payment, invoice=invoice, dossier=d, amount=100)
    markers = [d.number, d.apprentice_name, stock.number, f"convention-{number_base}.pdf", invoice.display_number,
               f"Message secret {name}", delegator.name]
    markers.append(payment.reference)
    markers.append(rib_document.original_name)
    markers.append(loose.number)
    employer_user, proposal = employer_with_proposal(factory, org, name, number_base)
    markers.append(proposal.apprentice_last_name)
    name_, sha, size = store_file(app)
    proposal_document = models.Document.create(organisation=org, proposal=proposal, doc_type="piece_identite",
                                               original_name=f"identite-{number_base}.pdf", stored_name=name_,
                                               sha256=sha, size=size)
    markers.append(proposal_document.original_name)
    from workflows.api_keys import create_key
    api_key, _ = create_key(org, f"Logiciel de {name}")
    markers += [api_key.name, api_key.prefix]
    endpoint = models.WebhookEndpoint.create(organisation=org, url=f"https://hooks-{number_base}.example.test/in",
                                             secret=f"whsec_secret{number_base}")
    delivery = models.WebhookDelivery.create(endpoint=endpoint, event="dossier.etat", payload={
        "id": f"evt-{number_base}", "type": "dossier.etat", "donnees": {"numeroInterneDossier": d.number}})
    markers += [endpoint.url, endpoint.secret]
    news = models.OpcoNews.create(title=f"Actualité réservée à {name}", body=f"Texte réservé {number_base}")
    models.OpcoNewsTarget.create(news=news, organisation=org)
    markers += [news.title, news.body]
    return Tenant(org, admin, d, stock, document, invoice, invoice_document, letter, notification, delegation,
                  credit_note, payment, loose, markers, employer_user=employer_user, proposal=proposal,
                  proposal_document=proposal_document, api_key=api_key, webhook_endpoint=endpoint,
                  webhook_delivery=delivery, bank_details=bank, rib_document=rib_document, news=news)


def employer_with_proposal(factory, org, name, number_base):
    """An employer (its own SIRET) with a user, and a proposal of `org` sent to it (employer space crawl)."""
    from tests.portal.proposals_data import sent_proposal

    employer = factory.employer(name=f"Employeur de {name}")
    user = factory.employer_user(employer, email=f"rh{number_base}@employeur.test")
    proposal = sent_proposal(org, employer, author=None, **{"apprenti.nom": f"PROPOSE{number_base}"})
    return user, proposal


def two_cfas(app, factory):
    """CFA Sud and CFA Nord, each with its own records; plus an employer user and a staff user."""
    models.settings.seed_smic_rates()  # what every new database holds (the tests empty the tables)
    sud = tenant(app, factory, "CFA Sud", "admin@cfa-sud.test", 3100000000)
    nord = tenant(app, factory, "CFA Nord", "admin@cfa-nord.test", 3200000000)
    employer = factory.employer_user(email="rh@entreprise.test")
    staff = factory.staff("admin", email="admin@opco.test")
    return sud, nord, employer, staff
