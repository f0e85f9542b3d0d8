"""Members: age, children, parents, and the idle-member test with its exemptions (RULES.md, means test).

Implements the exemptions of the DCI session on Uzbekistan (seed 000, "minimising exclusion errors")
as written in RULES.md. Dates are read on the first day of the application month P.
"""

from __future__ import annotations

from typing import Any

import numpy
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from chalicelib.rules.codes import EmploymentSector, Relationship, Sex
from chalicelib.rules.entities import Household, Person
from chalicelib.rules.variables.base import (
    MoneyVariable,
    as_datetime64,
    household_population,
    layout,
    scatter_any,
)

MONTH = DateUnit.MONTH


def age_on(birth: numpy.ndarray, instant: Any) -> numpy.ndarray:
    """Whole years between ``birth`` (datetime64[D]) and ``instant``; 0 for births after it."""
    b = birth.astype("datetime64[D]")
    year = b.astype("datetime64[Y]").astype(numpy.int64) + 1970
    month_start = b.astype("datetime64[M]")
    month = month_start.astype(numpy.int64) % 12 + 1
    day = (b - month_start.astype("datetime64[D]")).astype(numpy.int64) + 1
    before_birthday = (month > instant.month) | ((month == instant.month) & (day > instant.day))
    age = instant.year - year - before_birthday
    return numpy.maximum(age, 0).astype(numpy.int32)


class age(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Age in whole years on the first day of the month"

    def formula(person, period, parameters):
        return age_on(person("birth_date", period), period.start)


class is_child(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Member under the child age limit (18) on the first day of the month"
    reference = "Decree UP-6277"

    def formula(person, period, parameters):
        return person("age", period) < parameters(period).demographics.child_age_limit


class head_position(Variable):
    value_type = int
    default_value = -1
    entity = Household
    definition_period = MONTH
    label = "Position of the member whose relationship is head (-1: none)"

    def formula(household, period, parameters):
        return _position_of(household, household.members("relationship", period) == Relationship.head)


class spouse_position(Variable):
    value_type = int
    default_value = -1
    entity = Household
    definition_period = MONTH
    label = "Position of the member whose relationship is spouse (-1: none)"

    def formula(household, period, parameters):
        return _position_of(household, household.members("relationship", period) == Relationship.spouse)


def _position_of(household: Any, mask: numpy.ndarray) -> numpy.ndarray:
    lay = layout(household)
    out = numpy.full(lay.count, -1, dtype=numpy.int64)
    chosen = numpy.nonzero(mask)[0]
    # The evidence allows one head and one spouse; keep the lowest position if a test gives more.
    out[lay.household_of[chosen[::-1]]] = lay.position[chosen[::-1]]
    return out


def _parents(person: Any, period: Any) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Global indices of each member's parents (-1: none): declared ones, else head and spouse."""
    household = household_population(person)
    lay = layout(household)
    hh = lay.household_of
    d1 = person("declared_parent_1", period)
    d2 = person("declared_parent_2", period)
    declared = (d1 >= 0) | (d2 >= 0)
    own = lay.position
    head = person.household("head_position", period)
    spouse = person.household("spouse_position", period)
    p1 = numpy.where(declared, d1, numpy.where(head != own, head, -1))
    p2 = numpy.where(declared, d2, numpy.where(spouse != own, spouse, -1))
    return lay.person_at(hh, p1), lay.person_at(hh, p2)


class parent_index_1(Variable):
    value_type = int
    default_value = -1
    entity = Person
    definition_period = MONTH
    label = "Index in the simulation of the member's first parent in the household (-1: none)"
    documentation = (
        "A child's parents are its parent_ids when given, else the head and the spouse (RULES.md)."
    )

    def formula(person, period, parameters):
        return _parents(person, period)[0]


class parent_index_2(Variable):
    value_type = int
    default_value = -1
    entity = Person
    definition_period = MONTH
    label = "Index in the simulation of the member's second parent in the household (-1: none)"

    def formula(person, period, parameters):
        return _parents(person, period)[1]


class is_single_parent(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Parent of a child of the household whose other parent is not in the household"

    def formula(person, period, parameters):
        child = person("is_child", period)
        p1 = person("parent_index_1", period)
        p2 = person("parent_index_2", period)
        only = numpy.where(
            child & (p1 >= 0) & (p2 < 0), p1, numpy.where(child & (p2 >= 0) & (p1 < 0), p2, -1)
        )
        return scatter_any(person.count, only)


class children_as_parent(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Number of children of the household this member is a parent of"

    def formula(person, period, parameters):
        child = person("is_child", period)
        p1 = person("parent_index_1", period)
        p2 = person("parent_index_2", period)
        first = p1[child & (p1 >= 0)]
        second = p2[child & (p2 >= 0) & (p2 != p1)]
        return numpy.bincount(numpy.concatenate([first, second]), minlength=person.count)[: person.count]


class cares_for_young_child(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Mother of a child under 3 of the household (the father when the mother is not in the household)"

    def formula(person, period, parameters):
        young = person("age", period) < parameters(period).idle_test.young_child_age
        female = person("sex", period) == Sex.F
        p1 = numpy.where(young, person("parent_index_1", period), -1)
        p2 = numpy.where(young, person("parent_index_2", period), -1)
        f1 = (p1 >= 0) & female[numpy.maximum(p1, 0)]
        f2 = (p2 >= 0) & female[numpy.maximum(p2, 0)]
        has_mother = f1 | f2
        carer1 = numpy.where(f1 | (~has_mother & (p1 >= 0)), p1, -1)
        carer2 = numpy.where(f2 | (~has_mother & (p2 >= 0)), p2, -1)
        return scatter_any(person.count, carer1) | scatter_any(person.count, carer2)


class disability_in_force(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Has a disability record whose until date, when given, is on or after the first day of the month"

    def formula(person, period, parameters):
        until = person("disability_until", period)
        return (person("disability_group", period) > 0) & (until >= as_datetime64(period.start))


class able_working_age(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Of working age (18 to retirement age) and without a disability of group 1 or 2"
    reference = "DCI session on Uzbekistan (seed 000); retirement age 60 men, 55 women"

    def formula(person, period, parameters):
        p = parameters(period)
        age_ = person("age", period)
        female = person("sex", period) == Sex.F
        retirement = numpy.where(
            female, p.demographics.retirement_age.female, p.demographics.retirement_age.male
        )
        unable = person("disability_in_force", period) & numpy.isin(
            person("disability_group", period), numpy.asarray(p.idle_test.unable_to_work_disability_groups)
        )
        return (age_ >= p.demographics.working_age_start) & (age_ < retirement) & ~unable


class income_in_income_months(MoneyVariable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Counted income of the member over the income months (P-3 to P-1); sp_benefit excluded"
    reference = "PKM-654 of 21 Oct 2021"

    def formula(person, period, parameters):
        months = parameters(period).means_test.income_months
        return sum(person("income", period.offset(-k)) for k in range(1, months + 1))


class alimony_paid_in_income_months(MoneyVariable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Alimony paid by the member over the income months"

    def formula(person, period, parameters):
        months = parameters(period).means_test.income_months
        return sum(person("alimony_paid", period.offset(-k)) for k in range(1, months + 1))


class idle(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Working-age able member with no counted income in the income months"

    def formula(person, period, parameters):
        return person("able_working_age", period) & (person("income_in_income_months", period) == 0)


class idle_exempt(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Meets at least one exemption from the idle-member test"
    reference = "DCI session on Uzbekistan (seed 000), minimising exclusion errors"

    def formula(person, period, parameters):
        many = person("children_as_parent", period) > parameters(period).idle_test.many_children_more_than
        return (
            person("military_conscript", period)
            | person("detained", period)
            | person("full_time_student", period)
            | person("job_seeker_registered", period)
            | person.household("iron_notebook", period)
            | person("is_single_parent", period)
            | many
            | person("cares_for_young_child", period)
        )


class idle_not_exempt(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Idle member with no exemption"

    def formula(person, period, parameters):
        return person("idle", period) & ~person("idle_exempt", period)


class non_state_worker(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Employment sector is one of the maternity programme's sectors"

    def formula_2022_09_01(person, period, parameters):
        sectors = parameters(period).maternity_non_state.eligible_sectors
        sector = person("employment_sector", period)
        result = numpy.zeros(person.count, dtype=bool)
        for name in sectors:
            result |= sector == EmploymentSector[name]
        return result


FAMILY_VARIABLES = [
    age,
    is_child,
    head_position,
    spouse_position,
    parent_index_1,
    parent_index_2,
    is_single_parent,
    children_as_parent,
    cares_for_young_child,
    disability_in_force,
    able_working_age,
    income_in_income_months,
    alimony_paid_in_income_months,
    idle,
    idle_exempt,
    idle_not_exempt,
    non_state_worker,
]
