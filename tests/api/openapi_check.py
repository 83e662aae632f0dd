"""Check an API answer against the schema its operation documents in /api/v1/openapi.json (OpenAPI 3.0
turned into JSON Schema: `nullable` becomes a null alternative, references point into the same document)."""
import re

import jsonschema_rs


def _json_schema(node):
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _json_schema(v) for k, v in node.items() if k not in ("example", "examples")}
    if node.pop("nullable", False):
        return {"anyOf": [{"type": "null"}, node]}
    return node


def operation(spec, path, method="get"):
    """The documented operation answering `path` (its template, e.g. /api/v1/dossiers/{numero})."""
    for template, item in spec["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path) and method in item:
            return item[method]
    raise AssertionError(f"{method.upper()} {path} is not documented")


def assert_matches_schema(spec, path, response, method="get"):
    """The response's body is valid for the schema documented for its status and content type."""
    documented = operation(spec, path.split("?")[0], method)["responses"]
    answer = documented.get(str(response.status_code)) or documented["default"]
    if "$ref" in answer:
        answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[-1]]
    content = answer["content"][response.mimetype]
    schema = {**content["schema"], "components": _json_schema(spec["components"])}
    schema = _json_schema(schema) if "$ref" not in content["schema"] else schema
    jsonschema_rs.validate(schema, response.get_json())
