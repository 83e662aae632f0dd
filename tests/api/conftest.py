"""API fixtures: keys of demo organisations and a client sending them."""
import datetime as dt

import pytest

from models import Organisation
from workflows.api_keys import create_key


class ApiClient:
    """The test client with an `X-API-KEY` header on every request."""

    def __init__(self, client, raw_key):
        self.client, self.raw_key = client, raw_key

    def _headers(self, headers):
        return {"X-API-KEY": self.raw_key, **(headers or {})} if self.raw_key else dict(headers or {})

    def get(self, url, headers=None, **kwargs):
        return self.client.get(url, headers=self._headers(headers), **kwargs)

    def post(self, url, headers=None, **kwargs):
        return self.client.post(url, headers=self._headers(headers), **kwargs)

    def request(self, method, url, headers=None, **kwargs):
        return self.client.open(url, method=method, headers=self._headers(headers), **kwargs)


@pytest.fixture
def make_key(db):
    """make_key(organisation name, **changes) -> (ApiKey, raw key)."""

    def _make(name, name_of_key="Logiciel de gestion", **changes):
        organisation = Organisation.get(Organisation.name == name)
        key, raw = create_key(organisation, name_of_key)
        if changes:
            type(key).update(**changes).where(type(key).id == key.id).execute()
            key = type(key).get_by_id(key.id)
        return key, raw

    return _make


@pytest.fixture
def api_client(app):
    """api_client(raw key or None) -> an ApiClient."""
    return lambda raw=None: ApiClient(app.test_client(), raw)


@pytest.fixture
def sud_api(demo, make_key, api_client):
    """CFA Sud's software (CFA Sud manages CFA Ouest's contracts by an approved delegation)."""
    return api_client(make_key("CFA Sud")[1])


@pytest.fixture
def nord_api(demo, make_key, api_client):
    return api_client(make_key("CFA Nord")[1])


def past(days=1):
    return dt.datetime.now() - dt.timedelta(days=days)
