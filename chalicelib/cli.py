"""Command line of the registry: ``python -m chalicelib.cli <subcommand>``.

``assess``: JSON Lines on stdin, one evidence document a line, either the evidence object itself or
``{"evidence": {...}}`` (a line whose only key is ``evidence`` is unwrapped). One JSON line a result on
stdout, in input order: ``{"line": N, "decision", "explanation", "rules_version"}``, or for a bad line
``{"line": N, "error": {"code", "message", "field"}}``; the remaining lines go on. Lines are numbered
from 1; blank lines are skipped (no output). Exit code 0 unless stdin cannot be read (then 2).

``reassess --input SNAPSHOT --output OUT [--period YYYY-MM] [--chunk-size N]``: mass reassessment of
a Parquet snapshot (layout in ``chalicelib.rules.snapshot``); prints a JSON summary line.

``audit verify``: walks every hash chain of the audit trail in the configured audit table
(``SPSR_AUDIT_TABLE``, ``SPSR_AUDIT_CHAINS``; ``AWS_ENDPOINT_URL`` honoured) and prints one JSON line
(chains, events, each chain's head hash to keep elsewhere, breaks). Exit code 0 when every chain is
whole, 1 naming the first broken sequence number of each broken chain (on stderr too), 2 when the
table cannot be read.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from typing import IO, Any

from chalicelib.domain.errors import SpsrError


def _error_line(line: int, code: str, message: str, field: str | None) -> dict[str, Any]:
    return {"line": line, "error": {"code": code, "message": message, "field": field}}


def run_assess(stdin: IO[bytes], stdout: IO[str]) -> int:
    from chalicelib.services.assessment import assess

    try:
        for number, raw in enumerate(stdin, start=1):
            try:
                text = raw.decode("utf-8").strip()
            except UnicodeDecodeError:
                result = _error_line(number, "invalid_json", "line is not UTF-8", None)
            else:
                if not text:
                    continue
                try:
                    document = json.loads(text)
                except json.JSONDecodeError as exc:
                    result = _error_line(
                        number, "invalid_json", f"line is not JSON (column {exc.colno})", None
                    )
                else:
                    try:
                        result = {"line": number, **assess(document)}
                    except SpsrError as exc:
                        result = _error_line(number, exc.code, exc.message, exc.field)
            stdout.write(json.dumps(result, ensure_ascii=False, separators=(",", ":")) + "\n")
            stdout.flush()
    except OSError as exc:
        print(f"cannot read stdin: {exc.__class__.__name__}", file=sys.stderr)
        return 2
    return 0


def peak_rss_mb() -> int:
    """Peak resident memory of this process in MB (VmHWM on Linux: the current image only)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) // 1024


def run_reassess(args: argparse.Namespace, stdout: IO[str]) -> int:
    from pyarrow.lib import ArrowException

    from chalicelib.rules.snapshot import SnapshotError, reassess

    if args.period is not None and not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", args.period):
        print("--period must be YYYY-MM", file=sys.stderr)
        return 2
    if args.period is not None and args.period < "2021-09":
        print("--period is before 2021-09, the first month the rules hold", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        counts = reassess(args.input, args.output, period=args.period, chunk_size=args.chunk_size)
    except SnapshotError as exc:
        print(f"invalid snapshot: {exc}", file=sys.stderr)
        return 2
    except (OSError, ArrowException) as exc:
        print(
            f"cannot read the snapshot or write the output: {exc.__class__.__name__}: {exc}", file=sys.stderr
        )
        return 2
    elapsed = time.perf_counter() - started
    summary: dict[str, object] = {**counts, "seconds": round(elapsed, 3), "peak_rss_mb": peak_rss_mb()}
    summary["output"] = str(args.output)
    stdout.write(json.dumps(summary) + "\n")
    return 0


def run_audit_verify(stdout: IO[str]) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from chalicelib.bootstrap import audit_service
    from chalicelib.config import Settings

    service = audit_service(Settings.from_env())
    try:
        report = service.verify()
        heads = service.heads()
    except (BotoCoreError, ClientError) as exc:
        print(f"cannot read the audit table: {exc.__class__.__name__}", file=sys.stderr)
        return 2
    stdout.write(json.dumps({
        "ok": report.ok, "chains": report.chains, "events": report.events,
        "heads": {h.chain: {"seq": h.seq, "hash": h.hash} for h in heads},
        "breaks": [{"chain": b.chain, "seq": b.seq, "reason": b.reason} for b in report.breaks]}) + "\n")
    for b in report.breaks:
        print(f"audit chain {b.chain} is broken at sequence number {b.seq} ({b.reason})", file=sys.stderr)
    return 0 if report.ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description="SPSR command line")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("assess", help="assess JSON Lines evidence from stdin, results to stdout")
    reassess = commands.add_parser("reassess", help="mass reassessment of a Parquet snapshot")
    reassess.add_argument(
        "--input", required=True, help="snapshot directory (persons.parquet, households.parquet)"
    )
    reassess.add_argument("--output", required=True, help="decisions Parquet file to write")
    reassess.add_argument("--period", help="application month YYYY-MM (default: the snapshot's spsr.period)")
    reassess.add_argument("--chunk-size", type=int, default=100_000, help="households per simulation")
    audit = commands.add_parser("audit", help="the audit trail")
    audit.add_argument("action", choices=("verify",), help="verify: walk every hash chain")
    return parser


def main(
    argv: Sequence[str] | None = None, stdin: IO[bytes] | None = None, stdout: IO[str] | None = None
) -> int:
    args = build_parser().parse_args(argv)
    out = stdout if stdout is not None else sys.stdout
    if args.command == "assess":
        return run_assess(stdin if stdin is not None else sys.stdin.buffer, out)
    if args.command == "audit":
        return run_audit_verify(out)
    return run_reassess(args, out)


if __name__ == "__main__":
    sys.exit(main())
