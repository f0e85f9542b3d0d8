"""A later reform is a new dated formula plus parameters, not a rewrite of the rules.

Given an OpenFisca Reform that adds ``formula_2026_02_01`` to material assistance (a stand-in for the
2026 unified Social Registry paying 75% at the poverty line), When households are simulated with the
reformed system, Then months before 2026-02 decide as before and months from 2026-02 use the new formula.
"""

from __future__ import annotations

from typing import Any

import numpy
from openfisca_core.reforms import Reform

from chalicelib.rules import tax_benefit_system
from chalicelib.rules.encoding import batch_from_evidence, decide, simulate


class _UnifiedRegistry(Reform):
    def apply(self) -> None:
        baseline = type(self.variables["material_assistance_monthly_amount"])

        class material_assistance_monthly_amount(baseline):  # type: ignore[valid-type,misc]
            def formula_2026_02_01(household: Any, period: Any, parameters: Any) -> Any:
                amount = parameters(period).material_assistance.monthly_amount
                eligible = household("material_assistance_eligible", period)
                return numpy.where(eligible, amount * 3 // 4, 0)

        self.update_variable(material_assistance_monthly_amount)


def single_pensioner(period: str) -> dict[str, Any]:
    return {
        "period": period,
        "members": [{"id": "p", "birth_date": "1950-01-01", "sex": "F", "relationship": "head"}],
    }


def amount(system: Any, period: str) -> int:
    decision = decide(simulate(batch_from_evidence([single_pensioner(period)]), system), period)
    return int(decision["material_assistance"]["monthly_amount"][0])


def test_reform_adds_a_dated_formula_without_touching_earlier_months() -> None:
    reformed = _UnifiedRegistry(tax_benefit_system())
    assert amount(reformed, "2026-01") == amount(tax_benefit_system(), "2026-01") == 380000
    assert amount(tax_benefit_system(), "2026-02") == 380000
    assert amount(reformed, "2026-02") == 285000
