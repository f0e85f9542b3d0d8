"""Input variables: what the evidence says about each member and the household, per month.

The encoders (``chalicelib.rules.encoding`` for evidence, ``chalicelib.rules.snapshot`` for the
columnar snapshot) fill these; formulas never read the evidence JSON. Income is split into what
counts (``income``: every source except ``sp_benefit``) and ``sp_benefit`` (benefits paid by this
registry), which the means test never reads (RULES.md, means test).
"""

from __future__ import annotations

from datetime import date

from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from chalicelib.rules.codes import EmploymentSector, Relationship, Sex
from chalicelib.rules.entities import Household, Person
from chalicelib.rules.variables.base import MoneyVariable

NO_END = date(9999, 12, 31)
MONTH = DateUnit.MONTH


class birth_date(Variable):
    value_type = date
    entity = Person
    definition_period = DateUnit.ETERNITY
    default_value = date(1970, 1, 1)
    label = "Date of birth (civil registry)"


class sex(Variable):
    value_type = Enum
    possible_values = Sex
    default_value = Sex.M
    entity = Person
    definition_period = DateUnit.ETERNITY
    label = "Sex (civil registry)"


class relationship(Variable):
    value_type = Enum
    possible_values = Relationship
    default_value = Relationship.other
    entity = Person
    definition_period = MONTH
    label = "Relationship to the head of household"


class declared_parent_1(Variable):
    value_type = int
    default_value = -1
    entity = Person
    definition_period = MONTH
    label = "Position in the household of the first parent named by the civil registry (-1: none given)"


class declared_parent_2(Variable):
    value_type = int
    default_value = -1
    entity = Person
    definition_period = MONTH
    label = "Position in the household of the second parent named by the civil registry (-1: none given)"


class disability_group(Variable):
    value_type = int
    default_value = 0
    entity = Person
    definition_period = MONTH
    label = "Disability group 1, 2 or 3 of the disability record; 0 when there is no record"


class disability_until(Variable):
    value_type = date
    default_value = NO_END
    entity = Person
    definition_period = MONTH
    label = "Last day the disability record is valid (9999-12-31 when open-ended)"


class disability_condition_code(Variable):
    value_type = str
    default_value = ""
    entity = Person
    definition_period = MONTH
    label = "Medical condition code of the disability record"


class full_time_student(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Studies full time in an educational institution"


class military_conscript(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "On conscript military service"


class detained(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "In detention of any form"


class job_seeker_registered(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Registered as a job seeker in the Single National Employment System"


class employment_sector(Variable):
    value_type = Enum
    possible_values = EmploymentSector
    default_value = EmploymentSector.none
    entity = Person
    definition_period = MONTH
    label = "Employment sector"


class income(MoneyVariable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Income of the month from every source that counts (all but sp_benefit), whole som"


class sp_benefit(MoneyVariable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Benefits of the month paid by this registry, whole som (never counted as income)"


class alimony_paid(MoneyVariable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Alimony paid in the month, whole som"


class iron_notebook(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "The household is in the Iron Notebook (temir daftar)"


class newest_passenger_vehicle_year(Variable):
    value_type = int
    default_value = 0
    entity = Household
    definition_period = MONTH
    label = "Newest manufacturing year of the passenger vehicles not adapted for disability (0: none)"


class newest_adapted_passenger_vehicle_year(Variable):
    value_type = int
    default_value = 0
    entity = Household
    definition_period = MONTH
    label = "Newest manufacturing year of the passenger vehicles adapted for disability (0: none)"


class truck_count(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Trucks owned by the household"


class bus_count(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Buses owned by the household"


class motorcycle_count(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Motorcycles owned by the household"


class tractor_count(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Tractors owned by the household"


class trailer_count(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Trailers owned by the household"


class dwelling_count(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Dwellings owned by the household"


class non_residential_count(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Non-residential properties owned by the household"


class land_count(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Land plots owned by the household"


class securities_market_value(MoneyVariable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Market value of the securities held by the household, whole som"


INPUT_VARIABLES = [
    birth_date,
    sex,
    relationship,
    declared_parent_1,
    declared_parent_2,
    disability_group,
    disability_until,
    disability_condition_code,
    full_time_student,
    military_conscript,
    detained,
    job_seeker_registered,
    employment_sector,
    income,
    sp_benefit,
    alimony_paid,
    iron_notebook,
    newest_passenger_vehicle_year,
    newest_adapted_passenger_vehicle_year,
    truck_count,
    bus_count,
    motorcycle_count,
    tractor_count,
    trailer_count,
    dwelling_count,
    non_residential_count,
    land_count,
    securities_market_value,
]
