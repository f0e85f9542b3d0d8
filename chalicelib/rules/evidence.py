"""Evidence at the boundary: JSON-Schema validation (Draft 2020-12) and semantic checks.

``validate_evidence`` raises ``ValidationFailed(code="invalid_evidence")`` whose ``field`` is the JSON
path of the offending value (``evidence.members[2].birth_date``). Messages name the rule that failed,
never the value, so no PINFL or other personal data leaks into errors or logs.

Semantic checks beyond the schema: dates are real ``YYYY-MM-DD`` dates; the period is not before
2021-09 (the first month the rules hold); member ids are unique; ``parent_ids`` name other members of
the household, at most two, without repeats; at most one head and one spouse (the fallback parents of
a child are the head and the spouse); no member born after the last day of the period or before
1900; amounts at most 10**15 som and vehicle years at most 9999 (beyond is a data error and would
overflow int64 sums); asset ``owner_id`` names a member.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from chalicelib.domain.errors import ValidationFailed

FIRST_PERIOD = "2021-09"
EARLIEST_BIRTH = date(1900, 1, 1)
# Amounts beyond a quadrillion som are data errors, and would overflow the int64 sums.
MAX_AMOUNT = 10**15
MAX_YEAR = 9999
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
CODE = "invalid_evidence"


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    from chalicelib.rules import SCHEMA_PATH

    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def json_path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(error: ValidationError) -> tuple[str, str]:
    """(field path, message without the offending value) for a schema error."""
    parts = list(error.absolute_path)
    kind = str(error.validator)
    instance = error.instance
    if kind == "required" and isinstance(instance, Mapping):
        missing = [name for name in error.validator_value if name not in instance]
        name = missing[0] if missing else "?"
        return json_path([*parts, name]), f"{name} is required"
    if kind == "additionalProperties" and isinstance(instance, Mapping):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(str(k) for k in instance if k not in allowed)
        name = extra[0] if extra else "?"
        return json_path([*parts, name]), f"{name} is not an allowed property"
    texts = {
        "type": "has the wrong type",
        "enum": "is not one of the allowed values",
        "pattern": "does not have the expected format",
        "format": "is not a valid " + str(error.validator_value),
        "minimum": "is below the minimum",
        "minItems": "has too few items",
        "maxItems": "has too many items",
        "minLength": "is too short",
        "uniqueItems": "has duplicate items",
    }
    return json_path(parts), texts.get(kind, f"fails the schema rule {kind}")


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field} {message}", field=field, code=CODE)


def _parse_date(text: str, field: str) -> date:
    if not _DATE.match(text):
        raise _fail(field, "is not a date YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(field, "is not a valid calendar date") from None


def validate_evidence(evidence: Any) -> Mapping[str, Any]:
    """Check ``evidence`` against the schema and the semantic rules; return it unchanged."""
    if not isinstance(evidence, Mapping):
        raise _fail("evidence", "must be a JSON object")
    errors = list(_validator().iter_errors({"evidence": evidence}))
    if errors:
        # Deterministic: the error at the first path in document order, deepest first.
        first = min(errors, key=lambda e: ([str(p) for p in e.absolute_path], -len(e.absolute_path)))
        field, message = _describe(first)
        raise _fail(field, message)
    _check_semantics(evidence)
    return evidence


def period_bounds(period: str) -> tuple[date, date]:
    year, month = int(period[:4]), int(period[5:7])
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _check_semantics(evidence: Mapping[str, Any]) -> None:
    period = evidence["period"]
    if period < FIRST_PERIOD:
        raise _fail("evidence.period", f"is before {FIRST_PERIOD}, the first month the rules hold")
    _, last_day = period_bounds(period)
    members = evidence["members"]
    seen: dict[str, int] = {}
    for i, member in enumerate(members):
        where = f"evidence.members[{i}]"
        if member["id"] in seen:
            raise _fail(f"{where}.id", f"duplicates the id of evidence.members[{seen[member['id']]}]")
        seen[member["id"]] = i
        born = _parse_date(member["birth_date"], f"{where}.birth_date")
        if born > last_day:
            raise _fail(f"{where}.birth_date", "is after the last day of the period")
        if born < EARLIEST_BIRTH:
            raise _fail(f"{where}.birth_date", f"is before {EARLIEST_BIRTH.isoformat()}")
        for kind in ("income", "alimony_paid"):
            for k, entry in enumerate(member.get(kind) or []):
                if entry["amount"] > MAX_AMOUNT:
                    raise _fail(f"{where}.{kind}[{k}].amount", f"is above {MAX_AMOUNT}")
        disability = member.get("disability")
        if disability and "until" in disability:
            _parse_date(disability["until"], f"{where}.disability.until")
    for relation in ("head", "spouse"):
        holders = [i for i, m in enumerate(members) if m["relationship"] == relation]
        if len(holders) > 1:
            raise _fail(f"evidence.members[{holders[1]}].relationship", f"is a second {relation}")
    for i, member in enumerate(members):
        parents = member.get("parent_ids") or []
        if len(parents) > 2:
            raise _fail(f"evidence.members[{i}].parent_ids", "names more than two parents")
        for j, parent in enumerate(parents):
            field = f"evidence.members[{i}].parent_ids[{j}]"
            if parent not in seen:
                raise _fail(field, "names no member of the household")
            if parent == member["id"]:
                raise _fail(field, "names the member itself")
            if parent in parents[:j]:
                raise _fail(field, "repeats a parent")
    assets = evidence.get("assets") or {}
    if assets.get("securities_market_value", 0) > MAX_AMOUNT:
        raise _fail("evidence.assets.securities_market_value", f"is above {MAX_AMOUNT}")
    for k, vehicle in enumerate(assets.get("vehicles") or []):
        if vehicle["manufactured_year"] > MAX_YEAR:
            raise _fail(f"evidence.assets.vehicles[{k}].manufactured_year", f"is above {MAX_YEAR}")
    for kind in ("vehicles", "real_estate"):
        for k, item in enumerate(assets.get(kind) or []):
            owner = item.get("owner_id")
            if owner is not None and owner not in seen:
                raise _fail(f"evidence.assets.{kind}[{k}].owner_id", "names no member of the household")
