"""Schemas shared by the API's modules: money as decimal strings, the organisation, pagination."""
import marshmallow as ma


class Money(ma.fields.Decimal):
    """An amount in euros as a decimal string with two places (`"1234.50"`), never a float."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("example", "1234.50")
        kwargs["metadata"].setdefault("pattern", r"^-?[0-9]+\.[0-9]{2}$")
        super().__init__(places=2, as_string=True, allow_nan=False, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else super()._serialize(value, attr, obj, **kwargs)


class Instant(ma.fields.AwareDateTime):
    """A moment as ISO 8601 with its offset (`2026-12-06T10:25:14+01:00`): the database keeps the server's
    local time without offset (`datetime.now()`); RFC 3339 wants one."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.astimezone()  # a naive value is the server's local time
        return super()._serialize(value, attr, obj, **kwargs)


class OrganismeSchema(ma.Schema):
    siret = ma.fields.String(metadata={"description": "SIRET de l'organisme.", "example": "12345678900012"})
    uaiCfa = ma.fields.String(metadata={"description": "Code UAI du CFA.", "example": "0751234A"})
    denomination = ma.fields.String(metadata={"description": "Raison sociale."})


def organisme(org):
    return {"siret": org.siret, "uaiCfa": org.uai, "denomination": org.name}


class PageQuerySchema(ma.Schema):
    """Pagination of the lists: `page` from 1, `parPage` up to 100."""

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=100000),
                             metadata={"description": "Numéro de page, à partir de 1."})
    parPage = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=100),
                                metadata={"description": "Éléments par page (100 au plus)."})


class PaginationSchema(ma.Schema):
    page = ma.fields.Integer()
    parPage = ma.fields.Integer()
    suivante = ma.fields.Boolean(metadata={"description": "Vrai s'il existe une page suivante."})


def naive(moment):
    """A query's datetime as the database stores them: naive, in the server's local time."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone().replace(tzinfo=None)
