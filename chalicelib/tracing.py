"""X-Ray tracing of every entry point (Powertools Tracer), as one Chalice middleware.

On AWS the functions run with active tracing (``.chalice/config.json`` ``xray``): the Tracer patches
boto3, botocore and requests so each AWS and agency call is a subsegment, and this middleware puts
every invocation in a ``## <function>`` subsegment annotated with ``ColdStart`` and ``Service``.
Outside Lambda (local runs, tests) Powertools disables the Tracer and the middleware only calls on.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Tracer
from chalice import Blueprint

bp = Blueprint(__name__)
tracer = Tracer(service="spsr")
_cold = True


@bp.middleware("all")
def trace(event: Any, get_response: Any) -> Any:
    global _cold
    if tracer.disabled:
        return get_response(event)
    cold, _cold = _cold, False
    name = getattr(getattr(event, "context", None), "function_name", None) or "handler"
    with tracer.provider.in_subsegment(name=f"## {name}") as subsegment:
        subsegment.put_annotation(key="ColdStart", value=cold)
        subsegment.put_annotation(key="Service", value=tracer.service)
        return get_response(event)
