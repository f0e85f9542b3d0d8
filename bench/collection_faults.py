"""Evidence collection under a flaky agency: how many applications would go to review, two ways.

    python -m bench.collection_faults [applications] [population]

Starts the 13 agency services on loopback, makes one agency (education, asked member by member)
fail a share of its calls, and collects the evidence of the same households twice per error rate:

- ``whole agency again``: the earlier behaviour, emulated: a failure loses the answers the agency
  had given (each retry asks every member again), 2 retries, no pause between attempts;
- ``failed members again``: today's ``collect_evidence`` with the workflow's settings (``Settings``:
  3 retries, each asking only about the members not answered yet, 0.2 s doubling with jitter).

An application whose collection still misses a source would go to review. The stubs draw their
errors from a seeded generator, so a run repeats its own figures.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor

from bench.bench_collection import _app, _CountingLog
from chalicelib.adapters.agencies import build_agency_clients
from chalicelib.agency_ports import AgencyClient, AgencyError, AgencyQuery
from chalicelib.config import Settings
from chalicelib.domain.evidence import AgencyFacts
from chalicelib.services.evidence_collection import collect_evidence
from devstack.agencies.run import start_all

AGENCY = "education"
PERIOD = "2026-11"


class ForgetfulAgency:
    """The connector as it was: a failure carries none of the answers received before it."""

    def __init__(self, inner: AgencyClient) -> None:
        self.inner, self.name = inner, inner.name

    def fetch(self, query: AgencyQuery) -> AgencyFacts:
        try:
            return self.inner.fetch(query)
        except AgencyError as e:
            e.partial = None
            raise


def main(n: int, population: int) -> None:
    settings = Settings()
    with start_all(population, reference_month=PERIOD) as running:
        clients = build_agency_clients(running.urls, timeout_s=5.0)
        households = [h for h in running.index.households if len(h.members) >= 3][:n]
        print(f"{len(households)} households of 3 or more members; {AGENCY} failing a share of its calls")
        for rate in (0.05, 0.2):
            for how in ("whole agency again", "failed members again"):
                running.set_faults(AGENCY, error_rate=rate, seed=7)
                if how == "whole agency again":
                    used = [ForgetfulAgency(c) if c.name == AGENCY else c for c in clients]
                    retries, backoff = 2, 0.0
                else:
                    used, retries, backoff = list(clients), settings.agency_retries, settings.agency_backoff_s
                log = _CountingLog()

                def one(h: object, used: list = used, retries: int = retries, backoff: float = backoff,
                        log: _CountingLog = log) -> bool:
                    result = collect_evidence(_app(h, PERIOD), used, log, retries=retries,  # type: ignore[arg-type]
                                              backoff_s=backoff, timeout_s=settings.collection_timeout_s)
                    return not result.complete

                started = time.perf_counter()
                with ThreadPoolExecutor(8) as pool:
                    review = sum(pool.map(one, households))
                took = time.perf_counter() - started
                print(f"  {rate:>4.0%} errors, {how:<21}: {review:>3}/{len(households)} to review "
                      f"({review / len(households):.1%}), {log.count} access-log entries, {took:.1f} s")
        running.clear_faults()


if __name__ == "__main__":
    a = [int(x) for x in sys.argv[1:]]
    main(a[0] if a else 400, a[1] if len(a) > 1 else 3000)
