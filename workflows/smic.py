"""The SMIC in effect on a day, read from the dated setting staff admins maintain (models.SmicRate)."""
from models import SmicRate
from rules.cerfa import Smic


def smic_rates():
    """Every known rate, as plain rules values (oldest first)."""
    return [Smic(r.effective_from, r.hourly, r.monthly) for r in SmicRate.select().order_by(SmicRate.effective_from)]


def smic_on(day):
    """The Smic in effect on ``day``, or None when the table holds no rate that early."""
    row = (SmicRate.select().where(SmicRate.effective_from <= day)
           .order_by(SmicRate.effective_from.desc()).first())
    return Smic(row.effective_from, row.hourly, row.monthly) if row else None
