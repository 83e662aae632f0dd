"""Portal fixtures: CFA Sud and its admin, signed in (tests needing other shapes build their own)."""
import pytest


@pytest.fixture
def org(factory):
    return factory.organisation(name="CFA Sud")


@pytest.fixture
def sud_client(make_client, factory, org):
    """admin@cfa-sud.test, admin OF of CFA Sud with the six rights, signed in."""
    factory.cfa_user(org, email="admin@cfa-sud.test")
    return make_client("admin@cfa-sud.test")
