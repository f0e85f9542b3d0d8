"""OpenFisca entities of the Uzbek rules: a Person, and the Household (the family assessed together).

The household has a single role, ``member``: who is head, spouse or child is an input variable
(``relationship``), not a role, because RULES.md reads relationships and civil-registry parent links
rather than a fixed role structure. The encoders (``chalicelib.rules.encoding``) number persons
0, 1, ... in (household, evidence member id) order, so integer person ids and positions follow the
member ids; "ties broken by id" compares person ids (strings in the YAML tests).
"""

from __future__ import annotations

from openfisca_core.entities import build_entity

Person = build_entity(
    key="person",
    plural="persons",
    label="A member of a household",
    is_person=True,
)

Household = build_entity(
    key="household",
    plural="households",
    label="The family assessed together (one application)",
    roles=[
        {
            "key": "member",
            "plural": "members",
            "label": "Member",
            "doc": "Every member of the family; relationships are input variables.",
        }
    ],
)

entities = [Person, Household]
