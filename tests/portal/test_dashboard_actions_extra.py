"""The dashboard's *actions à mener* also list refunds to make and expired dossiers (SPEC §6)."""
import datetime as dt
import re
from decimal import Decimal

import models


def action_count(html, label):
    match = re.search(re.escape(label.replace("'", "&#39;")) + r".*?badge-pill\">(\d+)\+?<", html, re.S)
    assert match, label
    return int(match.group(1))


def test_refunds_to_make_and_expired_dossiers_are_counted_for_the_current_organisation(make_client, factory, db):
    org = factory.organisation()
    other = factory.organisation()
    user = factory.cfa_user(organisation=org)
    ended = dict(state="engage", conclusion_date=dt.date(2022, 8, 1), contract_start=dt.date(2022, 9, 1),
                 contract_end=dt.date(2023, 8, 31), regime="2021", total_financed=Decimal("7000.00"))
    mine = factory.dossier(organisation=org, **ended)
    models.Installment.create(dossier=mine, number=1, year=1, kind="balance", billable_from=dt.date(2023, 8, 31),
                              period_start=dt.date(2022, 9, 1), period_end=dt.date(2023, 8, 31),
                              amount=Decimal("7000.00"))
    theirs = factory.dossier(organisation=other, **ended)
    for dossier, organisation in ((mine, org), (theirs, other)):
        models.CreditNote.create(number=dossier.id, organisation=organisation, dossier=dossier, amount=Decimal("10"),
                                 reason="rupture", settlement_mode="refund", state="a_emettre",
                                 issued_on=dt.date(2026, 1, 5), due_date=dt.date(2026, 1, 20))
    html = make_client(user.email).get("/portail/").get_data(as_text=True)
    assert action_count(html, "Remboursements d'avoirs à effectuer") == 1
    assert action_count(html, "Dossiers échus à traiter") == 1
