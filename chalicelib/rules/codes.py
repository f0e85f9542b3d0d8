"""Codes shared by the rules, the encoders and the decision: programmes, reasons, enums.

``REASONS`` is in the order of the schema's enum (assessment.schema.json); a reason's bit in the
``*_reasons`` bitmask variables and in the reassessment output is ``1 << REASONS.index(reason)``.
"""

from __future__ import annotations

from openfisca_core.indexed_enums import Enum

PROGRAMMES: tuple[str, ...] = (
    "child_allowance",
    "material_assistance",
    "disabled_child_caregiver",
    "maternity_non_state",
)

REASONS: tuple[str, ...] = (
    "income_above_threshold",
    "idle_working_age_member",
    "asset_vehicle",
    "asset_real_estate",
    "asset_securities",
    "no_child_under_18",
    "has_child_under_18",
    "no_qualifying_disabled_child",
    "no_recent_birth",
    "not_non_state_worker",
    "rule_not_in_force",
)

BIT: dict[str, int] = {reason: 1 << i for i, reason in enumerate(REASONS)}
MEANS_TEST_MASK = (
    BIT["income_above_threshold"]
    | BIT["idle_working_age_member"]
    | BIT["asset_vehicle"]
    | BIT["asset_real_estate"]
    | BIT["asset_securities"]
)


def reasons_from_bits(bits: int) -> list[str]:
    """The reasons set in ``bits``, in schema order."""
    return [reason for i, reason in enumerate(REASONS) if bits >> i & 1]


class Sex(Enum):
    M = "male"
    F = "female"


class Relationship(Enum):
    other = "other member"
    head = "head of household"
    spouse = "spouse of the head"
    child = "child"


class EmploymentSector(Enum):
    none = "not employed"
    state = "state sector"
    non_state = "non-state sector"


VEHICLE_TYPES: tuple[str, ...] = ("passenger", "truck", "bus", "motorcycle", "tractor", "trailer")
OTHER_VEHICLE_TYPES: tuple[str, ...] = VEHICLE_TYPES[1:]
REAL_ESTATE_KINDS: tuple[str, ...] = ("dwelling", "non_residential", "land")
