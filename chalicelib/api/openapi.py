"""The OpenAPI 3.1 document, generated from the registered operations and their pydantic models."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.api.http import OPERATIONS, Operation

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["code", "message", "field"],
        "properties": {
            "code": {"type": "string", "description": "stable, machine-readable error code"},
            "message": {"type": "string"},
            "field": {"type": ["string", "null"], "description": "path of the offending field, e.g. members[0].pinfl"},
        },
    }},
}

_STANDARD_ERRORS = {
    400: "invalid input; the error names the field",
    401: "missing or invalid bearer token",
    403: "the token's role or scope does not allow this",
    404: "not found, or outside the token's scope",
}


def document(version: str = "0.1.0") -> dict[str, Any]:
    models: list[tuple[type[BaseModel], Literal["validation"]]] = [
        (op.body, "validation") for op in OPERATIONS if op.body is not None]
    refs, defs = models_json_schema(models, ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    schemas["Error"] = ERROR_SCHEMA
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        body_ref = refs[(op.body, "validation")]["$ref"] if op.body is not None else None
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, body_ref)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SPSR: Social Protection Single Registry API",
            "version": version,
            "description": "Applications, households and members. Every route except /health and "
                           "/openapi.json needs a bearer JWT; errors are {\"error\": {code, message, field}}.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": "http://127.0.0.1:8000", "description": "make run"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "paths": paths,
    }


def _operation(op: Operation, body_ref: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{op.method}_{op.path}").strip("_").lower(),
        "summary": op.summary,
        "tags": [op.tag],
        "responses": {str(op.status): {"description": "success", "content": {
            "application/json": {"schema": {"type": "object"}}}}},
    }
    params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
              for n in re.findall(r"{(\w+)}", op.path)]
    params += [{"name": n, "in": "query", "required": False, "description": d, "schema": {"type": "string"}}
               for n, d in op.query]
    if params:
        out["parameters"] = params
    if body_ref is not None:
        media: dict[str, Any] = {"schema": {"$ref": body_ref}}
        if op.example is not None:
            media["examples"] = {"default": {"summary": "a working request", "value": op.example}}
        out["requestBody"] = {"required": True, "content": {"application/json": media}}
    if not op.public:
        out["security"] = [{"bearer": []}]
        codes = {**_STANDARD_ERRORS, **op.responses}
        if op.body is None:
            codes.pop(400, None) if not op.query else None
        for code, text in sorted(codes.items()):
            out["responses"][str(code)] = {"description": text, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return out
