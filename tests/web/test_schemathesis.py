"""Hostile and bad input over the whole API: schemathesis generates requests from the OpenAPI document
(valid ones and ones that break it) for every operation, as each role, in-process through WSGI.

For every answer: never a server error (nor an unhandled exception); any 4xx is the error JSON
``{"error", "message", "fields"}`` with a Chinese message; the answer conforms to the documented status
codes, content type and schema; a refused write leaves every table as it was. Path parameters are aimed
half the time at real rows (a drawn plan, a visit, an off-site request, the firm of the account) so that
requests get past the 404s. Each test runs in the rolled-back transaction of ``db_session``.

``FUZZ_EXAMPLES`` sets the examples per operation and role; ``FUZZ_EXPLORE=1`` draws new random examples
instead of the fixed, reproducible ones (``tests/fuzzing.py``).
"""
from __future__ import annotations

import os
import re

import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from inspection.models import User
from tests.fuzzing import assert_error_shape, assert_nothing_written, row_counts
from web import create_app
from web.auth import SESSION_VERSION

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
ROLES = (None, "market", "firm", "inspector1", "oversight", "admin")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _document() -> dict:
    """The OpenAPI document, read once at collection from an app on an empty in-memory database."""
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "openapi-only"})
    try:
        return app.test_client().get("/api/v1/openapi.json").get_json()
    finally:
        app.extensions["db_engine"].dispose()


DOCUMENT = _document()
LABELS = [f"{method.upper()} {path}" for path, methods in DOCUMENT["paths"].items() for method in methods
          if method in ("get", "put", "post", "patch", "delete")]


@pytest.fixture(scope="module")
def api_schema(app):
    """The document as the app under test serves it, loaded through WSGI."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_every_operation_is_fuzzed(api_schema):
    served = {result.ok().label for result in api_schema.get_all_operations()}
    assert served == set(LABELS) and len(LABELS) > 60


def _integer_inputs(document: dict) -> dict[str, list[tuple[str, str]]]:
    """Per operation, its integer query parameters and top-level integer body fields."""
    schemas = document["components"]["schemas"]
    found: dict[str, list[tuple[str, str]]] = {}
    for path, methods in document["paths"].items():
        for method, spec in methods.items():
            if method not in ("get", "put", "post", "patch", "delete"):
                continue
            label = f"{method.upper()} {path}"
            for parameter in spec.get("parameters", []):
                if parameter["in"] == "query" and parameter["schema"].get("type") == "integer":
                    found.setdefault(label, []).append(("query", parameter["name"]))
            body = spec.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            for name, field in schemas.get(body.get("$ref", "").rsplit("/", 1)[-1], {}).get("properties", {}).items():
                if field.get("type") == "integer":
                    found.setdefault(label, []).append(("body", name))
    return found


INTEGER_INPUTS = _integer_inputs(DOCUMENT)
SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                        HealthCheck.filter_too_much, HealthCheck.data_too_large]}


class Exercise:
    """Send generated cases as one account and check every answer."""

    def __init__(self, app, client, db_session, fuzz_city, operation, role):
        self.app, self.client, self.db_session, self.operation = app, client, db_session, operation
        self.user_id = db_session.scalar(select(User.id).where(User.username == role)) if role else None
        self.aimed = {p.name: fuzz_city[p.name] for p in operation.path_parameters if p.name in fuzz_city}
        self.writes = operation.method.upper() != "GET"

    def case(self, data, mode):
        fixed = None
        if self.aimed and data.draw(st.booleans(), label="aim at real rows"):
            fixed = {name: data.draw(st.sampled_from(values), label=name) for name, values in self.aimed.items()}
        return data.draw(self.operation.as_strategy(mode, path_parameters=fixed), label="case")

    def send(self, case) -> None:
        with self.client.session_transaction() as cookie:
            cookie.clear()
            if self.user_id is not None:
                cookie.update({"_user_id": str(self.user_id), "_fresh": True})
        before = row_counts(self.db_session) if self.writes else None
        response = case.call(app=self.app, session=self.client)
        case.validate_response(response, checks=CHECKS)
        if 400 <= response.status_code < 500:
            body = response.json()
            assert_error_shape(response.status_code, body)
            if self.writes:
                assert_nothing_written(before, row_counts(self.db_session), body["error"])


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
@pytest.mark.parametrize("label", LABELS)
def test_operation(app, api_schema, client, db_session, fuzz_city, role, label):
    exercise = Exercise(app, client, db_session, fuzz_city, api_schema.find_operation_by_label(label), role)

    @settings(max_examples=EXAMPLES if role else max(2, EXAMPLES // 2), **SETTINGS)
    @given(data=st.data())
    def run(data):
        mode = data.draw(st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE]), label="mode")
        exercise.send(exercise.case(data, mode))

    run()


@pytest.mark.parametrize("role", ("market", "inspector1", "firm", "oversight"))
@pytest.mark.parametrize("label", sorted(INTEGER_INPUTS))
def test_numbers_past_the_database_integer(app, api_schema, client, db_session, fuzz_city, role, label):
    """Integers a 32- or 64-bit column cannot hold, and negative ones, in every integer input."""
    exercise = Exercise(app, client, db_session, fuzz_city, api_schema.find_operation_by_label(label), role)

    @settings(max_examples=EXAMPLES, **SETTINGS)
    @given(data=st.data(), value=st.one_of(st.integers(min_value=2**31), st.integers(max_value=-1),
                                           st.integers(2**63, 2**80)))
    def run(data, value):
        case = exercise.case(data, GenerationMode.POSITIVE)
        location, name = data.draw(st.sampled_from(INTEGER_INPUTS[label]), label="input")
        if location == "query":
            case.query = {**(case.query or {}), name: value}
        elif isinstance(case.body, dict):
            case.body = {**case.body, name: value}
        exercise.send(case)

    run()


# -- hostile JSON bodies to every write -------------------------------------------------------------------

WRITES = [label for label in LABELS if not label.startswith("GET ")]
UNREADABLE_BODIES = {"deep": "[" * 5000 + "]" * 5000, "deep-field": '{"a": ' + "[" * 5000 + "]" * 5000 + "}",
                     "5000-digits": '{"a": ' + "9" * 5000 + "}", "surrogate": '{"a": "\\ud800"}',
                     "surrogate-key": '{"\\udfff": 1}', "nan": '{"a": NaN}'}
READABLE_VALUES = (10**25, -(2**70), "[" * 30 + "]" * 30, "0001-01-01T00:00:00+14:00", "9999-12-31", "\u0000", 1e308)


def _body_fields(label: str) -> list[str]:
    method, path = label.split(" ", 1)
    spec = DOCUMENT["paths"][path][method.lower()]
    body = spec.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    schema = DOCUMENT["components"]["schemas"].get(body.get("$ref", "").rsplit("/", 1)[-1], {})
    return sorted(schema.get("properties", {})) or ["a"]


def _write_path(label: str, fuzz_city: dict) -> tuple[str, str]:
    method, path = label.split(" ", 1)
    for name in re.findall(r"{(\w+)}", path):
        path = path.replace(f"{{{name}}}", str(fuzz_city[name][0] if name in fuzz_city else 1))
    return method, path


def _as(client, fuzz_city, role) -> None:
    """A session of ``role`` as signing in makes it (with the account's current session version)."""
    with client.session_transaction() as cookie:
        cookie.clear()
        if role:
            user_id = fuzz_city["user_ids"][role]
            with client.application.extensions["db_factory"]() as session:
                version = session.get(User, user_id).session_version
            cookie.update({"_user_id": str(user_id), "_fresh": True, SESSION_VERSION: version})


def test_unreadable_json_bodies_are_refused_by_every_write(app, client, fuzz_city):
    """Nesting past the interpreter's recursion, 5,000-digit numbers, lone surrogates, NaN: refused as
    malformed JSON (400, the error shape) by every write, signed in or not, before the write is reached."""
    failures = []
    for role in (None, "inspector1"):
        for label in WRITES:
            method, path = _write_path(label, fuzz_city)
            for name, raw in UNREADABLE_BODIES.items():
                _as(client, fuzz_city, role)
                response = client.open(path, method=method, data=raw, content_type="application/json")
                body = response.get_json(silent=True)
                if response.status_code != 400 or not body or body.get("error") != "bad_request":
                    failures.append(f"{role} {label} {name}: {response.status_code} {str(body)[:100]}")
                else:
                    assert_error_shape(400, body)
    assert not failures, "\n".join(failures)


def test_readable_but_hostile_json_bodies_never_meet_a_server_error(app, client, fuzz_city):
    """Numbers past any column, nesting within bounds, times that leave the calendar when converted, in
    every field of every write's body, as each role: a 4xx in the error shape or a success, never a 5xx."""
    failures, seen = [], {}
    for role in ROLES:
        for label in WRITES:
            method, path = _write_path(label, fuzz_city)
            for value in READABLE_VALUES:
                _as(client, fuzz_city, role)   # again each time: a write may be signing out
                response = client.open(path, method=method, json=dict.fromkeys(_body_fields(label), value))
                seen[response.status_code] = seen.get(response.status_code, 0) + 1
                if response.status_code >= 500:
                    failures.append(f"{role} {label} {str(value)[:30]}: {response.status_code}")
                elif 400 <= response.status_code < 500:
                    assert_error_shape(response.status_code, response.get_json())
    assert seen.get(422, 0) > 100, seen     # the bodies did reach the schemas of the writes
    assert not failures, "\n".join(failures)
