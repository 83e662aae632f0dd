"""Back-office lists at a million dossiers: no exact COUNT per page, only sorts an index serves."""
import pytest

import models
from tests.factories import make_invoice
from tests.querycount import count_queries


@pytest.mark.parametrize("endpoint,table", [("invoice", "invoice"), ("dossier", "dossier"),
                                            ("installment", "installment"), ("creditnote", "credit_note"),
                                            ("document", "document")])
def test_big_lists_never_count_their_rows(make_client, factory, db, endpoint, table):
    client = make_client(factory.staff("admin").email)
    dossier = factory.engaged_dossier()
    make_invoice(dossier.organisation, dossier)
    with count_queries(db) as sql:
        assert client.get(f"/admin/{endpoint}/").status_code == 200
    assert not [q for q in sql if "COUNT(" in q.upper() and f'"{table}"' in q], endpoint


def test_the_dossier_list_sorts_by_apprentice_accents_aside_and_no_longer_by_cfa(make_client, factory, db):
    client = make_client(factory.staff("admin").email)
    for name in ("ÉMILE Zoé", "DAVID Ana", "FABRE Léo"):
        factory.dossier(apprentice_name=name)
    from views.admin.dossiers import DossierView
    assert "organisation" not in [e[0] if isinstance(e, tuple) else e for e in DossierView.column_sortable_list]
    index = DossierView.column_list.index("apprentice_name")
    html = client.get(f"/admin/dossier/?sort={index}").get_data(as_text=True)
    assert html.index("DAVID Ana") < html.index("ÉMILE Zoé") < html.index("FABRE Léo")


def test_the_offered_sorts_have_an_index(app, db):
    """Every column the dossier and invoice lists sort on leads an index of its table (or is unique)."""
    from views.admin.dossiers import DossierView
    from views.admin.invoices import InvoiceView
    for view, model in ((DossierView, models.Dossier), (InvoiceView, models.Invoice)):
        leading = {index.columns[0] for index in db.get_indexes(model._meta.table_name)}
        for entry in view.column_sortable_list:
            field = entry[1] if isinstance(entry, tuple) else getattr(model, entry)
            assert field.column_name in leading, (view.__name__, field.column_name)
