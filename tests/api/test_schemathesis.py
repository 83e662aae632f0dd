"""schemathesis against the live OpenAPI document: every operation, with a valid key, on a served app.

Run by hand on a running instance (README): `schemathesis run http://127.0.0.1:5000/api/v1/openapi.json
-H "X-API-KEY: pcfa_…" --checks not_a_server_error,response_schema_conformance,status_code_conformance,
content_type_conformance`."""
import threading

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)
from werkzeug.serving import make_server

from app import create_app
from tests.api.throwaway import throwaway_app
from tests.portal.world import two_cfas
from workflows.api_keys import create_key

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def live_api(_schema, tmp_path_factory):
    """The app served on a free loopback port, with two rival CFAs' data and a key of CFA Sud."""
    from tests.conftest import _empty_tables
    from tests.factories import Factory

    folder = tmp_path_factory.mktemp("schemathesis")
    app = create_app({"DATABASE_URL": _schema, "DATA_DIR": str(folder), "UPLOAD_DIR": str(folder / "files"),
                      "SECRET_KEY": "test-secret", "TESTING": False, "API_RATE_LIMIT": "1000000 per minute"})
    database = app.extensions["database"]
    database.connect(reuse_if_open=True)
    _empty_tables(database)
    sud, _nord, _employer, _staff = two_cfas(app, Factory())
    raw = create_key(sud.organisation, "schemathesis")[1]
    database.close()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "key": raw}
    server.shutdown()
    database.connect(reuse_if_open=True)
    _empty_tables(database)
    database.close()


def operations():
    """The operations of the document, read once by a throw-away app (the parametrisation needs them at
    collection time; each test then loads the live document from the served app)."""
    with throwaway_app("portail-openapi-") as app:
        spec = app.test_client().get("/api/v1/openapi.json").get_json()
    return sorted((method.upper(), path) for path, methods in spec["paths"].items() for method in methods
                  if method in ("get", "post", "put", "patch", "delete"))


@pytest.mark.parametrize("method,path", operations())
def test_every_operation_conforms_to_its_schema_and_never_answers_5xx(live_api, method, path):
    schema = schemathesis.openapi.from_url(live_api["url"] + "/api/v1/openapi.json")
    operation = schema[path][method]
    headers = {"X-API-KEY": live_api["key"]}

    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call(base_url=live_api["url"], headers=headers)
        case.validate_response(response, checks=CHECKS)

    run()
