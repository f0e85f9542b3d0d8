"""Assess one household: validated evidence in, decision + explanation + rules version out.

``assess`` is what the workflow and ``POST /assessments/preview`` call. It validates the evidence
(``ValidationFailed`` with ``code="invalid_evidence"`` and the field path), runs one OpenFisca
simulation for the household on the process-wide rules (built once, lazily), and returns::

    {"decision": {...},        # as assessment.schema.json fixes it
     "explanation": {...},     # the figures behind the decision, members by evidence id
     "rules_version": "1.0.0+<hash of parameters and formulas>"}

Programmes: those in ``evidence.programmes`` when given, in the schema's order; all four otherwise.
``assess`` also accepts the wrapped form ``{"evidence": {...}}`` (the schema's top-level shape).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.rules import RULES_VERSION
from chalicelib.rules.codes import PROGRAMMES, reasons_from_bits
from chalicelib.rules.encoding import batch_from_evidence, decide, member_order, simulate
from chalicelib.rules.evidence import validate_evidence
from chalicelib.rules.explain import explain


def unwrap(document: Any) -> Any:
    """The evidence object of ``document``: itself, or its ``evidence`` when it is the only key."""
    if isinstance(document, Mapping) and set(document) == {"evidence"}:
        return document["evidence"]
    return document


def requested_programmes(evidence: Mapping[str, Any]) -> list[str]:
    wanted = evidence.get("programmes")
    return [p for p in PROGRAMMES if p in wanted] if wanted else list(PROGRAMMES)


def decision_at(
    arrays: Mapping[str, Any], index: int, period: str, programmes: Sequence[str]
) -> dict[str, Any]:
    """The schema's decision object for household ``index`` of decision arrays."""
    out: dict[str, Any] = {
        "period": period,
        "per_capita_income": int(arrays["per_capita_income"][index]),
        "threshold": int(arrays["threshold"][index]),
        "programmes": {},
    }
    for programme in programmes:
        fields = arrays[programme]
        out["programmes"][programme] = {
            "eligible": bool(fields["eligible"][index]),
            "monthly_amount": int(fields["monthly_amount"][index]),
            "months": int(fields["months"][index]),
            "lump_sum": int(fields["lump_sum"][index]),
            "reasons": reasons_from_bits(int(fields["reasons"][index])),
        }
    return out


def assess(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """Decide and explain one household's evidence under the rules in force in its period."""
    validated = validate_evidence(unwrap(evidence))
    programmes = requested_programmes(validated)
    period = validated["period"]
    simulation = simulate(batch_from_evidence([validated]))
    decision = decision_at(decide(simulation, period, programmes), 0, period, programmes)
    explanation = explain(simulation, validated, member_order(validated["members"]), decision, RULES_VERSION)
    return {"decision": decision, "explanation": explanation, "rules_version": RULES_VERSION}
