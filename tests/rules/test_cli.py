"""``python -m rules evaluate FILE`` as described in ../shared/cases/README.md."""
import json
import subprocess
import sys
from pathlib import Path

from .own_cases import DOCUMENT

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def run_evaluate(path, *options):
    return subprocess.run([sys.executable, "-m", "rules", "evaluate", str(path), *options],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_evaluate_prints_every_shared_case_with_an_actual_equal_to_its_expected():
    result = run_evaluate(HERE / "cases.json", "--strict")
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    source = json.loads((HERE / "cases.json").read_text(encoding="utf-8"))
    assert output["format"] == source["format"]
    assert [c["id"] for c in output["cases"]] == [c["id"] for c in source["cases"]]
    for case in output["cases"]:
        assert case["actual"] == case["expected"], case["id"]


def test_evaluate_checks_the_projects_own_cases(tmp_path):
    path = tmp_path / "own.json"
    path.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    result = run_evaluate(path, "--strict")
    assert result.returncode == 0, result.stderr
    assert all(c["actual"] == c["expected"] for c in json.loads(result.stdout)["cases"])


def test_a_malformed_case_yields_an_error_and_the_others_still_run(tmp_path):
    good = json.loads((HERE / "cases.json").read_text(encoding="utf-8"))["cases"][0]
    cases = [
        {"id": "bad-date", "contract": {"conclusion": "2024-13-01", "start": "2024-01-01", "end": "2024-12-31",
                                        "npec": "1000"}, "expected": {"total": "1000.00"}},
        {"id": "bad-npec", "contract": {"conclusion": "2024-01-01", "start": "2024-01-01", "end": "2024-12-31",
                                        "npec": "beaucoup"}, "expected": {"total": "1000.00"}},
        {"id": "end-before-start", "contract": {"conclusion": "2024-01-01", "start": "2024-06-01", "end": "2024-01-01",
                                                "npec": "1000"}, "expected": {"total": "0.00"}},
        {"id": "no-contract", "expected": {"regime": "2021"}},
        {"id": "bad-rupture", "contract": good["contract"], "rupture": {"paid": "10"},
         "expected": {"rupture": {"due": "0.00"}}},
        "not even an object",
        good,
    ]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"format": "portail-cfa-cases/1", "cases": cases}), encoding="utf-8")
    result = run_evaluate(path)
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)["cases"]
    for case in output[:4]:
        assert isinstance(case["actual"].get("error"), str), case
    assert "error" in output[4]["actual"]["rupture"] and "rupture" in output[4]["actual"]["error"]
    assert "error" in output[5]["actual"]
    assert output[6]["actual"] == output[6]["expected"]


def test_strict_mode_fails_when_a_case_does_not_match(tmp_path):
    case = json.loads((HERE / "cases.json").read_text(encoding="utf-8"))["cases"][0]
    case["expected"] = {**case["expected"], "total": "1.00"}
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps({"cases": [case]}), encoding="utf-8")
    assert run_evaluate(path).returncode == 0
    assert run_evaluate(path, "--strict").returncode == 1


def test_an_unreadable_file_is_reported_without_a_traceback(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    result = run_evaluate(path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_a_case_may_ask_for_more_rupture_figures_than_the_readmes_three():
    from rules.evaluate import evaluate_case
    case = json.loads((HERE / "cases.json").read_text(encoding="utf-8"))["cases"]
    case = next(c for c in case if c["id"] == "2025-rupture-45-days-level6")
    case = {**case, "expected": {"net": "17250.00", "rupture": {
        "due": "493.15", "employer_share": "493.15", "financing_end": "2025-10-10", "unknown": "?"}}}
    actual = evaluate_case(case)
    assert actual["net"] == "17250.00"
    assert actual["rupture"]["employer_share"] == "493.15"
    assert actual["rupture"]["financing_end"] == "2025-10-10"
    assert "error" in actual["rupture"]["unknown"]
