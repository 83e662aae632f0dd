"""Worked billing cases: the shared ones (copied from ../shared/cases) and the project's own table."""
import json
from pathlib import Path

import pytest

from rules.evaluate import evaluate_case

from .own_cases import CASES as OWN_CASES

HERE = Path(__file__).parent
SHARED_CASES = json.loads((HERE / "cases.json").read_text(encoding="utf-8"))["cases"]


def test_the_project_adds_at_least_sixty_cases_with_a_note_each():
    assert len(OWN_CASES) >= 60
    assert all(case.get("note") for case in OWN_CASES)
    assert len({case["id"] for case in OWN_CASES + SHARED_CASES}) == len(OWN_CASES) + len(SHARED_CASES)


@pytest.mark.parametrize("case", SHARED_CASES, ids=[c["id"] for c in SHARED_CASES])
def test_shared_case_matches_its_expected_result(case):
    assert evaluate_case(case) == case["expected"]


@pytest.mark.parametrize("case", OWN_CASES, ids=[c["id"] for c in OWN_CASES])
def test_own_case_matches_its_expected_result(case):
    assert evaluate_case(case) == case["expected"]
