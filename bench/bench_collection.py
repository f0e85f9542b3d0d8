"""Evidence collection throughput against the local agency stubs.

    python -m bench.bench_collection [applications] [concurrent] [population]

Starts the 13 stubs on loopback, collects the evidence of ``applications`` households with
``concurrent`` collections at a time, checks each equals the population's view, and prints the
throughput and the latency percentiles.
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from chalicelib.adapters.agencies import build_agency_clients
from chalicelib.agency_ports import AccessLogEntry
from chalicelib.domain.evidence import CollectionRequest, MemberRef
from chalicelib.services.evidence_collection import collect_evidence
from devstack.agencies.run import start_all
from devstack.population import SynthHousehold, evidence_for


class _CountingLog:
    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def record(self, entries: list[AccessLogEntry]) -> None:
        with self._lock:
            self.count += len(entries)


def _app(h: SynthHousehold, period: str) -> CollectionRequest:
    members = tuple(MemberRef(p.person_id, p.pinfl, p.birth_date, p.sex, p.relationship) for p in h.members)
    return CollectionRequest(f"app-{h.household_id}", period, "bench", members)


def main(n: int, concurrent: int, population: int) -> None:
    period = "2026-11"
    with start_all(population, reference_month=period) as running:
        clients = build_agency_clients(running.urls, timeout_s=5.0)
        log = _CountingLog()
        households = running.index.households[:n]

        def one(h: SynthHousehold) -> tuple[float, bool]:
            t0 = time.perf_counter()
            r = collect_evidence(_app(h, period), clients, log)
            return time.perf_counter() - t0, r.evidence == evidence_for(h, period) and not r.missing_sources

        t0 = time.perf_counter()
        with ThreadPoolExecutor(concurrent) as pool:
            results = list(pool.map(one, households))
        took = time.perf_counter() - t0
    lat = sorted(x for x, _ in results)
    ok = sum(1 for _, good in results if good)
    print(
        f"{n} applications, {concurrent} at a time: {took:.2f} s, {n / took:.1f} applications/s; "
        f"latency p50 {statistics.median(lat) * 1000:.0f} ms, "
        f"p95 {lat[int(0.95 * (len(lat) - 1))] * 1000:.0f} ms; "
        f"equal to the population view: {ok}/{n}; access log entries: {log.count}; "
        f"stubs started in {running.startup_s:.2f} s"
    )


if __name__ == "__main__":
    a = [int(x) for x in sys.argv[1:]]
    main(a[0] if a else 200, a[1] if len(a) > 1 else 4, a[2] if len(a) > 2 else 2000)
