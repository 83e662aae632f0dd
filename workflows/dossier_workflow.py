"""The dossier lifecycle (SPEC §4): the one code path behind every back-office action on a dossier.

The actions are the DOSSIER table of workflows/state_machines.py, run by workflows.transitions.apply
(permission "dossier.instruct", guarded UPDATE, one audit entry). A change, its schedule, its letter and its
notifications are written in one transaction: a refusal or a failure leaves none of them.
"""
from dataclasses import dataclass, field
from decimal import Decimal

import rules
from access.permissions import can
from models import Dossier, Installment, db
from models.dossier import INSTALLMENT_KINDS, REGIMES
from models.states import DossierState, InstallmentStatus
from workflows.dossier_rules import contract_from_dossier, financing_delta, store_schedule
from workflows.installments import refresh_due_dates
from infrastructure.formatting import montant
from workflows.letters import issue_letter
from workflows.npec_import import propose_npec
from infrastructure.pdf import PdfError
from workflows.state_machines import DOSSIER
from infrastructure.storage import get_storage
from workflows.transitions import Outcome, TransitionRefused, apply
from infrastructure import clock

D = DossierState
STATE_LABELS = DossierState.labels()
STATE_PHRASES = {
    D.RECEIVED: "seulement reçu", D.IN_INSTRUCTION: "en instruction", D.AWAITING_DOCUMENTS: "en attente de pièces",
    D.ENGAGED: "déjà engagé", D.SETTLED: "déjà soldé", D.REFUSED: "refusé", D.CANCELLED: "annulé",
    D.DELETED: "supprimé",
}
MAX_TEXT = 2000
# The advisors' actions of the DOSSIER table (workflows/state_machines.py), with the buttons' texts.
ACTIONS = {name: t for name, t in DOSSIER.transitions.items() if t.permission == "dossier.instruct"}

KIND_LABELS = dict(INSTALLMENT_KINDS)
REGIME_LABELS = dict(REGIMES)


class WorkflowRefusal(Exception):
    """An action refused for a reason the advisor can read (French)."""


@dataclass
class Params:
    """Input of the actions that need some: pieces list, refusal reason, NPEC override."""

    pieces: list = field(default_factory=list)
    reason: str = ""
    npec: Decimal | None = None


def refusal_reason(action, dossier):
    """Why `action` cannot run on `dossier` in its current state, or None when it can."""
    if dossier.state in action.from_states:
        return None
    allowed = ", ".join(STATE_LABELS[s] for s in action.from_states)
    phrase = STATE_PHRASES.get(dossier.state, dossier.state)
    if action.name == "supprimer" and dossier.state in (D.ENGAGED, D.SETTLED):
        return f"le dossier est {phrase} : la suppression n'est possible qu'avant l'accord"
    return f"le dossier est {phrase} (« {action.label} » possible depuis : {allowed})"


def allowed_actions(dossier):
    return [a for a in ACTIONS.values() if dossier.state in a.from_states]


# --- NPEC used on Engager ----------------------------------------------------------------------------

@dataclass(frozen=True)
class NpecChoice:
    npec: Decimal | None
    source: str


def npec_choice(dossier, override=None, proposal=None):
    """The NPEC Engager will use: the advisor's, the referential's, or the one deposited with the dossier."""
    proposal = proposal or propose_npec(dossier)
    if override is not None:
        proposed = montant(proposal.npec) if proposal.found else proposal.describe()
        return NpecChoice(Decimal(override), f"saisi par le conseiller ; proposé : {proposed}")
    if proposal.found and not dossier.is_stock:
        return NpecChoice(proposal.npec, f"référentiel : {proposal.describe()}")
    if dossier.npec and Decimal(dossier.npec) > 0:
        label = "coût préfectoral saisi au dépôt" if dossier.is_stock else "NPEC déclaré au dépôt"
        if not dossier.is_stock and not proposal.found:
            label += f" ({proposal.describe()})"
        return NpecChoice(Decimal(dossier.npec), label)
    return NpecChoice(None, proposal.describe())


# --- running actions ---------------------------------------------------------------------------------

def run(action_name, dossier_ids, user, params_by_id=None, today=None):
    """Run an action on each dossier in its own transaction; return one Outcome per dossier."""
    action = ACTIONS[action_name]
    params_by_id = params_by_id or {}
    outcomes = []
    for dossier_id in dossier_ids:
        outcomes.append(perform(action, dossier_id, user, params_by_id.get(dossier_id) or Params(), today=today))
    return outcomes


def perform(action, dossier_id, user, params, today=None):
    """Run one action on one dossier: all of it (change, installments, letter, notifications, audit) or nothing."""
    if isinstance(action, str):
        action = ACTIONS[action]
    today = today or clock.today()
    dossier = Dossier.get_or_none(Dossier.id == dossier_id)
    if dossier is None:
        return Outcome(dossier_id, f"#{dossier_id}", False, "refusé — dossier introuvable")
    if not can(user, "dossier.instruct"):
        return Outcome(dossier.id, dossier.number, False,
                       "refusé — seuls les conseillers et les administrateurs peuvent changer l'état d'un dossier")
    stored_files = []
    try:
        with db.atomic():
            message = _apply(action, dossier, user, params, today, stored_files)
    except WorkflowRefusal as exc:
        _discard(stored_files)
        return Outcome(dossier.id, dossier.number, False, f"refusé — {exc}")
    except (PdfError, ValueError) as exc:
        _discard(stored_files)
        return Outcome(dossier.id, dossier.number, False, f"échec — {exc} ; rien n'a été modifié")
    except Exception:
        _discard(stored_files)
        raise
    return Outcome(dossier.id, dossier.number, True, message)


def _discard(stored_files):
    storage = get_storage()
    for name in stored_files:
        storage.delete(name)


def _apply(action, dossier, user, params, today, stored_files):
    reason = refusal_reason(action, dossier)
    if reason:
        raise WorkflowRefusal(reason)
    old_state = dossier.state
    changes = {}
    note = ""
    letter = None
    message = action.done
    financing = None

    if action.name == "instruire":
        changes["advisor"] = user.id
        # The 20-day decision clock (SPEC §5 "Deadlines shown") runs from the day the file is complete.
        changes["complete_date"] = dossier.complete_date or today
    elif action.name == "demander_pieces":
        pieces = [p.strip() for p in params.pieces if p and p.strip()]
        if not pieces:
            raise WorkflowRefusal("indiquez au moins une pièce manquante")
        text = "\n".join(pieces)
        if len(text) > MAX_TEXT:
            raise WorkflowRefusal(f"la liste des pièces dépasse {MAX_TEXT} caractères")
        changes["missing_pieces"] = text
        changes["advisor"] = dossier.advisor_id or user.id
        changes["complete_date"] = None  # incomplete: the clock stops while documents are awaited
        letter = ("relance", {"pieces": pieces})
        message = f"pièces demandées ({len(pieces)}), courrier de relance émis"
    elif action.name == "reprendre":
        changes["missing_pieces"] = ""
        changes["complete_date"] = today  # complete again: the clock starts afresh
    elif action.name == "engager":
        choice = npec_choice(dossier, params.npec)
        if choice.npec is None or choice.npec <= 0:
            raise WorkflowRefusal(f"aucun NPEC à appliquer ({choice.source}) : saisissez-le")
        financing = rules.compute_financing(contract_from_dossier(dossier, npec=choice.npec))
        if dossier.requested_npec is None and Decimal(dossier.npec or 0) != choice.npec:
            changes["requested_npec"] = dossier.npec  # what the CFA asked, beside what is agreed
        changes.update(npec=choice.npec, regime=financing.regime, total_financed=financing.total,
                       employer_share=financing.employer_share, agreement_date=today,
                       advisor=dossier.advisor_id or user.id)
        note = f"NPEC {montant(choice.npec)} ({choice.source}) ; {len(financing.installments)} échéance(s)"
        message = f"engagé ({montant(financing.net)})"
    elif action.name == "refuser":
        text = (params.reason or "").strip()
        if not text:
            raise WorkflowRefusal("le motif du refus est obligatoire")
        if len(text) > MAX_TEXT:
            raise WorkflowRefusal(f"le motif dépasse {MAX_TEXT} caractères")
        changes.update(refusal_reason=text, closing_date=today, advisor=dossier.advisor_id or user.id)
        letter = ("refus", {"reason": text})
    elif action.name in ("annuler", "supprimer", "solder"):
        changes["closing_date"] = today

    def then(dossier):
        """Schedule, cancellations and letter, in the transition's transaction; returns the audit note."""
        notes = []
        current_letter = letter
        if action.name == "engager":
            store_schedule(dossier, financing)
            current_letter = ("accord", {"installments": financing.installments, "net": financing.net,
                                         "delta": financing_delta(dossier), "kind_labels": KIND_LABELS,
                                         "regime_label": REGIME_LABELS.get(financing.regime, financing.regime)})
        elif action.name == "annuler" and old_state == D.ENGAGED:
            cancelled = (Installment.update(status=InstallmentStatus.CANCELLED)
                         .where((Installment.dossier == dossier.id)
                                & (Installment.status == InstallmentStatus.TO_INVOICE)).execute())
            refresh_due_dates([dossier.id])
            notes.append(f"{cancelled} échéance(s) non facturée(s) annulée(s)")
        if current_letter:
            kind, context = current_letter
            issued = issue_letter(dossier, kind, context, user=user, stored_files=stored_files)
            notes.append(f"{issued.title} émis")
        return "; ".join(notes)

    try:
        apply(DOSSIER, action.name, dossier, user, changes=changes, note=note,
              reason=params.reason if action.needs_reason else "", within=then)
    except TransitionRefused as exc:
        if "n'est possible que depuis" in str(exc):
            raise WorkflowRefusal("le dossier vient d'être modifié par quelqu'un d'autre ; rechargez la page") from None
        raise WorkflowRefusal(str(exc)) from None
    return message
