"""Health and the OpenAPI document: the only routes that need no token."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import bootstrap
from chalicelib.api import openapi
from chalicelib.api.http import endpoint
from chalicelib.domain.errors import ServiceMisconfigured

bp = Blueprint(__name__)


@endpoint(bp, "/health", "GET", summary="Liveness", tag="system", public=True)
def health(request: Any, principal: Any, body: None) -> dict[str, Any]:
    # A deployed stage that cannot verify tokens is not healthy: 503, so a deployment check sees it.
    if bootstrap.services().settings.token_problems():
        raise ServiceMisconfigured()
    return {"status": "ok"}


@endpoint(bp, "/openapi.json", "GET", summary="This API's OpenAPI 3.1 document", tag="system", public=True)
def openapi_document(request: Any, principal: Any, body: None) -> dict[str, Any]:
    return openapi.document()
