"""Apprentices, dossiers (one financed contract each) and their installments."""
from peewee import (BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField,
                    TextField)

from rules.double_funding import identity_key, name_key

from .base import BaseModel, ByteOrderCharField, MoneyField, now
from .organisation import Employer, Organisation
from .states import AmendmentState, DossierState, InstallmentStatus, RuptureState, StockCheck
from .user import User

DOSSIER_STATES = DossierState.choices()
SCHEMES = [
    ("apprentissage", "Apprentissage"),
    ("professionnalisation", "Professionnalisation"),
    ("pro_a", "Pro-A"),
    ("action_formation", "Action de formation"),
]
REGIMES = [("stock", "Reprise de stock"), ("2019", "Loi 2018 (contrats 2019-2020)"),
           ("2021", "Contrats 2021-2025"), ("2025", "Contrats depuis le 01/07/2025")]
INSTALLMENT_KINDS = [("advance", "Avance"), ("balance", "Solde"), ("final", "Solde final (service fait)")]
INSTALLMENT_STATUSES = InstallmentStatus.choices()
RUPTURE_STATES = RuptureState.choices()
AMENDMENT_STATES = AmendmentState.choices()


class Apprentice(BaseModel):
    birth_name = CharField(max_length=100, index=True)
    usage_name = CharField(max_length=100, default="")
    first_name = CharField(max_length=100)
    birth_date = DateField()
    nir = CharField(max_length=15, default="", index=True)
    sex = CharField(max_length=1, default="")
    rqth = BooleanField(default=False)
    birth_department = CharField(max_length=3, default="")
    birth_city = CharField(max_length=100, default="")
    nationality = CharField(max_length=60, default="Française")
    street = CharField(max_length=200, default="")
    postal_code = CharField(max_length=5, default="")
    city = CharField(max_length=100, default="")
    phone = CharField(max_length=20, default="")
    email = CharField(max_length=254, default="")
    legal_representative = CharField(max_length=200, default="")
    created_at = DateTimeField(default=now)
    # Normalised "NAME|FIRST|birth date" (rules.double_funding.identity_key): finds the same person typed
    # with other accents or case, through an index (double-funding detection).
    identity_key = CharField(max_length=240, default="", index=True)

    def save(self, *args, **kwargs):
        self.identity_key = identity_key(self.birth_name, self.first_name, self.birth_date)
        return super().save(*args, **kwargs)

    def __str__(self):
        return f"{self.birth_name.upper()} {self.first_name}"


class Dossier(BaseModel):
    number = CharField(max_length=20, unique=True)
    deca_number = CharField(max_length=30, default="", index=True)
    scheme = CharField(max_length=24, choices=SCHEMES, default="apprentissage")
    state = CharField(max_length=16, choices=DOSSIER_STATES, default=DossierState.RECEIVED.value)
    organisation = ForeignKeyField(Organisation, backref="dossiers", on_delete="RESTRICT")
    employer = ForeignKeyField(Employer, backref="dossiers", on_delete="RESTRICT")
    apprentice = ForeignKeyField(Apprentice, backref="dossiers", on_delete="RESTRICT")
    # Denormalised "NAME First name" so lists sort and search without a join.
    apprentice_name = CharField(max_length=210, default="")
    # apprentice_name without accents, lower case ("dupont lea"): the list's accent-insensitive prefix search
    # and its sort run on it through the (organisation, key, id) index. Kept by save(); filled by step 0015.
    apprentice_name_key = ByteOrderCharField(max_length=210, default="")
    subrogated = BooleanField(default=True)
    is_stock = BooleanField(default=False)
    without_contract = BooleanField(default=False)
    # training
    diploma_title = CharField(max_length=200, default="")
    diploma_code = CharField(max_length=8, default="")
    rncp_code = CharField(max_length=12, default="")
    level = IntegerField(default=4)
    training_start = DateField(null=True)
    training_end = DateField(null=True)
    training_hours = IntegerField(default=0)
    distance_percent = IntegerField(default=0)
    # contract
    contract_type = CharField(max_length=60, default="Contrat initial")
    conclusion_date = DateField()
    contract_start = DateField()
    contract_end = DateField()
    job_title = CharField(max_length=200, default="")
    reduced_duration = BooleanField(default=False)
    # financing (decided through actions, never typed freely)
    regime = CharField(max_length=5, choices=REGIMES, default="")
    npec = MoneyField(default=0)
    disability_uplift = MoneyField(default=0)
    teaching_cost = MoneyField(default=0)
    cap_nights = IntegerField(default=0)
    cap_meals = IntegerField(default=0)
    cap_first_equipment = MoneyField(default=0)
    cap_mobility = MoneyField(default=0)
    total_financed = MoneyField(default=0)
    # The annual NPEC the CFA asked for, kept when the OPCO's agreement sets another one (None: the same as `npec`).
    requested_npec = MoneyField(null=True)
    employer_share = MoneyField(default=0)
    rupture_date = DateField(null=True)
    completion_certificate = BooleanField(default=False)
    # dates and follow-up
    deposit_date = DateField(null=True)
    complete_date = DateField(null=True)
    agreement_date = DateField(null=True)
    closing_date = DateField(null=True)
    advisor = ForeignKeyField(User, null=True, backref="dossiers_advised", on_delete="SET NULL")
    missing_pieces = TextField(default="")
    refusal_reason = TextField(default="")
    # Deposited by the CFA under the employer's management mandate, the employer's step skipped.
    under_mandate = BooleanField(default=False)
    # Earliest billable date of the installments still to invoice (none: NULL), kept by
    # workflows.installments.refresh_due_dates: "a dossier with an installment to invoice" becomes one index range.
    next_billable_from = DateField(null=True)
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)

    class Meta:
        indexes = (
            # The list's sorts: one organisation's range, in order, ties broken by id (keyset pages).
            (("organisation", "state", "id"), False),
            (("organisation", "scheme", "id"), False),
            (("organisation", "contract_start", "id"), False),
            (("organisation", "contract_end", "id"), False),
            (("organisation", "total_financed", "id"), False),
            (("organisation", "apprentice_name_key", "id"), False),
            (("organisation", "number"), False),
            # the dashboard grid's state × scheme cells, and the stock contracts' own list (seed 003)
            (("organisation", "state", "scheme", "id"), False),
            (("organisation", "is_stock", "id"), False),
            (("organisation", "id"), False),
            (("organisation", "state", "next_billable_from"), False),
            (("state", "complete_date"), False),
            (("apprentice_name_key",), False),  # the back office's sort by apprentice, all organisations
        )

    def save(self, force_insert=False, only=None):
        """A full save never writes next_billable_from back: the instance may have been read before its
        installments changed."""
        self.apprentice_name_key = name_key(self.apprentice_name)
        if only is None and not force_insert and self.id is not None:
            only = [f for f in self._meta.sorted_fields
                    if f is not Dossier.next_billable_from and not f.primary_key]
        return super().save(force_insert=force_insert, only=only)

    def __str__(self):
        return f"{self.number} – {self.apprentice_name}"


class Installment(BaseModel):
    dossier = ForeignKeyField(Dossier, backref="installments", on_delete="CASCADE")
    number = IntegerField()
    year = IntegerField()
    kind = CharField(max_length=8, choices=INSTALLMENT_KINDS)
    billable_from = DateField()
    period_start = DateField()
    period_end = DateField()
    amount = MoneyField()
    status = CharField(max_length=12, choices=INSTALLMENT_STATUSES, default=InstallmentStatus.TO_INVOICE.value)

    class Meta:
        # (dossier, status, billable_from): "has this dossier an installment to invoice by today" is one index
        # probe (the dashboard's actions à mener), where (status, billable_from) would scan every such row.
        indexes = ((("dossier", "number"), True), (("status", "billable_from"), False),
                   (("dossier", "status", "billable_from"), False))

    def __str__(self):
        return f"{self.dossier.number} / échéance {self.number}"


STOCK_ANSWERS = StockCheck.choices()[1:]  # what a CFA may answer (« à vérifier » is the absence of an answer)


class StockVerification(BaseModel):
    """A CFA's answer on a stock contract the OPCO took over: confirmed, or an anomaly reported with a comment.

    Answers are kept (the latest counts), so the OPCO sees what was confirmed or reported, by whom and when.
    """

    dossier = ForeignKeyField(Dossier, backref="stock_verifications", on_delete="RESTRICT")
    answer = CharField(max_length=10, choices=STOCK_ANSWERS)
    comment = TextField(default="")
    by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    at = DateTimeField(default=now)

    class Meta:
        table_name = "stock_verification"
        indexes = ((("dossier", "id"), False),)

    def __str__(self):
        return f"{self.dossier_id} : {StockCheck.label_of(self.answer)}"


class NpecReference(BaseModel):
    """One row of France compétences' NPEC referential (RNCP × CPNE × edition)."""

    rncp_code = CharField(max_length=12)
    cpne_code = CharField(max_length=4)
    cpne_label = CharField(max_length=200, default="")
    training_label = CharField(max_length=250, default="")
    diploma_label = CharField(max_length=200, default="")
    certifier = CharField(max_length=200, default="")
    npec = MoneyField()
    status = CharField(max_length=20, default="CPNE")
    applicable_from = DateField()
    imported_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("rncp_code", "cpne_code", "applicable_from"), True),)

    def __str__(self):
        return f"{self.rncp_code} / CPNE {self.cpne_code} depuis le {self.applicable_from:%d/%m/%Y}"


class IdccCpne(BaseModel):
    idcc = CharField(max_length=4, unique=True)
    idcc_label = CharField(max_length=200, default="")
    cpne_code = CharField(max_length=4)
    cpne_label = CharField(max_length=200, default="")

    def __str__(self):
        return f"IDCC {self.idcc} → CPNE {self.cpne_code}"


class Rupture(BaseModel):
    dossier = ForeignKeyField(Dossier, backref="ruptures", on_delete="CASCADE")
    date = DateField()
    reason = TextField()
    continues_at_cfa = BooleanField(default=False)
    new_contract_date = DateField(null=True)
    due = MoneyField(default=0)
    credit_note_amount = MoneyField(default=0)
    state = CharField(max_length=10, choices=RUPTURE_STATES, default=RuptureState.DECLARED.value, index=True)
    declared_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    confirmed_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="ruptures_confirmed")
    confirmed_at = DateTimeField(null=True)
    created_at = DateTimeField(default=now)


class Amendment(BaseModel):
    """An avenant: requested (old = the contract when asked, new = as asked), then decided by the OPCO."""

    dossier = ForeignKeyField(Dossier, backref="amendments", on_delete="CASCADE")
    old_end = DateField()
    new_end = DateField()
    old_npec = MoneyField()
    new_npec = MoneyField()
    old_training = CharField(max_length=200, default="")
    new_training = CharField(max_length=200, default="")
    old_rncp_code = CharField(max_length=12, default="")
    new_rncp_code = CharField(max_length=12, default="")
    difference = MoneyField(default=0)
    reason = TextField(default="")
    state = CharField(max_length=10, choices=AMENDMENT_STATES, default=AmendmentState.DEPOSITED.value, index=True)
    # The signed avenant's Document row (Document is declared after this table, hence no foreign key).
    document_id = IntegerField(null=True)
    refusal_reason = TextField(default="")
    declared_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="amendments_decided")
    decided_at = DateTimeField(null=True)
    created_at = DateTimeField(default=now)


class ExpiredSettlement(BaseModel):
    dossier = ForeignKeyField(Dossier, backref="expired_settlements", on_delete="CASCADE")
    kind = CharField(max_length=16, choices=[("certificate", "Certificat de réalisation déclaré"),
                                            ("rupture", "Rupture déclarée"),
                                            ("final_balance", "Solde final déclaré")])
    amount_released = MoneyField(default=0)
    note = TextField(default="")
    declared_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    declared_at = DateTimeField(default=now)
