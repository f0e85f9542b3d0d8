"""Hand-built evidence on each side of every boundary RULES.md draws, for the differential tests.

Each case is a small household in which one fact sits just on one side of one boundary (an age on
day 1 of P, an exemption, income at the threshold, a vehicle year, a disability end date, a birth
around P-5, a period around a start date or an MCE change) while everything else keeps that fact
decisive: the head is the only member who may be idle, the others earn. The cases carry no
expected answers; the tests compare the package with the reference on them.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

from tests.oracle.reference_rules import first_day, mce, month_shift

PERIODS = ["2022-03", "2022-09", "2025-01", "2023-02", "2024-03"]


def shifted(day: date, years: int = 0, days: int = 0) -> str:
    """``day`` (a first of month) moved back ``years`` years and forward ``days`` days, ISO format."""
    return (day.replace(year=day.year - years) + timedelta(days=days)).isoformat()


def base(period: str) -> dict[str, Any]:
    """Head (40, M, no income: the idle candidate), spouse (38, F, earning) and no children."""
    day1 = first_day(period)
    return {
        "period": period,
        "members": [
            {"id": "h", "birth_date": shifted(day1, 40, 10), "sex": "M", "relationship": "head"},
            {
                "id": "s",
                "birth_date": shifted(day1, 38, 10),
                "sex": "F",
                "relationship": "spouse",
                "income": [{"month": month_shift(period, -1), "source": "salary", "amount": 100_000}],
            },
        ],
    }


def child(period: str, cid: str, years: int, days: int = 10, **extra: Any) -> dict[str, Any]:
    return {
        "id": cid,
        "birth_date": shifted(first_day(period), years, days),
        "sex": "F",
        "relationship": "child",
        **extra,
    }


def cases_for(period: str) -> list[tuple[str, dict[str, Any]]]:
    day1 = first_day(period)
    out: list[tuple[str, dict[str, Any]]] = []

    def case(name: str, edit: Any) -> None:
        evidence = copy.deepcopy(base(period))
        edit(evidence)
        out.append((f"{period} {name}", evidence))

    head = 0

    # ages 18, 55 (F) and 60 (M) around day 1 of P: -1 day (birthday passed), 0 (today), +1 (tomorrow)
    for years, sex in ((18, "M"), (18, "F"), (55, "F"), (60, "M"), (55, "M")):
        for days in (-1, 0, 1):

            def age_edit(e: dict[str, Any], years: int = years, sex: str = sex, days: int = days) -> None:
                e["members"][head].update(birth_date=shifted(day1, years, days), sex=sex)

            case(f"head aged {years}{sex} {days:+d}d", age_edit)

    # each exemption alone on the idle head
    flags: dict[str, dict[str, Any]] = {
        "conscript": {"military_conscript": True},
        "detained": {"detained": True},
        "job seeker": {"job_seeker_registered": True},
        "student default full time": {"student": {"kind": "university"}},
        "student full time": {"student": {"kind": "college", "full_time": True}},
        "student part time": {"student": {"kind": "college", "full_time": False}},
        "student null": {"student": None},
        "flags false": {"military_conscript": False, "detained": False, "job_seeker_registered": False},
    }
    for name, fields in flags.items():
        case(f"idle head {name}", lambda e, f=fields: e["members"][head].update(copy.deepcopy(f)))
    case("iron notebook", lambda e: e.update(iron_notebook=True))
    case("iron notebook false", lambda e: e.update(iron_notebook=False))

    # disability of the idle head: groups 1-3, until the day before / on day 1 / absent
    for group in (1, 2, 3):
        for until in (-1, 0, None):
            record: dict[str, Any] = {"group": group}
            if until is not None:
                record["until"] = shifted(day1, 0, until)
            case(
                f"head disability group {group} until {until}",
                lambda e, r=record: e["members"][head].update(disability=dict(r)),
            )

    # the idle head's own income: sp_benefit only, outside the income months, 0 som, 1 som, alimony
    window = [month_shift(period, k) for k in (-3, -2, -1)]
    incomes = {
        "sp_benefit only": [{"month": window[0], "source": "sp_benefit", "amount": 500_000}],
        "income in P-4 and P": [
            {"month": month_shift(period, -4), "source": "salary", "amount": 9},
            {"month": period, "source": "salary", "amount": 9},
        ],
        "0 som in P-3": [{"month": window[0], "source": "salary", "amount": 0}],
        "1 som in P-3": [{"month": window[0], "source": "pension", "amount": 1}],
    }
    for name, entries in incomes.items():
        case(f"head income {name}", lambda e, x=entries: e["members"][head].update(income=copy.deepcopy(x)))

    def pays_own_income(e: dict[str, Any]) -> None:
        e["members"][head]["income"] = [{"month": window[1], "source": "salary", "amount": 50_000}]
        e["members"][head]["alimony_paid"] = [{"month": window[1], "amount": 50_000}]

    case("head pays alimony equal to own income", pays_own_income)

    # parents of the idle head's children
    def kids(e: dict[str, Any], count: int, years: int, days: int = 10, **extra: Any) -> None:
        for k in range(count):
            e["members"].append(child(period, f"c{k}", years, days, **copy.deepcopy(extra)))

    for count in (4, 5):
        case(f"{count} children of head and spouse", lambda e, n=count: kids(e, n, 7, parent_ids=["h", "s"]))
        case(f"{count} children, parents by fallback", lambda e, n=count: kids(e, n, 7))
    case("child of head only (single parent)", lambda e: kids(e, 1, 7, parent_ids=["h"]))
    case("child of spouse only", lambda e: kids(e, 1, 7, parent_ids=["s"]))
    case("child with parent_ids []", lambda e: kids(e, 1, 7, parent_ids=[]))

    def no_spouse(e: dict[str, Any]) -> None:
        e["members"][1]["relationship"] = "other"
        kids(e, 1, 7)

    case("child, head the only fallback parent", no_spouse)

    def no_spouse_empty_ids(e: dict[str, Any]) -> None:
        e["members"][1]["relationship"] = "other"
        kids(e, 1, 7, parent_ids=[])

    case("child with parent_ids [], head the only fallback parent", no_spouse_empty_ids)

    def young_head(e: dict[str, Any]) -> None:
        # a head of 17 without parent_ids: its fallback parents are the spouse alone, never itself
        e["members"][head].update(
            birth_date=shifted(day1, 17, 10),
            income=[{"month": month_shift(period, -1), "source": "salary", "amount": 100_000}],
        )
        e["members"][1].update(birth_date=shifted(day1, 20, 10), income=[])

    case("head aged 17, idle spouse", young_head)

    def adult_child(e: dict[str, Any]) -> None:
        # an adult son of the head alone does not make the head a single parent; nor is he a child
        e["members"].append(
            {
                "id": "son",
                "birth_date": shifted(day1, 20, -3),
                "sex": "M",
                "relationship": "child",
                "parent_ids": ["h"],
                "income": [{"month": window[0], "source": "public_works", "amount": 10}],
                "disability": {"group": 3, "condition_code": "DC02"},
            }
        )

    case("adult son of the head only, with a qualifying code", adult_child)

    # leap-day births: the birthday falls on 1 March in a common year
    for born, sex in (("2004-02-29", "M"), ("1964-02-29", "M"), ("1968-02-29", "F"), ("2020-02-29", "F")):
        case(f"head born {born}", lambda e, b=born, x=sex: e["members"][head].update(birth_date=b, sex=x))
        case(f"child born {born}", lambda e, b=born: kids(e, 1, 0, birth_date=b, parent_ids=["h", "s"]))
    for days in (-1, 0, 1):
        case(f"child aged 3 {days:+d}d of head and spouse", lambda e, d=days: kids(e, 1, 3, d, parent_ids=["h", "s"]))

        def mother_idle(e: dict[str, Any], d: int = days) -> None:
            e["members"][head]["sex"] = "F"
            e["members"][1]["sex"] = "M"
            kids(e, 1, 3, d, parent_ids=["h", "s"])

        case(f"child aged 3 {days:+d}d, idle mother", mother_idle)
        case(f"child aged 3 {days:+d}d of the father only", lambda e, d=days: kids(e, 1, 3, d, parent_ids=["h"]))

        def two_fathers(e: dict[str, Any], d: int = days) -> None:
            e["members"][1]["sex"] = "M"
            kids(e, 1, 3, d, parent_ids=["h", "s"])

        case(f"child aged 3 {days:+d}d, no mother in the household", two_fathers)

    # children: 18th birthday around day 1, ordering, twins, under-3 second child
    for days in (-1, 0, 1):
        case(f"member turning 18 {days:+d}d", lambda e, d=days: kids(e, 1, 18, d))
    case("twins born the same day", lambda e: kids(e, 2, 1, parent_ids=["h", "s"]))

    def mixed_ids(e: dict[str, Any]) -> None:
        for cid, years in (("b", 2), ("B", 2), ("10", 5), ("2", 5), ("a", 12)):
            e["members"].append(child(period, cid, years))

    case("children with tied birth dates and ids", mixed_ids)

    # means test: income at the threshold (per capita exactly MCE, one som under), with and without children
    for name, delta in (("at", 0), ("one som under", -1), ("one som per capita under", -6), ("top of MCE", 5)):

        def income_at(e: dict[str, Any], delta: int = delta) -> None:
            n = len(e["members"])
            e["members"][head]["income"] = [
                {"month": window[2], "source": "salary", "amount": mce(day1) * n * 3 + delta - 100_000}
            ]

        case(f"income {name} the threshold, no child", income_at)

        def income_at_with_child(e: dict[str, Any], delta: int = delta) -> None:
            kids(e, 1, 5)
            n = len(e["members"])
            e["members"][head]["income"] = [
                {"month": window[0], "source": "entrepreneurial", "amount": mce(day1) * n * 3 + delta - 100_000}
            ]

        case(f"income {name} the threshold, one child", income_at_with_child)

        def alimony_at(e: dict[str, Any], delta: int = delta) -> None:
            n = len(e["members"])
            e["members"][head]["income"] = [{"month": window[1], "source": "salary", "amount": mce(day1) * n * 3}]
            e["members"][head]["alimony_paid"] = [{"month": window[1], "amount": 100_000 - delta}]

        case(f"income {name} the threshold after alimony", alimony_at)

    def sp_over(e: dict[str, Any]) -> None:
        e["members"][1]["income"].append({"month": window[0], "source": "sp_benefit", "amount": 9_000_000})

    case("sp_benefit far above the threshold", sp_over)

    def alimony_over(e: dict[str, Any]) -> None:
        e["members"][1]["alimony_paid"] = [{"month": window[2], "amount": 900_000}]

    case("alimony above the income", alimony_over)

    # assets
    for vtype in ("passenger", "truck", "bus", "motorcycle", "tractor", "trailer"):
        for delta in (-1, 0, 1):
            for adapted in (False, True):
                vehicle = {
                    "type": vtype,
                    "manufactured_year": day1.year - 10 + delta,
                    "adapted_for_disability": adapted,
                }
                case(
                    f"vehicle {vtype} {delta:+d} adapted={adapted}",
                    lambda e, v=vehicle: e.update(assets={"vehicles": [dict(v)]}),
                )
    for kinds in (["dwelling"], ["dwelling", "dwelling"], ["land", "land", "dwelling"], ["non_residential"]):
        case(
            f"real estate {kinds}",
            lambda e, ks=kinds: e.update(assets={"real_estate": [{"kind": k, "owner_id": "s"} for k in ks]}),
        )
    for delta in (-1, 0, 1):
        case(
            f"securities 6 MCE {delta:+d}",
            lambda e, d=delta: e.update(assets={"securities_market_value": 6 * mce(day1) + d}),
        )

    # disabled child caregiver: codes and end dates
    for code in ("DC01", "DC34", "DC35", "DC00", "dc01", None):
        for until in (-1, 0, None):
            record = {"group": 3}
            if code is not None:
                record["condition_code"] = code
            if until is not None:
                record["until"] = shifted(day1, 0, until)
            case(f"child disability {code} until {until}", lambda e, r=record: kids(e, 1, 9, disability=dict(r)))
    case(
        "two qualifying disabled children",
        lambda e: kids(e, 2, 9, disability={"group": 1, "condition_code": "DC07"}),
    )

    # maternity: births around the first day of P-5, during P, mothers' sectors, fathers only, twins
    since = first_day(month_shift(period, -5))
    for days in (-1, 0, 1):
        for sector in ("non_state", "state", None):

            def birth(e: dict[str, Any], d: int = days, sector: str | None = sector) -> None:
                if sector is not None:
                    e["members"][1]["employment_sector"] = sector
                e["members"].append(
                    {
                        "id": "baby",
                        "birth_date": (since + timedelta(days=d)).isoformat(),
                        "sex": "M",
                        "relationship": "child",
                        "parent_ids": ["h", "s"],
                    }
                )

            case(f"birth at P-5 {days:+d}d, mother {sector}", birth)

    def born_in_p(e: dict[str, Any]) -> None:
        e["members"][1]["employment_sector"] = "non_state"
        e["members"].append(child(period, "baby", 0, 27))

    case("birth during P", born_in_p)

    def father_only(e: dict[str, Any]) -> None:
        e["members"][head]["employment_sector"] = "non_state"
        e["members"].append(child(period, "baby", 0, -20, parent_ids=["h"]))

    case("recent birth of the father only", father_only)

    def twins(e: dict[str, Any]) -> None:
        e["members"][1]["employment_sector"] = "non_state"
        kids(e, 2, 0, -20)

    case("recent twins", twins)

    def two_mothers(e: dict[str, Any]) -> None:
        e["members"][1]["employment_sector"] = "non_state"
        e["members"].append(
            {
                "id": "g",
                "birth_date": shifted(day1, 20),
                "sex": "F",
                "relationship": "other",
                "employment_sector": "non_state",
            }
        )
        e["members"].append(child(period, "b1", 0, -20, parent_ids=["s"]))
        e["members"].append(child(period, "b2", 0, -40, parent_ids=["g"]))

    case("two recent mothers in the non-state sector", two_mothers)

    def recent_birth_empty_ids(e: dict[str, Any]) -> None:
        e["members"][1]["employment_sector"] = "non_state"
        e["members"].append(child(period, "baby", 0, -20, parent_ids=[]))

    case("recent birth with parent_ids []", recent_birth_empty_ids)
    return out


def scale_cases(period: str) -> list[tuple[str, dict[str, Any]]]:
    """Many members at the threshold, and amounts past 32-bit integers and exact floats."""
    day1 = first_day(period)
    out = []
    for size in (12, 40):
        for delta in (-1, 0):
            evidence = base(period)
            for k in range(size - 2):
                evidence["members"].append(child(period, f"c{k:02d}", k % 18, days=-k - 1, parent_ids=["h", "s"]))
            evidence["members"][0]["income"] = [
                {"month": month_shift(period, -2), "source": "salary", "amount": mce(day1) * size * 3 + delta - 100_000}
            ]
            out.append((f"{period} {size} members, income {delta:+d} from the threshold", evidence))
    for amount in (2**24 + 1, 2**31 - 1, 2**31, 10**15):
        for where in ("income", "alimony", "securities"):
            evidence = base(period)
            if where == "income":
                evidence["members"][0]["income"] = [
                    {"month": month_shift(period, -1), "source": "property", "amount": amount}
                ]
            elif where == "alimony":
                evidence["members"][1]["alimony_paid"] = [{"month": month_shift(period, -1), "amount": amount}]
            else:
                evidence["assets"] = {"securities_market_value": amount}
            out.append((f"{period} {where} of {amount} som", evidence))
    return out


def boundary_cases() -> list[tuple[str, dict[str, Any]]]:
    """Every case in the PERIODS, then a young family in every month around a start date or MCE change."""
    cases = [c for period in PERIODS for c in cases_for(period)] + scale_cases("2025-06")
    for period in (
        "2021-09",
        "2021-12",
        "2022-01",
        "2022-03",
        "2022-04",
        "2022-08",
        "2022-09",
        "2022-12",
        "2023-01",
        "2023-12",
        "2024-01",
        "2024-12",
        "2025-01",
    ):

        def family(e: dict[str, Any], period: str = period) -> None:
            e["members"][1]["employment_sector"] = "non_state"
            e["members"].append(child(period, "baby", 0, -20, disability={"group": 2, "condition_code": "DC05"}))
            day1 = first_day(period)
            e["members"][head_index(e)]["income"] = [
                {"month": month_shift(period, -1), "source": "salary", "amount": mce(day1) * 9 - 100_000 - 1}
            ]

        evidence = copy.deepcopy(base(period))
        family(evidence)
        cases.append((f"{period} young family at the threshold", evidence))
    return cases


def head_index(evidence: dict[str, Any]) -> int:
    return next(k for k, m in enumerate(evidence["members"]) if m["relationship"] == "head")
