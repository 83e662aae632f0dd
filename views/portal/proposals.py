"""Contract pre-entry (/portail/propositions, seeds 002 and 004): the list, the nine-tab CERFA editor, duplicate,
delete a draft, history, and sending to the employer. Decisions live in workflows/proposals.py."""
import datetime as dt
from types import SimpleNamespace

from peewee import JOIN
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from access import scope as scoped
from access.web import current_organisation, current_scope, get_proposal_or_404, require
from forms.proposals import ConfirmForm, name_of, start_form, tab_form
from infrastructure import clock, signed_links
from models import ContractProposal, Dossier
from models.states import ProposalState
from rules import cerfa_fields as fields
from rules.cerfa import error_counts, errors_by_tab, pay_amount
from rules.identifiers import normalize_idcc, normalize_rncp
from views.portal import bp
from workflows import proposals as workflow
from workflows.npec_import import propose_npec
from workflows.smic import smic_on
from workflows.transitions import TransitionRefused

PER_PAGE = 50
LIST_TABS = {"brouillons": "Brouillons", "transmis": "Transmis"}
proposal_required = require("proposal.manage")


def _escape_like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _day(value):
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _smic_for(data):
    """The SMIC in effect at the contract's start (today when no start is typed yet)."""
    return smic_on(_day((data or {}).get("contrat.dateDebutContrat")) or clock.today())


# --- the list ------------------------------------------------------------------------------------------------

@bp.route("/propositions")
@proposal_required
def proposals():
    args = request.args
    tab = args.get("onglet") if args.get("onglet") in LIST_TABS else "brouillons"
    state = args.get("etat", "") if args.get("etat") in dict(ProposalState.choices()) else ""
    search = args.get("q", "").strip()[:100]
    page = int(args["page"]) if args.get("page", "").isascii() and args.get("page", "").isdigit() else 1
    page = min(max(page, 1), 10_000)
    query = (scoped.proposals(current_scope(), ContractProposal.select(ContractProposal, Dossier.number))
             .join(Dossier, JOIN.LEFT_OUTER, on=(ContractProposal.dossier == Dossier.id)))
    draft = ProposalState.DRAFT.value
    query = query.where(ContractProposal.state == draft) if tab == "brouillons" else \
        query.where(ContractProposal.state != draft)
    if state:
        query = query.where(ContractProposal.state == state)
    if search:
        like = f"%{_escape_like(search)}%"
        query = query.where((ContractProposal.apprentice_last_name ** like)
                            | (ContractProposal.apprentice_first_name ** like)
                            | (ContractProposal.employer_name ** like)
                            | (ContractProposal.employer_siret == search.replace(" ", ""))
                            | (Dossier.number == search))
    total = query.count()
    rows = list(query.order_by(ContractProposal.updated_at.desc(), ContractProposal.id.desc())
                .paginate(page, PER_PAGE))
    mine = scoped.proposals(current_scope())
    tab_counts = {"brouillons": mine.where(ContractProposal.state == draft).count(),
                  "transmis": scoped.proposals(current_scope()).where(ContractProposal.state != draft).count()}
    return render_template("portal/proposals/list.html", rows=rows, tab=tab, tabs=LIST_TABS, state=state,
                           search=search, page=page, total=total, per_page=PER_PAGE,
                           tab_counts=tab_counts,
                           states=ProposalState.choices(), confirm=ConfirmForm())


# --- creation and the editor ---------------------------------------------------------------------------------

@bp.route("/propositions/nouvelle", methods=("GET", "POST"))
@proposal_required
def proposal_new():
    organisation = current_organisation()
    form = start_form().of({}, request.form if request.method == "POST" else None)
    error = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            proposal = workflow.create(current_scope(), form.values())
        except workflow.ProposalRefused as refused:
            error = " ".join(m for ms in refused.errors.values() for m in ms)
            for key, messages in refused.errors.items():
                if key in fields.FIELDS_BY_KEY and name_of(key) in form:
                    form[name_of(key)].errors = list(form[name_of(key)].errors) + messages
        except TransitionRefused as refused:
            abort(403, str(refused))
        else:
            flash("Brouillon créé : complétez les onglets du CERFA.", "success")
            return redirect(url_for("portal.proposal_edit", proposal_id=proposal.id, onglet="employeur"))
    html = render_template("portal/proposals/new.html", form=form, error=error, organisation=organisation,
                           prefill=workflow.cfa_prefill(organisation) if organisation else {})
    return make_response(html, 400) if request.method == "POST" else html


def _npec_hint(data):
    """The NPEC the referential proposes for the proposal's RNCP × IDCC (as the back office does)."""
    rncp = normalize_rncp(data.get("formation.rncp", ""))
    idcc = normalize_idcc(data.get("employeur.codeIdcc", ""))
    if not rncp or not idcc:
        return SimpleNamespace(npec=None, reason="saisissez le code RNCP (Formation) et l'IDCC (Employeur)")
    day = _day(data.get("contrat.dateConclusion")) or _day(data.get("contrat.dateDebutContrat")) or clock.today()
    dossier = SimpleNamespace(rncp_code=rncp, conclusion_date=day, employer_id=None)
    return propose_npec(dossier, employer=SimpleNamespace(idcc=idcc))


def _pay_amounts(data, smic):
    """{field name: French text of the euro amount} beside each pay percentage."""
    out = {}
    for year in fields.PAY_YEARS:
        amount = pay_amount(data.get(fields.pay_rate_key(year)), smic)
        if amount is not None:
            out[name_of(fields.pay_rate_key(year))] = amount
    return out


def _editor(proposal, tab, form, status=200, send_errors=None, upload_form=None):
    data = proposal.data or {}
    smic = _smic_for(data)
    errors = workflow.proposal_errors(proposal, clock.today(), smic)
    grouped = errors_by_tab(errors)
    context = dict(proposal=proposal, tab=fields.TABS_BY_KEY[tab], tabs=fields.TABS, form=form,
                   counts=error_counts(errors), tab_errors=grouped[tab], grouped=grouped, name_of=name_of,
                   editable=workflow.is_editable(proposal), smic=smic, amounts=_pay_amounts(data, smic),
                   send_errors=send_errors, confirm=ConfirmForm(), fields=fields, data=data,
                   next_tab=_next_tab(tab))
    if tab == "synthese":
        context["npec"] = _npec_hint(data)
    if tab == "documents":
        from forms.proposal_documents import ProposalDocumentForm
        from workflows.proposal_documents import documents_of, may_remove

        context.update(documents=documents_of(proposal), upload_form=upload_form or ProposalDocumentForm(),
                       may_remove=may_remove)
    html = render_template("portal/proposals/editor.html", **context)
    return make_response(html, status)


def _next_tab(tab):
    index = fields.TAB_KEYS.index(tab)
    return fields.TAB_KEYS[index + 1] if index + 1 < len(fields.TAB_KEYS) else None


@bp.route("/propositions/<int:proposal_id>/saisie", methods=("GET", "POST"))
@proposal_required
def proposal_edit(proposal_id):
    proposal = get_proposal_or_404(proposal_id)
    tab = request.args.get("onglet") or "introduction"
    if tab not in fields.TABS_BY_KEY:
        abort(404)
    form_class = tab_form(tab)
    if request.method == "GET":
        return _editor(proposal, tab, form_class.of(proposal.data))
    form = form_class.of(proposal.data, request.form)
    if not workflow.is_editable(proposal):
        flash("L'entreprise s'est prononcée : la proposition n'est plus modifiable.", "danger")
        return _editor(proposal, tab, form, 409)
    if not form.validate_on_submit():
        return _editor(proposal, tab, form, 400)
    try:
        changed = workflow.save(current_scope(), proposal, form.values())
    except workflow.ProposalRefused as refused:
        for key, messages in refused.errors.items():
            if name_of(key) in form:
                form[name_of(key)].errors = list(form[name_of(key)].errors) + messages
            else:
                flash(" ".join(messages), "danger")
        return _editor(ContractProposal.get_by_id(proposal.id), tab, form, 400)
    except TransitionRefused as refused:
        flash(str(refused).capitalize() + ".", "danger")
        return _editor(ContractProposal.get_by_id(proposal.id), tab, form, 409)
    flash("Brouillon enregistré." if changed else "Aucune modification à enregistrer.",
          "success" if changed else "info")
    target = _next_tab(tab) if request.form.get("suivant") and _next_tab(tab) else tab
    return redirect(url_for("portal.proposal_edit", proposal_id=proposal.id, onglet=target))


# --- view, history and actions -------------------------------------------------------------------------------

def _show(proposal, status=200, send_errors=None):
    smic = _smic_for(proposal.data)
    errors = workflow.proposal_errors(proposal, clock.today(), smic)
    html = render_template("portal/proposals/show.html", proposal=proposal, tabs=fields.TABS, data=proposal.data or {},
                           grouped=errors_by_tab(errors), counts=error_counts(errors), steps=workflow.steps(proposal),
                           editable=workflow.is_editable(proposal), send_errors=send_errors, confirm=ConfirmForm(),
                           dossier_number=workflow.dossier_number(proposal), fields=fields, smic=smic,
                           amounts={fields.pay_rate_key(y): pay_amount((proposal.data or {}).get(fields.pay_rate_key(y)),
                                                                       smic) for y in fields.PAY_YEARS})
    return make_response(html, status)


@bp.route("/propositions/<int:proposal_id>")
@proposal_required
def proposal(proposal_id):
    return _show(get_proposal_or_404(proposal_id))


@bp.route("/propositions/<int:proposal_id>/dupliquer", methods=("POST",))
@proposal_required
def proposal_duplicate(proposal_id):
    source = get_proposal_or_404(proposal_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        copy = workflow.duplicate(current_scope(), source)
    except TransitionRefused as refused:
        abort(403, str(refused))
    flash(f"Proposition dupliquée : nouveau brouillon n° {copy.id}, sans l'identité de l'apprenti.", "success")
    return redirect(url_for("portal.proposal_edit", proposal_id=copy.id, onglet="apprenti"))


@bp.route("/propositions/<int:proposal_id>/supprimer", methods=("GET", "POST"))
@proposal_required
def proposal_delete(proposal_id):
    proposal = get_proposal_or_404(proposal_id)
    form = ConfirmForm()
    if proposal.state != ProposalState.DRAFT.value:
        flash("Seul un brouillon peut être supprimé.", "danger")
        return _show(proposal, 409)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            workflow.delete_draft(current_scope(), proposal)
        except TransitionRefused as refused:
            flash(str(refused).capitalize() + ".", "danger")
            return _show(ContractProposal.get_by_id(proposal.id), 409)
        flash("Brouillon supprimé.", "success")
        return redirect(url_for("portal.proposals"))
    return render_template("portal/proposals/delete.html", proposal=proposal, form=form)


@bp.route("/propositions/<int:proposal_id>/envoyer", methods=("POST",))
@proposal_required
def proposal_send(proposal_id):
    proposal = get_proposal_or_404(proposal_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)

    def link_for(secret):
        return url_for("invitation.accept", token=signed_links.sign(secret, "invitation"), _external=True)

    try:
        _, outcome = workflow.send_to_employer(current_scope(), proposal, clock.today(), _smic_for(proposal.data),
                                               link_for, url_for("portal.dashboard", _external=True))
    except workflow.ProposalRefused as refused:
        flash("Envoi impossible : corrigez les erreurs listées ci-dessous.", "danger")
        return _show(proposal, 400, send_errors=errors_by_tab(refused.errors))
    except TransitionRefused as refused:
        flash(f"Envoi impossible : {refused}.", "danger")
        return _show(ContractProposal.get_by_id(proposal.id), 409)
    message = f"Proposition envoyée à l'entreprise ({', '.join(outcome.recipients)})."
    if outcome.invited is not None:
        message += " L'entreprise n'avait pas de compte : elle est invitée à en créer un."
    flash(message, "success")
    return redirect(url_for("portal.proposal", proposal_id=proposal.id))


# --- template helpers ----------------------------------------------------------------------------------------

@bp.app_template_filter("iso_fr")
def iso_fr(value):
    """An ISO date kept in a proposal's data, as jj/mm/aaaa ('' when empty, the text itself when not a date)."""
    day = _day(value)
    return day.strftime("%d/%m/%Y") if day else (value or "")


@bp.app_template_global()
def proposal_badge(state):
    return ProposalState.badge_of(state)


@bp.app_template_global()
def proposal_state_label(state):
    return ProposalState.label_of(state)


@bp.app_template_global()
def shown(spec, value):
    """A CERFA value as read on screen: dates jj/mm/aaaa, codes by their label, oui/non."""
    if value in (None, ""):
        return "—"
    if spec.kind == "date":
        return iso_fr(value)
    if spec.kind == "choice":
        return spec.choice_label(value)
    if spec.kind == "bool":
        return "Oui" if value == fields.YES else "Non"
    return value
