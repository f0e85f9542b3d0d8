"""Payroll benchmark: two million beneficiaries from the freeze to the pain.001 files.

The same ``PayrollService`` methods the state machine's tasks call, unit by unit (a shard's freeze, a
manifest part's instructions, a district's pre-payroll and payment files), one after another where
the Maps run them concurrently on AWS; minus AWS: the registry and the assignments are synthetic
(``devstack.payroll_population``: their random draws made before the timed part, records built on
demand as a stored item is parsed), instructions sit in a local SQLite file
(``devstack.payroll_local``), files in a local folder with the S3 keys. The slowest unit of each
kind is reported (wall, CPU) and run again with its memory traced. XSD validation, which the
SendFile children do right before sending, is timed apart from the flow.

It also writes the very same lines, in the same file splits, once as pain.001 and once as plain CSV,
timing only the writers, so the cost of the ISO format is measured in the same run.

    python -m bench.payroll_bench                       # 2,000,000 beneficiaries
    python -m bench.payroll_bench --beneficiaries 200000 --keep /tmp/payroll-bench

Targets (2 cores): the flow (freeze, instructions, pre-payrolls, files) <= 60 s of CPU; every unit
<= 3 minutes and <= 1.5 GB (its traced peak plus the interpreter's).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import gc
import io
import json
import os
import resource
import shutil
import tempfile
import time
import tracemalloc
from itertools import islice
from pathlib import Path
from typing import Any

from chalicelib import iso20022
from chalicelib.adapters.crypto import EnvelopeCipher
from chalicelib.adapters.payments import NoBank, StaticDeathRegistry, UnconfiguredFunds
from chalicelib.adapters.payroll import LocalFileStore
from chalicelib.adapters.system import SystemClock
from chalicelib.config import Settings
from chalicelib.domain.access import Principal
from chalicelib.domain.payroll import PaymentLine, PayrollRun, execution_name
from chalicelib.services.payroll import PayrollService, layout
from devstack import payroll_population as pop
from devstack.local_kms import InMemoryKms
from devstack.payroll_local import OncePerKeySms, SqlitePayrollRepository

MONTH = "2026-12"
AUDITOR = Principal("bench", "auditor", "")


def peak_mb() -> float:
    """The largest resident set of this process so far (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def service(n: int, workdir: Path, max_tx: int,
            batch_size: int) -> tuple[PayrollService, SqlitePayrollRepository, LocalFileStore]:
    settings = Settings(payroll_batch_size=batch_size, pain001_max_transactions=max_tx, payroll_auto_approve=True)
    repo = SqlitePayrollRepository(workdir / "payroll.sqlite", durable=False)  # a scratch file
    files = LocalFileStore(workdir / "files")
    deaths = StaticDeathRegistry({pop.pinfl(i) for i in range(0, n, 10_000)})  # one in 10,000
    prepared = pop.Prepared(n)  # the synthetic population's random draws: outside the timed part
    cipher = EnvelopeCipher(InMemoryKms(), "alias/spsr-bench-data")
    households = pop.LazyHouseholds(n, prepared, cipher)  # bank numbers sealed, as the registry stores them
    svc = PayrollService(assignments=pop.LazyAssignments(n, MONTH, prepared),  # type: ignore[arg-type]
                         households=households, directory=households,  # type: ignore[arg-type]
                         payroll=repo, files=files, deaths=deaths, funds=UnconfiguredFunds(), bank=NoBank(),
                         sms=OncePerKeySms(), workflow=None, clock=SystemClock(), settings=settings,
                         cipher=cipher)
    return svc, repo, files


class Units:
    """Times each unit (one Lambda invocation of a Map child) and keeps the slowest of each kind."""

    def __init__(self) -> None:
        self.largest: dict[str, dict[str, Any]] = {}

    def run(self, kind: str, label: str, fn: Any, *args: Any) -> Any:
        started, cpu_started = time.perf_counter(), time.process_time()
        out = fn(*args)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        if cpu >= self.largest.get(kind, {}).get("cpu_s", -1.0):
            self.largest[kind] = {"unit": label, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                                  "args": list(args)}
        return out


def traced_peak_mb(fn: Any, *args: Any) -> float:
    """The most memory the Python heap held while ``fn`` ran (allocations traced; slower, so not timed)."""
    gc.collect()
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def run(n: int, workdir: Path, max_tx: int, batch_size: int,
        profiler: cProfile.Profile | None = None) -> dict[str, Any]:
    started = time.process_time()
    svc, repo, files = service(n, workdir, max_tx, batch_size)
    generation_s = round(time.process_time() - started, 2)
    baseline_mb = peak_mb()
    settings = svc.settings
    repo.save_run(PayrollRun(month=MONTH, execution_name=execution_name(MONTH)))
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    units = Units()

    excluded = [0.0, 0.0]  # wall, CPU spent building synthetic records (the stand-in for reading them)
    assignments, households = svc.assignments, svc.directory

    def prefetch(shard: int) -> None:
        households.prefetch(sorted({a.household_id for a in assignments.prefetch(MONTH, shard)}))

    def untimed(fn: Any, *args: Any) -> None:
        if profiler is not None:
            profiler.disable()
        started, cpu_started = time.perf_counter(), time.process_time()
        fn(*args)
        excluded[0] += time.perf_counter() - started
        excluded[1] += time.process_time() - cpu_started
        if profiler is not None:
            profiler.enable()

    def timed(name: str, fn: Any, *args: Any) -> Any:
        before = list(excluded)
        started, cpu_started = time.perf_counter(), time.process_time()
        out = fn(*args)
        timings[name] = round(time.perf_counter() - started - (excluded[0] - before[0]), 2)
        cpu[name] = round(time.process_time() - cpu_started - (excluded[1] - before[1]), 2)
        print(f"  {name:<22} {timings[name]:>7.2f} s wall {cpu[name]:>7.2f} s CPU   max RSS {peak_mb():>6.0f} MB",
              flush=True)
        return out

    # The state machine's steps unit by unit, one after another (on AWS the Maps run them concurrently).
    def freeze() -> dict[str, Any]:
        for shard in svc.plan_freeze(MONTH)["shards"]:
            untimed(prefetch, shard)
            units.run("freeze shard", f"shard {shard}", svc.freeze_shard, MONTH, shard)
        assignments.cache = households.cache = None
        return units.run("seal manifest", "month", svc.seal_manifest, MONTH)

    def instruct() -> int:
        return sum(units.run("instructions of a part", key.rsplit("/", 1)[-1], svc.write_instructions, key)["written"]
                   for key in files.keys(frozen["parts_prefix"]))

    def prepare() -> None:
        for district in frozen["districts"]:
            units.run("pre-payroll of a district", district, svc.prepare_district, MONTH, district)
        units.run("pre-payroll summary", "month", svc.summarize, MONTH)

    def write_files() -> dict[str, Any]:
        for district in svc.run(AUDITOR, MONTH)["districts"]:
            units.run("pain.001 of a district", district, svc.write_district_files, MONTH, district)
        return units.run("file manifest", "month", svc.seal_files, MONTH)

    total_started, total_cpu_started = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    frozen = timed("freeze (manifest)", freeze)
    written = timed("instructions (Map)", instruct)
    timed("pre-payrolls", prepare)
    timed("funds request", svc.request_funds, MONTH)
    timed("approval (auto)", svc.auto_approve, MONTH)
    made = timed("pain.001 + manifest", write_files)
    if profiler is not None:
        profiler.disable()
    total = round(time.perf_counter() - total_started - excluded[0], 2)
    total_cpu = round(time.process_time() - total_cpu_started - excluded[1], 2)
    generation_s = round(generation_s + excluded[1], 2)
    flow_peak = peak_mb()

    # Off the critical path: each file is validated by its own SendFile child, right before it is sent.
    def validate_all() -> int:
        records = svc.file_manifest(MONTH)["files"]
        for record in records:
            units.run("XSD validation of a file", record["msg_id"], iso20022.validate_pain001,
                      io.BytesIO(files.get(record["key"]) or b""))
        return len(records)

    validated = timed("XSD validation (SendFile)", validate_all)

    # The largest unit of each kind again, its memory traced (its outputs removed first, so it does the work).
    for kind, unit in units.largest.items():
        args = unit.pop("args")
        if kind == "freeze shard":
            prefetch(args[1])
            frozen_manifest = files.get(layout.manifest(MONTH)) or b""
            os.unlink(files._path(layout.shard_part(MONTH, args[1])))
            os.unlink(files._path(layout.manifest(MONTH)))
            gc.collect()
            tracemalloc.start()  # the prefetched records are there before: only the unit's own memory counts
            svc.freeze_shard(*args)
            unit["peak_mb"] = round((tracemalloc.get_traced_memory()[1]) / 2**20, 1)
            tracemalloc.stop()
            assignments.cache = households.cache = None
            files.put(layout.manifest(MONTH), frozen_manifest, "application/json")
        elif kind == "pain.001 of a district":
            manifest = files.get(layout.pain001_manifest(MONTH))
            os.unlink(files._path(layout.pain001_manifest(MONTH)))
            os.unlink(files._path(layout.pain001_district(MONTH, args[1])))
            unit["peak_mb"] = round(traced_peak_mb(svc.write_district_files, *args), 1)
            files.put(layout.pain001_manifest(MONTH), manifest or b"", "application/json")
        elif kind == "XSD validation of a file":
            unit["peak_mb"] = round(traced_peak_mb(iso20022.validate_pain001, io.BytesIO(
                files.get(layout.pain001(MONTH, unit["unit"])) or b"")), 1)
        else:  # idempotent: the same reads and the same (refused or rewritten) writes
            unit["peak_mb"] = round(traced_peak_mb(getattr(svc, {
                "seal manifest": "seal_manifest", "instructions of a part": "write_instructions",
                "pre-payroll of a district": "prepare_district", "pre-payroll summary": "summarize",
                "file manifest": "seal_files"}[kind]), *args), 1)

    # The format's cost: the same lines and splits, written as pain.001 and as CSV (writers only).
    xml_s = csv_s = 0.0
    xml_bytes = csv_bytes = 0
    debtor = iso20022.Debtor(settings.payroll_debtor_name, settings.payroll_debtor_account,
                             settings.payroll_debtor_agent)
    lines = (i.line for i in repo.instructions(MONTH))
    seq = 0
    while chunk := list(islice(lines, max_tx)):
        seq += 1
        started = time.perf_counter()
        with open(workdir / "cmp.xml", "wb") as out:
            info = iso20022.write_pain001(out, chunk, msg=iso20022.msg_id(MONTH, "CMP", seq),
                                          created_at="2026-12-01T00:00:00", execution_date="2026-12-05", debtor=debtor,
                                          reveal=svc.reveal_account)
        xml_s += time.perf_counter() - started
        xml_bytes += info.size
        started = time.perf_counter()
        with open(workdir / "cmp.csv", "w", newline="", encoding="utf-8") as f:
            _write_csv(f, chunk)
        csv_s += time.perf_counter() - started
        csv_bytes += os.path.getsize(workdir / "cmp.csv")
    started = time.perf_counter()
    iso20022.validate_pain001(workdir / "cmp.xml")
    validate_last = time.perf_counter() - started

    manifest = json.loads(files.get(layout.pain001_manifest(MONTH)) or b"{}")
    repo.close()
    return {
        "beneficiaries": n, "lines": frozen["lines"], "suspended": frozen["suspended"],
        "instructions": written, "synthetic_population_cpu_s": generation_s,
        "amount_som": frozen["amount"], "files": made["files"], "files_validated": validated,
        "files_checked": sum(f["count"] for f in manifest.get("files", [])) == frozen["lines"],
        "timings_s": timings, "cpu_s": cpu, "total_s": total, "total_cpu_s": total_cpu,
        "largest_units": units.largest, "interpreter_and_population_mb": round(baseline_mb),
        "load_average_1min": round(os.getloadavg()[0], 2), "peak_rss_mb": round(flow_peak),
        "pain001_write_s": round(xml_s, 2), "csv_write_s": round(csv_s, 2),
        "pain001_over_csv": round(xml_s / csv_s, 2) if csv_s else None,
        "pain001_mb": round(xml_bytes / 2**20), "csv_mb": round(csv_bytes / 2**20),
        "validate_one_file_s": round(validate_last, 3),
    }


def _write_csv(f: io.TextIOBase | Any, chunk: list[PaymentLine]) -> None:
    w = csv.writer(f)
    w.writerow(("end_to_end_id", "amount", "currency", "bank", "payee", "account", "kind", "remittance"))
    w.writerows((x.instruction_id, x.amount, "UZS", x.bank_code, x.payee_name, x.account_number, x.account_kind,
                 f"{x.programme} {x.month} {x.district_code}") for x in chunk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--beneficiaries", type=int, default=2_000_000)
    parser.add_argument("--max-transactions", type=int, default=10_000, help="pain.001 split size")
    parser.add_argument("--batch-size", type=int, default=1000, help="manifest lines per Map item")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the flow's timed part here (slower)")
    parser.add_argument("--keep", type=Path, help="write here and keep the files (default: a temp dir, removed)")
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="payroll-bench-"))
    if args.keep and workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"payroll benchmark: {args.beneficiaries:,} beneficiaries, files split at {args.max_transactions:,}")
    try:
        profiler = cProfile.Profile() if args.profile else None
        result = run(args.beneficiaries, workdir, args.max_transactions, args.batch_size, profiler)
        if profiler is not None:
            profiler.dump_stats(args.profile)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result, indent=1))
    largest = result["largest_units"].values()
    ok = (result["total_cpu_s"] <= 60 and max(u["wall_s"] for u in largest) <= 180
          and max(u["peak_mb"] for u in largest) + result["interpreter_and_population_mb"] <= 1536)
    print("targets (flow <= 60 s CPU; every unit <= 3 min and <= 1.5 GB):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
