"""OPCO news broadcast by staff to every CFA or to chosen ones (seed 004 *Encart des nouveautés et évolutions*).

One row per news, one per chosen organisation, and one read mark per user who read it: a broadcast to every
CFA writes a single row, whatever the number of users.
"""
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, TextField

from .base import BaseModel, now
from .organisation import Organisation
from .user import User


class OpcoNews(BaseModel):
    title = CharField(max_length=150)
    body = TextField()
    all_cfas = BooleanField(default=False)  # every CFA, those registered later included
    published_at = DateTimeField(default=now, index=True)
    author = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT")
    withdrawn_at = DateTimeField(null=True)  # no longer shown; kept with its history

    class Meta:
        table_name = "opco_news"

    def __str__(self):
        return self.title


class OpcoNewsTarget(BaseModel):
    """One organisation a news was addressed to (none when it went to every CFA)."""

    news = ForeignKeyField(OpcoNews, backref="targets", on_delete="RESTRICT")
    organisation = ForeignKeyField(Organisation, backref="+", on_delete="RESTRICT")

    class Meta:
        table_name = "opco_news_target"
        indexes = ((("organisation", "news"), True),)


class OpcoNewsRead(BaseModel):
    """A user read (or dismissed) a news: it leaves their dashboard."""

    news = ForeignKeyField(OpcoNews, backref="reads", on_delete="RESTRICT")
    user = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    read_at = DateTimeField(default=now)

    class Meta:
        table_name = "opco_news_read"
        indexes = ((("user", "news"), True),)
