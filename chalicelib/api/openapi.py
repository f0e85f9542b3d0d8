"""The OpenAPI 3.1 document, generated from the registered operations and their pydantic models.

Request bodies come from ``schemas``, success bodies from ``responses``, parameters from the route's
declared patterns, enums and bounds (the same ones ``http`` checks), and every error status a route can
answer from ``error_statuses`` (all in the one error shape).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from chalicelib.api.http import OPERATIONS, Operation, path_pattern
from chalicelib.api.responses import ErrorOut
from chalicelib.api.schemas import evidence_json_schema

_ERRORS = {
    400: "invalid input; the error names the field",
    401: "missing or invalid credentials",
    403: "the token's role or scope does not allow this",
    404: "not found, or outside the token's scope",
    413: "the body is larger than the route accepts (body_too_large)",
    415: "the body is not sent as application/json (unsupported_media_type)",
    500: "a defect (internal_error); quote the reference",
    503: "the stage is misconfigured or a dependency is down; try later",
}


def error_statuses(op: Operation) -> dict[int, str]:
    """Every error status the route can answer, with its description (the route's own override the defaults)."""
    codes: dict[int, str] = {500: _ERRORS[500]}
    has_params = bool(op.query or op.headers or re.search(r"{\w+}", op.path))
    if op.body is not None or has_params:
        codes[400] = _ERRORS[400]
    if op.body is not None:
        codes[413], codes[415] = _ERRORS[413], _ERRORS[415]
    if not op.public:
        codes.update({401: _ERRORS[401], 403: _ERRORS[403], 503: _ERRORS[503]})
        if re.search(r"{\w+}", op.path):
            codes[404] = _ERRORS[404]
    elif op.headers:
        codes.update({401: _ERRORS[401], 503: _ERRORS[503]})
    codes.update({code: text for code, text in op.responses.items() if code >= 400})  # 202 is a success
    return dict(sorted(codes.items()))


def document(version: str = "0.1.0") -> dict[str, Any]:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (op.body, "validation") for op in OPERATIONS if op.body is not None]
    models += [(op.response, "serialization") for op in OPERATIONS if op.response is not None]
    models += [(model, "serialization") for op in OPERATIONS for model in op.also.values()]
    models.append((ErrorOut, "serialization"))
    refs, defs = models_json_schema(models, ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    schemas.update(evidence_json_schema()[1])
    error_ref = refs[(ErrorOut, "serialization")]["$ref"]
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        body_ref = refs[(op.body, "validation")]["$ref"] if op.body is not None else None
        response_ref = refs[(op.response, "serialization")]["$ref"] if op.response is not None else None
        also = {status: refs[(model, "serialization")]["$ref"] for status, model in op.also.items()}
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, body_ref, response_ref, error_ref, also)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SPSR: Social Protection Single Registry API",
            "version": version,
            "description": "Applications, households and members. Every route except /health, /openapi.json "
                           "and the HMAC-signed /bank/callbacks needs a bearer JWT; errors are "
                           "{\"error\": {code, message, field}}. Bodies are application/json, strictly typed.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": "http://127.0.0.1:8000", "description": "make run"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "paths": paths,
    }


def _operation(op: Operation, body_ref: str | None, response_ref: str | None, error_ref: str,
               also: dict[int, str]) -> dict[str, Any]:
    success: dict[str, Any] = {"$ref": response_ref} if response_ref else {"type": "object"}
    out: dict[str, Any] = {
        "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{op.method}_{op.path}").strip("_").lower(),
        "summary": op.summary,
        "tags": [op.tag],
        "responses": {str(op.status): {"description": "success", "content": {
            "application/json": {"schema": success}}}},
    }
    for status, ref in also.items():  # the route's other success statuses, described in its responses
        out["responses"][str(status)] = {"description": op.responses.get(status, "success"), "content": {
            "application/json": {"schema": {"$ref": ref}}}}
    params: list[dict[str, Any]] = [
        {"name": n, "in": "path", "required": True,
         "schema": {"type": "string", "pattern": path_pattern(n)}} for n in re.findall(r"{(\w+)}", op.path)]
    params += [{"name": p.name, "in": "query", "required": False, "description": p.description,
                "schema": p.schema()} for p in op.query]
    params += [{"name": n, "in": "header", "required": True, "schema": {"type": "string", "pattern": pattern}}
               for n, pattern in op.headers]
    if params:
        out["parameters"] = params
    if body_ref is not None:
        media: dict[str, Any] = {"schema": {"$ref": body_ref}}
        if op.example is not None:
            media["examples"] = {"default": {"summary": "a working request", "value": op.example}}
        out["requestBody"] = {"required": True, "content": {"application/json": media}}
    if not op.public:
        out["security"] = [{"bearer": []}]
    for code, text in error_statuses(op).items():
        out["responses"][str(code)] = {"description": text, "content": {
            "application/json": {"schema": {"$ref": error_ref}}}}
    return out
