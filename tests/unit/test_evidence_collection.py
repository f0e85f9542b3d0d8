"""Unit tests for services.evidence_collection with fake agencies (no network)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from chalicelib.agency_ports import AgencyQuery, AgencyUnavailable
from chalicelib.domain.evidence import (
    SUPPLIED,
    AgencyFacts,
    CollectionRequest,
    IncomeFact,
    MemberRef,
    PersonFacts,
    unsupplied,
)
from chalicelib.services.evidence_collection import collect_evidence
from tests.agency_fakes import FakeAgency, InMemoryAccessLog, failing

PINFL = {"p-1": "31505880123456", "p-2": "40101900123457", "p-3": "50202200123458", "p-4": "30303400123459"}


def app(**extra: Any) -> CollectionRequest:
    members = (
        MemberRef("p-1", PINFL["p-1"], date(1988, 5, 15), "M", "head"),
        MemberRef("p-2", PINFL["p-2"], date(1990, 1, 1), "F", "spouse"),
        MemberRef("p-3", PINFL["p-3"], date(2020, 2, 2), "M", "child", ("p-1", "p-2")),
        MemberRef("p-4", PINFL["p-4"], date(1940, 3, 3), "M", "other"),
    )
    return CollectionRequest(**{"application_id": "app-9", "period": "2026-11", "officer_id": "off-3",
                                "members": members, **extra})


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


def _manual_tax(amount: int) -> AgencyFacts:
    return AgencyFacts("tax", {"p-1": PersonFacts(incomes=[IncomeFact("2026-10", "salary", amount)],
                                                  employment_sector="non_state")})


def test_manual_facts_stand_in_for_a_missing_agency_only() -> None:
    # Given the tax authority failing and facts entered by hand for it
    result = collect_evidence(app(), [civil(), failing("tax", AgencyUnavailable)], InMemoryAccessLog(), retries=0,
                              manual={"tax": _manual_tax(900_000)})
    # Then the manual facts are the tax facts, and tax is not missing
    assert result.missing_sources == [] and result.manual_used == ("tax",)
    assert result.evidence["members"][0]["income"] == [{"month": "2026-10", "source": "salary", "amount": 900_000}]
    # When the tax authority answers, its own answer wins over the manual facts
    result = collect_evidence(app(), [civil(), tax()], InMemoryAccessLog(), manual={"tax": _manual_tax(900_000)})
    assert result.manual_used == ()
    assert [i["amount"] for i in result.evidence["members"][0]["income"]] == [2_000_000] * 3


def test_a_required_agency_without_a_connector_is_missing_unless_entered_by_hand() -> None:
    result = collect_evidence(app(), [civil()], InMemoryAccessLog(), required=("civil_registry", "tax"))
    assert [(m.agency, m.kind) for m in result.missing_sources] == [("tax", "not_configured")]
    result = collect_evidence(app(), [civil()], InMemoryAccessLog(), required=("civil_registry", "tax"),
                              manual={"tax": _manual_tax(1)})
    assert result.complete and result.manual_used == ("tax",)


def test_manual_civil_facts_fill_only_the_members_the_registry_does_not_know() -> None:
    manual = AgencyFacts("civil_registry", {"p-4": PersonFacts(birth_date=date(1941, 4, 4), sex="M"),
                                            "p-1": PersonFacts(birth_date=date(2000, 1, 1), sex="F")})
    result = collect_evidence(app(), [civil(not_known=("p-4",)), tax()], InMemoryAccessLog(),
                              manual={"civil_registry": manual})
    assert result.complete and result.manual_used == ("civil_registry",)
    members = {m["id"]: m for m in result.evidence["members"]}
    assert members["p-4"]["birth_date"] == "1941-04-04"
    assert members["p-1"]["birth_date"] == "1988-05-15"  # the registry's own record wins


def test_a_connector_stating_a_fact_its_agency_does_not_supply_is_a_client_error() -> None:
    # Given a tax connector that (wrongly) maps a labour-agency flag
    def answer(q: AgencyQuery) -> AgencyFacts:
        return AgencyFacts("tax", {r.person_id: PersonFacts(job_seeker_registered=True) for r in q.persons})

    log = InMemoryAccessLog()
    result = collect_evidence(app(), [civil(), FakeAgency("tax", answer)], log, retries=0)
    # Then its answer is not used: tax is missing, and the member is not a registered job-seeker
    assert [(m.agency, m.kind) for m in result.missing_sources] == [("tax", "client_error")]
    assert "job_seeker_registered" in result.missing_sources[0].detail
    assert not any(m["job_seeker_registered"] for m in result.evidence["members"])
    assert {e.outcome for e in log.for_agency("tax")} == {"client_error"}


def test_the_supplied_lists_name_real_facts_and_catch_foreign_ones() -> None:
    names = set(PersonFacts.__dataclass_fields__)
    assert all(s.facts <= names for s in SUPPLIED.values())
    salary = [IncomeFact("2026-10", "salary", 0)]
    assert unsupplied("tax", PersonFacts(incomes=salary, employment_sector="none")) is None
    assert unsupplied("tax", PersonFacts(job_seeker_registered=False)) == "job_seeker_registered"
    assert unsupplied("tax", PersonFacts(incomes=[IncomeFact("2026-10", "pension", 1)])) == "incomes[0].source"
    assert unsupplied("labour", PersonFacts(job_seeker_registered=True)) is None


class PersonByPerson:
    """An agency asked about each member in turn, failing once on each of ``flaky`` (keeping what it had)."""

    name = "tax"

    def __init__(self, flaky: set[str], error: type = AgencyUnavailable) -> None:
        self.flaky, self.error = set(flaky), error
        self.asked: list[tuple[str, ...]] = []

    def fetch(self, query: AgencyQuery) -> AgencyFacts:
        self.asked.append(tuple(r.person_id for r in query.persons))
        facts = AgencyFacts("tax")
        for r in query.persons:
            if r.person_id in self.flaky:
                self.flaky.discard(r.person_id)
                raise self.error("tax", "HTTP 503").keeping(facts, [])
            rows = [IncomeFact(m, "salary", 2_000_000) for m in query.months] if r.person_id == "p-1" else []
            facts.persons[r.person_id] = PersonFacts(incomes=rows, employment_sector="state" if rows else "none")
        return facts


def test_a_retry_asks_only_about_the_members_not_answered_and_keeps_the_answers_received() -> None:
    # Given a tax authority whose queries about p-2 and then p-4 each fail once
    tax_agency = PersonByPerson({"p-2", "p-4"})
    log = InMemoryAccessLog()
    # When the evidence is collected with two retries
    result = collect_evidence(app(), [civil(), tax_agency], log, retries=2)
    # Then each attempt asked only about the members still unanswered, and nothing is missing
    assert tax_agency.asked == [("p-1", "p-2", "p-3", "p-4"), ("p-2", "p-3", "p-4"), ("p-4",)]
    assert result.complete and result.stats["tax"].attempts == 3
    assert [i["amount"] for i in result.evidence["members"][0]["income"]] == [2_000_000] * 3
    # and the log has one entry per member asked, per attempt, with its own outcome
    entries = sorted((e.attempt, e.person_id, e.outcome) for e in log.for_agency("tax"))
    assert entries == [(1, "p-1", "ok"), (1, "p-2", "unavailable"), (1, "p-3", "unavailable"),
                       (1, "p-4", "unavailable"), (2, "p-2", "ok"), (2, "p-3", "ok"), (2, "p-4", "unavailable"),
                       (3, "p-4", "ok")]


def test_a_member_still_failing_after_the_retries_leaves_the_agency_missing() -> None:
    # Given a tax authority that fails on p-3 three times
    tax_agency = PersonByPerson({"p-3"})
    tax_agency.fetch = _failing_on("p-3", 3, tax_agency.fetch)  # type: ignore[method-assign]
    result = collect_evidence(app(), [civil(), tax_agency], InMemoryAccessLog(), retries=2)
    # Then tax is a missing source (no half-answered agency is ever decided on)
    assert [(m.agency, m.kind) for m in result.missing_sources] == [("tax", "unavailable")]
    assert all(m["income"] == [] for m in result.evidence["members"])


def _failing_on(person: str, times: int, fetch: Any) -> Any:
    left = [times]

    def wrapped(query: AgencyQuery) -> AgencyFacts:
        if left[0] and any(r.person_id == person for r in query.persons):
            left[0] -= 1
            answered = fetch(AgencyQuery(query.application_id, query.period, query.months, query.on_date,
                                         tuple(r for r in query.persons if r.person_id < person)))
            raise AgencyUnavailable("tax", "HTTP 503").keeping(answered, [])
        return fetch(query)

    return wrapped


def test_attempts_back_off_exponentially_with_jitter() -> None:
    # Given a tax authority failing every time, and a recorded sleep
    pauses: list[float] = []
    result = collect_evidence(app(), [civil(), failing("tax", AgencyUnavailable)], InMemoryAccessLog(), retries=3,
                              backoff_s=0.4, sleep=pauses.append)
    # Then the pauses double from 0.4 s, each between half and all of its step
    assert not result.complete and len(pauses) == 3
    for pause, step in zip(pauses, (0.4, 0.8, 1.6), strict=True):
        assert step / 2 <= pause <= step


def test_an_agency_whose_circuit_is_open_is_not_asked_and_is_missing_as_circuit_open() -> None:
    # Given the tax authority's circuit open
    t = tax()
    log = InMemoryAccessLog()
    # When the evidence is collected
    result = collect_evidence(app(), [civil(), t], log, blocked={"tax"})
    # Then the tax authority is never called nor logged, and is missing as circuit_open (the workflow waits)
    assert t.calls == 0 and log.for_agency("tax") == []
    assert [(m.agency, m.kind) for m in result.missing_sources] == [("tax", "circuit_open")]
