"""The HTTP edge shared by every blueprint: limits, authentication, body parsing, the error table, logging.

``endpoint`` registers a Chalice route and its OpenAPI description in one place, so no route can
exist undocumented, and checks a request in a fixed order before the handler runs:

1. a route with a body: the Content-Type is ``application/json`` (415 ``unsupported_media_type``)
   and the body is at most ``max_body`` bytes (413 ``body_too_large``);
2. the bearer token (401), or for a public route its own check (the bank callback's signature
   headers, parsed strictly);
3. path and query parameters against their documented patterns, enums and bounds (400);
4. the body: nesting depth and array lengths scanned on the raw bytes before any parser can
   recurse (400 ``too_deeply_nested`` / ``too_many_items``), then the pydantic model in strict mode
   (no string or boolean for an integer, no integer for a boolean).

The handler's result is validated against the route's response model, so what leaves is what the
OpenAPI document says. Errors are turned into responses here, inside the view, because Chalice turns
exceptions raised in views into its own responses before any middleware sees them.
"""

from __future__ import annotations

import functools
import json
import re
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger
from chalice import Blueprint, Response
from chalice.app import Request
from pydantic import BaseModel, ValidationError

from chalicelib import bootstrap
from chalicelib.domain import identifiers
from chalicelib.domain.access import Action, Principal, authorize
from chalicelib.domain.errors import Forbidden, PayloadTooLarge, SpsrError, UnsupportedMediaType, ValidationFailed

logger = Logger(service="spsr-api")

JSON_HEADERS: dict[str, str | list[str]] = {"Content-Type": "application/json", "Cache-Control": "no-store"}

# Pydantic's built-in error types, renamed to the API's stable codes.
_PYDANTIC_CODES = {
    "missing": "missing_field",
    "extra_forbidden": "unknown_field",
    "string_pattern_mismatch": "invalid_format",
    "literal_error": "invalid_choice",
    "too_short": "too_few_items",
    "too_long": "too_many_items",
    "string_too_long": "too_long",
    "date_from_datetime_parsing": "invalid_date",
    "date_parsing": "invalid_date",
    "int_parsing": "invalid_integer",
    "int_type": "invalid_integer",
    "int_from_float": "invalid_integer",
    "bool_type": "invalid_boolean",
    "string_type": "invalid_string",
    "greater_than_equal": "out_of_range",
    "greater_than": "out_of_range",
    "less_than_equal": "out_of_range",
    "less_than": "out_of_range",
    "too_many_items": "too_many_items",
}

# Limits at the edge (README "Limits"). The models set tighter array limits per field; these bound
# what any parser is asked to do.
MAX_BODY_BYTES = 128 * 1024
MAX_DEPTH = 12
MAX_ARRAY_ITEMS = 1000

# Path parameters by name: the pattern documented and checked for each.
PATH_PATTERNS = {
    "household_id": identifiers.HOUSEHOLD_ID,
    "application_id": identifiers.APPLICATION_ID,
    "person_id": identifiers.PERSON_ID,
    "request_id": identifiers.CHANGE_REQUEST_ID,
    "grievance_id": identifiers.GRIEVANCE_ID,
    "reference": identifiers.GRIEVANCE_REFERENCE,
    "case_id": identifiers.CASE_ID,
    "referral_id": identifiers.REFERRAL_ID,
    "month": identifiers.MONTH,
    "district_code": identifiers.DISTRICT_CODE,
}
_ANY_ID = r"^[0-9A-Za-z_.:-]{1,128}$"


@dataclass(frozen=True)
class Param:
    """A query parameter: its description and the constraint the route checks (and documents)."""

    name: str
    description: str
    pattern: str | None = None
    enum: tuple[str, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 200
    code: str = "invalid_format"
    hint: str | None = None  # the message when the value is not in its pattern

    def schema(self) -> dict[str, Any]:
        if self.minimum is not None or self.maximum is not None:
            return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}
        if self.enum is not None:
            return {"type": "string", "enum": list(self.enum)}
        out: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": self.max_length}
        if self.pattern is not None:
            out["pattern"] = self.pattern
        return out

    def check(self, raw: str) -> None:
        if self.minimum is not None or self.maximum is not None:
            low, high = self.minimum or 0, self.maximum or 0
            if not identifiers.matches(r"^[0-9]{1,6}$", raw) or not low <= int(raw) <= high:
                raise ValidationFailed(f"{self.name} must be a whole number from {low} to {high}",
                                       field=self.name, code="invalid_integer")
        elif self.enum is not None:
            if raw not in self.enum:
                raise ValidationFailed(f"{self.name} must be one of {', '.join(self.enum)}", field=self.name,
                                       code="invalid_choice")
        elif len(raw) > self.max_length or (self.pattern is not None and not identifiers.matches(self.pattern,
                                                                                                  raw)):
            raise ValidationFailed(self.hint or f"{self.name} is not in the documented format", field=self.name,
                                   code=self.code)


def path_pattern(name: str) -> str:
    return PATH_PATTERNS.get(name, _ANY_ID)


@dataclass(frozen=True)
class Operation:
    """One documented route: what the OpenAPI document says about it."""

    method: str
    path: str
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    example: dict[str, Any] | None = None
    query: tuple[Param, ...] = ()
    status: int = 200
    public: bool = False
    responses: dict[int, str] = field(default_factory=dict)
    action: Action | None = None  # what the caller must be allowed (domain/access.py); None on public routes
    response: type[BaseModel] | None = None
    max_body: int = MAX_BODY_BYTES
    headers: tuple[tuple[str, str], ...] = ()  # required request headers: (name, pattern)
    also: dict[int, type[BaseModel]] = field(default_factory=dict)  # other success statuses and their bodies


@dataclass(frozen=True)
class Reply:
    """A handler's answer with a success status other than the route's own (one of its ``also``)."""

    status: int
    body: Any


OPERATIONS: list[Operation] = []


def field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def validation_error(err: ValidationError, prefix: str = "") -> ValidationFailed:
    first = err.errors(include_url=False, include_input=False)[0]
    loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-after")))
    path = field_path(((prefix,) if prefix else ()) + loc)
    code = _PYDANTIC_CODES.get(first["type"], first["type"] if "_" in first["type"] else "invalid_value")
    return ValidationFailed(first["msg"], field=path or None, code=code)


_JSON_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]')


def check_json_shape(raw: bytes, max_depth: int = MAX_DEPTH, max_items: int = MAX_ARRAY_ITEMS) -> None:
    """Refuses nesting deeper than ``max_depth`` and arrays longer than ``max_items``, without parsing.

    Strings are skipped whole (the regex engine walks them), so only brackets and commas cost a
    Python step; a malformed body that slips through is refused by the parser afterwards.
    """
    stack: list[int] = []  # per open container: items seen so far in an array, -1 for an object
    for match in _JSON_TOKENS.finditer(raw):
        char = match.group()[0]
        if char in b"[{":
            if len(stack) >= max_depth:
                raise ValidationFailed(f"the body is nested more than {max_depth} levels deep",
                                       code="too_deeply_nested")
            stack.append(0 if char == ord("[") else -1)
        elif char in b"]}":
            if stack:
                stack.pop()
        elif char == ord(",") and stack and stack[-1] >= 0:
            stack[-1] += 1
            if stack[-1] >= max_items:
                raise ValidationFailed(f"an array has more than {max_items} items", code="too_many_items")


def check_media_type(request: Request) -> None:
    content_type = str(request.headers.get("content-type") or "")
    media, _, params = content_type.partition(";")
    charset = params.strip().lower().replace(" ", "")
    if media.strip().lower() != "application/json" or charset not in ("", "charset=utf-8"):
        raise UnsupportedMediaType("the body must be sent as Content-Type: application/json",
                                   field="Content-Type")


def check_size(request: Request, max_bytes: int) -> None:
    if len(request.raw_body or b"") > max_bytes:
        raise PayloadTooLarge(f"the body is larger than {max_bytes} bytes")


def parse_body(model: type[BaseModel], request: Request) -> BaseModel:
    raw = request.raw_body or b""
    raw = raw.encode() if isinstance(raw, str) else raw
    check_json_shape(raw)
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as err:
        first = err.errors(include_url=False, include_input=False)[0]
        if first["type"] == "json_invalid":
            raise ValidationFailed("the body is not valid JSON", code="invalid_json") from None
        if first["type"] == "model_type" and not first["loc"]:
            raise ValidationFailed("the body must be a JSON object", code="invalid_json") from None
        raise validation_error(err) from None


def check_params(request: Request, query: tuple[Param, ...], params: dict[str, str]) -> None:
    for name, value in params.items():
        if not identifiers.matches(path_pattern(name), value):
            raise ValidationFailed(f"{name} is not in the documented format", field=name, code="invalid_format")
    given: Any = request.query_params or {}
    for param in query:
        raw = given.get(param.name)
        if raw not in (None, ""):
            param.check(str(raw))


def json_response(body: Any, status: int = 200) -> Response:
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status, headers=dict(JSON_HEADERS))


def error_response(err: SpsrError) -> Response:
    headers = dict(JSON_HEADERS)
    if err.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return Response(body=json.dumps(err.to_dict()), status_code=err.status, headers=headers)


def query_param(request: Request, name: str) -> str | None:
    params: Any = request.query_params or {}
    value = params.get(name)
    return str(value) if value not in (None, "") else None


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = query_param(request, name)
    if raw is None:
        return default
    if not identifiers.matches(r"^[0-9]{1,6}$", raw) or not low <= int(raw) <= high:
        raise ValidationFailed(f"{name} must be a whole number from {low} to {high}", field=name,
                               code="invalid_integer")
    return int(raw)


def _as_param(item: Param | tuple[str, str]) -> Param:
    return item if isinstance(item, Param) else Param(item[0], item[1])


def render(result: Any, model: type[BaseModel] | None) -> Any:
    """The handler's result as JSON data, through the response model when the route has one."""
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    if model is None:
        return result
    return model.model_validate(result).model_dump(mode="json")


Handler = Callable[..., Any]


def endpoint(bp: Blueprint, path: str, method: str, *, summary: str, tag: str,
             body: type[BaseModel] | None = None, example: dict[str, Any] | None = None,
             query: tuple[Param | tuple[str, str], ...] = (), status: int = 200, public: bool = False,
             responses: dict[int, str] | None = None, action: Action | None = None,
             response: type[BaseModel] | None = None, max_body: int = MAX_BODY_BYTES,
             headers: tuple[tuple[str, str], ...] = (),
             authenticate: Callable[[Request], None] | None = None,
             also: dict[int, type[BaseModel]] | None = None,
             audit: bool | str | None = None) -> Callable[[Handler], Handler]:
    """Registers a route whose handler receives (request, principal, body, **path params).

    Every route with a token names its ``action``; the role is checked here, before the body is read,
    and the service checks the same action against the record's location. ``response`` is the pydantic
    model of the success body; ``authenticate`` is a public route's own check, run before the body is
    parsed (the bank callback's signature headers). ``also`` names the route's other success statuses
    and their models; the handler answers one with ``Reply`` (a status not named there is a defect: 500).

    ``audit``: whether a successful call appends an audit event (under the access action's name, or
    the string given). Default: every authenticated write, and every read of an action about registry
    records (``Action.personal``), except a citizen reading their own.
    """
    params_ = tuple(_as_param(q) for q in query)
    OPERATIONS.append(Operation(method, path, summary, tag, body, example, params_, status, public,
                                responses or {}, action, response, max_body, headers, dict(also or {})))

    def decorate(fn: Handler) -> Handler:
        if audit is None:
            audited = not public and (method != "GET" or (action is not None and action.personal))
        else:
            audited = bool(audit)
        audit_action = audit if isinstance(audit, str) else (action.name if action else fn.__name__)

        # Chalice answers a Content-Type it does not expect itself, in its own shape and letting a
        # missing header through; the view checks the media type instead (check_media_type).
        @bp.route(path, methods=[method], content_types=["*/*"])
        @functools.wraps(fn)
        def view(**params: str) -> Response:
            started = time.perf_counter()
            request = bp.current_request
            principal: Principal | None = None
            result: Any = None
            try:
                if body is not None:
                    check_media_type(request)
                    check_size(request, max_body)
                if not public:
                    principal = bootstrap.services().tokens.verify(request.headers.get("authorization"))
                    if action is None:  # fail closed; tests/api/test_access_matrix.py catches it first
                        raise Forbidden(f"route {method} {path} names no access action", code="role_not_allowed")
                    authorize(principal, action)
                elif authenticate is not None:
                    authenticate(request)
                check_params(request, params_, params)
                parsed = parse_body(body, request) if body is not None else None
                result = fn(request=request, principal=principal, body=parsed, **params)
                if isinstance(result, Reply):
                    response_ = json_response(render(result.body, (also or {})[result.status]), result.status)
                else:
                    response_ = result if isinstance(result, Response) else json_response(render(result, response),
                                                                                          status)
            except SpsrError as err:
                response_ = error_response(err)
            except Exception as err:  # a defect, not the caller's fault: a stable body, and no personal data logged
                response_ = _internal_error(err, request)
            if audited and response_.status_code < 400 and (principal is None or method != "GET"
                                                            or principal.role != "citizen"):
                # A public route audited answers 2xx only to a signed bank message: the bank is the actor.
                actor, role = ((principal.subject, principal.role) if principal
                               else (f"bank:{request.headers.get('x-bank-id')}", "bank"))
                _audit(actor, role, audit_action, _record_id(params, result), request, response_.status_code)
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            # ids only: never the body, a name, a PINFL or a phone number
            logger.info("request", extra={
                "route": f"{method} {path}", "status": response_.status_code, "duration_ms": duration_ms,
                "role": principal.role if principal else None, "subject": principal.subject if principal else None,
                "error_code": _error_code(response_),
            })
            return response_

        return view

    return decorate


def _request_id(request: Request) -> str:
    found = (request.context or {}).get("requestId")
    return str(found) if found else f"local-{uuid.uuid4().hex}"


# Keys of a created record's id in a handler's result, when the path names no record.
_RESULT_IDS = ("application_id", "household_id", "month", "msg_id")


def _record_id(params: dict[str, str], result: Any) -> str:
    """The primary record of the call: the first path parameter, or the id of what a POST created."""
    if isinstance(result, Reply):
        result = result.body
    if params:
        return next(iter(params.values()))
    if isinstance(result, dict):
        for key in _RESULT_IDS:
            if isinstance(result.get(key), str):
                return str(result[key])
    return "-"  # a listing: its filters are in the request, not the trail


def _audit(actor: str, role: str, action: str, record_id: str, request: Request, status: int) -> None:
    try:
        bootstrap.services().audit.record(actor=actor, role=role, action=action,
                                          record_id=record_id, request_id=_request_id(request), status=status)
    except Exception as err:  # the write itself is done: answer it, and raise the alarm on the gap
        logger.error("audit append failed", extra={"error_type": type(err).__name__, "action": action,
                                                   "record_id": record_id})


def _internal_error(err: Exception, request: Request) -> Response:
    # Exception messages can quote the data being processed, so only the type and the place are logged.
    frame = traceback.extract_tb(err.__traceback__)[-1] if err.__traceback__ else None
    reference = str(((request.context or {}).get("requestId")) or "local")
    logger.error("unhandled error", extra={"error_type": type(err).__name__, "reference": reference,
                                           "at": f"{frame.filename}:{frame.lineno}" if frame else None})
    body = {"error": {"code": "internal_error", "field": None,
                      "message": f"an unexpected error occurred; quote reference {reference}"}}
    return Response(body=json.dumps(body), status_code=500, headers=dict(JSON_HEADERS))


def _error_code(response: Response) -> str | None:
    if response.status_code < 400 or not isinstance(response.body, str):
        return None
    try:
        return str(json.loads(response.body)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None
