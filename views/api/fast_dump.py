"""A dump compiled once from a marshmallow schema, for the API's long lists.

marshmallow's `dump` walks every field of every nested schema through its generic machinery: for a page of 100
dossiers that is ten times the cost of the query. `FastDumpSchema` keeps the schema as the single description
(the OpenAPI document, the validation, the shape of the response) and compiles its dump into one function per
schema; a test checks the two dumps give the same document."""
import datetime as dt
import decimal

import marshmallow as ma


def _converter(field):
    if isinstance(field, ma.fields.Nested):
        schema = field.schema
        dump = compiled(schema)
        if field.many or getattr(schema, "many", False):
            return lambda values: [dump(v) for v in values]
        return dump
    if isinstance(field, ma.fields.List):
        inner = _converter(field.inner)
        return lambda values: [None if v is None else inner(v) for v in values]
    if isinstance(field, ma.fields.AwareDateTime):
        default = field.default_timezone
        return lambda v: (v if v.tzinfo else (v.replace(tzinfo=default) if default else v.astimezone())).isoformat() \
            if isinstance(v, dt.datetime) else field._serialize(v, None, None)
    if isinstance(field, (ma.fields.DateTime, ma.fields.Date)) and field.format in (None, "iso", "iso8601"):
        return lambda v: v.isoformat()
    if isinstance(field, ma.fields.Decimal) and field.as_string and field.places is not None:
        places, rounding = field.places, field.rounding
        return lambda v: format(decimal.Decimal(v).quantize(places, rounding=rounding), "f")
    if type(field) is ma.fields.String:
        return str
    if type(field) is ma.fields.Integer and not field.strict:
        return int
    if type(field) is ma.fields.Boolean:
        return bool
    return lambda v: field._serialize(v, None, None)


_COMPILED = {}


def compiled(schema):
    """The dump function of `schema` (an instance), built once per schema class."""
    cls = type(schema)
    if cls not in _COMPILED:
        steps = [(field.data_key or name, field.attribute or name, _converter(field))
                 for name, field in schema.dump_fields.items()]

        def dump(obj):
            out = {}
            get = obj.get if isinstance(obj, dict) else (lambda attr, default=None: getattr(obj, attr, default))
            for key, attr, convert in steps:
                value = get(attr, ma.missing)
                if value is ma.missing:
                    continue
                out[key] = None if value is None else convert(value)
            return out

        _COMPILED[cls] = dump
    return _COMPILED[cls]


class FastDumpSchema(ma.Schema):
    """A schema whose `dump` runs its compiled function (no hooks, no `only`/`exclude`: list documents only)."""

    def dump(self, obj, *, many=None):
        many = self.many if many is None else many
        dump = compiled(self)
        return [dump(o) for o in obj] if many else dump(obj)
