"""Start every agency stub on loopback, answering from one synthetic population.

    python -m devstack.agencies.run --size 2000 --seed 2026 --month 2026-11 --base-port 8700

prints a JSON map {agency: url} on one line (the value for SPSR_AGENCY_URLS) and serves until
interrupted. Ports are base_port,
base_port + 1, ... in the order of ``AGENCIES`` (0 picks free ports). In tests use ``start_all``:

    with start_all(200, faults={"tax": {"mode": "http_500"}}) as agencies:
        agencies.urls["tax"]; agencies.set_faults("tax", mode=None); ...
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.agencies.server import AgencyServer, Faults
from devstack.agencies.services import AGENCIES, PopulationIndex, build_server


@dataclass
class RunningAgencies:
    """Handles of the started agencies; ``stop()`` ends them all."""

    servers: dict[str, AgencyServer]
    index: PopulationIndex
    reference_month: str
    seed: int
    urls: dict[str, str] = field(default_factory=dict)
    startup_s: float = 0.0

    def set_faults(self, agency: str, **settings: Any) -> None:
        self.servers[agency].set_faults(Faults.from_dict(settings))

    def clear_faults(self) -> None:
        for s in self.servers.values():
            s.set_faults(Faults())

    def stop(self) -> None:
        for s in self.servers.values():
            s.stop()

    def __enter__(self) -> RunningAgencies:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_all(
    population_size: int,
    seed: int = 2026,
    reference_month: str = "2026-11",
    base_port: int = 0,
    *,
    faults: Mapping[str, Mapping[str, Any]] | None = None,
    agencies: tuple[str, ...] = AGENCIES,
) -> RunningAgencies:
    """Build the population index once and start one server per agency; returns the handles."""
    t0 = time.perf_counter()
    index = PopulationIndex.build(population_size, seed, reference_month)
    servers: dict[str, AgencyServer] = {}
    try:
        for k, name in enumerate(agencies):
            f = Faults.from_dict(dict(faults[name])) if faults and name in faults else None
            servers[name] = build_server(name, index, port=base_port + k if base_port else 0, faults=f).start()
    except Exception:
        for s in servers.values():
            s.stop()
        raise
    urls = {name: s.url for name, s in servers.items()}
    return RunningAgencies(servers, index, reference_month, seed, urls, time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=2000, help="households in the population")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--month", default="2026-11", help="reference month YYYY-MM")
    ap.add_argument("--base-port", type=int, default=8700)
    ap.add_argument("--faults", default="{}", help='JSON, e.g. {"tax": {"latency_ms": 50}}')
    ap.add_argument("--urls-file", help="also write the {agency: url} map to this file")
    a = ap.parse_args(argv)
    running = start_all(a.size, a.seed, a.month, a.base_port, faults=json.loads(a.faults))
    print(json.dumps(running.urls), flush=True)
    if a.urls_file:
        Path(a.urls_file).write_text(json.dumps(running.urls), encoding="utf-8")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
        print("agencies stopped", file=sys.stderr)


if __name__ == "__main__":
    main()
