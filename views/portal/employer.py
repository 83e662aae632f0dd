"""The employer space (seed 002): the proposals addressed to the employer's SIRETs, its decision, completion
and transmission to the OPCO. Every read goes through `access.scope.employer_proposals`: a proposal of another
SIRET (or a draft, or one the employer refused) is a 404.
"""
import datetime as dt
from functools import wraps

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from access import scope as scoped
from access.web import current_scope, first_or_404, int_or_404
from forms.employer_proposals import DecisionForm, RefusalForm
from infrastructure import clock
from infrastructure.formatting import date_fr
from models import ContractProposal, Organisation
from models.states import ProposalState
from rules.cerfa_fields import TABS_BY_KEY
from rules.identifiers import mask_nir
from views.portal import bp
from workflows import employer_proposals as decisions
from workflows.proposal_transmission import TransmissionRefused, blocking_problems, cerfa_errors, transmit_by_employer
from workflows.transitions import TransitionRefused

P = ProposalState
TABS_SHOWN = ("employeur", "apprenti", "maitres", "contrat", "formation", "synthese", "attestation")


def employer_required(view):
    """Employer pages: anonymous → /connexion, any other kind of user → 403."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        if current_user.kind != "employer":
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def get_proposal_or_404(proposal_id):
    query = ContractProposal.select(ContractProposal, Organisation).join(Organisation)
    return first_or_404(scoped.employer_proposals(current_scope(), query)
                        .where(ContractProposal.id == int_or_404(proposal_id)))


def _date(value):
    try:
        return dt.date.fromisoformat(str(value or ""))
    except ValueError:
        return None


def _row(proposal):
    data = proposal.data or {}
    return {"proposal": proposal, "apprentice": f"{proposal.apprentice_last_name} {proposal.apprentice_first_name}",
            "nir": mask_nir(data["apprenti.nir"]) if data.get("apprenti.nir") else "",
            "start": _date(data.get("contrat.dateDebutContrat")), "end": _date(data.get("contrat.dateFinContrat")),
            "cfa": proposal.organisation.name}


def employer_home():
    """`/portail` for an employer user: its proposals, newest first, optionally of one state."""
    query = ContractProposal.select(ContractProposal, Organisation).join(Organisation)
    query = scoped.employer_proposals(current_scope(), query)
    state = request.args.get("etat", "")
    if state in scoped.EMPLOYER_VISIBLE_PROPOSAL_STATES:
        query = query.where(ContractProposal.state == state)
    rows = [_row(p) for p in query.order_by(ContractProposal.updated_at.desc(), ContractProposal.id.desc()).limit(500)]
    states = [(s, P.label_of(s)) for s in scoped.EMPLOYER_VISIBLE_PROPOSAL_STATES]
    return render_template("portal/employer/home.html", rows=rows, states=states, state=state,
                           employer=current_user.employer)


def _display(field, value):
    if value in (None, ""):
        return ""
    if field.kind == "bool":
        return "Oui" if value == decisions.YES else "Non"
    if field.kind == "date":
        return date_fr(_date(value)) or value
    if field.kind == "nir":
        return mask_nir(value)
    if field.kind == "choice":
        return field.choice_label(value)
    return value


def _sections(proposal):
    """The proposal's tabs as (title, [(label, shown value)]) for the read-only view."""
    data = proposal.data or {}
    return [(TABS_BY_KEY[key].title, [(f.label, _display(f, data.get(f.key))) for f in TABS_BY_KEY[key].fields])
            for key in TABS_SHOWN if key in TABS_BY_KEY]


def _problems(proposal):
    return blocking_problems(proposal.data or {}, clock.today())


def _detail(proposal, status=200, refusal_form=None, problems=None):
    under_review = proposal.state == P.UNDER_REVIEW
    if problems is None and under_review:
        problems = _problems(proposal)
    return render_template(
        "portal/employer/proposal.html", proposal=proposal, row=_row(proposal), sections=_sections(proposal),
        decision_form=DecisionForm(), refusal_form=refusal_form or RefusalForm(), problems=problems or [],
        can_accept=proposal.state in (P.SENT, P.FROM_API), can_refuse=proposal.state in (P.SENT, P.UNDER_REVIEW,
                                                                                          P.FROM_API),
        under_review=under_review, tabs=[(k, _tab_title(k)) for k in decisions.EMPLOYER_TABS],
        pdf_url=url_for("portal.proposal_pdf", proposal_id=proposal.id), documents=_documents(proposal)), status


def _documents(proposal):
    from workflows.proposal_documents import documents_of

    return documents_of(proposal)


def _tab_title(key):
    return TABS_BY_KEY[key].title


@bp.route("/entreprise/propositions/<int:proposal_id>")
@employer_required
def employer_proposal(proposal_id):
    return _detail(get_proposal_or_404(proposal_id))


@bp.route("/entreprise/propositions/<int:proposal_id>/accepter", methods=["POST"])
@employer_required
def employer_proposal_accept(proposal_id):
    proposal = get_proposal_or_404(proposal_id)
    if not DecisionForm().validate():
        abort(400)
    try:
        decisions.accept(proposal, current_scope())
    except TransitionRefused as exc:
        flash(f"Action impossible : {exc}.", "danger")
        return _detail(proposal, 409)
    flash("Proposition acceptée : complétez les onglets Employeur, Contrat et Attestation, puis transmettez-la "
          "à l'OPCO.", "success")
    return redirect(url_for("portal.employer_proposal", proposal_id=proposal.id))


@bp.route("/entreprise/propositions/<int:proposal_id>/refuser", methods=["POST"])
@employer_required
def employer_proposal_refuse(proposal_id):
    proposal = get_proposal_or_404(proposal_id)
    form = RefusalForm()
    if not form.validate():
        return _detail(proposal, 400, refusal_form=form)
    try:
        decisions.refuse(proposal, current_scope(), form.reason.data)
    except TransitionRefused as exc:
        flash(f"Action impossible : {exc}.", "danger")
        return _detail(proposal, 409, refusal_form=form)
    flash("Proposition refusée : le CFA en est informé avec votre motif.", "success")
    return redirect(url_for("portal.dashboard"))


@bp.route("/entreprise/propositions/<int:proposal_id>/completer", methods=["GET", "POST"])
@employer_required
def employer_proposal_tab(proposal_id):
    """One of the employer's tabs (`?onglet=employeur|contrat|attestation`) to complete once accepted."""
    proposal = get_proposal_or_404(proposal_id)
    tab = request.args.get("onglet", decisions.EMPLOYER_TABS[0])
    if tab not in decisions.EMPLOYER_TABS:
        abort(404)
    if proposal.state != P.UNDER_REVIEW:
        flash("Acceptez d'abord la proposition pour la compléter.", "warning")
        return redirect(url_for("portal.employer_proposal", proposal_id=proposal.id))
    form = DecisionForm()
    fields = decisions.editable_fields(tab)
    values = dict(proposal.data or {})
    status = 200
    if request.method == "POST":
        typed = {f.key: request.form.get(f.key, "") for f in fields}
        if not form.validate():
            values.update(typed)
            status = 400
        else:
            try:
                decisions.save_fields(proposal, current_scope(), tab, typed)
            except TransitionRefused as exc:
                flash(f"Enregistrement impossible : {exc}.", "danger")
                return redirect(url_for("portal.employer_proposal", proposal_id=proposal.id))
            flash("Modifications enregistrées.", "success")
            return redirect(url_for("portal.employer_proposal_tab", proposal_id=proposal.id, onglet=tab))
    errors = _field_errors(values)
    return render_template("portal/employer/tab.html", proposal=proposal, tab=tab, tab_title=_tab_title(tab),
                           fields=fields, values=values, errors=errors, form=form,
                           tabs=[(k, _tab_title(k)) for k in decisions.EMPLOYER_TABS]), status


def _field_errors(values):
    return cerfa_errors(values, clock.today())


@bp.route("/entreprise/propositions/<int:proposal_id>/transmettre", methods=["POST"])
@employer_required
def employer_proposal_transmit(proposal_id):
    proposal = get_proposal_or_404(proposal_id)
    if not DecisionForm().validate():
        abort(400)
    try:
        dossier = transmit_by_employer(proposal, current_scope(), clock.today())
    except TransmissionRefused as exc:
        flash("La proposition ne peut pas encore être transmise : corrigez les points listés.", "danger")
        return _detail(proposal, 400, problems=exc.problems)
    except TransitionRefused as exc:
        flash(f"Transmission impossible : {exc}.", "warning")
        return _detail(ContractProposal.get_by_id(proposal.id), 409)
    flash(f"Contrat transmis à l'OPCO : dossier n° {dossier.number}, reçu le {clock.today():%d/%m/%Y}.", "success")
    return redirect(url_for("portal.employer_proposal", proposal_id=proposal.id))
