"""IBANs in the back office: whole for who pays (comptable, admin), masked for the conseiller, everywhere."""
import io

import pytest
from openpyxl import load_workbook

import models
from rules.identifiers import format_iban, mask_iban
from tests.portal.world import store_file

IBAN = "FR7630006000011234567890189"


@pytest.fixture
def bank(factory):
    org = factory.organisation()
    return models.BankDetails.create(organisation=org, iban=IBAN, bic="AGRIFRPPXXX", holder="CFA Banque",
                                     status="approved")


def _pages(client, bank):
    xlsx = client.get("/admin/bankdetails/export/xlsx/").get_data()
    sheet = load_workbook(io.BytesIO(xlsx), read_only=True).active
    cells = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row)
    return {
        "liste": client.get("/admin/bankdetails/").get_data(as_text=True),
        "détails": client.get(f"/admin/bankdetails/details/?id={bank.id}").get_data(as_text=True),
        "export CSV": client.get("/admin/bankdetails/export/csv/").get_data(as_text=True),
        "export XLSX": cells,
    }


def test_a_conseiller_sees_the_iban_masked_in_the_list_the_details_and_the_exports(make_client, factory, bank):
    client = make_client(factory.staff("conseiller").email)
    for page, text in _pages(client, bank).items():
        assert mask_iban(IBAN) in text, page
        assert IBAN not in text.replace(" ", ""), f"the whole IBAN shows to a conseiller ({page})"


@pytest.mark.parametrize("role", ["comptable", "admin"])
def test_who_pays_sees_the_whole_iban(make_client, factory, bank, role):
    client = make_client(factory.staff(role).email)
    pages = _pages(client, bank)
    assert format_iban(IBAN) in pages["liste"] and format_iban(IBAN) in pages["détails"]
    assert IBAN in pages["export CSV"] and IBAN in pages["export XLSX"]


def test_the_scanned_rib_is_not_served_to_a_conseiller(app, make_client, factory, bank):
    name, sha, size = store_file(app)
    models.Document.create(organisation=bank.organisation, bank_details=bank, doc_type="rib", original_name="rib.pdf",
                           stored_name=name, sha256=sha, size=size)
    conseiller = make_client(factory.staff("conseiller").email)
    assert conseiller.get(f"/admin/bankdetails/rib/{bank.id}.pdf").status_code == 403
    assert "/rib/" not in conseiller.get(f"/admin/bankdetails/details/?id={bank.id}").get_data(as_text=True)
    comptable = make_client(factory.staff("comptable").email)
    assert comptable.get(f"/admin/bankdetails/rib/{bank.id}.pdf").status_code == 200
