"""The REST stubs serve their OpenAPI document and answer within it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import jsonschema
import yaml

from devstack.agencies.run import RunningAgencies
from devstack.agencies.services import REST_AGENCIES


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=2) as r:
        return r.read()


def _post(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=2) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_rest_answers_fit_the_published_openapi(clean_agencies: RunningAgencies) -> None:
    hs = clean_agencies.index.households
    people = [p for h in hs[:40] for p in h.members]
    # plus the rarer records: conscripts, students, securities holders
    people += [p for h in hs for p in h.members if p.military_conscript or h.securities_owner_id == p.person_id]
    for agency, (path, _) in REST_AGENCIES.items():
        # Given the document the stub publishes
        doc = yaml.safe_load(_get(clean_agencies.urls[agency] + "/openapi.yaml"))
        op = doc["paths"][path]["post"]
        ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        schema = {"$ref": ref, "components": doc["components"]}
        validator = jsonschema.Draft202012Validator(schema)
        statuses = set()
        # When asking about 40 households' members / Then every 200 answer fits, the others are 404
        for p in people:
            status, body = _post(
                clean_agencies.urls[agency] + path,
                {"pinfl": p.pinfl, "from_month": "2026-08", "to_month": "2026-10"},
            )
            statuses.add(status)
            if status == 200:
                errors = list(validator.iter_errors(body))
                assert not errors, (agency, errors[0].message)
            else:
                assert status == 404 and body["error"]["code"] == "not_found"
        assert 200 in statuses, agency
        # and a request without a PINFL is refused with 400
        assert _post(clean_agencies.urls[agency] + path, {"who": "x"})[0] == 400
