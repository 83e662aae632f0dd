"""Double-funding detection: other dossiers of the same apprentice whose contract period overlaps (issue 12, item 8).

Candidates are found through indexes (apprentice NIR, apprentice identity key, dossier apprentice) and
confirmed by the pure rule (rules/double_funding.py). The result is a warning shown to the CFA before it sends
a proposal and to the conseiller on the dossier: it never blocks anything. A CFA is told that a conflicting
dossier exists and its period, never the other organisation's dossier number, apprentice or name.
"""
import operator
from dataclasses import dataclass
from datetime import date
from functools import reduce

from peewee import SQL, fn

from access import scope as scoped
from models import Apprentice, Dossier, Organisation
from models.states import DossierState
from rules.double_funding import (ContractFacts, as_date, double_funding, identity_key, nir_forms,
                                  periods_overlap)

# A refused, cancelled or deleted dossier finances nothing: it cannot fund twice.
CLOSED_STATES = DossierState.values(DossierState.REFUSED, DossierState.CANCELLED, DossierState.DELETED)
MAX_SHOWN = 20
SAME_APPRENTICE = "même fiche apprenti"


@dataclass(frozen=True)
class PossibleDuplicate:
    """A dossier that may finance the same apprentice over the same months (number etc. None when not visible)."""

    dossier_id: int
    reason: str
    start: date
    end: date
    visible: bool
    number: str | None = None
    apprentice_name: str | None = None
    organisation_name: str | None = None


def proposal_facts(data) -> ContractFacts:
    """The rule's facts from a proposal's CERFA data (API Convergence keys, ISO dates)."""
    data = data if isinstance(data, dict) else {}
    return ContractFacts(
        nir=str(data.get("apprenti.nir") or ""),
        last_name=str(data.get("apprenti.nom") or ""),
        first_name=str(data.get("apprenti.prenom") or ""),
        birth_date=as_date(data.get("apprenti.dateNaissance")),
        start=as_date(data.get("contrat.dateDebutContrat")),
        end=as_date(data.get("contrat.dateFinContrat")),
    )


def dossier_facts(dossier, apprentice) -> ContractFacts:
    """A dossier's facts: a broken contract ends on its rupture date."""
    return ContractFacts(nir=apprentice.nir, last_name=apprentice.birth_name, first_name=apprentice.first_name,
                         birth_date=apprentice.birth_date, start=dossier.contract_start,
                         end=dossier.rupture_date or dossier.contract_end)


def _candidates(facts, exclude_dossier_id=None, apprentice_id=None):
    """Open dossiers sharing the NIR, the identity key or the apprentice row, whose period may overlap."""
    if facts.start is None:
        return []
    same = []
    forms = nir_forms(facts.nir)
    if forms:
        same.append(Apprentice.nir.in_(forms))
    key = identity_key(facts.last_name, facts.first_name, facts.birth_date)
    if key:
        same.append(Apprentice.identity_key == key)
    apprentice_ids = set() if apprentice_id is None else {apprentice_id}
    if same:
        # The apprentices first, each condition on its own index; then their dossiers through the dossier's
        # apprentice index. One OR over both tables lets SQLite walk a whole organisation's dossiers instead.
        apprentice_ids |= {i for (i,) in Apprentice.select(Apprentice.id).where(reduce(operator.or_, same))
                           .limit(1000).tuples()}
    if not apprentice_ids:
        return []
    condition = Dossier.apprentice.in_(sorted(apprentice_ids))
    query = (Dossier.select(Dossier, Apprentice, Organisation)
             .join(Apprentice, on=(Dossier.apprentice == Apprentice.id))
             .switch(Dossier).join(Organisation, on=(Dossier.organisation == Organisation.id))
             .where(condition, Dossier.state.not_in(CLOSED_STATES), Dossier.contract_end >= facts.start)
             .order_by(Dossier.contract_start, Dossier.id).limit(MAX_SHOWN * 5))
    if facts.end is not None:
        query = query.where(Dossier.contract_start <= facts.end)
    if exclude_dossier_id is not None:
        query = query.where(Dossier.id != exclude_dossier_id)
    return list(query)


def _duplicate(dossier, reason, other, visible):
    return PossibleDuplicate(dossier_id=dossier.id, reason=reason, start=other.start, end=other.end, visible=visible,
                             number=dossier.number if visible else None,
                             apprentice_name=dossier.apprentice_name if visible else None,
                             organisation_name=dossier.organisation.name if visible else None)


def possible_duplicates(proposal_data, scope=None, exclude_dossier_id=None):
    """Dossiers that may already finance the apprentice of `proposal_data` over an overlapping period.

    `proposal_data` is a proposal's CERFA data (dict of API Convergence keys). With a CFA `scope`, dossiers
    of other organisations are listed without their number, apprentice or CFA name (`visible` False); staff
    (or no scope) see everything. `exclude_dossier_id`: the dossier the proposal already became.
    Returns a list of PossibleDuplicate (empty when nothing overlaps, or the data lacks identity or dates).
    """
    facts = proposal_facts(proposal_data)
    visible_ids = None
    if scope is not None and not scope.is_staff:
        visible_ids = set(scoped.organisation_ids(scope))
    found = []
    for dossier in _candidates(facts, exclude_dossier_id):
        other = dossier_facts(dossier, dossier.apprentice)
        reason = double_funding(facts, other)
        if reason:
            found.append(_duplicate(dossier, reason, other, visible_ids is None or dossier.organisation_id in visible_ids))
    return found[:MAX_SHOWN]


def dossier_duplicates(dossier, apprentice=None):
    """Other open dossiers that may finance the same apprentice as `dossier` over the same months (back office).

    `apprentice`: the dossier's Apprentice when the caller has it loaded already (one query less).
    """
    if dossier.state in CLOSED_STATES:
        return []
    apprentice = apprentice or Apprentice.get_by_id(dossier.apprentice_id)
    facts = dossier_facts(dossier, apprentice)
    found = []
    for other in _candidates(facts, exclude_dossier_id=dossier.id, apprentice_id=dossier.apprentice_id):
        other_facts = dossier_facts(other, other.apprentice)
        reason = double_funding(facts, other_facts)
        if not reason and other.apprentice_id == dossier.apprentice_id and periods_overlap(facts, other_facts):
            reason = SAME_APPRENTICE
        if reason:
            found.append(_duplicate(other, reason, other_facts, True))
    return found[:MAX_SHOWN]


def possible_duplicate_condition():
    """A peewee condition on Dossier: another open dossier of the same apprentice overlaps (list filter).

    Same apprentice row, same full NIR, or same identity key; both periods end on their rupture date if any.
    """
    other = Dossier.alias("dup_other")
    other_apprentice = Apprentice.alias("dup_other_apprentice")
    own_apprentice = Apprentice.alias("dup_own_apprentice")
    same = ((other.apprentice == Dossier.apprentice)
            | ((fn.LENGTH(own_apprentice.nir) >= 13) & (other_apprentice.nir == own_apprentice.nir))
            | ((own_apprentice.identity_key != "") & (other_apprentice.identity_key == own_apprentice.identity_key)))
    subquery = (other.select(SQL("1"))
                .join(other_apprentice, on=(other.apprentice == other_apprentice.id))
                .switch(other).join(own_apprentice, on=(own_apprentice.id == Dossier.apprentice))
                .where(other.id != Dossier.id, other.state.not_in(CLOSED_STATES),
                       other.contract_start <= fn.COALESCE(Dossier.rupture_date, Dossier.contract_end),
                       fn.COALESCE(other.rupture_date, other.contract_end) >= Dossier.contract_start,
                       same))
    return fn.EXISTS(subquery) & Dossier.state.not_in(CLOSED_STATES)
