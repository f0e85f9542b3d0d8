"""The four programmes of the default rule set (RULES.md, Programmes).

Each programme has ``<p>_reasons`` (bitmask, schema order), ``<p>_eligible``, ``<p>_monthly_amount``,
``<p>_months`` and ``<p>_lump_sum``. Formulas are dated from the programme's start date; before it
no formula applies and ``<p>_reasons`` falls back to its default, ``rule_not_in_force`` alone. A
reform (e.g. the unified Social Registry of 1 Feb 2026, decree PF-258) adds a ``formula_2026_02_01``
to these variables and its parameters; it does not rewrite them.

- child_allowance, material_assistance: decree UP-6277, from 1 Sep 2021.
- disabled_child_caregiver: from 1 Apr 2022 (DCI session on Uzbekistan, seed 000).
- maternity_non_state: from 1 Sep 2022 (DCI session on Uzbekistan, seed 000).
"""

from __future__ import annotations

from typing import Any

import numpy
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from chalicelib.rules.codes import BIT, Sex
from chalicelib.rules.entities import Household, Person
from chalicelib.rules.variables.base import (
    MoneyVariable,
    as_datetime64,
    household_population,
    layout,
    scatter_any,
)

MONTH = DateUnit.MONTH
NOT_IN_FORCE = BIT["rule_not_in_force"]


def _flag(condition: numpy.ndarray, reason: str) -> numpy.ndarray:
    return numpy.where(condition, BIT[reason], 0).astype(numpy.int32)


# --- child allowance -------------------------------------------------------------------------


def _id_order(person: Any) -> numpy.ndarray:
    """Each person's rank in id order. The encoders number persons 0.. in (household, member id)
    order, so integer ids are used as they are; string ids (YAML tests) are ranked as strings."""
    ids = numpy.asarray(person.ids)
    if ids.dtype.kind in "iu":
        return ids.astype(numpy.int64)
    return numpy.unique(ids.astype(str), return_inverse=True)[1].astype(numpy.int64)


class child_order(Variable):
    value_type = int
    default_value = -1
    entity = Person
    definition_period = MONTH
    label = "Rank among the household's children, oldest first (birth date, then id); -1 if not a child"

    def formula(person, period, parameters):
        child = person("is_child", period)
        lay = layout(household_population(person))
        idx = numpy.nonzero(child)[0]
        rank = numpy.full(person.count, -1, dtype=numpy.int32)
        if idx.size == 0:
            return rank
        hh = lay.household_of[idx]
        days = person("birth_date", period)[idx].astype(numpy.int64)
        tie = _id_order(person)[idx]
        if days.min() >= 0 and days.max() < (1 << 16) and tie.max() < (1 << 25) and hh.max() < (1 << 22):
            # One int64 key sorts faster than a three-key lexsort.
            order = numpy.argsort((hh << 41) | (days << 25) | tie, kind="stable")
        else:
            order = numpy.lexsort((tie, days, hh))
        sorted_hh = hh[order]
        at = numpy.arange(idx.size)
        new_group = numpy.ones(idx.size, dtype=bool)
        new_group[1:] = sorted_hh[1:] != sorted_hh[:-1]
        group_start = numpy.maximum.accumulate(numpy.where(new_group, at, 0))
        rank[idx[order]] = (at - group_start).astype(numpy.int32)
        return rank


class child_allowance_for_child(MoneyVariable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Child allowance amount for this child by rank (before the eligibility of the household)"
    reference = "Decree UP-6277"

    def formula_2021_09_01(person, period, parameters):
        p = parameters(period).child_allowance
        rank = person("child_order", period)
        young = person("age", period) < p.young_child_age
        first = numpy.where(young, p.amount.first_child_under_young_age, p.amount.first_child)
        amount = numpy.where(
            rank == 0, first, numpy.where(rank == 1, p.amount.second_child, p.amount.further_child)
        )
        return numpy.where(rank >= 0, amount, 0)


class child_allowance_reasons(Variable):
    value_type = int
    default_value = NOT_IN_FORCE
    entity = Household
    definition_period = MONTH
    label = "Reasons child allowance is refused (bitmask, schema order)"

    def formula_2021_09_01(household, period, parameters):
        return household("means_test_reasons", period) | _flag(
            household("child_count", period) == 0, "no_child_under_18"
        )


class child_allowance_eligible(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "Eligible for child allowance"

    def formula(household, period, parameters):
        return household("child_allowance_reasons", period) == 0


class child_allowance_monthly_amount(MoneyVariable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Monthly child allowance: the sum over the children by rank"

    def formula_2021_09_01(household, period, parameters):
        total = household.sum(household.members("child_allowance_for_child", period))
        return numpy.where(household("child_allowance_eligible", period), total, 0)


class child_allowance_months(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Months child allowance is paid"

    def formula_2021_09_01(household, period, parameters):
        months = parameters(period).child_allowance.months
        return numpy.where(household("child_allowance_eligible", period), months, 0)


class child_allowance_lump_sum(MoneyVariable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Child allowance lump sum (none in the default rule set)"


# --- material assistance ---------------------------------------------------------------------


class material_assistance_reasons(Variable):
    value_type = int
    default_value = NOT_IN_FORCE
    entity = Household
    definition_period = MONTH
    label = "Reasons material assistance is refused (bitmask, schema order)"

    def formula_2021_09_01(household, period, parameters):
        return household("means_test_reasons", period) | _flag(
            household("child_count", period) > 0, "has_child_under_18"
        )


class material_assistance_eligible(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "Eligible for material assistance"

    def formula(household, period, parameters):
        return household("material_assistance_reasons", period) == 0


class material_assistance_monthly_amount(MoneyVariable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Monthly material assistance"

    def formula_2021_09_01(household, period, parameters):
        amount = parameters(period).material_assistance.monthly_amount
        return numpy.where(household("material_assistance_eligible", period), amount, 0)


class material_assistance_months(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Months material assistance is paid"

    def formula_2021_09_01(household, period, parameters):
        months = parameters(period).material_assistance.months
        return numpy.where(household("material_assistance_eligible", period), months, 0)


class material_assistance_lump_sum(MoneyVariable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Material assistance lump sum (none in the default rule set)"


# --- caregivers of children with disabilities --------------------------------------------------


class qualifying_disabled_child(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Child with a disability record in force whose condition code is on the qualifying list"

    def formula_2022_04_01(person, period, parameters):
        codes = parameters(period).disabled_child_caregiver.qualifying_condition_codes
        candidate = person("is_child", period) & person("disability_in_force", period)
        result = numpy.zeros(person.count, dtype=bool)
        idx = numpy.nonzero(candidate)[0]
        if idx.size:
            # Strings compared only for the few children with a record.
            found = person("disability_condition_code", period)[idx]
            result[idx] = numpy.isin(found.astype(str), numpy.asarray(codes, dtype=str))
        return result


class disabled_child_caregiver_reasons(Variable):
    value_type = int
    default_value = NOT_IN_FORCE
    entity = Household
    definition_period = MONTH
    label = "Reasons the caregiver allowance is refused (bitmask, schema order)"

    def formula_2022_04_01(household, period, parameters):
        count = household.sum(household.members("qualifying_disabled_child", period))
        return _flag(count == 0, "no_qualifying_disabled_child")


class disabled_child_caregiver_eligible(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "Eligible for the caregiver allowance"

    def formula(household, period, parameters):
        return household("disabled_child_caregiver_reasons", period) == 0


class disabled_child_caregiver_monthly_amount(MoneyVariable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Monthly caregiver allowance: the amount for each qualifying child"

    def formula_2022_04_01(household, period, parameters):
        per_child = parameters(period).disabled_child_caregiver.monthly_amount_per_child
        count = household.sum(household.members("qualifying_disabled_child", period)).astype(numpy.int64)
        return numpy.where(household("disabled_child_caregiver_eligible", period), count * per_child, 0)


class disabled_child_caregiver_months(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Months the caregiver allowance is paid"

    def formula_2022_04_01(household, period, parameters):
        months = parameters(period).disabled_child_caregiver.months
        return numpy.where(household("disabled_child_caregiver_eligible", period), months, 0)


class disabled_child_caregiver_lump_sum(MoneyVariable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Caregiver allowance lump sum (none in the default rule set)"


# --- maternity benefit, non-state sector ---------------------------------------------------------


class recent_birth(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Born on or after the first day of P-5"

    def formula_2022_09_01(person, period, parameters):
        months = parameters(period).maternity_non_state.recent_birth_months
        since = as_datetime64(period.offset(-months).start)
        return person("birth_date", period) >= since


class mother_of_recent_birth(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Female member who is a parent of a child born on or after the first day of P-5"

    def formula_2022_09_01(person, period, parameters):
        recent = person("recent_birth", period)
        female = person("sex", period) == Sex.F
        p1 = numpy.where(recent, person("parent_index_1", period), -1)
        p2 = numpy.where(recent, person("parent_index_2", period), -1)
        return female & (scatter_any(person.count, p1) | scatter_any(person.count, p2))


class maternity_recipient(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Mother of a recent birth working in the non-state sector: receives the lump sum"

    def formula_2022_09_01(person, period, parameters):
        return person("mother_of_recent_birth", period) & person("non_state_worker", period)


class maternity_non_state_reasons(Variable):
    value_type = int
    default_value = NOT_IN_FORCE
    entity = Household
    definition_period = MONTH
    label = "Reasons the non-state maternity benefit is refused (bitmask, schema order)"

    def formula_2022_09_01(household, period, parameters):
        mothers = household.any(household.members("mother_of_recent_birth", period))
        recipients = household.any(household.members("maternity_recipient", period))
        return _flag(~mothers, "no_recent_birth") | _flag(mothers & ~recipients, "not_non_state_worker")


class maternity_non_state_eligible(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "Eligible for the non-state maternity benefit"

    def formula(household, period, parameters):
        return household("maternity_non_state_reasons", period) == 0


class maternity_non_state_monthly_amount(MoneyVariable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Monthly maternity amount (none: it is paid as a lump sum)"


class maternity_non_state_months(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Months the maternity benefit is paid (none: it is paid as a lump sum)"


class maternity_non_state_lump_sum(MoneyVariable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Maternity lump sum: one for each recipient"

    def formula_2022_09_01(household, period, parameters):
        lump = parameters(period).maternity_non_state.lump_sum
        count = household.sum(household.members("maternity_recipient", period)).astype(numpy.int64)
        return numpy.where(household("maternity_non_state_eligible", period), count * lump, 0)


PROGRAMME_VARIABLES = [
    child_order,
    child_allowance_for_child,
    child_allowance_reasons,
    child_allowance_eligible,
    child_allowance_monthly_amount,
    child_allowance_months,
    child_allowance_lump_sum,
    material_assistance_reasons,
    material_assistance_eligible,
    material_assistance_monthly_amount,
    material_assistance_months,
    material_assistance_lump_sum,
    qualifying_disabled_child,
    disabled_child_caregiver_reasons,
    disabled_child_caregiver_eligible,
    disabled_child_caregiver_monthly_amount,
    disabled_child_caregiver_months,
    disabled_child_caregiver_lump_sum,
    recent_birth,
    mother_of_recent_birth,
    maternity_recipient,
    maternity_non_state_reasons,
    maternity_non_state_eligible,
    maternity_non_state_monthly_amount,
    maternity_non_state_months,
    maternity_non_state_lump_sum,
]
