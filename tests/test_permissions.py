"""The permission map answers the questions the screens and workflows ask (table-driven)."""
from types import SimpleNamespace

import pytest

from access.permissions import can
from access.scope import Scope


def staff(role, user_id=1):
    return SimpleNamespace(kind="staff", staff_role=role, id=user_id)


def cfa(*rights, role="gestionnaire_of", org=10, delegators=()):
    return Scope(kind="cfa", user=SimpleNamespace(id=50), organisation_id=org,
                 organisation_ids=frozenset({org, *delegators}), role=role, rights=frozenset(rights))


def dossier(org=10, stock=False, no_contract=False):
    return SimpleNamespace(organisation_id=org, is_stock=stock, without_contract=no_contract)


@pytest.mark.parametrize("role, permission, expected", [
    ("conseiller", "dossier.instruct", True),
    ("comptable", "dossier.instruct", False),
    ("admin", "dossier.instruct", True),
    ("conseiller", "invoice.decide", False),
    ("comptable", "invoice.decide", True),
    ("comptable", "payment.record", True),
    ("conseiller", "bank_details.read_iban", False),
    ("comptable", "bank_details.read_iban", True),
    ("conseiller", "user.manage", False),
    ("admin", "user.manage", True),
    ("comptable", "delegation.decide", False),
    ("admin", "delegation.decide", True),
    ("admin", "no.such.permission", False),
])
def test_staff_roles(role, permission, expected):
    assert can(staff(role), permission) is expected


def test_whoever_entered_a_rib_does_not_approve_it():
    rib = SimpleNamespace(entered_by_id=7, organisation_id=10)
    assert can(staff("comptable", user_id=8), "bank_details.review", rib)
    assert not can(staff("comptable", user_id=7), "bank_details.review", rib)


@pytest.mark.parametrize("rights, permission, target, expected", [
    (("right_contracts",), "dossier.manage", dossier(), True),
    (("right_contracts",), "dossier.bill", dossier(), False),
    (("right_contracts_billing",), "dossier.bill", dossier(), True),
    (("right_contracts_billing",), "dossier.bill", dossier(stock=True), False),
    (("right_stock_billing",), "dossier.bill", dossier(stock=True), True),
    (("right_no_contract",), "dossier.manage", dossier(no_contract=True), True),
    (("right_no_contract",), "dossier.manage", dossier(), False),
    (("right_contracts_billing",), "dossier.bill", dossier(org=99), False),  # another organisation's
    (("right_contracts",), "user.manage", None, False),
    (("right_contracts",), "invoice.decide", None, False),  # a staff permission
])
def test_cfa_rights_by_kind_of_dossier(rights, permission, target, expected):
    assert can(cfa(*rights), permission, target) is expected


def test_delegated_dossiers_are_in_scope_and_the_delegators_admin_decides():
    delegate = cfa("right_contracts_billing", org=10, delegators=(20,))
    assert can(delegate, "dossier.bill", dossier(org=20))
    admin_of_20 = cfa("right_contracts", role="admin_of", org=20)
    request = SimpleNamespace(delegator_id=20, delegate_id=10, organisation_id=None)
    assert can(admin_of_20, "delegation.decide", request)
    assert not can(cfa("right_contracts", role="admin_of", org=10), "delegation.decide", request)
    assert not can(cfa("right_contracts", org=20), "delegation.decide", request)


def test_an_api_key_acts_as_an_administrator_of_its_organisation():
    key = SimpleNamespace(organisation_id=10)
    scope = Scope.of_api_key(key, delegator_ids=(20,))
    assert can(scope, "dossier.bill", dossier(org=20, stock=True))
    assert can(scope, "api_key.manage") and not can(scope, "invoice.decide")
    assert not can(scope, "dossier.view", dossier(org=30))


def test_a_cfa_user_object_is_not_an_actor_without_its_scope():
    assert not can(SimpleNamespace(kind="cfa", staff_role=None), "dossier.view")
