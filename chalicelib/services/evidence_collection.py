"""Collect the evidence of one application from the government agencies, concurrently.

``collect_evidence(request, agencies, access_log)`` asks every agency about every member of a
``CollectionRequest`` at once (one thread per agency), retries an agency that fails (about the
members it has not answered yet only, backing off with jitter), and merges the
answers into the ``evidence`` document of assessment.schema.json. It never raises for an agency's
failure: an agency still failing after its retries is listed in ``missing_sources`` with the failure
kind (timeout, unavailable, malformed_answer, client_error, deadline; ``not_configured`` for a
required agency without a connector) and its facts are simply absent. An answer that states a fact
its agency does not supply (``domain.evidence.SUPPLIED``) is a connector defect: ``client_error``.

Facts staff entered by hand (``manual``, one ``AgencyFacts`` per agency) stand in for an agency
only where it is missing (for the civil registry also for the members it does not know); where
the agency answered, its own answer wins; except ``corrections``, an appeal's corrected facts with
their evidence, which replace the agency's answer. ``CollectionResult.manual_used`` names the
agencies whose manual facts went into the evidence.
The caller decides what an incomplete collection means (the default rule set must not decide on
missing income, so the workflow should hold or retry the application).

Merging rules (the evidence is the agencies' view, the application only names the members):
- members: the application's members; birth date, sex and parent links come from the civil
  registry when it knows the person. A member the civil registry reports dead before the first day
  of the application month (or born on/after it) is left out and listed in ``deceased_member_ids``.
  A member the civil registry does not know is a data problem: missing_sources gets
  ``{"agency": "civil_registry", "kind": "person_not_known", "person_ids": [...]}``.
- parent_ids: the civil registry's parents mapped to members of the application (absent parents
  dropped); without a civil registry answer, the application's own parent_ids.
- income: the union of every agency's income rows for the months P-3..P-1, sorted by
  (month, source, amount); alimony paid likewise, sorted by (month, amount).
- assets: vehicles and real estate owned by the remaining members, sorted by
  (owner_id, type, year, adapted) and (owner_id, kind); securities = sum of the members' portfolios.
- iron_notebook: the application's flag or any member listed by local government.

Every query is written to the access log: one entry per (agency, member, attempt) with ids only,
the outcome and the duration of the agency call. An access log that cannot be written raises:
querying personal data without a trace is not acceptable. An agency still running at the deadline
writes its entries when its call ends, after the result has been returned.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from chalicelib.agency_ports import (
    AccessLogEntry,
    AccessLogPort,
    AgencyClient,
    AgencyError,
    AgencyQuery,
    PersonRef,
)
from chalicelib.domain.evidence import (
    SUPPLIED,
    AgencyFacts,
    CollectionRequest,
    IncomeFact,
    MemberRef,
    MissingSource,
    PersonFacts,
    unsupplied,
)


@dataclass
class AgencyCallStats:
    agency: str
    attempts: int = 0
    duration_ms: int = 0
    outcome: str = "pending"


@dataclass
class CollectionResult:
    evidence: dict[str, Any]
    missing_sources: list[MissingSource] = field(default_factory=list)
    stats: dict[str, AgencyCallStats] = field(default_factory=dict)
    deceased_member_ids: tuple[str, ...] = ()
    not_known: dict[str, tuple[str, ...]] = field(default_factory=dict)  # agency -> person ids (no record)
    manual_used: tuple[str, ...] = ()  # agencies whose facts were entered by hand
    answers: dict[str, AgencyFacts] = field(default_factory=dict)  # each agency's own answer (known ones too)
    duration_ms: int = 0

    @property
    def complete(self) -> bool:
        return not self.missing_sources

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (for a Step Functions task output or an audit record)."""
        return {
            "evidence": self.evidence,
            "complete": self.complete,
            "missing_sources": [m.to_dict() for m in self.missing_sources],
            "stats": {
                a: {"attempts": s.attempts, "duration_ms": s.duration_ms, "outcome": s.outcome}
                for a, s in self.stats.items()
            },
            "deceased_member_ids": list(self.deceased_member_ids),
            "not_known": {a: list(ids) for a, ids in self.not_known.items()},
            "manual_used": list(self.manual_used),
            "duration_ms": self.duration_ms,
        }


def _month_add(ym: str, k: int) -> str:
    n = int(ym[:4]) * 12 + int(ym[5:7]) - 1 + k
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


@dataclass
class _Outcome:
    agency: str
    facts: AgencyFacts | None = None
    error: AgencyError | None = None
    error_kind: str = ""
    stats: AgencyCallStats | None = None


def _ask(
    client: AgencyClient,
    query: AgencyQuery,
    app: CollectionRequest,
    access_log: AccessLogPort,
    retries: int,
    backoff_s: float,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
) -> _Outcome:
    """Asks one agency; after a failure, again about the members it has not answered yet only (the
    answers received are kept). Each query has its own retries: a failure is charged to the first
    member left unanswered (the query that failed, for a connector asking member by member), and the
    agency is given up when one member has failed ``retries + 1`` times. Between attempts the pause
    doubles with that member's failures, with jitter."""
    stats = AgencyCallStats(client.name)
    out = _Outcome(client.name, stats=stats)
    answered = AgencyFacts(client.name)
    not_known: set[str] = set()
    failures: dict[str, int] = {}
    remaining = query.persons
    attempt = 0
    while True:
        attempt += 1
        started = clock()
        t0 = time.perf_counter()
        kind = "ok"
        facts: AgencyFacts | None = None
        try:
            facts = client.fetch(replace(query, persons=remaining))
        except AgencyError as e:
            kind = e.kind
            out.error = e
            facts = e.partial
        except Exception as e:
            kind = "client_error"
            out.error = AgencyError(client.name, f"connector failed: {type(e).__name__}")
        took = int((time.perf_counter() - t0) * 1000)
        stats.attempts = attempt
        stats.duration_ms += took
        wrong = _first_unsupplied(client.name, facts) if facts is not None else None
        if wrong is not None:
            kind, facts = "client_error", None
            out.error = AgencyError(client.name, f"connector stated {wrong}, which this agency does not supply")
        asked = {r.person_id for r in remaining}
        got = {pid for pid in (facts.persons if facts else {}) if pid in asked}
        unknown = set(facts.not_known) & got if facts else set()
        access_log.record(
            [
                AccessLogEntry(
                    agency=client.name,
                    person_id=ref.person_id,
                    application_id=app.application_id,
                    officer_id=app.officer_id,
                    time=started,
                    outcome=("not_known" if ref.person_id in unknown else "ok") if ref.person_id in got else kind,
                    duration_ms=took,
                    attempt=attempt,
                )
                for ref in remaining
            ]
        )
        if facts is not None:
            for pid in got:
                answered.persons[pid] = facts.persons[pid]
            not_known |= unknown
        remaining = tuple(r for r in remaining if r.person_id not in got)
        if not remaining:
            answered.not_known = tuple(r.person_id for r in query.persons if r.person_id in not_known)
            out.facts, out.error, out.error_kind = answered, None, ""
            stats.outcome = "ok"
            return out
        out.error_kind = kind
        stats.outcome = kind
        failed = remaining[0].person_id
        failures[failed] = failures.get(failed, 0) + 1
        if failures[failed] > retries:
            return out
        if backoff_s:
            # Exponential with "equal jitter": executions that failed together do not retry together.
            step = backoff_s * 2 ** (failures[failed] - 1)
            sleep(step / 2 + random.uniform(0, step / 2))


def collect_evidence(
    request: CollectionRequest,
    agencies: Sequence[AgencyClient],
    access_log: AccessLogPort,
    *,
    manual: Mapping[str, AgencyFacts] | None = None,
    corrections: Mapping[str, AgencyFacts] | None = None,
    known: Mapping[str, AgencyFacts] | None = None,
    blocked: Collection[str] = (),
    required: Sequence[str] = (),
    retries: int = 2,
    timeout_s: float = 30.0,
    backoff_s: float = 0.0,
    clock: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> CollectionResult:
    """Ask every agency about every member concurrently and merge the answers into the evidence.

    ``manual``: facts staff entered by hand, by agency, used only where that agency is missing.
    ``corrections``: facts an officer entered on appeal, by agency, used in place of its answer.
    ``known``: answers received in an earlier round of the same attempt, by agency: not asked again.
    ``blocked``: agencies whose circuit is open: not asked, missing as ``circuit_open``.
    ``required``: agencies that must answer; one without a connector in ``agencies`` is a missing
    source (``not_configured``), never an empty answer: deciding without, say, the tax authority
    would find every family without income. ``retries``: extra attempts per query (member) after
    a failure, each asking about the members not answered yet only; ``backoff_s``: the first pause
    between attempts (doubling, with jitter). ``timeout_s``: the deadline for the whole collection;
    agencies still running then are reported as ``deadline`` (each connector also has its own
    per-call timeout).
    """
    t_start = time.perf_counter()
    clock = clock or (lambda: datetime.now(UTC))
    manual = manual or {}
    app = request
    period_start = date(int(app.period[:4]), int(app.period[5:7]), 1)
    months = tuple(_month_add(app.period, k) for k in (-3, -2, -1))
    query = AgencyQuery(
        application_id=app.application_id,
        period=app.period,
        months=months,
        on_date=period_start,
        persons=tuple(PersonRef(m.person_id, m.pinfl) for m in app.members),
    )
    known = known or {}
    outcomes: dict[str, _Outcome] = {
        a.name: _Outcome(a.name, facts=known[a.name], stats=AgencyCallStats(a.name, outcome="ok"))
        for a in agencies if a.name in known
    }
    for a in agencies:
        if a.name in blocked and a.name not in known:
            outcomes[a.name] = _Outcome(
                a.name, error=AgencyError(a.name, "left alone while it is down (circuit open)"),
                error_kind="circuit_open", stats=AgencyCallStats(a.name, outcome="circuit_open"))
    asked = [a for a in agencies if a.name not in outcomes]
    pool = ThreadPoolExecutor(max_workers=max(1, len(asked)), thread_name_prefix="agency")
    try:
        futures: dict[Future[_Outcome], str] = {
            pool.submit(_ask, a, query, app, access_log, retries, backoff_s, clock, sleep): a.name for a in asked
        }
        pending = set(futures)
        deadline = time.perf_counter() + timeout_s
        while pending:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                break
            done, pending = wait(pending, timeout=remaining, return_when=FIRST_COMPLETED)
            for f in done:
                outcomes[futures[f]] = f.result()  # _ask only raises when the access log fails
        for f in pending:
            outcomes[futures[f]] = _Outcome(
                futures[f], error_kind="deadline", stats=AgencyCallStats(futures[f], outcome="deadline")
            )
    finally:
        pool.shutdown(wait=False, cancel_futures=True)

    result = CollectionResult(evidence={})
    facts_by_agency: dict[str, AgencyFacts] = {}
    used: list[str] = []
    missing: list[MissingSource] = []
    for a in agencies:
        o = outcomes[a.name]
        if o.stats:
            result.stats[a.name] = o.stats
        if o.facts is not None:
            facts_by_agency[a.name] = o.facts
            result.answers[a.name] = o.facts
            if o.facts.not_known:
                result.not_known[a.name] = o.facts.not_known
        else:
            detail = o.error.message if o.error else "no answer before the collection deadline"
            missing.append(MissingSource(a.name, o.error_kind or "unavailable", detail))
    configured = {a.name for a in agencies}
    missing += [MissingSource(name, "not_configured") for name in required if name not in configured]
    corrections = corrections or {}
    for name, corrected in corrections.items():
        facts_by_agency[name] = corrected
        used.append(name)
    for source in missing:
        if source.agency in corrections:
            continue
        if source.agency in manual:
            facts_by_agency[source.agency] = manual[source.agency]
            used.append(source.agency)
        else:
            result.missing_sources.append(source)
    civil = facts_by_agency.get("civil_registry")
    if civil and civil.not_known and "civil_registry" in manual and "civil_registry" not in used:
        civil, filled = _fill_not_known(civil, manual["civil_registry"])
        facts_by_agency["civil_registry"] = civil
        if filled:
            used.append("civil_registry")
    if civil and civil.not_known:
        result.missing_sources.append(
            MissingSource(
                "civil_registry", "person_not_known", "members unknown to the civil registry", civil.not_known
            )
        )
    result.manual_used = tuple(used)
    result.evidence, result.deceased_member_ids = _merge(app, facts_by_agency, period_start, set(months))
    result.duration_ms = int((time.perf_counter() - t_start) * 1000)
    return result


def _fill_not_known(answer: AgencyFacts, manual: AgencyFacts) -> tuple[AgencyFacts, bool]:
    """The civil registry's answer with the members it does not know filled from manual facts."""
    filled = {pid: manual.persons[pid] for pid in answer.not_known if pid in manual.persons}
    persons = {**answer.persons, **filled}
    not_known = tuple(pid for pid in answer.not_known if pid not in filled)
    return AgencyFacts(answer.agency, persons, not_known), bool(filled)


def _first_unsupplied(agency: str, facts: AgencyFacts) -> str | None:
    if agency not in SUPPLIED:
        return None  # an agency the registry does not know of: its facts are not merged by name anyway
    for person in facts.persons.values():
        wrong = unsupplied(agency, person)
        if wrong is not None:
            return wrong
    return None


def _merge(
    app: CollectionRequest, facts: dict[str, AgencyFacts], period_start: date, months: set[str]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    def person(agency: str, pid: str) -> PersonFacts | None:
        f = facts.get(agency)
        return f.persons.get(pid) if f else None

    civil_known = {pid for pid in (facts["civil_registry"].persons if "civil_registry" in facts else {})}
    civil_known -= set(facts["civil_registry"].not_known) if "civil_registry" in facts else set()
    by_pinfl = {m.pinfl: m.person_id for m in app.members}

    deceased = []
    present: list[tuple[MemberRef, date, str]] = []
    for m in app.members:
        cr = person("civil_registry", m.person_id) if m.person_id in civil_known else None
        birth = cr.birth_date if cr and cr.birth_date else m.birth_date
        sex = cr.sex if cr and cr.sex else m.sex
        if (cr and cr.death_date and cr.death_date < period_start) or birth >= period_start:
            deceased.append(m.person_id)
            continue
        present.append((m, birth, sex))
    ids = {m.person_id for m, _, _ in present}

    members_out = []
    vehicles: list[dict[str, Any]] = []
    estate: list[dict[str, Any]] = []
    securities = 0
    iron = app.iron_notebook
    for m, birth, sex in present:
        cr = person("civil_registry", m.person_id) if m.person_id in civil_known else None
        if cr is not None and cr.parent_pinfls is not None:
            parents = [by_pinfl[p] for p in cr.parent_pinfls if p in by_pinfl and by_pinfl[p] in ids]
        else:
            parents = [p for p in m.parent_ids if p in ids]
        incomes: list[IncomeFact] = []
        alimony: list[tuple[str, int]] = []
        for f in facts.values():
            pf = f.persons.get(m.person_id)
            if pf is None:
                continue
            incomes.extend(i for i in pf.incomes if i.month in months)
            alimony.extend(a for a in pf.alimony_paid if a[0] in months)
            vehicles.extend(pf.vehicles)
            estate.extend(pf.real_estate)
            securities += pf.securities_market_value or 0
            iron = iron or bool(pf.iron_notebook)
        dis = person("disability", m.person_id)
        edu = person("education", m.person_id)
        members_out.append(
            {
                "id": m.person_id,
                "pinfl": m.pinfl,
                "birth_date": birth.isoformat(),
                "sex": sex,
                "relationship": m.relationship,
                "parent_ids": parents,
                "disability": dis.disability if dis else None,
                "student": edu.student if edu else None,
                "military_conscript": bool(_flag(person("defence", m.person_id), "military_conscript")),
                "detained": bool(_flag(person("penitentiary", m.person_id), "detained")),
                "job_seeker_registered": bool(_flag(person("labour", m.person_id), "job_seeker_registered")),
                "employment_sector": _flag(person("tax", m.person_id), "employment_sector") or "none",
                "income": sorted(
                    ({"month": i.month, "source": i.source, "amount": i.amount} for i in incomes),
                    key=lambda d: (d["month"], d["source"], d["amount"]),
                ),
                "alimony_paid": sorted(
                    ({"month": mo, "amount": amt} for mo, amt in alimony),
                    key=lambda d: (d["month"], d["amount"]),
                ),
            }
        )
    evidence: dict[str, Any] = {
        "period": f"{period_start:%Y-%m}",
        "iron_notebook": iron,
        "members": members_out,
        "assets": {
            "vehicles": sorted(
                (v for v in vehicles if v.get("owner_id") in ids),
                key=lambda v: (
                    v["owner_id"],
                    v["type"],
                    v["manufactured_year"],
                    v.get("adapted_for_disability", False),
                ),
            ),
            "real_estate": sorted(
                (e for e in estate if e.get("owner_id") in ids), key=lambda e: (e["owner_id"], e["kind"])
            ),
            "securities_market_value": securities,
        },
    }
    if app.programmes:
        evidence["programmes"] = list(app.programmes)
    return evidence, tuple(deceased)


def _flag(pf: PersonFacts | None, name: str) -> Any:
    return getattr(pf, name) if pf is not None else None
