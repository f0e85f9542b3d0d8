"""The means test of child allowance and material assistance (PKM-654 of 21 Oct 2021, RULES.md).

Per-capita income over the 3 income months against the MCE, the idle-member test, and the asset
filters (assumed defaults, see the parameters' metadata). Each reason is its own variable so that a
reform (e.g. the 2025 red/yellow/green categories) replaces one formula with a new dated one.
"""

from __future__ import annotations

import numpy
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from chalicelib.rules.codes import BIT
from chalicelib.rules.entities import Household
from chalicelib.rules.variables.base import MoneyVariable

MONTH = DateUnit.MONTH


class household_size(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Members counted (n)"

    def formula(household, period, parameters):
        return household.nb_persons()


class income_3m(MoneyVariable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Counted family income of the income months minus alimony paid, floored at 0"
    reference = "PKM-654 of 21 Oct 2021"

    def formula_2021_09_01(household, period, parameters):
        gross = household.sum(household.members("income_in_income_months", period))
        alimony = household.sum(household.members("alimony_paid_in_income_months", period))
        return numpy.maximum(gross - alimony, 0)


class mce_threshold(MoneyVariable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Income threshold per person per month (MCE in force on the first day of the month)"
    reference = "PKM-654 of 21 Oct 2021"

    def formula_2021_09_01(household, period, parameters):
        return numpy.full(household.count, parameters(period).means_test.mce, dtype=numpy.int64)


class per_capita_income(MoneyVariable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "floor(income_3m / n / income months)"

    def formula_2021_09_01(household, period, parameters):
        months = parameters(period).means_test.income_months
        n = household("household_size", period).astype(numpy.int64)
        return household("income_3m", period) // (n * months)


class income_limit_3m(MoneyVariable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "MCE x n x income months: the test passes when income_3m is strictly below it"

    def formula_2021_09_01(household, period, parameters):
        months = parameters(period).means_test.income_months
        n = household("household_size", period).astype(numpy.int64)
        return household("mce_threshold", period) * n * months


class income_above_threshold(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "income_3m is not strictly below MCE x n x 3"

    def formula_2021_09_01(household, period, parameters):
        return household("income_3m", period) >= household("income_limit_3m", period)


class idle_working_age_member(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "At least one idle working-age able member without an exemption"

    def formula_2021_09_01(household, period, parameters):
        return household.any(household.members("idle_not_exempt", period))


class asset_vehicle(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "A recent passenger vehicle not adapted for disability, or a vehicle of a disqualifying type"

    def formula_2021_09_01(household, period, parameters):
        p = parameters(period).asset_filters
        cutoff = period.start.year - p.vehicle_max_age_years
        recent = household("newest_passenger_vehicle_year", period) >= cutoff
        heavy = numpy.zeros(household.count, dtype=bool)
        for kind in p.disqualifying_vehicle_types:
            heavy |= household(f"{kind}_count", period) > 0
        return recent | heavy


class asset_real_estate(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "More than one dwelling, or any non-residential property"

    def formula_2021_09_01(household, period, parameters):
        p = parameters(period).asset_filters
        return (household("dwelling_count", period) > p.max_dwellings) | (
            household("non_residential_count", period) > p.max_non_residential
        )


class securities_limit(MoneyVariable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Securities market value above which the household is disqualified (6 x MCE)"

    def formula_2021_09_01(household, period, parameters):
        multiple = parameters(period).asset_filters.securities_mce_multiple
        return household("mce_threshold", period) * multiple


class asset_securities(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "Securities market value above the limit"

    def formula_2021_09_01(household, period, parameters):
        return household("securities_market_value", period) > household("securities_limit", period)


class means_test_reasons(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Bitmask of the means-test reasons that apply (bits in schema order)"

    def formula_2021_09_01(household, period, parameters):
        bits = numpy.zeros(household.count, dtype=numpy.int32)
        for name in (
            "income_above_threshold",
            "idle_working_age_member",
            "asset_vehicle",
            "asset_real_estate",
            "asset_securities",
        ):
            bits |= numpy.where(household(name, period), BIT[name], 0).astype(numpy.int32)
        return bits


class child_count(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Members under 18"

    def formula(household, period, parameters):
        return household.sum(household.members("is_child", period))


MEANS_TEST_VARIABLES = [
    household_size,
    income_3m,
    mce_threshold,
    per_capita_income,
    income_limit_3m,
    income_above_threshold,
    idle_working_age_member,
    asset_vehicle,
    asset_real_estate,
    securities_limit,
    asset_securities,
    means_test_reasons,
    child_count,
]
