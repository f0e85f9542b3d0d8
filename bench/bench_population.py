"""Time the synthetic population: ``python -m bench.bench_population [n]``."""

from __future__ import annotations

import sys
import time

from devstack.population import generate


def main(n: int) -> None:
    start = time.perf_counter()
    people = 0
    pinfls: set[str] = set()
    for h in generate(n):
        for p in h.members:
            people += 1
            pinfls.add(p.pinfl)
    took = time.perf_counter() - start
    print(f"{n} households, {people} people in {took:.2f} s; duplicate PINFLs: {people - len(pinfls)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
