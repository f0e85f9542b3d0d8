"""``make demo``: a scripted month on the local stack, from applications to paid benefits.

Submits applications of seeded families through the HTTP API (as mahalla workers, Pension Fund
officers and the portal would), waits for every workflow run, checks each decision against the rules
applied to the evidence the agencies hold, then pays the month after the decisions (payroll with
auto-approval, pain.001 files to the local bank, its pain.002 answers and signed camt.054 callbacks
to the API) and prints a JSON summary with the reconciliation, also written to
``demo-out/summary.json``; the month's files are left under ``demo-out/payroll/``. A small error
rate on one agency shows the retries at work. After the decisions (``aftercare.py``): grievances are
worked through, families rejected on income appeal (some upheld on corrected income, some denied),
families rejected with an idle member are referred to social workers, and the next month's payroll
pays the upheld appeals' missed month as arrears.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Any

from chalicelib.adapters.dynamodb import DynamoApplicationRepository, DynamoDecisionRepository, from_item
from chalicelib.domain import months
from chalicelib.domain.applications import Application
from chalicelib.services.assessment import assess
from devstack import aftercare
from devstack.applications import applicants, application_payload
from devstack.payroll_demo import run_month
from devstack.population import SynthHousehold, evidence_for
from devstack.stack import EmbeddedStack, free_port
from devstack.token import issue

ROOT = Path(__file__).resolve().parent.parent
FINAL = ("assigned", "rejected", "needs_review")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a scripted month on the local stack.")
    parser.add_argument("--households", type=int, default=2000, help="households seeded")
    parser.add_argument("--applications", type=int, default=500, help="applications submitted")
    parser.add_argument("--out", type=Path, default=ROOT / "demo-out")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for the decisions")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    quiet_logs()

    stack = EmbeddedStack(moto_port=free_port(), api_port=free_port(), households=args.households,
                          api_log=args.out / "chalice-local.log")
    started = time.perf_counter()
    print(f"starting the local stack with {args.households} households ...", file=sys.stderr, flush=True)
    with stack:
        assert stack.agencies is not None
        # One agency fails 5% of its calls: the connectors' retries absorb it.
        stack.agencies.set_faults("education", error_rate=0.05)
        families = applicants(0, min(args.applications, args.households), seed=stack.seed_value,
                              reference_month=stack.reference_month)
        print(f"stack up in {time.perf_counter() - started:.0f} s; submitting {len(families)} applications ...",
              file=sys.stderr, flush=True)
        submitted = _submit_all(stack, families)
        print("waiting for the decisions ...", file=sys.stderr, flush=True)
        applications = _wait_for_decisions(stack, [a for a, _ in submitted], args.timeout)
        summary = _summary(stack, submitted, applications, time.perf_counter() - started)
        decided = _decided(stack, submitted, applications)
        print("filing grievances and appeals ...", file=sys.stderr, flush=True)
        care = aftercare.before_payroll(stack, decided)
        # The month after the decisions: payroll, approval (auto), bank files, answers and callbacks.
        month = months.add(months.of(date.today()), 1)
        callbacks = f"{stack.api_url}/bank/callbacks"
        print(f"paying {month} ...", file=sys.stderr, flush=True)
        summary["payroll"] = run_month(stack, month, args.out, callback_url=callbacks)
        # The appeals are answered after that month was frozen: an upheld one is owed it, paid next month.
        print("re-assessing the appeals, opening cases ...", file=sys.stderr, flush=True)
        aftercare.reassess_appeals(stack, care, {a: h for a, h in submitted})
        care.cases = aftercare.open_cases(stack, decided)
        print(f"paying {months.add(month, 1)} with the arrears ...", file=sys.stderr, flush=True)
        summary["payroll_next_month"] = run_month(stack, months.add(month, 1), args.out, callback_url=callbacks)
        summary["after_the_decision"] = aftercare.figures(stack, care)
        summary["after_the_decision"]["appeals"]["arrears_paid"] = summary["payroll_next_month"]["arrears"]
        summary["stack"]["wall_seconds"] = round(time.perf_counter() - started, 1)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    appeals = summary["after_the_decision"]["appeals"]
    ok = (summary["applications"]["undecided"] == 0 and not summary["verification"]["mismatches"]
          and summary["payroll"]["settled"] and summary["payroll_next_month"]["settled"]
          and appeals["unanswered"] == 0)
    return 0 if ok else 1


def quiet_logs() -> None:
    """The summary is the demo's output: the services' per-request logs stay at warnings."""
    for name in ("spsr-api", "spsr-workflow", "spsr-notifications", "spsr-intake", "spsr-grievances",
                 "spsr-appeals", "spsr-cases"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _submit_all(stack: EmbeddedStack, families: list[SynthHousehold]) -> list[tuple[str, SynthHousehold]]:
    tokens: dict[str, str] = {}

    def submit(h: SynthHousehold) -> tuple[str, SynthHousehold]:
        if h.mahalla_code not in tokens:
            tokens[h.mahalla_code] = issue("mahalla_worker", h.mahalla_code)
        status, body = aftercare.call(stack, "POST", "/applications", tokens[h.mahalla_code],
                                      application_payload(h, stack.reference_month))
        if status != 201:
            raise RuntimeError(f"household {h.household_id}: {status} {body.get('error', {}).get('code')}")
        return body["application_id"], h

    # A few at a time, as counters across the country would: the workflows run while more arrive.
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(submit, families))


def _wait_for_decisions(stack: EmbeddedStack, ids: list[str], timeout: float) -> dict[str, Application]:
    repo = DynamoApplicationRepository(stack.client("dynamodb"), stack.settings().applications_table)
    deadline = time.monotonic() + timeout
    done: dict[str, Application] = {}
    while time.monotonic() < deadline:
        for app_id in ids:
            if app_id in done:
                continue
            app = repo.get(app_id)
            if app is not None and app.status in FINAL:
                done[app_id] = app
        print(f"  {len(done)}/{len(ids)} decided or in review", file=sys.stderr, flush=True)
        if len(done) == len(ids):
            break
        time.sleep(3)
    for app_id in ids:  # whatever is still undecided at the deadline is reported as such
        if app_id not in done:
            app = repo.get(app_id)
            if app is not None:
                done[app_id] = app
    return done


def _decided(stack: EmbeddedStack, submitted: list[tuple[str, SynthHousehold]],
             apps: dict[str, Application]) -> list[tuple[str, SynthHousehold, str, list[str]]]:
    """Each decided application with its family, status and the reasons of its decision."""
    decisions = DynamoDecisionRepository(stack.client("dynamodb"), stack.settings().applications_table)
    out = []
    for app_id, h in submitted:
        app = apps.get(app_id)
        stored = decisions.latest(app_id) if app and app.status in ("assigned", "rejected") else None
        if app is not None and stored is not None:
            out.append((app_id, h, app.status, stored.outcome.reasons()))
    return out


def _scan(stack: EmbeddedStack, prefix: str) -> list[dict[str, Any]]:
    db = stack.client("dynamodb")
    kwargs: dict[str, Any] = {"TableName": stack.settings().audit_table,
                              "FilterExpression": "begins_with(pk, :p)",
                              "ExpressionAttributeValues": {":p": {"S": prefix}}}
    items: list[dict[str, Any]] = []
    while True:
        page = db.scan(**kwargs)
        items += [from_item(i) for i in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def _summary(stack: EmbeddedStack, submitted: list[tuple[str, SynthHousehold]], apps: dict[str, Application],
             elapsed: float) -> dict[str, Any]:
    decisions = DynamoDecisionRepository(stack.client("dynamodb"), stack.settings().applications_table)
    by_status = Counter(a.status for a in apps.values())
    requested: Counter[str] = Counter()
    granted: Counter[str] = Counter()
    seconds: list[float] = []
    agree, mismatches = 0, []
    for app_id, h in submitted:
        app = apps.get(app_id)
        if app is None:
            continue
        requested.update(app.programmes)
        if app.status not in ("assigned", "rejected"):
            continue
        decided_at = datetime.fromisoformat(app.history[-1].at)
        seconds.append((decided_at - datetime.fromisoformat(app.created_at)).total_seconds())
        stored = decisions.latest(app_id)
        decision: dict[str, Any] = stored.outcome.to_dict() if stored else {}
        granted.update(stored.eligible if stored else ())
        # The rules applied to what the agencies hold for this family must give the stored decision.
        expected = assess({**evidence_for(h, app.cycle_month), "programmes": list(app.programmes)})["decision"]
        if expected == decision:
            agree += 1
        else:
            mismatches.append(app_id)
    sms = [i for i in _scan(stack, "SMS#") if i.get("status") == "sent"]
    access = _scan(stack, "ACCESS#")
    calls = Counter(i["agency"] for i in access)
    failures = Counter(i["agency"] for i in access if i["outcome"] not in ("ok", "not_known"))
    return {
        "stack": {"households": stack.households, "cycle_month": stack.reference_month,
                  "wall_seconds": round(elapsed, 1)},
        "applications": {
            "submitted": len(submitted), "by_status": dict(sorted(by_status.items())),
            "undecided": sum(n for s, n in by_status.items() if s not in FINAL),
            "review_notes": dict(Counter(a.history[-1].note or "" for a in apps.values()
                                         if a.status == "needs_review").most_common()),
            "requested_by_programme": dict(sorted(requested.items())),
            "granted_by_programme": dict(sorted(granted.items())),
        },
        "time_to_decision_seconds": {"median": round(statistics.median(seconds), 1) if seconds else None,
                                     "p95": round(_percentile(seconds, 0.95), 1) if seconds else None,
                                     "decided": len(seconds)},
        "sms": {"sent": len(sms), "by_language": dict(sorted(Counter(i["language"] for i in sms).items())),
                "by_template": dict(sorted(Counter(i["template"] for i in sms).items())),
                "segments": sum(int(i["segments"]) for i in sms)},
        "agencies": {"calls": sum(calls.values()), "failed_calls": sum(failures.values()),
                     "calls_by_agency": dict(sorted(calls.items())),
                     "failed_by_agency": dict(sorted(failures.items()))},
        "verification": {"decisions_checked": agree + len(mismatches), "agree_with_rules": agree,
                         "mismatches": mismatches},
    }


if __name__ == "__main__":
    raise SystemExit(main())
