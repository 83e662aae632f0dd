"""``python -m rules evaluate FILE``: print a case file with the engine's ``actual`` results.

Options: ``--strict`` exits with status 1 when a case differs from its expected
result; ``--summary`` only prints the mismatching case ids. A summary line
(matching cases / cases) always goes to standard error.
"""
import argparse
import json
import sys

from .evaluate import case_matches, evaluate_document


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rules", description="Portail CFA billing rules")
    commands = parser.add_subparsers(dest="command", required=True)
    evaluate = commands.add_parser("evaluate", help="compute every case of a case file")
    evaluate.add_argument("file", help="case file (JSON), '-' for standard input")
    evaluate.add_argument("--strict", action="store_true", help="exit 1 when a case does not match")
    evaluate.add_argument("--summary", action="store_true", help="print only the ids of mismatching cases")
    args = parser.parse_args(argv)

    try:
        if args.file == "-":
            document = json.load(sys.stdin)
        else:
            with open(args.file, encoding="utf-8") as handle:
                document = json.load(handle)
        result = evaluate_document(document)
    except (OSError, ValueError) as exc:
        print(f"impossible de lire {args.file} : {exc}", file=sys.stderr)
        return 2

    cases = result.get("cases") if isinstance(result, dict) else result
    checked = [c for c in cases if isinstance(c, dict) and "expected" in c]
    failing = [c for c in checked if not case_matches(c)]
    if args.summary:
        for case in failing:
            print(case.get("id", "?"))
    else:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    print(f"{len(checked) - len(failing)}/{len(checked)} cas conformes", file=sys.stderr)
    return 1 if args.strict and failing else 0


if __name__ == "__main__":
    sys.exit(main())
