"""Choice of the financing regime (SPEC §5, table of regimes).

The regime is chosen by the contract's *conclusion* date (its signature), not by
its start:

* ``stock``: concluded on or before 31/08/2019 under a regional convention
  (``stock=True``, *reprise de stock*);
* ``2019``: concluded from 01/09/2019 to 30/12/2020, and any earlier contract
  not under a regional convention;
* ``2021``: concluded from 31/12/2020 (included) to 30/06/2025;
* ``2025``: concluded on or after 01/07/2025 (included).

Decision: the stock flag on a contract concluded after 31/08/2019 is ignored
(the regional conventions stopped on that date), so such a contract falls in
the regime of its conclusion date.
"""
from datetime import date

STOCK = "stock"
R2019 = "2019"
R2021 = "2021"
R2025 = "2025"
REGIMES = (STOCK, R2019, R2021, R2025)

STOCK_LAST_CONCLUSION = date(2019, 8, 31)
REGIME_2021_FROM = date(2020, 12, 31)
REGIME_2025_FROM = date(2025, 7, 1)
STOCK_FINANCING_FROM = date(2020, 1, 1)


def select_regime(conclusion: date, stock: bool = False) -> str:
    """Regime of a contract concluded on ``conclusion`` (boundaries included in the later regime)."""
    if conclusion >= REGIME_2025_FROM:
        return R2025
    if conclusion >= REGIME_2021_FROM:
        return R2021
    if stock and conclusion <= STOCK_LAST_CONCLUSION:
        return STOCK
    return R2019
