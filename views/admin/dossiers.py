"""Back-office dossiers: list, details, the advisor's actions and the correction of an agreed dossier's contract facts.

Money and state columns are never in a form: they change through actions only.
"""
from decimal import Decimal

from flask import abort, flash, make_response, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.helpers import get_form_data, get_redirect_target
from flask_admin.contrib.peewee.filters import BasePeeweeFilter, FilterEqual, FilterLike
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from peewee import JOIN, IntegrityError, fn
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Optional, ValidationError

from forms import validators as v
from models import (Apprentice, ContractProposal, Dossier, DossierCounter, Employer, IdccCpne, Installment, Letter,
                    NpecReference, Organisation, User, db, is_postgres, now)
from models.states import BEFORE_AGREEMENT
from infrastructure.formatting import date_fr
from models.dossier import INSTALLMENT_KINDS, INSTALLMENT_STATUSES, REGIMES, SCHEMES
from rules.money import read_amount
from workflows import dossier_workflow as workflow
from workflows.amendments import dossier_requests
from views.downloads import cerfa_response
from workflows.double_funding import dossier_duplicates, possible_duplicate_condition
from workflows.audit import record, snapshot
from workflows.dossier_rules import dossier_balance, financing_delta
from workflows.letters import letter_filename, read_letter
from workflows.npec_import import propose_npec
from workflows.proposals import deposit_key
from workflows.stock_contracts import history as stock_history

from .background_exports import BackgroundExportMixin
from .base import no_index, StaffModelView
from .sql_export import DOSSIER_EXPORT_SQL, SqlCsvExport
from .dossier_records import ApprenticeView, IdccCpneView, InstallmentView, NpecReferenceView

MAX_BULK = 500
MAX_NPEC = 100_000  # euros a year: far above any NPEC, catches a typo before it becomes a commitment

DOSSIER_MONEY_AND_STATE = [
    "state", "regime", "npec", "disability_uplift", "total_financed", "employer_share", "cap_nights", "cap_meals",
    "cap_first_equipment", "cap_mobility", "rupture_date", "agreement_date", "closing_date", "advisor",
    "refusal_reason", "missing_pieces", "apprentice_name", "created_at", "updated_at", "completion_certificate",
    "teaching_cost", "requested_npec",
]


def _parse_ids(text):
    """'1,2,3' → [1, 2, 3]; None when malformed or too many."""
    try:
        ids = [int(part) for part in str(text).split(",") if part.strip()]
    except ValueError:
        return None
    if not ids or len(ids) > MAX_BULK:
        return None
    return list(dict.fromkeys(ids))


def _workflow_action(name):
    """Flask-Admin list action declared from the workflow's own label and confirmation text."""
    definition = workflow.ACTIONS[name]
    return action(name, definition.label, definition.confirmation or None)


def _origin_proposal_id(dossier):
    """The id of the proposal the dossier was created from (read by get_one's join), or None."""
    if hasattr(dossier, "origin_proposal_id"):
        return dossier.origin_proposal_id
    origin = ContractProposal.get_or_none(ContractProposal.dossier == dossier.id)
    return origin.id if origin else None


class PossibleDuplicateFilter(BasePeeweeFilter):
    """*Doublon possible*: another open dossier of the same apprentice overlaps (workflows/double_funding.py)."""

    def __init__(self):
        super().__init__(Dossier.id, "Doublon possible", options=(("1", "Oui"),))

    def apply(self, query, value):
        return query.where(possible_duplicate_condition()) if value == "1" else query

    def operation(self):
        return "est"


class WorkflowForm(FlaskForm):
    """Input of the dossier actions; per-dossier NPEC fields are read from the request (one per dossier)."""

    pieces = TextAreaField("Pièces manquantes (une par ligne)")
    reason = TextAreaField("Motif du refus")


# What the schedule was computed from: frozen once the financing is agreed (amend through an avenant).
FINANCING_INPUTS = ["conclusion_date", "contract_start", "contract_end", "level", "distance_percent",
                    "reduced_duration", "is_stock", "organisation"]
# The contract's identity and the facts that decide rights (who is paid, which right applies, the clocks):
# frozen too once agreed; corrected only through "Corriger les données du contrat", with a reason, audited.
CONTRACT_FACTS = ["number", "deca_number", "scheme", "employer", "apprentice", "subrogated", "without_contract",
                  "diploma_code", "rncp_code", "training_start", "training_end", "deposit_date", "complete_date"]
PRE_AGREEMENT_STATES = BEFORE_AGREEMENT
CORRECTION_ACTION = "correct_contract"


class _DisabledWidget:
    """Render a field disabled (wtfpeewee's select fields ignore render_kw, so wrap the widget itself)."""

    def __init__(self, widget):
        self.widget = widget

    def __call__(self, field, **kwargs):
        return self.widget(field, **{**kwargs, "disabled": True})


def counted_key(dossier_id):
    """The counter a stored dossier is in, its row locked on PostgreSQL until the change commits."""
    query = Dossier.select().where(Dossier.id == dossier_id)
    return DossierCounter.key_of((query.for_update() if is_postgres() else query).get())


def facts_locked(dossier):
    return dossier.state not in PRE_AGREEMENT_STATES


def _changed(stored, model, names):
    return [name for name in names if stored.__data__.get(name) != model.__data__.get(name)]


def _scheme_and_regime(view, context, model, name):
    """List cell: the scheme, and its financing regime on a second line."""
    scheme = dict(SCHEMES).get(model.scheme, model.scheme or "")
    regime = dict(REGIMES).get(model.regime, model.regime or "")
    if not regime:
        return scheme
    return Markup(f'{escape(scheme)}<br><small class="text-muted">{escape(regime)}</small>')


def _contract_dates(view, context, model, name):
    """List cell: the contract's start and end, one per line."""
    return Markup(f'<span class="text-nowrap">du {escape(date_fr(model.contract_start))}</span><br>'
                  f'<span class="text-nowrap">au {escape(date_fr(model.contract_end))}</span>')


class DossierView(BackgroundExportMixin, SqlCsvExport, StaffModelView):
    manage_permission = "dossier.edit"
    export_sql_columns = DOSSIER_EXPORT_SQL  # the CSV export is written by the database (views/admin/sql_export.py)
    deletable = False  # dossiers are "supprimé" through an action, never erased
    simple_list_pager = True  # no COUNT(*) over a million rows
    list_template = "admin/dossier_list.html"  # « Exporter en arrière-plan » (views/admin/background_exports.py)
    # Eleven columns overflowed a 1366 px screen: the regime goes under the scheme, the contract's dates share one
    # column. Exports keep one column per field.
    column_list = ["number", "apprentice_name", "organisation", "employer", "scheme", "state", "contract",
                   "total_financed", "advisor"]
    column_export_list = ["number", "apprentice_name", "organisation", "employer", "scheme", "state", "regime",
                          "contract_start", "contract_end", "total_financed", "advisor"]
    column_formatters = {"scheme": _scheme_and_regime, "contract": _contract_dates}
    column_searchable_list = ["number", "deca_number", "apprentice_name"]
    column_filters = ["state", "scheme", "regime", "is_stock", "subrogated", "contract_start", "conclusion_date",
                      
                      FilterLike(Organisation.name, "Nom du CFA"), FilterEqual(Organisation.siret, "SIRET du CFA"),
                      FilterEqual(Employer.siret, "SIRET de l'employeur"), PossibleDuplicateFilter()]
    joined_models = (Organisation, Employer)
    # Only sorts an index serves at a million dossiers: the number (unique), the normalised name (its own
    # index, accents aside) and the state ((state, complete_date)); by CFA or amount would sort every dossier.
    column_sortable_list = ["number", ("apprentice_name", Dossier.apprentice_name_key), "state"]
    column_default_sort = ("id", True)
    column_labels = {
        "number": "N° de dossier", "deca_number": "N° DECA", "scheme": "Dispositif", "state": "État",
        "organisation": "CFA", "employer": "Employeur", "apprentice": "Apprenti", "apprentice_name": "Apprenti",
        "subrogated": "Subrogé", "is_stock": "Reprise de stock", "without_contract": "Apprenti sans contrat",
        "diploma_title": "Diplôme", "diploma_code": "Code diplôme", "rncp_code": "Code RNCP", "level": "Niveau",
        "training_start": "Début de formation", "training_end": "Fin de formation", "training_hours": "Heures",
        "distance_percent": "Part à distance (%)", "contract_type": "Type de contrat",
        "conclusion_date": "Date de conclusion", "contract_start": "Début du contrat", "contract_end": "Fin du contrat",
        "job_title": "Emploi occupé", "reduced_duration": "Durée réduite", "regime": "Régime", "npec": "NPEC annuel",
        "requested_npec": "NPEC annuel demandé", "disability_uplift": "Majoration RQTH", "teaching_cost": "Coût pédagogique du CFA",
        "total_financed": "Montant engagé", "employer_share": "Reste à charge employeur",
        "rupture_date": "Date de rupture", "completion_certificate": "Certificat de réalisation reçu",
        "deposit_date": "Date de dépôt", "complete_date": "Dossier complet le", "agreement_date": "Date d'accord",
        "closing_date": "Date de clôture", "advisor": "Conseiller", "missing_pieces": "Pièces manquantes",
        "refusal_reason": "Motif de refus", "created_at": "Créé le", "updated_at": "Mis à jour le",
        "cap_nights": "Nuitées engagées", "cap_meals": "Repas engagés", "cap_first_equipment": "Premier équipement",
        "cap_mobility": "Mobilité internationale", "contract": "Contrat",
    }
    form_excluded_columns = DOSSIER_MONEY_AND_STATE + ["installments", "invoices", "invoice_lines", "credit_notes",
                                                       "payment_lines", "documents", "letters", "notifications",
                                                       "ruptures", "amendments", "expired_settlements"]
    form_args = {"diploma_code": {"validators": [Optional(), v.diploma_code]},
                 "rncp_code": {"validators": [Optional(), v.rncp]}}

    def search_placeholder(self):
        return "N° de dossier, N° DECA ou nom de l'apprenti"

    def get_query(self):
        # Join what the list shows so a page costs one query, not one per row and foreign key.
        # `+dossier.organisation_id` (no index through it): with statistics SQLite otherwise starts from the
        # few organisations and sorts every dossier for the page's 25 rows; read from the dossiers' own order.
        advisor = User.alias()
        return (Dossier.select(Dossier, Organisation, Employer, advisor)
                .join(Organisation, on=(no_index(Dossier.organisation) == Organisation.id), attr="organisation")
                .switch(Dossier).join(Employer, on=(no_index(Dossier.employer) == Employer.id), attr="employer")
                .switch(Dossier).join(advisor, JOIN.LEFT_OUTER, on=(Dossier.advisor == advisor.id), attr="advisor"))

    def on_model_change(self, form, model, is_created):
        if model.contract_end and model.contract_start and model.contract_end < model.contract_start:
            raise ValidationError("La fin du contrat doit être postérieure à son début.")
        if not is_created:
            stored = Dossier.get_by_id(model.id)
            if facts_locked(stored):
                self._refuse_locked_changes(stored, model)
            model._counted_as = counted_key(model.id)
        model.apprentice_name = f"{model.apprentice.birth_name.upper()} {model.apprentice.first_name}"

    def validate_saved(self, model):
        """The dashboard counters follow a created dossier or a changed organisation, scheme or kind (same
        transaction as the save)."""
        saved = Dossier.get_by_id(model.id)
        before = getattr(model, "_counted_as", None)
        if before is None:
            DossierCounter.created(saved)
        else:
            DossierCounter.moved(before, saved)

    # --- an agreed dossier: financing inputs and contract facts are read-only in the edit form ---------
    def _labels(self, names):
        return ", ".join(str(self.column_labels.get(name, name)) for name in names)

    def _refuse_locked_changes(self, stored, model):
        """A forged or stale POST that changes a frozen column is refused as a whole (nothing saved)."""
        financing = _changed(stored, model, FINANCING_INPUTS)
        if financing:
            raise ValidationError("Le financement de ce dossier est engagé : " + self._labels(financing)
                                  + " ne se modifie(nt) plus ici. Passez par un avenant ou une rupture.")
        facts = _changed(stored, model, CONTRACT_FACTS)
        if facts:
            raise ValidationError("Ce dossier est engagé : " + self._labels(facts) + " ne se modifie(nt) plus "
                                  "ici. Utilisez « Corriger les données du contrat » (motif obligatoire).")

    def edit_form(self, obj=None):
        """Frozen columns are shown disabled; a browser does not post them, so they keep the stored value."""
        form = super().edit_form(obj)
        if obj is None or not facts_locked(obj):
            return form
        for name in FINANCING_INPUTS + CONTRACT_FACTS:
            field = form._fields.get(name)
            if field is None:
                continue
            field.widget = _DisabledWidget(field.widget)
            field.description = ("Modifiable par un avenant ou une rupture." if name in FINANCING_INPUTS
                                 else "Modifiable par « Corriger les données du contrat ».")
            if request.method == "POST" and name not in request.form:
                field.process(None, getattr(obj, name))
        return form

    @expose("/<int:dossier_id>/corriger/", methods=("GET", "POST"))
    def correct_view(self, dossier_id):
        """Correct the contract facts of an agreed dossier: reason required, one audit entry before/after."""
        if not self.can_edit:
            abort(403)
        dossier = Dossier.get_or_none(Dossier.id == dossier_id) or abort(404)
        details_url = self.get_url(".details_view", id=dossier.id)
        if not facts_locked(dossier):
            flash("Ce dossier n'est pas encore engagé : corrigez-le directement par « Modifier ».", "info")
            return redirect(self.get_url(".edit_view", id=dossier.id, url=details_url))
        form = self._correction_form(dossier)
        if request.method == "POST" and form.validate():
            error = self._apply_correction(dossier, form)
            if error is None:
                return redirect(details_url)
            flash(error, "error")
        html = self.render("admin/dossier_correction.html", form=form, dossier=dossier, details_url=details_url,
                           state_label=workflow.STATE_LABELS.get(dossier.state, dossier.state))
        return make_response(html, 400) if request.method == "POST" else html

    def _correction_form(self, dossier):
        """The edit form's own fields and validators for CONTRACT_FACTS, plus the mandatory reason."""
        class CorrectionForm(self._edit_form_class):
            reason = TextAreaField("Motif de la correction (obligatoire, conservé au journal d'audit)",
                                   validators=[DataRequired("Indiquez le motif de la correction.")])

        form = CorrectionForm(get_form_data(), obj=dossier)
        for name in list(form._fields):
            if name not in CONTRACT_FACTS and name not in ("reason", "csrf_token"):
                del form[name]
        return form

    def _apply_correction(self, dossier, form):
        """Write the changed facts with one audit entry; a French error, or None when done."""
        with db.atomic():
            stored = Dossier.get_by_id(dossier.id)
            if not facts_locked(stored):
                return "L'état du dossier a changé : rechargez la page."
            corrected = Dossier.get_by_id(dossier.id)
            for name in CONTRACT_FACTS:
                if name in form._fields:
                    form[name].populate_obj(corrected, name)
            changed = _changed(stored, corrected, CONTRACT_FACTS)
            if not changed:
                return "Aucune donnée n'a changé : rien n'a été enregistré."
            if "apprentice" in changed:
                apprentice = Apprentice.get_by_id(corrected.apprentice_id)
                corrected.apprentice_name = f"{apprentice.birth_name.upper()} {apprentice.first_name}"
            corrected.updated_at = now()
            before = snapshot(stored)
            counted = counted_key(dossier.id)
            try:
                with db.atomic():
                    corrected.save()
            except IntegrityError:
                return "Ce numéro de dossier est déjà pris : rien n'a été enregistré."
            DossierCounter.moved(counted, Dossier.get_by_id(dossier.id))
            after = snapshot(Dossier.get_by_id(dossier.id))
            keys = [k for k in after if after.get(k) != before.get(k) and k != "updated_at"]
            record("dossier", dossier.id, CORRECTION_ACTION, {k: before.get(k) for k in keys},
                   {k: after[k] for k in keys}, note=form.reason.data.strip(), user=self.actor)
        flash(f"Données du contrat corrigées ({self._labels(changed)}) ; la correction est au journal d'audit.",
              "success")
        return None

    # --- details page: dossier, schedule, running balance, letters, actions ----------------------------
    details_template = "admin/dossier_details.html"
    column_details_list = [
        "number", "deca_number", "state", "scheme", "organisation", "employer", "apprentice_name", "subrogated",
        "is_stock", "diploma_title", "rncp_code", "level", "training_start", "training_end", "contract_type",
        "conclusion_date", "contract_start", "contract_end", "reduced_duration", "distance_percent", "regime",
        "requested_npec", "npec", "disability_uplift", "teaching_cost", "total_financed", "employer_share", "cap_nights",
        "cap_meals", "cap_first_equipment", "cap_mobility", "rupture_date", "completion_certificate",
        "deposit_date", "complete_date", "agreement_date", "closing_date", "advisor", "missing_pieces",
        "refusal_reason",
    ]

    def get_one(self, id):
        """One query for the dossier and what its page shows (CFA, employer, apprentice, advisor)."""
        try:
            dossier_id = int(id)
        except (TypeError, ValueError):
            return None
        advisor = User.alias()
        origin = ContractProposal.alias("origin")
        origin_id = origin.select(fn.MIN(origin.id)).where(origin.dossier == Dossier.id)
        by_api = ContractProposal.alias("by_api")
        api_key_id = by_api.select(fn.MAX(by_api.api_key_id)).where(by_api.dossier == Dossier.id)
        return (Dossier.select(Dossier, Organisation, Employer, Apprentice, advisor,
                               origin_id.alias("origin_proposal_id"), api_key_id.alias("origin_api_key_id"))
                .join(Organisation, on=(Dossier.organisation == Organisation.id))
                .switch(Dossier).join(Employer, on=(Dossier.employer == Employer.id))
                .switch(Dossier).join(Apprentice, on=(Dossier.apprentice == Apprentice.id))
                .switch(Dossier).join(advisor, JOIN.LEFT_OUTER, on=(Dossier.advisor == advisor.id), attr="advisor")
                .where(Dossier.id == dossier_id).first())

    def dossier_page(self, dossier):
        """What the details template shows below the fields (a handful of queries, none per row)."""
        installments = list(Installment.select().where(Installment.dossier == dossier.id)
                            .order_by(Installment.number))
        letters = list(Letter.select().where(Letter.dossier == dossier.id).order_by(Letter.issued_at.desc(),
                                                                                   Letter.id.desc()))
        return {
            "installments": installments,
            "balance": dossier_balance(dossier),
            "delta": financing_delta(dossier),
            "letters": letters,
            "actions": workflow.allowed_actions(dossier) if self.allowed("dossier.instruct") else [],
            "kind_labels": dict(INSTALLMENT_KINDS),
            "status_labels": dict(INSTALLMENT_STATUSES),
            "state_label": workflow.STATE_LABELS.get(dossier.state, dossier.state),
            "facts_locked": facts_locked(dossier),
            "requests": dossier_requests(dossier),
            "duplicates": dossier_duplicates(dossier, getattr(dossier, "apprentice", None)),
            "proposal_id": _origin_proposal_id(dossier),
            "api_key": deposit_key(dossier, getattr(dossier, "origin_api_key_id", ...)),
            "stock_answers": stock_history(dossier) if dossier.is_stock else None,
        }

    # --- workflow actions: list actions, details buttons and confirmation pages share one code path -----
    def is_action_allowed(self, name):
        if name in workflow.ACTIONS:
            return self.allowed("dossier.instruct")
        return super().is_action_allowed(name)

    @expose("/action/", methods=("POST",))
    def action_view(self):
        """Flask-Admin's bulk action endpoint; a state change by a role that may not act answers 403."""
        if request.form.get("action") in workflow.ACTIONS and not self.allowed("dossier.instruct"):
            abort(403)
        return super().action_view()

    def _list_action(self, name, ids):
        action_def = workflow.ACTIONS[name]
        if not self.allowed("dossier.instruct"):
            abort(403)
        if action_def.needs_input:
            return redirect(self.get_url(".workflow_view", action_name=name, ids=",".join(str(i) for i in ids),
                                         url=request.form.get("url") or None))
        parsed = _parse_ids(",".join(ids))
        if parsed is None:
            flash("Sélection invalide : choisissez entre 1 et 500 dossiers.", "error")
            return None
        self._run_and_flash(name, parsed, {})
        return None

    @_workflow_action("instruire")
    def action_instruire(self, ids):
        return self._list_action("instruire", ids)

    @_workflow_action("demander_pieces")
    def action_demander_pieces(self, ids):
        return self._list_action("demander_pieces", ids)

    @_workflow_action("reprendre")
    def action_reprendre(self, ids):
        return self._list_action("reprendre", ids)

    @_workflow_action("engager")
    def action_engager(self, ids):
        return self._list_action("engager", ids)

    @_workflow_action("refuser")
    def action_refuser(self, ids):
        return self._list_action("refuser", ids)

    @_workflow_action("annuler")
    def action_annuler(self, ids):
        return self._list_action("annuler", ids)

    @_workflow_action("supprimer")
    def action_supprimer(self, ids):
        return self._list_action("supprimer", ids)

    @_workflow_action("solder")
    def action_solder(self, ids):
        return self._list_action("solder", ids)

    def _run_and_flash(self, name, ids, params_by_id):
        outcomes = workflow.run(name, ids, current_user._get_current_object(), params_by_id)
        if len(outcomes) > 1:
            done = sum(1 for o in outcomes if o.ok)
            flash(f"{workflow.ACTIONS[name].label} : {done} dossier(s) traité(s), {len(outcomes) - done} refusé(s).",
                  "info")
        for outcome in outcomes:
            flash(outcome.line, "success" if outcome.ok else "error")
        return outcomes

    @expose("/action/<action_name>/", methods=("GET", "POST"))
    def workflow_view(self, action_name):
        """Confirmation page of an action (with its input) and the POST that runs it, for one or many dossiers."""
        action_def = workflow.ACTIONS.get(action_name)
        if action_def is None:
            abort(404)
        if not self.allowed("dossier.instruct"):
            abort(403)
        ids = _parse_ids(request.values.get("ids", ""))
        if ids is None:
            abort(400)
        dossiers = list(Dossier.select(Dossier, Organisation, Employer)
                        .join(Organisation, on=(Dossier.organisation == Organisation.id))
                        .switch(Dossier).join(Employer, on=(Dossier.employer == Employer.id))
                        .where(Dossier.id.in_(ids)).order_by(Dossier.number))
        if not dossiers:
            abort(404)
        # only this site: Flask-Admin's check also refuses "/\\evil" and "/\t/evil", which browsers read as "//evil"
        return_url = get_redirect_target() or self.get_url(".index_view")
        form = WorkflowForm()
        rows = [self._confirmation_row(action_def, d) for d in dossiers]
        errors = {}
        if request.method == "POST":
            params_by_id, errors = self._read_params(action_def, form, dossiers)
            if not errors and form.validate():
                self._run_and_flash(action_name, [d.id for d in dossiers], params_by_id)
                return redirect(return_url)
        html = self.render("admin/dossier_action.html", action=action_def, rows=rows, form=form, errors=errors,
                           state_labels=workflow.STATE_LABELS,
                           ids=",".join(str(d.id) for d in dossiers), return_url=return_url)
        return make_response(html, 400) if request.method == "POST" else html

    def _confirmation_row(self, action_def, dossier):
        row = {"dossier": dossier, "refusal": workflow.refusal_reason(action_def, dossier), "npec": None}
        if action_def.name == "engager" and row["refusal"] is None:
            row["npec"] = workflow.npec_choice(dossier, proposal=propose_npec(dossier, employer=dossier.employer))
        return row

    def _read_params(self, action_def, form, dossiers):
        """Turn the confirmation form into per-dossier Params; return (params, French errors by field)."""
        errors = {}
        params = {}
        pieces = [line.strip(" -•\t") for line in (form.pieces.data or "").splitlines() if line.strip(" -•\t")]
        reason = (form.reason.data or "").strip()
        if action_def.name == "demander_pieces" and not pieces:
            errors["pieces"] = "Indiquez au moins une pièce manquante (une par ligne)."
        if action_def.name == "refuser" and not reason:
            errors["reason"] = "Le motif du refus est obligatoire."
        for dossier in dossiers:
            npec = None
            typed = (request.form.get(f"npec_{dossier.id}") or "").strip()
            if action_def.name == "engager" and typed:
                try:
                    npec = read_amount(typed, maximum=Decimal(MAX_NPEC))
                    npec = npec if npec > 0 else None
                except ValueError:
                    npec = None
                if npec is None:
                    errors[f"npec_{dossier.id}"] = (f"Montant invalide pour le dossier {dossier.number} : « {typed} » "
                                                    f"(entre 0,01 € et 100 000,00 € par an).")
            params[dossier.id] = workflow.Params(pieces=pieces, reason=reason, npec=npec)
        return params, errors

    @expose("/<int:dossier_id>/cerfa.pdf")
    def cerfa_pdf(self, dossier_id):
        """*Affichage* (seed 004): the dossier's reconstituted CERFA, as an attachment."""
        return cerfa_response(Dossier.get_or_none(Dossier.id == dossier_id) or abort(404), self.actor)

    @expose("/courrier/<int:letter_id>/")
    def letter_download(self, letter_id):
        """Download a letter (staff only, as every back-office page)."""
        letter = (Letter.select(Letter, Dossier).join(Dossier).where(Letter.id == letter_id).first())
        if letter is None:
            abort(404)
        try:
            data = read_letter(letter)
        except (FileNotFoundError, ValueError):
            abort(404)
        response = make_response(data)
        response.headers["Content-Type"] = "application/pdf"
        response.headers["Content-Disposition"] = (
            f'attachment; filename="{letter_filename(letter, letter.dossier.number)}"')
        return response




VIEWS = [
    (ApprenticeView, Apprentice, "Apprentis", "Dossiers"),
    (DossierView, Dossier, "Dossiers", "Dossiers"),
    (InstallmentView, Installment, "Échéances", "Dossiers"),
    (NpecReferenceView, NpecReference, "Référentiel NPEC", "Référentiels"),
    (IdccCpneView, IdccCpne, "IDCC → CPNE", "Référentiels"),
]
