"""Bank details (RIB) with their approval workflow; history is kept."""
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, TextField

from .base import BaseModel, now
from .organisation import Organisation
from .states import BankDetailsStatus
from .user import User

BANK_STATUSES = BankDetailsStatus.choices()


class BankDetails(BaseModel):
    organisation = ForeignKeyField(Organisation, backref="bank_details", on_delete="RESTRICT")
    iban = CharField(max_length=34)
    bic = CharField(max_length=11)
    holder = CharField(max_length=200)
    third_party = BooleanField(default=False)
    status = CharField(max_length=10, choices=BANK_STATUSES, default=BankDetailsStatus.PENDING.value)
    refusal_reason = TextField(default="")
    entered_by = ForeignKeyField(User, null=True, backref="bank_details_entered", on_delete="SET NULL")
    entered_at = DateTimeField(default=now)
    reviewed_by = ForeignKeyField(User, null=True, backref="bank_details_reviewed", on_delete="SET NULL")
    reviewed_at = DateTimeField(null=True)
    replaced_at = DateTimeField(null=True)  # when a newer RIB of the organisation was approved

    class Meta:
        indexes = ((("organisation", "status"), False),)

    def __str__(self):
        return f"{self.organisation.name} – {self.iban[:4]}…{self.iban[-4:]} ({self.get_status_display()})"

    def get_status_display(self):
        """The status as the histories show it: a replaced RIB says when (*Remplacé le jj/mm/aaaa*)."""
        label = BankDetailsStatus.label_of(self.status)
        if self.status == BankDetailsStatus.REPLACED and self.replaced_at:
            return f"{label} le {self.replaced_at:%d/%m/%Y}"
        return label
