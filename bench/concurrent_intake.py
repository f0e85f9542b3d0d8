"""Many families applying at once on the local stack: is every application stored once, answered 201,
and its workflow started at intake, with none left for the sweep?

    python -m bench.concurrent_intake [applications] [concurrency]

Starts the embedded local stack (moto with state-machine execution, the agencies, chalice local),
submits the applications through the HTTP API ``concurrency`` at a time, then counts: the answers by
status, the applications stored, the runs Step Functions knows, and the starts still pending in the
outbox (``services/workflow_starts.py``). The runs themselves go on deciding in the background; the
bench then waits for them and counts the statuses, so a false conflict in a workflow save (which would
send an application to review) shows too.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from chalicelib import bootstrap
from devstack.aftercare import call
from devstack.applications import applicants, application_payload
from devstack.demo import quiet_logs
from devstack.stack import EmbeddedStack, free_port
from devstack.token import issue


def main(n: int, concurrency: int) -> None:
    quiet_logs()
    stack = EmbeddedStack(moto_port=free_port(), api_port=free_port(), households=n + 200)
    with stack:
        families = applicants(0, n, seed=stack.seed_value, reference_month=stack.reference_month)
        tokens = {h.mahalla_code: issue("mahalla_worker", h.mahalla_code) for h in families}
        started = time.perf_counter()

        def submit(h: object) -> tuple[int, str]:
            status, body = call(stack, "POST", "/applications", tokens[h.mahalla_code],  # type: ignore[attr-defined]
                                application_payload(h, stack.reference_month))  # type: ignore[arg-type]
            return status, str(body.get("application_id") or body.get("error", {}).get("code"))

        with ThreadPoolExecutor(concurrency) as pool:
            answers = list(pool.map(submit, families))
        took = time.perf_counter() - started
        statuses = Counter(s for s, _ in answers)
        ids = [a for s, a in answers if s == 201]
        services = bootstrap.services()
        pending = list(services.application_repository.pending_starts())
        sfn = stack.client("stepfunctions")
        runs: set[str] = set()
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=stack.state_machine_arn):
            runs.update(e["name"] for e in page["executions"])
        # the decisions, as the workflows reach them
        deadline = time.monotonic() + 1800
        final: Counter[str] = Counter()
        while time.monotonic() < deadline:
            final = Counter(a.status for a in (services.application_repository.get(i) for i in ids) if a)
            if sum(final[s] for s in ("assigned", "rejected", "needs_review", "awaiting_approval")) == len(ids):
                break
            time.sleep(5)
        print(json.dumps({
            "applications": n, "concurrency": concurrency, "submit_seconds": round(took, 1),
            "answers": dict(statuses), "stored": len(ids), "distinct_ids": len(set(ids)),
            "runs_started_at_intake": len(runs & set(ids)), "pending_starts_left": len(pending),
            "final_statuses": dict(final)}, indent=1))


if __name__ == "__main__":
    a = [int(x) for x in sys.argv[1:]]
    main(a[0] if a else 1000, a[1] if len(a) > 1 else 8)
