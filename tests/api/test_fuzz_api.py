"""Whatever a client sends, the API answers with a 2xx or a 4xx in the documented error shape, never a 500."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import app
from chalicelib.api import examples

pytestmark = pytest.mark.usefixtures("aws")

JUNK = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**20, max_value=10**20),
                 st.floats(allow_nan=False), st.text(max_size=30), st.lists(st.integers(), max_size=3),
                 st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


PATHS = _paths(examples.APPLICATION)


@st.composite
def mutated_application(draw: st.DrawFn) -> dict[str, Any]:
    body = copy.deepcopy(examples.APPLICATION)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(PATHS))
        target = body
        try:
            for part in path[:-1]:
                target = target[part]
            if draw(st.booleans()):
                target[path[-1]] = draw(JUNK)
            elif isinstance(target, dict):
                target.pop(path[-1], None)
        except (KeyError, IndexError, TypeError):
            continue
    return body


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=mutated_application())
def test_mutated_applications_never_get_a_500(token, body: dict[str, Any]) -> None:
    with Client(app) as client:
        response = client.http.post("/applications", body=json.dumps(body),
                                    headers=token("mahalla_worker", examples.EXAMPLE_MAHALLA))
    assert response.status_code in (201, 400, 403, 409), response.body
    if response.status_code >= 400:
        error = response.json_body["error"]
        assert set(error) == {"code", "message", "field"} and error["code"] != "internal_error"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.one_of(st.binary(max_size=60), st.text(max_size=60).map(str.encode)))
def test_arbitrary_bytes_get_a_400(token, raw: bytes) -> None:
    with Client(app) as client:
        response = client.http.post("/applications", body=raw, headers=token("mahalla_worker",
                                                                              examples.EXAMPLE_MAHALLA))
    assert response.status_code == 400 and response.json_body["error"]["code"] in (
        "invalid_json", "missing_field", "unknown_field"), response.body
