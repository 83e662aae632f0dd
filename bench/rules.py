"""Time the schedules of 100,000 varied contracts (goal: under 5 s on a 2-core machine).

Run from the project root: ``python bench/rules.py [COUNT]``.
"""
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rules import Contract, compute_financing  # noqa: E402


def varied_contracts(count: int, seed: int = 2025) -> list:
    """Contracts over every regime, with month-end and leap-day starts, 1 day to 3 years long."""
    rng = random.Random(seed)
    contracts = []
    for _ in range(count):
        conclusion = date(2018, 1, 1) + timedelta(days=rng.randrange(0, 365 * 10))
        start = conclusion + timedelta(days=rng.randrange(0, 90))
        end = start + timedelta(days=rng.choice((rng.randrange(0, 1100), 364, 729, 1094)))
        contracts.append(Contract(
            conclusion=conclusion, start=start, end=end,
            npec=Decimal(rng.randrange(300_000, 2_500_000)).scaleb(-2),
            stock=rng.random() < 0.1,
            disability_uplift=Decimal(rng.choice((0, 0, 0, 150_000, 400_000))).scaleb(-2),
            reduced_duration=rng.random() < 0.1,
            distance_share=Decimal(rng.choice(("0", "0", "0.5", "0.85"))),
            level=rng.choice((None, 3, 4, 5, 6, 7)),
        ))
    return contracts


def main(count: int = 100_000) -> float:
    contracts = varied_contracts(count)
    began = time.perf_counter()
    installments = 0
    for contract in contracts:
        installments += len(compute_financing(contract).installments)
    elapsed = time.perf_counter() - began
    print(f"{count} schedules ({installments} installments) computed in {elapsed:.2f} s "
          f"({elapsed / count * 1e6:.1f} µs per contract; goal < 5 s for 100,000)")
    return elapsed


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
