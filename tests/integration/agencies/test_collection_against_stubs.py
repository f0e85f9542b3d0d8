"""Evidence collection through the real connectors against the agency stubs on loopback.

Given the 13 agency stubs answering from the synthetic population, when the registry collects the
evidence of an application, then it equals the population's own view (``evidence_for``); under each
fault the collection still returns, naming the failing agency and the kind of failure.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from chalicelib.adapters.agencies import AGENCY_NAMES, build_agency_client, build_agency_clients
from chalicelib.domain.evidence import CollectionRequest, MemberRef
from chalicelib.domain.identifiers import make_pinfl
from chalicelib.services.evidence_collection import collect_evidence
from devstack.agencies.run import RunningAgencies, start_all
from devstack.population import SynthHousehold, evidence_for
from tests._schema import evidence_validator
from tests.agency_fakes import InMemoryAccessLog

from .conftest import PERIOD

NORMAL_TIMEOUT_S = 2.0
SHORT_TIMEOUT_S = 0.25


def application(h: SynthHousehold, **extra: Any) -> CollectionRequest:
    members = tuple(MemberRef(p.person_id, p.pinfl, p.birth_date, p.sex, p.relationship) for p in h.members)
    return CollectionRequest(**{"application_id": f"app-{h.household_id}", "period": PERIOD,
                                "officer_id": "officer-17", "members": members, **extra})


def clients(agencies: RunningAgencies, short: tuple[str, ...] = ()) -> list[Any]:
    return [
        build_agency_client(n, agencies.urls[n], timeout_s=SHORT_TIMEOUT_S if n in short else NORMAL_TIMEOUT_S)
        for n in AGENCY_NAMES
    ]


def interesting(households: list[SynthHousehold]) -> list[SynthHousehold]:
    """The first households plus one of each kind of fact the agencies hold."""
    picks = {h.index: h for h in households[:8]}
    features = [
        lambda h: h.vehicles,
        lambda h: h.securities_market_value,
        lambda h: len(h.real_estate) > 1,
        lambda h: h.iron_notebook,
        lambda h: h.shape == "single_parent",
        lambda h: h.shape == "multigenerational",
        lambda h: any(p.alimony_paid for p in h.members),
        lambda h: any(i.source == "alimony_received" for p in h.members for i in p.incomes),
        lambda h: any(p.disability for p in h.members),
        lambda h: any(p.student for p in h.members),
        lambda h: any(p.military_conscript for p in h.members),
        lambda h: any(p.detained for p in h.members),
        lambda h: any(p.job_seeker_registered for p in h.members),
        lambda h: any(i.source in ("pension", "public_works", "sp_benefit") for p in h.members for i in p.incomes),
    ]
    for f in features:
        h = next((h for h in households if f(h)), None)
        assert h is not None, "the population lacks a feature the test needs"
        picks[h.index] = h
    return list(picks.values())


def test_collected_evidence_equals_the_population_view(agencies: RunningAgencies) -> None:
    # Given households with every kind of agency fact
    cs = clients(agencies)
    validator = evidence_validator()
    for h in interesting(agencies.index.households):
        log = InMemoryAccessLog()
        # When the registry collects their evidence
        result = collect_evidence(application(h), cs, log, retries=1)
        # Then it is complete and equal to what the population says, and it fits the schema
        assert result.missing_sources == [], (h.household_id, result.missing_sources)
        assert result.evidence == evidence_for(h, PERIOD), h.household_id
        assert not list(validator.iter_errors(result.evidence))
        # and one access log entry per agency and member, none carrying a PINFL
        assert len(log.entries) == len(AGENCY_NAMES) * len(h.members)
        assert {(e.agency, e.person_id) for e in log.entries} == {
            (a, p.person_id) for a in AGENCY_NAMES for p in h.members
        }
        for e in log.entries:
            text = repr(e)
            assert not re.search(r"\d{14}", text)
            assert e.application_id == f"app-{h.household_id}" and e.officer_id == "officer-17"
            assert e.outcome in ("ok", "not_known") and e.duration_ms >= 0


@pytest.mark.parametrize(
    ("agency", "mode", "kind"),
    [
        ("tax", "timeout", "timeout"),
        ("tax", "http_500", "unavailable"),
        ("tax", "malformed", "malformed_answer"),
        ("pension_fund", "soap_fault", "unavailable"),  # a REST agency's own error answer
        ("civil_registry", "http_500", "unavailable"),
        ("civil_registry", "malformed", "malformed_answer"),
        ("disability", "timeout", "timeout"),
        ("cadastre", "soap_fault", "unavailable"),
        ("traffic_police", "http_500", "unavailable"),
        ("enforcement", "malformed", "malformed_answer"),
        ("penitentiary", "timeout", "timeout"),
    ],
)
def test_each_fault_is_reported_as_a_missing_source(
    clean_agencies: RunningAgencies, agency: str, mode: str, kind: str
) -> None:
    # Given one agency switched to a fault
    h = clean_agencies.index.households[1]
    clean_agencies.set_faults(agency, mode=mode, timeout_s=1.0)
    log = InMemoryAccessLog()
    # When collecting with 2 retries (the client's timeout short only where the fault is a timeout: an error
    # answer on a loaded machine can take longer than 0.25 s and would be counted as a timeout)
    short = (agency,) if mode == "timeout" else ()
    result = collect_evidence(application(h), clients(clean_agencies, short=short), log, retries=2)
    # Then nothing is raised, that agency is missing with the right kind, after 3 attempts
    assert [(m.agency, m.kind) for m in result.missing_sources] == [(agency, kind)]
    assert result.stats[agency].attempts == 3 and result.stats[agency].outcome == kind
    # and every other agency answered
    assert all(s.outcome == "ok" for a, s in result.stats.items() if a != agency)
    # and the access log holds 3 failed attempts per member for it, one success per member elsewhere
    failed = log.for_agency(agency)
    assert len(failed) == 3 * len(h.members) and {e.outcome for e in failed} == {kind}
    assert len(log.entries) == len(failed) + (len(AGENCY_NAMES) - 1) * len(h.members)


def test_a_transient_fault_is_overcome_by_a_retry(clean_agencies: RunningAgencies) -> None:
    # Given the tax authority failing on a fifth of its calls (seeded; one call per member)
    h = clean_agencies.index.households[2]
    clean_agencies.set_faults("tax", error_rate=0.2, seed=3)
    outcomes = []
    for _ in range(4):
        result = collect_evidence(application(h), clients(clean_agencies), InMemoryAccessLog(), retries=8)
        outcomes.append((result.missing_sources, result.stats["tax"].attempts))
    # Then with enough retries it always answers, and some collections needed more than one attempt
    assert all(m == [] for m, _ in outcomes)
    assert any(n > 1 for _, n in outcomes)


def test_unknown_person_is_a_civil_registry_problem_and_an_empty_answer_elsewhere(
    clean_agencies: RunningAgencies,
) -> None:
    # Given an application with a member whose well-formed PINFL no agency knows
    h = clean_agencies.index.households[4]
    app = application(h)
    stranger = make_pinfl("M", date(1990, 1, 1), "777", "777")
    app = replace(app, members=(*app.members, MemberRef("p-stranger", stranger, date(1990, 1, 1), "M", "other")))
    log = InMemoryAccessLog()
    # When collecting
    result = collect_evidence(app, clients(clean_agencies), log, retries=0)
    # Then the civil registry's "not known" is reported, every agency answered, and the stranger has no facts
    assert [m.to_dict() for m in result.missing_sources] == [
        {
            "agency": "civil_registry",
            "kind": "person_not_known",
            "detail": "members unknown to the civil registry",
            "person_ids": ["p-stranger"],
        }
    ]
    assert all(s.outcome == "ok" for s in result.stats.values())
    assert "p-stranger" in result.not_known["tax"] and "p-stranger" in result.not_known["cadastre"]
    stranger_ev = next(m for m in result.evidence["members"] if m["id"] == "p-stranger")
    assert stranger_ev["income"] == [] and stranger_ev["employment_sector"] == "none"
    assert {e.outcome for e in log.entries if e.person_id == "p-stranger"} == {"not_known"}
    # and the household's own members are as the population says
    expected = evidence_for(h, PERIOD)
    assert [m for m in result.evidence["members"] if m["id"] != "p-stranger"] == expected["members"]


def test_an_agency_that_refuses_connections_is_unavailable(clean_agencies: RunningAgencies) -> None:
    # Given the labour ministry's URL pointing at a closed port
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    urls = dict(clean_agencies.urls, labour=closed)
    result = collect_evidence(
        application(clean_agencies.index.households[5]),
        build_agency_clients(urls),
        InMemoryAccessLog(),
        retries=1,
    )
    # Then labour is missing as unavailable
    assert [(m.agency, m.kind) for m in result.missing_sources] == [("labour", "unavailable")]


def test_the_collection_deadline_bounds_a_slow_agency(clean_agencies: RunningAgencies) -> None:
    # Given the depository answering after 1.5 s and a collection deadline of 0.5 s
    clean_agencies.set_faults("depository", latency_ms=1500)
    result = collect_evidence(
        application(clean_agencies.index.households[6]),
        clients(clean_agencies),
        InMemoryAccessLog(),
        timeout_s=0.5,
    )
    # Then the collection returns in time with the depository missing by deadline
    assert [(m.agency, m.kind) for m in result.missing_sources] == [("depository", "deadline")]
    assert result.duration_ms < 1400


def test_faults_are_switched_through_the_admin_endpoint(clean_agencies: RunningAgencies) -> None:
    url = clean_agencies.urls["defence"] + "/_faults"

    def post(body: bytes) -> tuple[int, dict[str, Any]]:
        req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=2) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    # Given a fault set over HTTP / Then it is in force, and nonsense is refused with 400
    status, body = post(json.dumps({"mode": "http_500"}).encode())
    assert status == 200 and body["mode"] == "http_500"
    result = collect_evidence(
        application(clean_agencies.index.households[7]),
        clients(clean_agencies),
        InMemoryAccessLog(),
        retries=0,
    )
    assert [(m.agency, m.kind) for m in result.missing_sources] == [("defence", "unavailable")]
    assert post(json.dumps({"mode": "explode"}).encode())[0] == 400
    assert post(b"{not json")[0] == 400


def test_start_all_applies_faults_given_at_start() -> None:
    # Given a tax authority started in malformed mode / Then its connector reports a malformed answer
    with start_all(5, faults={"tax": {"mode": "malformed"}}, agencies=("tax",)) as running:
        h = running.index.households[0]
        result = collect_evidence(application(h), build_agency_clients(running.urls), InMemoryAccessLog(), retries=0)
        assert [(m.agency, m.kind) for m in result.missing_sources] == [("tax", "malformed_answer")]
        assert set(running.urls) == {"tax"}


def test_civil_registry_lookup_checks_a_pinfl(clean_agencies: RunningAgencies) -> None:
    from chalicelib.adapters.agencies.dci import CivilRegistryClient
    from chalicelib.agency_ports import PersonNotKnown, PersonRef

    client = CivilRegistryClient(clean_agencies.urls["civil_registry"])
    p = clean_agencies.index.households[0].members[0]
    # Given a known PINFL / Then its birth date and sex come back
    facts = client.lookup(PersonRef(p.person_id, p.pinfl))
    assert facts.birth_date == p.birth_date and facts.sex == p.sex
    # Given an unknown one / Then PersonNotKnown, without the PINFL in the message
    stranger = make_pinfl("F", date(1977, 7, 7), "555", "555")
    with pytest.raises(PersonNotKnown) as e:
        client.lookup(PersonRef("p-x", stranger))
    assert stranger not in str(e.value)


def test_a_retry_asks_again_only_about_the_members_an_agency_failed_on(clean_agencies: RunningAgencies) -> None:
    # Given the tax authority (asked member by member) failing on a fifth of its calls
    clean_agencies.set_faults("tax", error_rate=0.2, seed=11)
    households = [h for h in clean_agencies.index.households if len(h.members) >= 3][:30]
    retried = 0
    for h in households:
        log = InMemoryAccessLog()
        # When each family's evidence is collected with six retries
        result = collect_evidence(application(h), clients(clean_agencies), log, retries=6)
        # Then every collection is complete and equal to the population's view
        assert result.missing_sources == [] and result.evidence == evidence_for(h, PERIOD), h.household_id
        # and no member was asked again after the agency had answered about them
        tax = log.for_agency("tax")
        answered = [e.person_id for e in tax if e.outcome in ("ok", "not_known")]
        assert sorted(answered) == sorted(p.person_id for p in h.members)
        retried += result.stats["tax"].attempts > 1
    # (the seeded faults did hit some of them)
    assert retried > 0
