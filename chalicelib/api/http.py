"""The HTTP edge shared by every blueprint: authentication, body parsing, the one error table, logging.

``endpoint`` registers a Chalice route and its OpenAPI description in one place, so no route can
exist undocumented. Errors are turned into responses here, inside the view, because Chalice turns
exceptions raised in views into its own responses before any middleware sees them.
"""

from __future__ import annotations

import functools
import json
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
from chalicelib.domain.access import Action, Principal, authorize
from chalicelib.domain.errors import Forbidden, SpsrError, ValidationFailed

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
}


@dataclass(frozen=True)
class Operation:
    """One documented route: what the OpenAPI document says about it."""

    method: str
    path: str
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    example: dict[str, Any] | None = None
    query: tuple[tuple[str, str], ...] = ()  # (name, description)
    status: int = 200
    public: bool = False
    responses: dict[int, str] = field(default_factory=dict)
    action: Action | None = None  # what the caller must be allowed (domain/access.py); None on public routes


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


def parse_body(model: type[BaseModel], request: Request) -> BaseModel:
    raw = request.raw_body or b""
    try:
        data = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("the body is not valid JSON", code="invalid_json") from None
    if not isinstance(data, dict):
        raise ValidationFailed("the body must be a JSON object", code="invalid_json")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise validation_error(err) from None


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
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationFailed(f"{name} must be a whole number from {low} to {high}", field=name)
    return int(raw)


Handler = Callable[..., Any]


def endpoint(bp: Blueprint, path: str, method: str, *, summary: str, tag: str,
             body: type[BaseModel] | None = None, example: dict[str, Any] | None = None,
             query: tuple[tuple[str, str], ...] = (), status: int = 200, public: bool = False,
             responses: dict[int, str] | None = None, action: Action | None = None,
             audit: bool | str | None = None) -> Callable[[Handler], Handler]:
    """Registers a route whose handler receives (request, principal, body, **path params).

    Every route with a token names its ``action``; the role is checked here, before the body is read,
    and the service checks the same action against the record's location.

    ``audit``: whether a successful call appends an audit event (under the access action's name, or
    the string given). Default: every authenticated write, and every read of an action about registry
    records (``Action.personal``), except a citizen reading their own.
    """
    OPERATIONS.append(Operation(method, path, summary, tag, body, example, query, status, public,
                                responses or {}, action))

    def decorate(fn: Handler) -> Handler:
        if audit is None:
            audited = not public and (method != "GET" or (action is not None and action.personal))
        else:
            audited = bool(audit)
        audit_action = audit if isinstance(audit, str) else (action.name if action else fn.__name__)

        @bp.route(path, methods=[method], content_types=["application/json"])
        @functools.wraps(fn)
        def view(**params: str) -> Response:
            started = time.perf_counter()
            request = bp.current_request
            principal: Principal | None = None
            result: Any = None
            try:
                if not public:
                    principal = bootstrap.services().tokens.verify(request.headers.get("authorization"))
                    if action is None:  # fail closed; tests/api/test_access_matrix.py catches it first
                        raise Forbidden(f"route {method} {path} names no access action", code="role_not_allowed")
                    authorize(principal, action)
                parsed = parse_body(body, request) if body is not None else None
                result = fn(request=request, principal=principal, body=parsed, **params)
                response = result if isinstance(result, Response) else json_response(result, status)
            except SpsrError as err:
                response = error_response(err)
            except Exception as err:  # a defect, not the caller's fault: a stable body, and no personal data logged
                response = _internal_error(err, request)
            if audited and response.status_code < 400 and (principal is None or method != "GET"
                                                           or principal.role != "citizen"):
                # A public route audited answers 2xx only to a signed bank message: the bank is the actor.
                actor, role = ((principal.subject, principal.role) if principal
                               else (f"bank:{request.headers.get('x-bank-id')}", "bank"))
                _audit(actor, role, audit_action, _record_id(params, result), request, response.status_code)
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            # ids only: never the body, a name, a PINFL or a phone number
            logger.info("request", extra={
                "route": f"{method} {path}", "status": response.status_code, "duration_ms": duration_ms,
                "role": principal.role if principal else None, "subject": principal.subject if principal else None,
                "error_code": _error_code(response),
            })
            return response

        return view

    return decorate


def _request_id(request: Request) -> str:
    found = (request.context or {}).get("requestId")
    return str(found) if found else f"local-{uuid.uuid4().hex}"


# Keys of a created record's id in a handler's result, when the path names no record.
_RESULT_IDS = ("application_id", "household_id", "month", "msg_id")


def _record_id(params: dict[str, str], result: Any) -> str:
    """The primary record of the call: the first path parameter, or the id of what a POST created."""
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
