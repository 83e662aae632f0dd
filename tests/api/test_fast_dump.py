"""The compiled dump of the API's lists gives the same document as marshmallow's own dump."""
import datetime as dt
from decimal import Decimal

import marshmallow as ma
import pytest

from views.api.dossiers import DossierListSchema
from views.api.fast_dump import FastDumpSchema
from views.api.invoices import FactureListSchema
from views.api.payments import ReglementListSchema
from views.api.schemas import Instant, Money


@pytest.mark.parametrize("url,schema", [("/api/v1/dossiers?parPage=100", DossierListSchema),
                                        ("/api/v1/factures?parPage=100", FactureListSchema),
                                        ("/api/v1/reglements?parPage=100", ReglementListSchema)])
def test_a_list_page_is_what_marshmallow_would_have_written(sud_api, monkeypatch, url, schema):
    fast = sud_api.get(url).get_json()
    monkeypatch.setattr(FastDumpSchema, "dump", ma.Schema.dump)
    slow = sud_api.get(url).get_json()
    assert fast == slow
    assert len(next(v for k, v in fast.items() if k != "pagination")) > 0


class Sample(FastDumpSchema):
    text = ma.fields.String()
    number = ma.fields.Integer()
    flag = ma.fields.Boolean()
    amount = Money()
    day = ma.fields.Date(allow_none=True)
    moment = Instant()
    tags = ma.fields.List(ma.fields.String())
    renamed = ma.fields.String(data_key="nomPublic")


@pytest.mark.parametrize("obj", [
    {"text": "Léa", "number": 3, "flag": 1, "amount": Decimal("1234.5"), "day": dt.date(2026, 1, 2),
     "moment": dt.datetime(2026, 3, 29, 1, 30), "tags": ["a", "b"], "renamed": "x"},
    {"text": "", "number": 0, "flag": False, "amount": Decimal("0.005"), "day": None,
     "moment": dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.timezone.utc), "tags": []},
    {"amount": Decimal("-12.345")},
])
def test_each_kind_of_field_dumps_as_marshmallow_does(obj):
    assert Sample().dump(obj) == ma.Schema.dump(Sample(), obj)
