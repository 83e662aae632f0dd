"""Portail CFA billing and data rules: pure functions over dataclasses (SPEC §5, §7).

No framework import here: views build the dataclasses from the models and
format what these functions return. Everything that decides an amount or a
date lives in this package.
"""
from .amendment import AmendmentResult, amend  # noqa: F401
from .balance import DossierBalance, RunningBalance, dossier_balance, running_balance, split_paid  # noqa: F401
from .cerfa import (  # noqa: F401
    CerfaData, Smic, age_on, check_apprentice_age, check_cerfa, check_contract_duration, check_draft_minimum,
    check_masters, check_minimum_pay, check_proposal, check_proposal_complete, check_proposal_draft,
    check_training_start, error_counts, errors_by_tab, minimum_pay_percent, pay_amount, smic_in_effect,
)
from .credit_notes import (  # noqa: F401
    CreditNoteRefused, apply_deductions, credit_note_amount, credit_note_number, credit_note_reference, is_overdue,
    overpayment, refund_due_date,
)
from .declared_invoice import DeclaredInvoice, check_declared_invoice, declared_amounts  # noqa: F401
from .dates import add_months, days_inclusive, fr_date, months_started  # noqa: F401
from .expired import expiry_date, is_expired  # noqa: F401
from .identifiers import *  # noqa: F401,F403
from .invoice_checks import AnnexAmounts, InvoiceContext, InvoiceRequest, Refusal, billable_by, check_invoice  # noqa: F401
from .money import ZERO, format_eur, from_cents, parse_eur, round_cents, to_cents  # noqa: F401
from .regimes import REGIMES, select_regime  # noqa: F401
from .rupture import RuptureInput, RuptureSettlement, financing_end, is_early_rupture, settle_rupture  # noqa: F401
from .schedule import (  # noqa: F401
    ADVANCE, BALANCE, FINAL, Contract, Financing, Installment, compute_financing,
    final_installment_deadline, is_final_installment_lost,
)
