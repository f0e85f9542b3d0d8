"""Payroll benchmark: two million beneficiaries from the freeze to the pain.001 files.

The same ``PayrollService`` methods the state machine calls, minus AWS: the registry and the
assignments are synthetic and rebuilt on demand (``devstack.payroll_population``), instructions sit
in a local SQLite file (``devstack.payroll_local``), files in a local folder with the S3 keys. Each
manifest batch is written by ``write_instructions`` one after another, as the Distributed Map's
children would (in parallel on AWS).

It also writes the very same lines, in the same file splits, once as pain.001 and once as plain CSV,
timing only the writers, so the cost of the ISO format is measured in the same run.

    python -m bench.payroll_bench                       # 2,000,000 beneficiaries
    python -m bench.payroll_bench --beneficiaries 200000 --keep /tmp/payroll-bench

Targets (2 cores): whole flow <= 120 s, peak memory (max RSS) <= 2 GB, pain.001 writing <= 3x CSV.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import shutil
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any

from chalicelib import iso20022
from chalicelib.adapters.crypto import EnvelopeCipher
from chalicelib.adapters.payments import NoBank, StaticDeathRegistry, UnconfiguredFunds
from chalicelib.adapters.payroll import LocalFileStore
from chalicelib.adapters.system import SystemClock
from chalicelib.config import Settings
from chalicelib.domain.payroll import PaymentLine, PayrollRun, execution_name
from chalicelib.services.payroll import PayrollService
from devstack import payroll_population as pop
from devstack.local_kms import InMemoryKms
from devstack.payroll_local import OncePerKeySms, SqlitePayrollRepository

MONTH = "2026-12"


def peak_mb() -> float:
    """The largest resident set of this process so far (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def service(n: int, workdir: Path, max_tx: int,
            batch_size: int) -> tuple[PayrollService, SqlitePayrollRepository, LocalFileStore]:
    settings = Settings(payroll_batch_size=batch_size, pain001_max_transactions=max_tx, payroll_auto_approve=True)
    repo = SqlitePayrollRepository(workdir / "payroll.sqlite", durable=False)  # a scratch file
    files = LocalFileStore(workdir / "files")
    deaths = StaticDeathRegistry({pop.pinfl(i) for i in range(0, n, 10_000)})  # one in 10,000
    cipher = EnvelopeCipher(InMemoryKms(), "alias/spsr-bench-data")
    households = pop.LazyHouseholds(n, cipher)
    svc = PayrollService(assignments=pop.LazyAssignments(n, MONTH), households=households,  # type: ignore[arg-type]
                         directory=households,
                         payroll=repo, files=files, deaths=deaths, funds=UnconfiguredFunds(), bank=NoBank(),
                         sms=OncePerKeySms(), workflow=None, clock=SystemClock(), settings=settings,
                         cipher=cipher)
    return svc, repo, files


def run(n: int, workdir: Path, max_tx: int, batch_size: int) -> dict[str, Any]:
    svc, repo, files = service(n, workdir, max_tx, batch_size)
    settings = svc.settings
    repo.save_run(PayrollRun(month=MONTH, execution_name=execution_name(MONTH)))
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def timed(name: str, fn: Any, *args: Any) -> Any:
        started, cpu_started = time.perf_counter(), time.process_time()
        out = fn(*args)
        timings[name] = round(time.perf_counter() - started, 2)
        cpu[name] = round(time.process_time() - cpu_started, 2)
        print(f"  {name:<22} {timings[name]:>7.2f} s wall {cpu[name]:>7.2f} s CPU   max RSS {peak_mb():>6.0f} MB",
              flush=True)
        return out

    total_started, total_cpu_started = time.perf_counter(), time.process_time()
    frozen = timed("freeze (manifest)", svc.freeze, MONTH)

    def instruct() -> int:
        # One child after another; on AWS the Map runs them concurrently (MaxConcurrency). Two worker
        # processes were tried here: SQLite serialises their writes and the step got slower.
        keys = [item["key"] for item in json.loads(files.get(frozen["batches_key"]) or b"[]")]
        return sum(svc.write_instructions(k)["written"] for k in keys)

    written = timed("instructions (Map)", instruct)
    timed("pre-payrolls", svc.prepare, MONTH)
    timed("funds request", svc.request_funds, MONTH)
    timed("approval (auto)", svc.auto_approve, MONTH)
    made = timed("pain.001 + manifest", svc.write_files, MONTH)
    total = round(time.perf_counter() - total_started, 2)
    total_cpu = round(time.process_time() - total_cpu_started, 2)
    flow_peak = peak_mb()

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

    manifest = json.loads(files.get(f"payroll/{MONTH}/pain001/manifest.json") or b"{}")
    repo.close()
    return {
        "beneficiaries": n, "lines": frozen["lines"], "suspended": frozen["suspended"],
        "instructions": written,
        "amount_som": frozen["amount"], "files": made["files"],
        "files_checked": sum(f["count"] for f in manifest.get("files", [])) == frozen["lines"],
        "timings_s": timings, "cpu_s": cpu, "total_s": total, "total_cpu_s": total_cpu,
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
    parser.add_argument("--keep", type=Path, help="write here and keep the files (default: a temp dir, removed)")
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="payroll-bench-"))
    if args.keep and workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"payroll benchmark: {args.beneficiaries:,} beneficiaries, files split at {args.max_transactions:,}")
    try:
        result = run(args.beneficiaries, workdir, args.max_transactions, args.batch_size)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result, indent=1))
    ok = result["total_s"] <= 120 and result["peak_rss_mb"] <= 2048 and (result["pain001_over_csv"] or 99) <= 3
    print("targets (<= 120 s, <= 2 GB, pain.001 <= 3x CSV):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
