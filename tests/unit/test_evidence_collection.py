"""Unit tests for services.evidence_collection with fake agencies (no network)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from chalicelib.agency_ports import (
    AgencyFacts,
    AgencyQuery,
    AgencyUnavailable,
    IncomeFact,
    PersonFacts,
)
from chalicelib.domain.errors import ValidationFailed
from chalicelib.services.evidence_collection import collect_evidence
from tests.agency_fakes import FakeAgency, InMemoryAccessLog, failing

PINFL = {"p-1": "31505880123456", "p-2": "40101900123457", "p-3": "50202200123458", "p-4": "30303400123459"}


def app(**extra: Any) -> dict[str, Any]:
    return {
        "application_id": "app-9",
        "period": "2026-11",
        "officer_id": "off-3",
        "members": [
            {
                "person_id": "p-1",
                "pinfl": PINFL["p-1"],
                "birth_date": "1988-05-15",
                "sex": "M",
                "relationship": "head",
            },
            {
                "person_id": "p-2",
                "pinfl": PINFL["p-2"],
                "birth_date": "1990-01-01",
                "sex": "F",
                "relationship": "spouse",
            },
            {
                "person_id": "p-3",
                "pinfl": PINFL["p-3"],
                "birth_date": "2020-02-02",
                "sex": "M",
                "relationship": "child",
                "parent_ids": ["p-1", "p-2"],
            },
            {
                "person_id": "p-4",
                "pinfl": PINFL["p-4"],
                "birth_date": "1940-03-03",
                "sex": "M",
                "relationship": "other",
            },
        ],
        **extra,
    }


def civil(death: dict[str, date] | None = None, not_known: tuple[str, ...] = ()) -> FakeAgency:
    def answer(q: AgencyQuery) -> AgencyFacts:
        f = AgencyFacts("civil_registry", not_known=not_known)
        births = {
            "p-1": date(1988, 5, 15),
            "p-2": date(1990, 1, 1),
            "p-3": date(2020, 2, 2),
            "p-4": date(1940, 3, 3),
        }
        for r in q.persons:
            if r.person_id in not_known:
                f.persons[r.person_id] = PersonFacts()
                continue
            parents = (PINFL["p-1"], "39999999999999") if r.person_id == "p-3" else ()
            f.persons[r.person_id] = PersonFacts(
                birth_date=births[r.person_id],
                sex="F" if r.person_id == "p-2" else "M",
                death_date=(death or {}).get(r.person_id),
                parent_pinfls=parents,
            )
        return f

    return FakeAgency("civil_registry", answer)


def tax() -> FakeAgency:
    def answer(q: AgencyQuery) -> AgencyFacts:
        f = AgencyFacts("tax")
        for r in q.persons:
            rows = [IncomeFact(m, "salary", 2_000_000) for m in q.months] if r.person_id == "p-1" else []
            f.persons[r.person_id] = PersonFacts(incomes=rows, employment_sector="state" if rows else "none")
        return f

    return FakeAgency("tax", answer)


def test_members_reported_dead_before_the_month_are_left_out() -> None:
    # Given the civil registry reporting p-4 dead in October and nobody else
    log = InMemoryAccessLog()
    result = collect_evidence(app(), [civil({"p-4": date(2026, 10, 3)}), tax()], log)
    # Then p-4 is not a member of the evidence and is listed as deceased
    assert [m["id"] for m in result.evidence["members"]] == ["p-1", "p-2", "p-3"]
    assert result.deceased_member_ids == ("p-4",)
    # and a death on or after the first day of the month keeps the member
    result = collect_evidence(app(), [civil({"p-4": date(2026, 11, 1)}), tax()], log)
    assert result.deceased_member_ids == () and len(result.evidence["members"]) == 4


def test_parent_links_come_from_the_civil_registry_and_absent_parents_are_dropped() -> None:
    result = collect_evidence(app(), [civil(), tax()], InMemoryAccessLog())
    child = next(m for m in result.evidence["members"] if m["id"] == "p-3")
    # the registry names p-1 and a parent outside the household; the application's p-2 is not a parent there
    assert child["parent_ids"] == ["p-1"]
    # without the civil registry, the application's own links are used
    result = collect_evidence(app(), [tax()], InMemoryAccessLog())
    child = next(m for m in result.evidence["members"] if m["id"] == "p-3")
    assert child["parent_ids"] == ["p-1", "p-2"]


def test_income_is_merged_for_the_three_months_before_the_period() -> None:
    result = collect_evidence(app(), [civil(), tax()], InMemoryAccessLog())
    head = result.evidence["members"][0]
    assert [i["month"] for i in head["income"]] == ["2026-08", "2026-09", "2026-10"]
    assert head["employment_sector"] == "state"
    assert result.evidence["members"][1]["income"] == []


def test_a_failure_then_success_is_retried_and_logged_per_attempt() -> None:
    # Given the tax authority failing once
    t = tax()
    t.failures = [AgencyUnavailable("tax", "HTTP 503")]
    log = InMemoryAccessLog()
    result = collect_evidence(app(), [civil(), t], log, retries=2)
    # Then the second attempt answers; the log has both attempts for each member
    assert result.missing_sources == [] and result.stats["tax"].attempts == 2
    outcomes = sorted((e.attempt, e.outcome) for e in log.for_agency("tax"))
    assert outcomes == [(1, "unavailable")] * 4 + [(2, "ok")] * 4


def test_failures_never_escape_and_are_named() -> None:
    # Given an agency that always fails and a connector with a bug
    def bug(q: AgencyQuery) -> AgencyFacts:
        raise KeyError("oops")

    agencies = [civil(), failing("cadastre", AgencyUnavailable), FakeAgency("education", bug)]
    result = collect_evidence(app(), agencies, InMemoryAccessLog(), retries=1)
    # Then both are missing sources with their kind, after 2 attempts each
    assert sorted((m.agency, m.kind) for m in result.missing_sources) == [
        ("cadastre", "unavailable"),
        ("education", "client_error"),
    ]
    assert result.stats["cadastre"].attempts == 2 and not result.complete
    # and the members are still there, without the missing facts
    assert len(result.evidence["members"]) == 4


def test_a_person_unknown_to_the_civil_registry_is_a_missing_source() -> None:
    result = collect_evidence(app(), [civil(not_known=("p-4",)), tax()], InMemoryAccessLog())
    assert [(m.agency, m.kind, m.person_ids) for m in result.missing_sources] == [
        ("civil_registry", "person_not_known", ("p-4",))
    ]
    # the application's own birth date is kept for that member
    assert result.evidence["members"][3]["birth_date"] == "1940-03-03"


def test_iron_notebook_from_the_application_or_local_government() -> None:
    def listed(q: AgencyQuery) -> AgencyFacts:
        return AgencyFacts(
            "local_government",
            {r.person_id: PersonFacts(iron_notebook=r.person_id == "p-2") for r in q.persons},
        )

    assert collect_evidence(app(), [tax()], InMemoryAccessLog()).evidence["iron_notebook"] is False
    assert collect_evidence(app(iron_notebook=True), [tax()], InMemoryAccessLog()).evidence["iron_notebook"] is True
    assert collect_evidence(app(), [FakeAgency("local_government", listed)], InMemoryAccessLog()).evidence[
        "iron_notebook"
    ]


def test_an_application_object_is_accepted() -> None:
    @dataclass
    class Member:
        person_id: str
        pinfl: str
        birth_date: date
        sex: str
        relationship: str

    @dataclass
    class Application:
        application_id: str
        period: str
        officer_id: str
        members: list[Member] = field(default_factory=list)
        programmes: tuple[str, ...] = ("material_assistance",)

    a = Application("app-1", "2026-11", "off-1", [Member("p-1", PINFL["p-1"], date(1988, 5, 15), "M", "head")])
    result = collect_evidence(a, [tax()], InMemoryAccessLog())
    assert result.evidence["members"][0]["id"] == "p-1"
    assert result.evidence["programmes"] == ["material_assistance"]


@pytest.mark.parametrize(
    ("change", "field_path"),
    [
        ({"period": "2026-13"}, "period"),
        ({"members": []}, "members"),
        (
            {"members": [{"person_id": "p-1", "pinfl": "1", "birth_date": "15.05.1988"}]},
            "members[0].birth_date",
        ),
        ({"members": [{"person_id": "p-1"}]}, "members[0]"),
    ],
)
def test_bad_applications_are_refused_with_the_field(change: dict[str, Any], field_path: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        collect_evidence(app(**change), [tax()], InMemoryAccessLog())
    assert e.value.field == field_path


def test_an_access_log_that_fails_stops_the_collection() -> None:
    class Broken:
        def record(self, entries: list[Any]) -> None:
            raise RuntimeError("log store down")

    with pytest.raises(RuntimeError):
        collect_evidence(app(), [tax()], Broken())


def test_the_result_serialises_to_json() -> None:
    import json

    result = collect_evidence(
        app(), [civil({"p-4": date(2026, 10, 3)}), failing("tax", AgencyUnavailable)], InMemoryAccessLog(), retries=0
    )
    d = json.loads(json.dumps(result.to_dict()))
    assert d["complete"] is False and d["missing_sources"][0]["kind"] == "unavailable"
    assert d["deceased_member_ids"] == ["p-4"] and d["stats"]["tax"]["attempts"] == 1
