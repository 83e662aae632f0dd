"""Portail CFA's own worked billing cases, in the format of ../shared/cases/README.md.

Every expected figure below was computed by hand from SPEC §5 (the reasoning is
in the comment and in ``note``), not copied from the engine's output. A case
gives only the expected keys it is about; ``python -m rules evaluate`` computes
the same keys.
"""


def contract(conclusion, start, end, npec, **extra):
    return {"conclusion": conclusion, "start": start, "end": end, "npec": npec, **extra}


def item(year, kind, billable_from, period_start, period_end, amount):
    return {"year": year, "kind": kind, "billable_from": billable_from,
            "period_start": period_start, "period_end": period_end, "amount": amount}


def case(case_id, note, the_contract, rupture=None, expired=None, **expected):
    data = {"id": case_id, "note": note, "contract": the_contract}
    if rupture is not None:
        data["rupture"] = rupture
    if expired is not None:
        data["expired"] = expired
    data["expected"] = expected
    return data


CASES = [
    # --- Regime boundaries (SPEC §5 table: the conclusion date decides; boundaries go to the later regime) ---
    # Stock ends with contracts concluded on 31/08/2019 under a regional convention.
    case("regime-stock-last-day", "Concluded 31/08/2019 under a regional convention: stock.",
         contract("2019-08-31", "2019-09-02", "2020-12-31", "6000.00", stock=True), regime="stock"),
    # Same date without the regional convention: "any earlier contract not under a regional convention" is 2019.
    case("regime-2019-earlier-not-stock", "Concluded 31/08/2019 without regional convention: regime 2019.",
         contract("2019-08-31", "2019-09-02", "2020-09-01", "6000.00"), regime="2019", total="6000.00"),
    # A 2018 contract without the stock flag is also 2019 (same rule as above).
    case("regime-2019-2018-contract", "Concluded in 2018 without regional convention: regime 2019.",
         contract("2018-03-01", "2018-09-01", "2020-08-31", "5000.00"), regime="2019", total="10000.00"),
    # Our decision: the stock flag is ignored after 31/08/2019 (regional conventions ended then).
    case("regime-stock-flag-after-august-2019", "Stock flag on a contract concluded 01/09/2019: regime 2019.",
         contract("2019-09-01", "2019-09-02", "2020-09-01", "6000.00", stock=True), regime="2019"),
    # 30/12/2020 is the last day of regime 2019.
    case("regime-2019-last-day", "Concluded 30/12/2020: regime 2019.",
         contract("2020-12-30", "2021-01-04", "2022-01-03", "8000.00"), regime="2019", total="8000.00"),
    # 31/12/2020 is included in regime 2021 (issue 3, point 1).
    case("regime-2021-first-day", "Concluded 31/12/2020: regime 2021.",
         contract("2020-12-31", "2021-01-04", "2022-01-03", "8000.00"), regime="2021", total="8000.00"),
    # 30/06/2025 is the last day of regime 2021, even for a start in September 2025.
    case("regime-2021-last-day-start-later",
         "Concluded 30/06/2025, started 01/09/2025: regime 2021 (conclusion date decides), 40/30/balance.",
         contract("2025-06-30", "2025-09-01", "2026-08-31", "8000.00"), regime="2021", total="8000.00",
         employer_share="0.00", installments=[
             item(1, "advance", "2025-09-01", "2025-09-01", "2026-02-28", "3200.00"),
             item(1, "advance", "2026-03-01", "2026-03-01", "2026-05-31", "2400.00"),
             item(1, "balance", "2026-06-01", "2026-06-01", "2026-08-31", "2400.00")]),
    # 01/07/2025 is included in regime 2025.
    case("regime-2025-first-day", "Concluded 01/07/2025: regime 2025.",
         contract("2025-07-01", "2025-07-01", "2026-06-30", "8000.00"), regime="2025", total="8000.00"),

    # --- Months started, month-end starts, 29 February (SPEC §5 "Years of execution") ---
    # 31/01 start: months begin 31/01, 29/02 (2024 is leap), 31/03; end 30/03 → 2 months; 12000 x 2/12.
    case("months-started-31-january-leap", "Start 31/01/2024, end 30/03/2024: months begin 31/01 and 29/02, so 2 months.",
         contract("2023-12-15", "2024-01-31", "2024-03-30", "12000.00"), regime="2021", total="2000.00",
         installments=[item(1, "advance", "2024-01-31", "2024-01-31", "2024-03-30", "1000.00"),
                       item(1, "balance", "2024-03-30", "2024-01-31", "2024-03-30", "1000.00")]),
    # Same start, end 31/03: the third month begins on 31/03 → 3 months.
    case("months-started-31-march-begins", "Start 31/01/2024, end 31/03/2024: the 3rd month begins 31/03.",
         contract("2023-12-15", "2024-01-31", "2024-03-31", "12000.00"), total="3000.00"),
    # Year 2 from 31/01/2024: its 2nd month begins 29/02/2024, so an end on 28/02 leaves 1 month (12000/12).
    case("months-started-second-year-28-february", "Start 31/01/2023, end 28/02/2024: year 2 has 1 month started.",
         contract("2022-12-15", "2023-01-31", "2024-02-28", "12000.00"), total="13000.00",
         installments=[item(1, "advance", "2023-01-31", "2023-01-31", "2023-07-30", "4800.00"),
                       item(1, "advance", "2023-07-31", "2023-07-31", "2023-10-30", "3600.00"),
                       item(1, "balance", "2023-10-31", "2023-10-31", "2024-01-30", "3600.00"),
                       item(2, "advance", "2024-01-31", "2024-01-31", "2024-02-28", "400.00"),
                       item(2, "balance", "2024-02-28", "2024-01-31", "2024-02-28", "600.00")]),
    # End on 29/02/2024 instead: the 2nd month (29/02) is started → 2 months.
    case("months-started-second-year-29-february", "Start 31/01/2023, end 29/02/2024: year 2 has 2 months started.",
         contract("2022-12-15", "2023-01-31", "2024-02-29", "12000.00"), total="14000.00"),
    # 29/02 start: year 2 begins 28/02/2025 (start + 1 year, clamped); its month 7 is 28/08 (counted from that day).
    case("leap-day-start-two-years", "Start 29/02/2024: anniversaries on 28/02; months counted from each year's first day.",
         contract("2024-02-10", "2024-02-29", "2026-02-27", "6000.00"), regime="2021", total="12000.00",
         installments=[item(1, "advance", "2024-02-29", "2024-02-29", "2024-08-28", "2400.00"),
                       item(1, "advance", "2024-08-29", "2024-08-29", "2024-11-28", "1800.00"),
                       item(1, "balance", "2024-11-29", "2024-11-29", "2025-02-27", "1800.00"),
                       item(2, "advance", "2025-02-28", "2025-02-28", "2025-08-27", "2400.00"),
                       item(2, "advance", "2025-08-28", "2025-08-28", "2025-11-27", "1800.00"),
                       item(2, "balance", "2025-11-28", "2025-11-28", "2026-02-27", "1800.00")]),
    # 29/02/2024 + 3 years = 28/02/2027, so 29/02/2024 → 27/02/2027 is three full years.
    case("leap-day-start-three-full-years", "Start 29/02/2024, end 27/02/2027: three full years.",
         contract("2024-02-10", "2024-02-29", "2027-02-27", "6000.00"), total="18000.00"),
    # 2019: 15/03/2020 start; year 2's month 7 (15/09/2021) is after the end 14/09/2021 → 6 months (4500) folded.
    case("2019-partial-year-fold", "Regime 2019, year 2 of 6 months: 50 % advance, month 7 not reached, balance at end.",
         contract("2020-03-01", "2020-03-15", "2021-09-14", "9000.00"), regime="2019", total="13500.00",
         installments=[item(1, "advance", "2020-03-15", "2020-03-15", "2020-09-14", "4500.00"),
                       item(1, "advance", "2020-09-15", "2020-09-15", "2020-12-14", "2250.00"),
                       item(1, "balance", "2020-12-15", "2020-12-15", "2021-03-14", "2250.00"),
                       item(2, "advance", "2021-03-15", "2021-03-15", "2021-09-14", "2250.00"),
                       item(2, "balance", "2021-09-14", "2021-03-15", "2021-09-14", "2250.00")]),
    # 2021 year 2 of 8 months (Sep..Apr): 4000; month 7 (01/03) reached, month 10 (01/06) not → balance at the end.
    case("2021-partial-year-month-7-reached", "Year 2 ends 15/04: 8 months, 40 % + 30 %, month-10 balance folded to the end.",
         contract("2023-08-01", "2023-09-01", "2025-04-15", "6000.00"), total="10000.00",
         installments=[item(1, "advance", "2023-09-01", "2023-09-01", "2024-02-29", "2400.00"),
                       item(1, "advance", "2024-03-01", "2024-03-01", "2024-05-31", "1800.00"),
                       item(1, "balance", "2024-06-01", "2024-06-01", "2024-08-31", "1800.00"),
                       item(2, "advance", "2024-09-01", "2024-09-01", "2025-02-28", "1600.00"),
                       item(2, "advance", "2025-03-01", "2025-03-01", "2025-04-15", "1200.00"),
                       item(2, "balance", "2025-04-15", "2024-09-01", "2025-04-15", "1200.00")]),
    # 2021 year 2 of 11 months (Sep..Jul): 5500; month 10 (01/06) reached → balance billable 01/06, period cut at 10/07.
    case("2021-partial-year-month-10-reached", "Year 2 ends 10/07: 11 months, the balance keeps its month-10 date.",
         contract("2023-08-01", "2023-09-01", "2025-07-10", "6000.00"), total="11500.00",
         installments=[item(1, "advance", "2023-09-01", "2023-09-01", "2024-02-29", "2400.00"),
                       item(1, "advance", "2024-03-01", "2024-03-01", "2024-05-31", "1800.00"),
                       item(1, "balance", "2024-06-01", "2024-06-01", "2024-08-31", "1800.00"),
                       item(2, "advance", "2024-09-01", "2024-09-01", "2025-02-28", "2200.00"),
                       item(2, "advance", "2025-03-01", "2025-03-01", "2025-05-31", "1650.00"),
                       item(2, "balance", "2025-06-01", "2025-06-01", "2025-07-10", "1650.00")]),
    # One day short of the anniversary: 12 months started → the full annual amount.
    case("2021-one-day-short-of-a-year", "28/09/2022 → 26/09/2023: 12 months started, under one year (50/50).",
         contract("2022-09-20", "2022-09-28", "2023-09-26", "9000.00"), total="9000.00",
         installments=[item(1, "advance", "2022-09-28", "2022-09-28", "2023-09-26", "4500.00"),
                       item(1, "balance", "2023-09-26", "2022-09-28", "2023-09-26", "4500.00")]),
    # A one-day contract in 2021: one month started.
    case("2021-one-day-contract", "A single day is one month started: 7200/12.",
         contract("2024-01-01", "2024-01-10", "2024-01-10", "7200.00"), total="600.00",
         installments=[item(1, "advance", "2024-01-10", "2024-01-10", "2024-01-10", "300.00"),
                       item(1, "balance", "2024-01-10", "2024-01-10", "2024-01-10", "300.00")]),

    # --- Regime 2025: days over 365, leap years, folding into the final ---
    # 7300 €/year = 20 € a day. 01/09/2027 → 31/03/2028 = 30+31+30+31+31+29+31 = 213 days → 4260; month 7 reached.
    case("2025-leap-partial-year", "2025, 213 days across 29/02/2028: 20 €/day; month 10 folded into the final (30 %).",
         contract("2027-08-01", "2027-09-01", "2028-03-31", "7300.00"), regime="2025", total="4260.00",
         employer_share="0.00", installments=[
             item(1, "advance", "2027-09-01", "2027-09-01", "2028-02-29", "1704.00"),
             item(1, "advance", "2028-03-01", "2028-03-01", "2028-03-31", "1278.00"),
             item(1, "final", "2028-03-31", "2027-09-01", "2028-03-31", "1278.00")]),
    # A full year of 366 days (01/03/2027 → 29/02/2028) is worth the annual amount, not 366/365.
    case("2025-full-leap-year", "01/03/2027 → 29/02/2028 is a full year: 7300, not 366/365 of it.",
         contract("2027-02-01", "2027-03-01", "2028-02-29", "7300.00"), total="7300.00"),
    # One day short of that year: 365 days over 365 = the annual amount.
    case("2025-365-days-in-a-leap-year", "01/03/2027 → 28/02/2028: partial, 365/365 of 7300.",
         contract("2027-02-01", "2027-03-01", "2028-02-28", "7300.00"), total="7300.00"),
    # One day: 20 €; 40 % advance, the rest folded into the final.
    case("2025-one-day", "2025 one-day contract: 7300/365 = 20; 8 advance + 12 final.",
         contract("2025-08-15", "2025-09-01", "2025-09-01", "7300.00"), total="20.00", installments=[
             item(1, "advance", "2025-09-01", "2025-09-01", "2025-09-01", "8.00"),
             item(1, "final", "2025-09-01", "2025-09-01", "2025-09-01", "12.00")]),
    # 2025 under one year keeps its rhythm (SPEC: our decision): 6 months = 181 days → 3620; no month 7.
    case("2025-under-one-year-keeps-rhythm", "2025, 01/09/2025 → 28/02/2026 (181 days): advance 40 % + final 60 %.",
         contract("2025-08-15", "2025-09-01", "2026-02-28", "7300.00"), total="3620.00", installments=[
             item(1, "advance", "2025-09-01", "2025-09-01", "2026-02-28", "1448.00"),
             item(1, "final", "2026-02-28", "2025-09-01", "2026-02-28", "2172.00")]),
    # 2025 reduced duration does not get +10 % (the +10 % is for 2019/2021): same 3620.
    case("2025-reduced-duration-no-uplift", "Reduced-duration flag in 2025: no +10 %.",
         contract("2025-08-15", "2025-09-01", "2026-02-28", "7300.00", reduced_duration=True), total="3620.00"),
    # 1000 €/year, one day: 1000/365 = 2.7397 → 2.74; 40 % = 1.096 → 1.10; final 1.64.
    case("2025-rounding-tiny-year", "Rounding: year 2.74, advance 1.10, final takes the difference 1.64.",
         contract("2025-08-15", "2025-09-01", "2025-09-01", "1000.00"), total="2.74", installments=[
             item(1, "advance", "2025-09-01", "2025-09-01", "2025-09-01", "1.10"),
             item(1, "final", "2025-09-01", "2025-09-01", "2025-09-01", "1.64")]),
    # 9999.99: 40/30/20 % round to 4000.00/3000.00/2000.00, the final takes 999.99.
    case("2025-rounding-final-takes-difference", "Rounding: the final takes the year's difference (999.99).",
         contract("2025-08-15", "2025-09-01", "2026-08-31", "9999.99"), total="9999.99", installments=[
             item(1, "advance", "2025-09-01", "2025-09-01", "2026-02-28", "4000.00"),
             item(1, "advance", "2026-03-01", "2026-03-01", "2026-05-31", "3000.00"),
             item(1, "advance", "2026-06-01", "2026-06-01", "2026-08-31", "2000.00"),
             item(1, "final", "2026-08-31", "2025-09-01", "2026-08-31", "999.99")]),

    # --- Rounding in 2019/2021 ---
    # 1000.01: 400.004 → 400.00, 300.003 → 300.00, balance 300.01.
    case("2021-rounding-balance-takes-cent", "Rounding: 1000.01 gives 400.00 + 300.00 + 300.01.",
         contract("2023-08-01", "2023-09-01", "2024-08-31", "1000.01"), total="1000.01", installments=[
             item(1, "advance", "2023-09-01", "2023-09-01", "2024-02-29", "400.00"),
             item(1, "advance", "2024-03-01", "2024-03-01", "2024-05-31", "300.00"),
             item(1, "balance", "2024-06-01", "2024-06-01", "2024-08-31", "300.01")]),
    # 7777.77 in 2019: 3888.885 → 3888.89 (half-up), 1944.4425 → 1944.44, balance 1944.44.
    case("2019-rounding-half-up", "Half-up: 3888.885 rounds to 3888.89.",
         contract("2020-01-15", "2020-02-01", "2021-01-31", "7777.77"), regime="2019", total="7777.77", installments=[
             item(1, "advance", "2020-02-01", "2020-02-01", "2020-07-31", "3888.89"),
             item(1, "advance", "2020-08-01", "2020-08-01", "2020-10-31", "1944.44"),
             item(1, "balance", "2020-11-01", "2020-11-01", "2021-01-31", "1944.44")]),
    # 7000 x 5/12 = 2916.666 → 2916.67; half 1458.335 → 1458.34; balance 1458.33.
    case("2021-rounding-prorated-year", "Prorated 5 months: 2916.67 = 1458.34 + 1458.33.",
         contract("2023-12-01", "2024-01-01", "2024-05-31", "7000.00"), total="2916.67", installments=[
             item(1, "advance", "2024-01-01", "2024-01-01", "2024-05-31", "1458.34"),
             item(1, "balance", "2024-05-31", "2024-01-01", "2024-05-31", "1458.33")]),

    # --- Reduced duration (+10 %, capped at the annual NPEC, contracts under one year, 2019/2021) ---
    # 11 months: 5500 x 1.1 = 6050 → capped at 6000.
    case("reduced-duration-capped", "Reduced duration, 11 months: 6050 capped at the annual NPEC 6000.",
         contract("2023-12-01", "2024-01-01", "2024-11-30", "6000.00", reduced_duration=True), total="6000.00"),
    # A contract of a full year is not under one year: no +10 %.
    case("reduced-duration-full-year-no-uplift", "Reduced flag on a full-year contract: no +10 %.",
         contract("2023-08-01", "2023-09-01", "2024-08-31", "6000.00", reduced_duration=True), total="6000.00"),
    # 2019, 6 months: 4000 x 1.1 = 4400, 50 % at start, balance at the end.
    case("reduced-duration-2019", "Regime 2019, 6 months reduced: 4400 in two halves.",
         contract("2019-12-01", "2020-01-01", "2020-06-30", "8000.00", reduced_duration=True), regime="2019",
         total="4400.00", installments=[
             item(1, "advance", "2020-01-01", "2020-01-01", "2020-06-30", "2200.00"),
             item(1, "balance", "2020-06-30", "2020-01-01", "2020-06-30", "2200.00")]),
    # Our decision: +10 % on the prorated NPEC (3000 → 3300), the prorated uplift (600) added on top.
    case("reduced-duration-with-uplift", "Reduced 6 months with uplift 1200/year: 3000 x 1.1 + 600 = 3900.",
         contract("2023-12-01", "2024-01-01", "2024-06-30", "6000.00", reduced_duration=True,
                  disability_uplift="1200.00"), total="3900.00"),

    # --- Disability uplift (≤ 4000 €/year, prorated with the year) ---
    case("uplift-capped-at-4000", "Uplift of 5000 entered: capped at 4000 a year (SPEC §5 annex costs).",
         contract("2023-08-01", "2023-09-01", "2024-08-31", "6000.00", disability_uplift="5000.00"), total="10000.00"),
    # 3 months of (6000 + 1200) / 12.
    case("uplift-prorated", "Uplift prorated with the months started: 7200 x 3/12.",
         contract("2023-12-01", "2024-01-01", "2024-03-31", "6000.00", disability_uplift="1200.00"), total="1800.00"),

    # --- 2025 distance learning (≥ 80 %: x 0.8, floor 4000, never above the NPEC) ---
    case("distance-79-percent", "79 % distance learning: below the threshold, no minoration.",
         contract("2025-08-15", "2025-09-01", "2026-08-31", "8000.00", distance_share="0.79"), total="8000.00"),
    case("distance-80-percent", "Exactly 80 %: 8000 x 0.8 = 6400.",
         contract("2025-08-15", "2025-09-01", "2026-08-31", "8000.00", distance_share="0.80"), total="6400.00"),
    case("distance-npec-below-floor", "NPEC 3500: the 4000 floor never raises above the NPEC.",
         contract("2025-08-15", "2025-09-01", "2026-08-31", "3500.00", distance_share="1"), total="3500.00"),
    # Uplift is added after the minoration: 10000 x 0.8 + 1000.
    case("distance-then-uplift", "Minoration applies to the NPEC only, then the uplift: 8000 + 1000.",
         contract("2025-08-15", "2025-09-01", "2026-08-31", "10000.00", distance_share="0.9",
                  disability_uplift="1000.00"), total="9000.00"),
    case("distance-ignored-before-2025", "Regime 2021 has no distance-learning minoration.",
         contract("2024-08-15", "2024-09-01", "2025-08-31", "8000.00", distance_share="0.9"), total="8000.00"),

    # --- 2025 employer share (level ≥ 6) ---
    case("share-level-5-none", "Level 5: no employer share.",
         contract("2025-08-15", "2025-09-01", "2026-08-31", "8000.00", level=5), employer_share="0.00"),
    case("share-level-7", "Level 7: 750 taken from the 3200 first advance → 2450.",
         contract("2025-08-15", "2025-09-01", "2026-08-31", "8000.00", level=7), total="8000.00",
         employer_share="750.00", installments=[
             item(1, "advance", "2025-09-01", "2025-09-01", "2026-02-28", "2450.00"),
             item(1, "advance", "2026-03-01", "2026-03-01", "2026-05-31", "2400.00"),
             item(1, "advance", "2026-06-01", "2026-06-01", "2026-08-31", "1600.00"),
             item(1, "final", "2026-08-31", "2025-09-01", "2026-08-31", "800.00")]),
    # 61 days at 20 €: 1220; advance 488 absorbs 488 of the share, the final 732 the other 262.
    case("share-spills-to-next-installment", "Share larger than the first advance: the rest comes off the next one.",
         contract("2025-08-15", "2025-09-01", "2025-10-31", "7300.00", level=6), total="1220.00",
         employer_share="750.00", installments=[
             item(1, "advance", "2025-09-01", "2025-09-01", "2025-10-31", "0.00"),
             item(1, "final", "2025-10-31", "2025-09-01", "2025-10-31", "470.00")]),
    # Our decision: the share never exceeds the total (10 days = 200).
    case("share-capped-at-total", "10 days at 20 €: the share is capped at the 200 total.",
         contract("2025-08-15", "2025-09-01", "2025-09-10", "7300.00", level=6), total="200.00",
         employer_share="200.00"),
    case("share-not-in-2021", "Regime 2021, level 7: no employer share.",
         contract("2024-08-15", "2024-09-01", "2025-08-31", "8000.00", level=7), employer_share="0.00"),

    # --- Stock contracts (months started from 01/01/2020, 50 % then 25 % a quarter) ---
    case("stock-ended-before-2020", "Stock contract ended 31/12/2019: nothing financed from 01/01/2020.",
         contract("2018-06-01", "2018-09-01", "2019-12-31", "6000.00", stock=True), regime="stock", total="0.00",
         installments=[]),
    # Jan, Feb, Mar 2020 = 3 months = 1500: the 50 % is cut to what is left.
    case("stock-short-2020", "Stock ending 15/03/2020: 3 months, the 50 % cut to 1500.",
         contract("2018-06-01", "2018-09-01", "2020-03-15", "6000.00", stock=True), total="1500.00", installments=[
             item(1, "advance", "2020-01-01", "2020-01-01", "2020-03-15", "1500.00")]),
    # Jan..Aug 2020 = 8 months = 4000: 3000 then the 01/07 quarter cut to 1000.
    case("stock-august-2020", "Stock ending 10/08/2020: 8 months, 3000 + 1000.",
         contract("2018-06-01", "2018-09-01", "2020-08-10", "6000.00", stock=True), total="4000.00", installments=[
             item(1, "advance", "2020-01-01", "2020-01-01", "2020-06-30", "3000.00"),
             item(1, "advance", "2020-07-01", "2020-07-01", "2020-08-10", "1000.00")]),
    # 12 + 2 months = 7000.
    case("stock-february-2021", "Stock ending 10/02/2021: 14 months, last quarter cut to 1000.",
         contract("2019-03-01", "2019-09-01", "2021-02-10", "6000.00", stock=True), total="7000.00", installments=[
             item(1, "advance", "2020-01-01", "2020-01-01", "2020-06-30", "3000.00"),
             item(1, "advance", "2020-07-01", "2020-07-01", "2020-09-30", "1500.00"),
             item(1, "advance", "2020-10-01", "2020-10-01", "2020-12-31", "1500.00"),
             item(2, "advance", "2021-01-01", "2021-01-01", "2021-02-10", "1000.00")]),

    # --- Ruptures (SPEC §5 Rupture): months started before 2025, days from 2025 ---
    # Rupture on the first day: one month started (7000/12 = 583.33).
    case("rupture-first-day", "Rupture on the start day: 1 month started is due.",
         contract("2023-08-20", "2023-09-01", "2025-08-31", "7000.00"),
         rupture={"date": "2023-09-01", "paid": "0.00"},
         rupture_expected=None),
    # Rupture on the last day of year 1: the full year is due; 4900 paid → 2100 to pay.
    case("rupture-end-of-year-one", "Rupture on 31/08/2024: year 1 complete, 7000 due.",
         contract("2023-08-20", "2023-09-01", "2025-08-31", "7000.00"),
         rupture={"date": "2024-08-31", "paid": "4900.00"}),
    # 45 days, both dates included (01/09 → 15/10): share = 50 % x 900 = 450; due 450.
    case("rupture-day-45-halves-share", "Level 6, rupture on day 45: share 50 % of 900 = 450.",
         contract("2025-08-15", "2025-09-01", "2027-08-31", "7300.00", level=6),
         rupture={"date": "2025-10-15", "paid": "0.00"}),
    # Day 46: the share is the full 750; 920 - 750 = 170.
    case("rupture-day-46-full-share", "Level 6, rupture on day 46: full 750 share, due 170.",
         contract("2025-08-15", "2025-09-01", "2027-08-31", "7300.00", level=6),
         rupture={"date": "2025-10-16", "paid": "0.00"}),
    case("rupture-day-45-level-5", "Level 5, rupture on day 45: no share, 900 due.",
         contract("2025-08-15", "2025-09-01", "2027-08-31", "7300.00", level=5),
         rupture={"date": "2025-10-15", "paid": "2920.00"}),
    # 100 €/day, 45 days = 4500: half is 2250, capped at 750.
    case("rupture-45-days-share-capped", "Early rupture with a large NPEC: 50 % capped at 750.",
         contract("2025-08-15", "2025-09-01", "2027-08-31", "36500.00", level=6),
         rupture={"date": "2025-10-15", "paid": "0.00"}),
    # New contract on 15/03/2026: financing to 14/03 = 195 days x 20 = 3900.
    case("continuation-stopped-by-new-contract", "Continuation at the CFA stopped by a new contract on 15/03/2026.",
         contract("2025-08-15", "2025-09-01", "2027-08-31", "7300.00"),
         rupture={"date": "2026-01-31", "paid": "2920.00", "continues_at_cfa": True, "new_contract": "2026-03-15"}),
    # Continuation would end 15/12/2024, capped at the original end 31/08/2024.
    case("continuation-capped-at-original-end", "Continuation never runs past the original end: full 6000.",
         contract("2023-08-20", "2023-09-01", "2024-08-31", "6000.00"),
         rupture={"date": "2024-06-15", "paid": "4200.00", "continues_at_cfa": True}),
    # 31/08/2024 + 6 months = 28/02/2025 (clamped): year 2 = 6 months = 3000; due 9000.
    case("continuation-month-end-clamp", "Rupture 31/08: continuation to 28/02 (same day six months later, clamped).",
         contract("2023-08-20", "2023-09-01", "2025-08-31", "6000.00"),
         rupture={"date": "2024-08-31", "paid": "6000.00", "continues_at_cfa": True}),
    # New contract on 01/04/2024 → financing to 31/03: 7 months = 3500; 4200 paid → 700 credit note.
    case("continuation-new-contract-months", "Continuation to 31/03 in regime 2021: 7 months, credit note 700.",
         contract("2023-08-20", "2023-09-01", "2025-08-31", "6000.00"),
         rupture={"date": "2024-03-10", "paid": "4200.00", "continues_at_cfa": True, "new_contract": "2024-04-01"}),
    # Without continuation, a new contract date changes nothing (continues_at_cfa false): 7 months too here.
    case("new-contract-without-continuation", "A new-contract date without continuation is ignored.",
         contract("2023-08-20", "2023-09-01", "2025-08-31", "6000.00"),
         rupture={"date": "2024-03-10", "paid": "3500.00", "continues_at_cfa": False, "new_contract": "2024-04-01"}),
    # Stock: Jan + Feb 2020 = 1000 due; 3000 paid → 2000 credit note (the rupture rule has no stock exception;
    # only the deduction/refund settlement mode is not applicable to stock, seed 003).
    case("rupture-stock-credit-note", "Stock rupture on 10/02/2020: 1000 due, 2000 paid beyond it.",
         contract("2019-06-15", "2019-09-01", "2021-06-30", "6000.00", stock=True),
         rupture={"date": "2020-02-10", "paid": "3000.00"}),
    case("rupture-stock-before-2020", "Stock rupture before 01/01/2020: nothing due.",
         contract("2019-06-15", "2019-09-01", "2021-06-30", "6000.00", stock=True),
         rupture={"date": "2019-12-01", "paid": "0.00"}),
    # Under one year reduced 2019: 3 months x 8000/12 = 2000, x 1.1 = 2200.
    case("rupture-reduced-duration", "Reduced contract under one year: the +10 % follows the due months.",
         contract("2019-12-01", "2020-01-01", "2020-06-30", "8000.00", reduced_duration=True),
         rupture={"date": "2020-03-15", "paid": "2200.00"}),
    # A rupture dated after the end: everything is due.
    case("rupture-after-end", "Rupture after the end: the whole total is due.",
         contract("2023-08-20", "2023-09-01", "2025-08-31", "7000.00"),
         rupture={"date": "2026-01-01", "paid": "14000.00"}),
    # 3650/year = 10 €/day; day 50 → 500 gross; share capped at the gross due: 0 net.
    case("rupture-share-capped-at-due", "Share capped at the gross due amount: nothing net due.",
         contract("2025-08-15", "2025-09-01", "2027-08-31", "3650.00", level=6),
         rupture={"date": "2025-10-20", "paid": "0.00"}),
    # Day 30 rupture (share 50 % of 600 = 300), continuation to 31/10 (61 days = 1220): due 920.
    case("rupture-early-with-continuation", "Early rupture, continuation: share on the 30 days, financing on 61.",
         contract("2025-08-15", "2025-09-01", "2027-08-31", "7300.00", level=6),
         rupture={"date": "2025-09-30", "paid": "0.00", "continues_at_cfa": True, "new_contract": "2025-11-01"}),
    # 2019 regime rupture 10/05/2020: Jan..May = 5 months of 6000 = 2500.
    case("rupture-2019", "Regime 2019 rupture on 10/05/2020: 5 months = 2500; 3000 paid → 500 credit note.",
         contract("2019-12-15", "2020-01-01", "2021-12-31", "6000.00"),
         rupture={"date": "2020-05-10", "paid": "3000.00"}),

    # --- Combinations ---
    # 2025, two full years + 91 days (Sep 30 + Oct 31 + Nov 30) at 20 €/day = 1820; share 750 off year 1's 2920.
    case("2025-two-years-and-a-quarter-level-6", "2025 level 6: 7300 + 7300 + 1820; share off the first advance.",
         contract("2025-08-15", "2025-09-01", "2027-11-30", "7300.00", level=6), regime="2025", total="16420.00",
         employer_share="750.00", installments=[
             item(1, "advance", "2025-09-01", "2025-09-01", "2026-02-28", "2170.00"),
             item(1, "advance", "2026-03-01", "2026-03-01", "2026-05-31", "2190.00"),
             item(1, "advance", "2026-06-01", "2026-06-01", "2026-08-31", "1460.00"),
             item(1, "final", "2026-08-31", "2025-09-01", "2026-08-31", "730.00"),
             item(2, "advance", "2026-09-01", "2026-09-01", "2027-02-28", "2920.00"),
             item(2, "advance", "2027-03-01", "2027-03-01", "2027-05-31", "2190.00"),
             item(2, "advance", "2027-06-01", "2027-06-01", "2027-08-31", "1460.00"),
             item(2, "final", "2027-08-31", "2026-09-01", "2027-08-31", "730.00"),
             item(3, "advance", "2027-09-01", "2027-09-01", "2027-11-30", "728.00"),
             item(3, "final", "2027-11-30", "2027-09-01", "2027-11-30", "1092.00")]),
    # Continuation from 15/01/2025 to 15/07/2025: year 2 has 11 months started (Sep..Jul) = 5500; due 11500.
    case("continuation-into-the-last-months", "Regime 2021 continuation to 15/07/2025: 6000 + 11/12 of 6000.",
         contract("2023-08-20", "2023-09-01", "2025-08-31", "6000.00"),
         rupture={"date": "2025-01-15", "paid": "9000.00", "continues_at_cfa": True, "new_contract": None}),
    # 2025 rupture 31/12/2026: year 1 (7300) + 122 days (2440) = 9740; 10220 paid → 480 credit note.
    case("2025-rupture-in-year-two", "2025 rupture on 31/12/2026: 7300 + 122 x 20 = 9740.",
         contract("2025-08-15", "2025-09-01", "2027-08-31", "7300.00", level=5),
         rupture={"date": "2026-12-31", "paid": "10220.00"}),
    # 2019 under one year with uplift: 9 months of (6000 + 1200) = 5400, two halves.
    case("2019-under-one-year-with-uplift", "Regime 2019, 9 months with uplift: 7200 x 9/12 = 5400.",
         contract("2019-12-01", "2020-01-01", "2020-09-30", "6000.00", disability_uplift="1200.00"),
         regime="2019", total="5400.00", installments=[
             item(1, "advance", "2020-01-01", "2020-01-01", "2020-09-30", "2700.00"),
             item(1, "balance", "2020-09-30", "2020-01-01", "2020-09-30", "2700.00")]),
    # 5000 x 0.8 = 4000 (= the floor); level 6 share 750 off the 1600 first advance.
    case("2025-distance-and-share", "Distance 80 % on 5000 gives 4000; the 750 share leaves 850 on the first advance.",
         contract("2025-08-15", "2025-09-01", "2026-08-31", "5000.00", distance_share="0.8", level=6),
         total="4000.00", employer_share="750.00", installments=[
             item(1, "advance", "2025-09-01", "2025-09-01", "2026-02-28", "850.00"),
             item(1, "advance", "2026-03-01", "2026-03-01", "2026-05-31", "1200.00"),
             item(1, "advance", "2026-06-01", "2026-06-01", "2026-08-31", "800.00"),
             item(1, "final", "2026-08-31", "2025-09-01", "2026-08-31", "400.00")]),
    # 9125 x 0.8 = 7300 → 20 €/day; 30 days = 600; early-rupture share = 50 % of 600 = 300.
    case("rupture-early-with-distance", "Early rupture: the share is half of the minored NPEC prorated (300).",
         contract("2025-08-15", "2025-09-01", "2027-08-31", "9125.00", distance_share="0.9", level=6),
         rupture={"date": "2025-09-30", "paid": "0.00"}),

    # --- Expired dossiers (seed 002: ended ≥ 2 months ago, nothing in process, something left) ---
    case("expired-exactly-two-months", "Ended 31/08, today 31/10: two months exactly; certificate missing.",
         contract("2023-06-01", "2023-09-01", "2024-08-31", "6000.00"),
         expired={"billing_end": "2024-08-31", "today": "2024-10-31", "invoice_in_process": False,
                  "remaining": "0.00", "certificate": False}),
    case("expired-one-day-early", "Today 30/10: not yet two months after 31/08.",
         contract("2023-06-01", "2023-09-01", "2024-08-31", "6000.00"),
         expired={"billing_end": "2024-08-31", "today": "2024-10-30", "invoice_in_process": False,
                  "remaining": "1800.00", "certificate": False}),
    case("expired-nothing-left", "Nothing left to invoice and certificate received: not expired.",
         contract("2023-06-01", "2023-09-01", "2024-08-31", "6000.00"),
         expired={"billing_end": "2024-08-31", "today": "2025-03-01", "invoice_in_process": False,
                  "remaining": "0.00", "certificate": True}),
    case("expired-month-end-clamp", "Ended 31/12/2024: two months later is 28/02/2025 (clamped).",
         contract("2023-06-01", "2024-01-01", "2024-12-31", "6000.00"),
         expired={"billing_end": "2024-12-31", "today": "2025-02-28", "invoice_in_process": False,
                  "remaining": "10.00", "certificate": True}),
]

# Expected rupture figures, by case id (computed by hand, see each case's comment).
RUPTURES = {
    "rupture-first-day": ("583.33", "0.00", "583.33"),
    "rupture-end-of-year-one": ("7000.00", "0.00", "2100.00"),
    "rupture-day-45-halves-share": ("450.00", "0.00", "450.00"),
    "rupture-day-46-full-share": ("170.00", "0.00", "170.00"),
    "rupture-day-45-level-5": ("900.00", "2020.00", "0.00"),
    "rupture-45-days-share-capped": ("3750.00", "0.00", "3750.00"),
    "continuation-stopped-by-new-contract": ("3900.00", "0.00", "980.00"),
    "continuation-capped-at-original-end": ("6000.00", "0.00", "1800.00"),
    "continuation-month-end-clamp": ("9000.00", "0.00", "3000.00"),
    "continuation-new-contract-months": ("3500.00", "700.00", "0.00"),
    "new-contract-without-continuation": ("3500.00", "0.00", "0.00"),
    "rupture-stock-credit-note": ("1000.00", "2000.00", "0.00"),
    "rupture-stock-before-2020": ("0.00", "0.00", "0.00"),
    "rupture-reduced-duration": ("2200.00", "0.00", "0.00"),
    "rupture-after-end": ("14000.00", "0.00", "0.00"),
    "rupture-share-capped-at-due": ("0.00", "0.00", "0.00"),
    "rupture-early-with-continuation": ("920.00", "0.00", "920.00"),
    "rupture-2019": ("2500.00", "500.00", "0.00"),
    "continuation-into-the-last-months": ("11500.00", "0.00", "2500.00"),
    "2025-rupture-in-year-two": ("9740.00", "480.00", "0.00"),
    "rupture-early-with-distance": ("300.00", "0.00", "300.00"),
}
EXPIRED = {
    "expired-exactly-two-months": True,
    "expired-one-day-early": False,
    "expired-nothing-left": False,
    "expired-month-end-clamp": True,
}

for _case in CASES:
    _case["expected"].pop("rupture_expected", None)
    if _case["id"] in RUPTURES:
        due, credit_note, remaining = RUPTURES[_case["id"]]
        _case["expected"]["rupture"] = {"due": due, "credit_note": credit_note, "remaining": remaining}
    if _case["id"] in EXPIRED:
        _case["expected"]["expired"] = EXPIRED[_case["id"]]

DOCUMENT = {"format": "portail-cfa-cases/1", "cases": CASES}

if __name__ == "__main__":
    import json
    print(json.dumps(DOCUMENT, indent=1, ensure_ascii=False))
