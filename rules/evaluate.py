"""Evaluation of a worked-cases file (``../shared/cases/README.md`` format).

Each case gets an ``actual`` object beside its ``expected`` one, with the same
keys computed by the rules, amounts as strings with two decimals and ISO dates.
A case that cannot be computed gets ``{"error": "..."}`` (or an ``error`` inside
the part that failed) instead of stopping the run.
"""
from datetime import date
from decimal import Decimal, InvalidOperation

from .expired import is_expired
from .rupture import RuptureInput, settle_rupture
from .schedule import Contract, compute_financing

INSTALLMENT_KEYS = ("year", "kind", "billable_from", "period_start", "period_end", "amount")


class CaseError(ValueError):
    """A case whose input cannot be read."""


def _date(value, name):
    if value is None:
        raise CaseError(f"{name}: date manquante")
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CaseError(f"{name}: date invalide {value!r}") from None


def _decimal(value, name, default=None):
    if value is None:
        if default is not None:
            return default
        raise CaseError(f"{name}: montant manquant")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise CaseError(f"{name}: nombre invalide {value!r}") from None
    if not number.is_finite():
        raise CaseError(f"{name}: nombre invalide {value!r}")
    return number


def _bool(value, name):
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise CaseError(f"{name}: booléen attendu, reçu {value!r}")


def contract_from_json(data) -> Contract:
    if not isinstance(data, dict):
        raise CaseError("contract: objet attendu")
    level = data.get("level")
    if level is not None:
        try:
            level = int(level)
        except (TypeError, ValueError):
            raise CaseError(f"contract.level: entier attendu, reçu {level!r}") from None
    return Contract(
        conclusion=_date(data.get("conclusion"), "contract.conclusion"),
        start=_date(data.get("start"), "contract.start"),
        end=_date(data.get("end"), "contract.end"),
        npec=_decimal(data.get("npec"), "contract.npec"),
        stock=_bool(data.get("stock"), "contract.stock"),
        disability_uplift=_decimal(data.get("disability_uplift"), "contract.disability_uplift", Decimal("0")),
        reduced_duration=_bool(data.get("reduced_duration"), "contract.reduced_duration"),
        distance_share=_decimal(data.get("distance_share"), "contract.distance_share", Decimal("0")),
        level=level,
    )


def rupture_from_json(data) -> RuptureInput:
    if not isinstance(data, dict):
        raise CaseError("rupture: objet attendu")
    new_contract = data.get("new_contract")
    return RuptureInput(
        date=_date(data.get("date"), "rupture.date"),
        paid=_decimal(data.get("paid"), "rupture.paid", Decimal("0")),
        continues_at_cfa=_bool(data.get("continues_at_cfa"), "rupture.continues_at_cfa"),
        new_contract=_date(new_contract, "rupture.new_contract") if new_contract else None,
    )


def amount(value) -> str:
    return f"{value:.2f}"


def installment_json(item) -> dict:
    return {
        "year": item.year,
        "kind": item.kind,
        "billable_from": item.billable_from.isoformat(),
        "period_start": item.period_start.isoformat(),
        "period_end": item.period_end.isoformat(),
        "amount": amount(item.amount),
    }


def _error(exc) -> dict:
    return {"error": f"{type(exc).__name__}: {exc}" if not isinstance(exc, CaseError) else str(exc)}


def evaluate_case(case) -> dict:
    """The ``actual`` object of one case (never raises)."""
    try:
        if not isinstance(case, dict):
            raise CaseError("cas: objet attendu")
        expected = case.get("expected")
        keys = list(expected) if isinstance(expected, dict) and expected else None
        contract = contract_from_json(case.get("contract"))
        financing = compute_financing(contract)
    except Exception as exc:  # noqa: BLE001 - one bad case must not stop the run
        return _error(exc)
    actual = {
        "regime": financing.regime,
        "total": amount(financing.total),
        "employer_share": amount(financing.employer_share),
        "installments": [installment_json(i) for i in financing.installments],
    }
    extras = {"net": amount(financing.net)}
    if "rupture" in case or (keys and "rupture" in keys):
        try:
            settlement = settle_rupture(contract, rupture_from_json(case.get("rupture")))
            rupture = {
                "due": amount(settlement.due),
                "credit_note": amount(settlement.credit_note),
                "remaining": amount(settlement.remaining),
            }
            wanted = expected.get("rupture") if isinstance(expected, dict) else None
            if isinstance(wanted, dict) and set(wanted) != set(rupture):
                # Extra figures a case file may ask for (the README's three are the default).
                rupture.update({
                    "employer_share": amount(settlement.employer_share),
                    "due_gross": amount(settlement.due_gross),
                    "financing_end": settlement.financing_end.isoformat(),
                    "installments": [installment_json(i) for i in settlement.installments],
                    "cancelled": [installment_json(i) for i in settlement.cancelled],
                })
                rupture = {key: rupture.get(key, {"error": f"clé {key!r} non calculée"}) for key in wanted}
            actual["rupture"] = rupture
        except Exception as exc:  # noqa: BLE001
            actual["rupture"] = _error(exc)
    if "expired" in case or (keys and "expired" in keys):
        try:
            data = case.get("expired")
            if not isinstance(data, dict):
                raise CaseError("expired: objet attendu")
            actual["expired"] = is_expired(
                _date(data.get("billing_end"), "expired.billing_end"),
                _date(data.get("today"), "expired.today"),
                _bool(data.get("invoice_in_process"), "expired.invoice_in_process"),
                _decimal(data.get("remaining"), "expired.remaining", Decimal("0")),
                _bool(data.get("certificate"), "expired.certificate"),
            )
        except Exception as exc:  # noqa: BLE001
            actual["expired"] = _error(exc)
    failed = [key for key in ("rupture", "expired") if isinstance(actual.get(key), dict) and "error" in actual[key]]
    if keys:
        merged = {**extras, **actual}
        actual = {key: merged.get(key, {"error": f"clé {key!r} non calculée"}) for key in keys}
    if failed:
        actual["error"] = "; ".join(f"{key}: {actual_error}" for key, actual_error in
                                    ((k, (actual.get(k) or {}).get("error", "")) for k in failed))
    return actual


def evaluate_document(document):
    """The case file with ``actual`` beside each ``expected`` (key order kept)."""
    cases = document.get("cases") if isinstance(document, dict) else document
    if not isinstance(cases, list):
        raise CaseError("fichier de cas : liste « cases » attendue")
    evaluated = []
    for case in cases:
        actual = evaluate_case(case)
        if isinstance(case, dict):
            out = {}
            for key, value in case.items():
                if key == "actual":
                    continue
                out[key] = value
                if key == "expected":
                    out["actual"] = actual
            out.setdefault("actual", actual)
        else:
            out = {"case": case, "actual": actual}
        evaluated.append(out)
    if isinstance(document, dict):
        return {**document, "cases": evaluated}
    return evaluated


def case_matches(case) -> bool:
    return isinstance(case, dict) and "expected" in case and case.get("actual") == case.get("expected")
