"""One-time tokens sent by email (password reset, and later activation, invitation, email change).

Only the sha256 of the secret is stored: a copy of the table opens no account.
"""
from peewee import CharField, DateTimeField, ForeignKeyField

from .base import BaseModel, now
from .user import User

TOKEN_PURPOSES = [("reset", "Réinitialisation du mot de passe"), ("activation", "Activation du compte"),
                  ("invitation", "Invitation"), ("email_change", "Changement d'adresse e-mail")]


class OneTimeToken(BaseModel):
    user = ForeignKeyField(User, backref="one_time_tokens", on_delete="CASCADE")
    purpose = CharField(max_length=20, choices=TOKEN_PURPOSES)
    token_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=now)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)  # set once, by a guarded UPDATE: used or revoked

    class Meta:
        indexes = ((("user", "purpose"), False),)

    def __str__(self):
        return f"{self.purpose} #{self.id} ({self.user_id})"
