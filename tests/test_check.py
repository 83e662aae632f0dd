"""`flask --app app check`: exit 0 with "aucune anomalie" on consistent data, exit 1 with one French line per
broken invariant. Each invariant is broken on purpose with a direct SQL update on a ledger built through the
real services (engagement, reimbursement request, validation, payment recorded in the back office)."""
import datetime as dt
import io
import re
from decimal import Decimal

import pytest

import models
from workflows import integrity
from workflows import invoice_workflow as workflow
from workflows import reimbursement
from workflows.dossier_workflow import Params, perform
from tests.billing.billing_helpers import pay_in_back_office
from tests.factories import make_pdf
from infrastructure.formatting import montant

RECORD = "/admin/payment/enregistrer/"


def run_check(app):
    result = app.test_cli_runner().invoke(args=["check"])
    return result.exit_code, result.output


def sql(database, statement, *params):
    marker = "%s" if type(database).__name__.startswith("Postgres") else "?"
    database.execute_sql(statement.replace("?", marker), params)


class Ledger:
    """An engaged dossier, its first installment requested and validated, a second one requested, then the
    first paid in the back office (the last step, so that nothing else refreshes the statuses)."""

    def __init__(self, factory, make_client, app):
        self.org = factory.organisation()
        self.cfa = factory.cfa_user(organisation=self.org)
        conseiller = factory.staff("conseiller")
        dossier = factory.dossier(organisation=self.org, state="en_instruction")
        with app.test_request_context():
            assert perform("engager", dossier.id, conseiller, Params(npec=Decimal("7000.00"))).ok
            self.dossier = models.Dossier.get_by_id(dossier.id)
            self.first, self.second = self.installments()[:2]
            self.paid_invoice = self.request(self.first)
            workflow.validate(self.paid_invoice, user=factory.staff("comptable"))
            self.pending_invoice = self.request(self.second)
        factory.approved_bank(self.org)
        self.comptable = make_client(factory.staff("comptable").email)
        response = pay_in_back_office(self.comptable, self.org, [self.paid_invoice])
        assert response.status_code == 302
        self.payment = models.Payment.get()

    def installments(self):
        return list(models.Installment.select().where(models.Installment.dossier == self.dossier.id)
                    .order_by(models.Installment.number))

    def request(self, installment):
        data = reimbursement.RequestData(
            period_start=installment.period_start, period_end=installment.period_end,
            teaching_amount=installment.amount, nights=0, lodging_amount=Decimal("0"), meals=10,
            meals_amount=Decimal("30.00"), first_equipment_amount=Decimal("0"), mobility_amount=Decimal("0"),
            terms_accepted=True)
        return reimbursement.submit(self.dossier, data, ("facture.pdf", make_pdf()), ("certificat.pdf", make_pdf()),
                                    self.cfa)


@pytest.fixture
def ledger(factory, make_client, app):
    return Ledger(factory, make_client, app)


def test_the_check_finds_nothing_on_the_demo_data_loaded_by_the_demo_command(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    code, output = run_check(app)
    assert code == 0, output
    assert "aucune anomalie" in output and "47 dossier(s)" in output


def test_a_consistent_ledger_passes_and_its_installments_follow_the_payment(ledger, app):
    code, output = run_check(app)
    assert (code, output.startswith("Contrôle d'intégrité : aucune anomalie")) == (0, True), output
    statuses = [i.status for i in ledger.installments()]
    assert statuses[:3] == ["paid", "invoiced", "to_invoice"]


def test_a_paid_installment_shows_payee_on_the_portal_dossier_page(ledger, make_client):
    page = make_client(ledger.cfa.email).get(f"/portail/dossiers/{ledger.dossier.number}").get_data(as_text=True)
    schedule = page.split('id="schedule"')[1].split("</table>")[0]
    rows = re.findall(r"<tr[^>]*><td>(\d+)</td>.*?</tr>", schedule, flags=re.S)
    assert rows[:2] == [str(ledger.first.number), str(ledger.second.number)]
    first_row, second_row = re.findall(r"<tr[^>]*><td>\d+</td>.*?</tr>", schedule, flags=re.S)[:2]
    assert "Payée" in first_row and "Facturée" in second_row


def test_a_rejected_request_frees_its_installment_again(ledger, app, factory, make_client):
    with app.test_request_context():
        workflow.reject(ledger.pending_invoice, "Facture illisible.", user=factory.staff("comptable"))
    assert [i.status for i in ledger.installments()][:2] == ["paid", "to_invoice"]
    page = make_client(ledger.cfa.email).get(f"/portail/dossiers/{ledger.dossier.number}").get_data(as_text=True)
    second_row = re.findall(r"<tr[^>]*><td>\d+</td>.*?</tr>", page.split('id="schedule"')[1], flags=re.S)[1]
    assert "À facturer" in second_row
    assert run_check(app)[0] == 0


def _broken(app, line):
    code, output = run_check(app)
    assert code == 1, output
    assert line in output, output
    assert "anomalie(s) trouvée(s)" in output
    return output


def test_a_schedule_that_no_longer_adds_up_to_the_engagement(ledger, app, db):
    last = ledger.installments()[-1]
    sql(db, 'UPDATE "installment" SET amount = amount + 10000 WHERE id = ?', last.id)
    net = ledger.dossier.total_financed - ledger.dossier.employer_share
    _broken(app, f"Dossier {ledger.dossier.number} : échéancier de {montant(net + 100)} (échéances non annulées "
                 f"{montant(net + 100)}) au lieu de {montant(net)}")


def test_a_payment_on_an_invoice_that_is_not_validated(ledger, app, db):
    sql(db, 'UPDATE "invoice" SET state = ? WHERE id = ?', "rejetee", ledger.paid_invoice.id)
    paid = ledger.paid_invoice.total_ttc
    output = _broken(app, f"Dossier {ledger.dossier.number} : réglé {montant(paid)} supérieur au validé 0,00")
    assert f"Dossier {ledger.dossier.number}, coût pédagogique : réglé {montant(ledger.first.amount)}" in output


def test_more_validated_than_invoiced(ledger, app, db):
    line = models.InvoiceLine.get((models.InvoiceLine.invoice == ledger.pending_invoice.id)
                                  & (models.InvoiceLine.nature == "meals"))
    sql(db, 'UPDATE "invoice_line" SET amount = -100000 WHERE id = ?', line.id)
    _broken(app, f"Dossier {ledger.dossier.number}, restauration : validé 30,00\u00a0€ supérieur au facturé")


def test_credit_notes_beyond_what_was_paid(ledger, app, db):
    note = models.CreditNote.create(number=1, organisation=ledger.org, dossier=ledger.dossier, amount=Decimal("1"),
                                    reason="end_of_contract", issued_on=dt.date(2026, 3, 20))
    sql(db, 'UPDATE "credit_note" SET amount = ? WHERE id = ?', 99_999_900, note.id)
    _broken(app, f"Dossier {ledger.dossier.number} : avoirs {montant(Decimal('999999.00'))} supérieurs au réglé")


def test_an_installment_left_invoiced_after_its_payment(ledger, app, db):
    sql(db, 'UPDATE "installment" SET status = ? WHERE id = ?', "invoiced", ledger.first.id)
    _broken(app, f"Dossier {ledger.dossier.number}, échéance {ledger.first.number} : statut « Facturée » alors "
                 "que ses factures et règlements donnent « Payée ».")


def test_an_invoice_line_on_a_dossier_of_another_organisation(ledger, app, db, factory):
    other = factory.organisation(name="CFA Voisin")
    sql(db, 'UPDATE "dossier" SET organisation_id = ? WHERE id = ?', other.id, ledger.dossier.id)
    models.DossierCounter.rebuild()  # the dashboard counters follow the move: only the billing scope is broken
    line = (f"Facture {ledger.paid_invoice.display_number} ({ledger.org.name}) : ligne sur le dossier "
            f"{ledger.dossier.number} de CFA Voisin, que {ledger.org.name} ne peut pas facturer")
    _broken(app, line)
    delegation = models.Delegation.create(delegate=ledger.org, delegator=other)
    if getattr(models.Delegation, "state", None) is None:
        assert run_check(app)[0] == 0  # every delegation counts until delegations have a state
    else:
        sql(db, 'UPDATE "delegation" SET state = ? WHERE id = ?', "demandee", delegation.id)
        _broken(app, line)
        sql(db, 'UPDATE "delegation" SET state = ? WHERE id = ?', "approuvee", delegation.id)
        assert run_check(app)[0] == 0


def test_a_payment_without_its_audit_entry(ledger, app, db):
    sql(db, 'DELETE FROM "audit_entry" WHERE entity = ? AND entity_id = ?', "payment", str(ledger.payment.id))
    _broken(app, f"Règlement {ledger.payment.reference} : aucune entrée au journal d'audit.")


def test_an_engaged_dossier_without_its_audit_entry(ledger, app, db):
    sql(db, 'DELETE FROM "audit_entry" WHERE entity IN (?, ?) AND entity_id = ?', "dossier", "Dossier",
        str(ledger.dossier.id))
    _broken(app, f"Dossier engagé {ledger.dossier.number} : aucune entrée au journal d'audit.")


def test_an_invoice_without_its_stored_receipt_or_its_number(ledger, app, db):
    sql(db, 'DELETE FROM "document" WHERE invoice_id = ? AND doc_type = ?', ledger.pending_invoice.id, "recepisse")
    _broken(app, f"Facture {ledger.pending_invoice.display_number} : récépissé "
                 f"{ledger.pending_invoice.receipt_number} sans PDF enregistré.")
    sql(db, 'UPDATE "invoice" SET receipt_number = ? WHERE id = ?', "", ledger.paid_invoice.id)
    _broken(app, f"Facture {ledger.paid_invoice.display_number} : sans numéro de récépissé.")


def test_problems_lists_every_broken_invariant_at_once(ledger, db):
    sql(db, 'UPDATE "installment" SET status = ? WHERE id = ?', "invoiced", ledger.first.id)
    sql(db, 'DELETE FROM "audit_entry" WHERE entity = ?', "payment")
    assert {p.invariant for p in integrity.problems()} == {"installment_status", "audit"}


def test_no_rupture_nor_amendment_while_an_invoice_of_the_dossier_awaits_its_payment(ledger, app, factory,
                                                                                   make_client):
    """Found by tests/billing/test_stateful.py: the pending invoice would be paid beyond what the rupture leaves due."""
    client = make_client(factory.staff("conseiller").email)
    data = {"date": "15/10/2025", "reason": "Démission de l'apprenti", "new_contract_date": ""}
    response = client.post_form(f"/admin/rupture/{ledger.dossier.id}/confirmer", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"La facture {ledger.pending_invoice.display_number} de ce dossier est « En cours de traitement »" in html
    response = client.post_form(f"/admin/avenant/{ledger.dossier.id}/",
                                {"new_end": "28/02/2027", "reason": "Fin anticipée"})
    assert response.status_code == 400 and ledger.pending_invoice.display_number in response.get_data(as_text=True)
    assert models.Rupture.select().count() == 0 and models.Amendment.select().count() == 0
    with app.test_request_context():
        workflow.reject(ledger.pending_invoice, "Facture illisible.", user=factory.staff("comptable"))
    assert client.post_form(f"/admin/rupture/{ledger.dossier.id}/confirmer", data).status_code == 302
    note = models.CreditNote.get()  # 15/10/2025: two months due, the first advance was paid in full
    assert note.amount == models.Rupture.get().credit_note_amount > 0
    code, output = run_check(app)
    assert code == 0 and "aucune anomalie" in output, output


def test_a_second_amendment_counts_the_credit_note_of_the_first(ledger, app, factory, make_client):
    with app.test_request_context():
        workflow.reject(ledger.pending_invoice, "Facture illisible.", user=factory.staff("comptable"))
    client = make_client(factory.staff("conseiller").email)

    def amend(new_end):
        return client.post_form(f"/admin/avenant/{ledger.dossier.id}/confirmer",
                                {"new_end": new_end, "reason": "Avenant", "document": (io.BytesIO(make_pdf()),
                                                                                       "avenant.pdf")},
                                content_type="multipart/form-data")

    assert amend("30/11/2025").status_code == 302  # three months: less than the paid first advance
    first = models.CreditNote.get()
    assert amend("31/08/2027").status_code == 302  # back to two years: nothing more to credit
    assert models.CreditNote.select().count() == 1
    scheduled = sum((i.amount for i in ledger.installments() if i.status != "cancelled"), Decimal("0"))
    dossier = models.Dossier.get_by_id(ledger.dossier.id)
    assert scheduled - first.amount == dossier.total_financed - dossier.employer_share
    assert run_check(app)[0] == 0, run_check(app)[1]


def test_the_kept_next_billable_date_follows_the_installments_and_a_wrong_one_is_reported_then_rebuilt(
        ledger, app, db, factory, make_client):
    """« Dossiers avec une échéance à facturer » reads Dossier.next_billable_from: engaging, requesting,
    rejecting keep it equal to the earliest installment still to invoice; a wrong one is found by `check`
    and repaired by `rebuild-counters`."""
    def kept():
        return models.Dossier.get_by_id(ledger.dossier.id).next_billable_from

    third = ledger.installments()[2]
    assert kept() == third.billable_from  # the first two are requested
    with app.test_request_context():
        workflow.reject(ledger.pending_invoice, "Facture illisible.", user=factory.staff("comptable"))
    assert kept() == ledger.second.billable_from  # the rejected request frees the second again
    assert run_check(app)[0] == 0

    sql(db, 'UPDATE "dossier" SET next_billable_from = NULL WHERE id = ?', ledger.dossier.id)
    _broken(app, f"Dossier {ledger.dossier.number} : prochaine échéance à facturer enregistrée aucune, "
                 f"{ledger.second.billable_from:%d/%m/%Y} d'après ses échéances")
    result = app.test_cli_runner().invoke(args=["rebuild-counters"])
    assert result.exit_code == 0, result.output
    assert kept() == ledger.second.billable_from
    assert run_check(app)[0] == 0
