"""Application requests for synthetic households, as a mahalla worker would file them.

Used by ``make demo`` and the tests: the request carries the household's real members (so the
agencies know every PINFL) and asks for the programmes the family's shape suggests.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.domain import months
from devstack.population import SynthHousehold, household

CHANNELS = ("mahalla", "pension_fund", "portal", "mobile")


def can_apply_today(h: SynthHousehold, today: date | None = None) -> bool:
    """A living head with a phone, and nobody born after today.

    The population is drawn for a cycle month that may still be ahead, so it can hold births that
    have not happened yet; the API rightly refuses those.
    """
    today = today or date.today()
    head = h.members[0]
    return head.death_date is None and bool(head.phone) and all(p.birth_date <= today for p in h.members)


def applicants(first: int, n: int, *, seed: int = 2026, reference_month: str) -> list[SynthHousehold]:
    """The first ``n`` households from index ``first`` on that can apply today."""
    out: list[SynthHousehold] = []
    index = first
    while len(out) < n:
        h = household(index, seed=seed, reference_month=reference_month)
        if can_apply_today(h):
            out.append(h)
        index += 1
    return out


def programmes_for(h: SynthHousehold, period: str) -> list[str]:
    start = months.first_day(period)
    children = [p for p in h.members if _age(p.birth_date, start) < 18]
    wanted = ["child_allowance"] if children else ["material_assistance"]
    if any(p.disability for p in children):
        wanted.append("disabled_child_caregiver")
    recent = months.first_day(months.add(period, -5))
    if any(p.birth_date >= recent for p in h.members):
        wanted.append("maternity_non_state")
    return wanted


def application_payload(h: SynthHousehold, period: str) -> dict[str, Any]:
    head = h.members[0]
    return {
        "programmes": programmes_for(h, period),
        "channel": CHANNELS[h.index % len(CHANNELS)],
        "address": {"region_code": h.region_code, "district_code": h.district_code,
                    "mahalla_code": h.mahalla_code, "address_line": h.address_line},
        "applicant_pinfl": head.pinfl,
        "members": [
            {k: v for k, v in {
                "pinfl": p.pinfl, "document": {"kind": p.document_kind, "number": p.document_number},
                "surname": p.surname, "given_name": p.given_name, "patronymic": p.patronymic or None,
                "birth_date": p.birth_date.isoformat(), "sex": p.sex, "relationship": p.relationship,
                "phone": p.phone, "language": p.language,
            }.items() if v is not None}
            for p in h.members if p.death_date is None
        ],
        "bank_account": {"kind": "card", "number": h.bank_card},
    }


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def main(argv: list[str] | None = None) -> int:
    """Prints the application of a seeded family (JSON) and, on stderr, the mahalla to take a token for."""
    import argparse
    import json
    import sys
    from datetime import UTC, datetime

    from chalicelib.config import Settings
    from chalicelib.domain.applications import cycle_month

    parser = argparse.ArgumentParser(description="The application of a seeded family, as a worker would file it.")
    parser.add_argument("index", type=int, nargs="?", default=0, help="household index in the seeded population")
    parser.add_argument("--month", default=cycle_month(datetime.now(UTC), Settings().cutoff_day))
    args = parser.parse_args(argv)
    h = applicants(args.index, 1, reference_month=args.month)[0]
    print(json.dumps(application_payload(h, args.month), ensure_ascii=False, indent=2))
    print(f"household {h.household_id}, mahalla {h.mahalla_code}: "
          f"make token ROLE=mahalla_worker SCOPE={h.mahalla_code}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
