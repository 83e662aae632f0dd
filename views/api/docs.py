"""`/api/v1/docs`: the API's documentation page, rendered by the app from the OpenAPI document itself (no
script from elsewhere): each operation with its parameters, body and answers, field by field."""
import json

from flask import Blueprint, current_app, render_template

bp = Blueprint("api_docs_page", __name__)


def _resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = spec["components"][kind][name]
    return node


def _type(schema):
    if schema.get("type") == "array":
        return "liste de " + _type(schema.get("items") or {})
    if schema.get("format") == "binary":
        return "fichier"
    kind = schema.get("type") or "objet"
    return {"string": "texte", "integer": "entier", "number": "nombre", "boolean": "booléen",
            "object": "objet"}.get(kind, kind) + (f" ({schema['format']})" if schema.get("format") else "")


def fields(spec, schema, prefix="", depth=0):
    """Rows (name, type, required, description, example) of a schema, nested objects flattened."""
    schema = _resolve(spec, schema or {})
    rows, required = [], set(schema.get("required") or [])
    for name, prop in (schema.get("properties") or {}).items():
        full = f"{prefix}{name}"
        prop = _resolve(spec, prop)
        item = _resolve(spec, prop.get("items") or {}) if prop.get("type") == "array" else None
        example = prop.get("example")
        rows.append({"name": full, "type": _type(prop), "required": name in required,
                     "description": prop.get("description", ""), "enum": prop.get("enum"),
                     "example": json.dumps(example, ensure_ascii=False) if example is not None else ""})
        nested = item if item is not None else prop
        if depth < 4 and nested.get("properties"):
            rows.extend(fields(spec, nested, f"{full}[]." if item is not None else f"{full}.", depth + 1))
    return rows


def operations(spec):
    found = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            body = []
            for media, content in ((op.get("requestBody") or {}).get("content") or {}).items():
                body.append({"media": media, "fields": fields(spec, content.get("schema"))})
            answers = []
            for status, answer in (op.get("responses") or {}).items():
                answer = _resolve(spec, answer)
                content = answer.get("content") or {}
                media = next(iter(content), "")
                answers.append({"status": status, "description": answer.get("description", ""), "media": media,
                                "fields": fields(spec, content[media].get("schema")) if media and status.startswith("2")
                                else []})
            found.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                          "description": op.get("description", ""), "tag": (op.get("tags") or [""])[0],
                          "parameters": [_resolve(spec, p) for p in op.get("parameters") or []],
                          "body": body, "answers": answers, "id": f"{method}-{path}".replace("/", "-").strip("-")})
    return found


@bp.route("/docs")
def page():
    spec = current_app.extensions["portail_api"].spec.to_dict()
    return render_template("api/docs.html", spec=spec, operations=operations(spec))
