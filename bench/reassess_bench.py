"""Mass reassessment benchmark (not a test): vectorised snapshot path vs one simulation per household.

    /work/main/.venv/bin/python bench/reassess_bench.py [--households 2200000] [--sample 300]
        [--chunk-size 100000] [--workdir DIR] [--keep]

1. Generates a synthetic snapshot (Parquet, ``chalicelib.rules.synthetic``); its time is reported apart.
2. Runs ``python -m chalicelib.cli reassess`` on it in a child process (exactly the CLI) and reports
   wall time including interpreter start and loading, households/second, and the child's peak RSS
   (VmHWM of the child, printed by the CLI's summary line).
3. In the same run, assesses a sample of the same households one simulation each through
   ``chalicelib.services.assessment.assess`` (the per-household path), checks the decisions equal the
   vectorised ones, and reports the throughput ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=2_200_000)
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--chunk-size", type=int, default=100_000)
    parser.add_argument("--period", default="2025-03")
    parser.add_argument("--workdir")
    parser.add_argument("--keep", action="store_true", help="keep the generated snapshot")
    args = parser.parse_args()

    import pyarrow.parquet as pq

    from chalicelib.rules.codes import PROGRAMMES, reasons_from_bits
    from chalicelib.rules.snapshot import evidence_from_tables, iter_chunks
    from chalicelib.rules.synthetic import synthetic_snapshot
    from chalicelib.services.assessment import assess

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="spsr-bench-"))
    snapshot = workdir / "snapshot"
    output = workdir / "decisions.parquet"
    started = time.perf_counter()
    persons = synthetic_snapshot(snapshot, args.households, period=args.period)
    generation = time.perf_counter() - started
    size_mb = sum(f.stat().st_size for f in snapshot.iterdir()) / 1e6
    print(
        f"generated {args.households} households, {persons} persons ({size_mb:.0f} MB Parquet) "
        f"in {generation:.1f} s",
        flush=True,
    )

    started = time.perf_counter()
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "chalicelib.cli",
            "reassess",
            "--input",
            str(snapshot),
            "--output",
            str(output),
            "--period",
            args.period,
            "--chunk-size",
            str(args.chunk_size),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        print(completed.stderr, file=sys.stderr)
        return 1
    summary = json.loads(completed.stdout.strip().splitlines()[-1])
    # The child's own VmHWM: getrusage(RUSAGE_CHILDREN) would also count the pages this (parent)
    # process held when it forked the child, i.e. the generated population.
    peak_mb = summary["peak_rss_mb"]
    vector_rate = args.households / wall

    person_table, household_table = next(iter_chunks(snapshot, args.sample))
    documents = evidence_from_tables(args.period, person_table, household_table)
    assess(documents[0])  # build the rules once, as a warm process would have
    started = time.perf_counter()
    decisions = [assess(doc)["decision"] for doc in documents]
    single = time.perf_counter() - started
    single_rate = len(documents) / single

    vector = pq.read_table(output).slice(0, len(documents)).to_pylist()
    mismatches = 0
    for decision, row in zip(decisions, vector, strict=True):
        for programme in PROGRAMMES:
            got = decision["programmes"][programme]
            if (got["eligible"], got["monthly_amount"], got["months"], got["lump_sum"], got["reasons"]) != (
                row[f"{programme}_eligible"],
                row[f"{programme}_monthly_amount"],
                row[f"{programme}_months"],
                row[f"{programme}_lump_sum"],
                reasons_from_bits(row[f"{programme}_reasons"]),
            ):
                mismatches += 1

    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "households": args.households,
        "persons": persons,
        "chunk_size": args.chunk_size,
        "generation_seconds": round(generation, 1),
        "reassess_wall_seconds_including_loading": round(wall, 1),
        "reassess_inner_seconds": summary["seconds"],
        "households_per_second": round(vector_rate),
        "peak_rss_mb": round(peak_mb),
        "per_household_sample": len(documents),
        "per_household_per_second": round(single_rate, 1),
        "throughput_ratio": round(vector_rate / single_rate, 1),
        "sample_mismatches": mismatches,
    }
    print(json.dumps(report, indent=2))
    if not args.keep and not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if mismatches == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
