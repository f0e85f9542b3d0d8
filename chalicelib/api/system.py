"""Health and the OpenAPI document: the only routes that need no token."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api import openapi
from chalicelib.api import responses as out
from chalicelib.api.http import endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/health", "GET", summary="Liveness", tag="system", public=True,
          response=out.HealthOut)
def health(request: Any, principal: Any, body: None) -> dict[str, Any]:
    return {"status": "ok"}


@endpoint(bp, "/openapi.json", "GET", summary="This API's OpenAPI 3.1 document", tag="system", public=True,
          response=out.OpenApiOut)
def openapi_document(request: Any, principal: Any, body: None) -> dict[str, Any]:
    return openapi.document()
