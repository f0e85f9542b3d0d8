"""Pre-payrolls per district and the treasury funds request.

``prepare_district`` (one per district, the state machine's inline Map) writes the district's
pre-payroll CSV (lines per programme, totals per programme and district) and its totals, from the
district's frozen lines in S3 (never a read of the month's instructions from the table); ``summarize``
checks that every manifest part's instruction writer stored an instruction for each of its lines (the
counts it recorded, per district, against the manifest's), writes the national summary and records
the districts in the run; ``request_funds`` asks the treasury (IFMS),
idempotent on the month's request id.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

from chalicelib.domain.errors import Conflict
from chalicelib.domain.households import mask_number
from chalicelib.domain.payroll import DistrictState, PaymentLine, PayrollRun
from chalicelib.services.payroll import layout
from chalicelib.services.payroll.context import PayrollContext
from chalicelib.services.payroll.freeze import Freeze

CSV_HEADER = ("instruction_id", "programme", "mahalla_code", "beneficiary_person_id", "household_id",
              "amount_som", "lump_sum_som", "bank_code", "account", "arrears_of")


class Prepayrolls:
    def __init__(self, ctx: PayrollContext, freeze: Freeze) -> None:
        self.ctx = ctx
        self.freeze = freeze

    def prepare(self, month: str) -> dict[str, Any]:
        """Every district, then the summary: what the state machine's pre-payroll steps do, in one call."""
        for district in self.freeze.manifest(month)["districts"]:
            self.prepare_district(month, district)
        return self.summarize(month)

    def prepare_district(self, month: str, district: str) -> dict[str, Any]:
        ctx = self.ctx
        by_programme: dict[str, list[PaymentLine]] = defaultdict(list)
        for line in self.freeze.district_lines(month, district):
            by_programme[line.programme].append(line)
        ctx.files.put(layout.prepayroll(month, district), _prepayroll_csv(month, district, by_programme), "text/csv")
        programmes = {p: [len(items), sum(line.amount for line in items)] for p, items in sorted(by_programme.items())}
        totals = {"district": district, "count": sum(c for c, _ in programmes.values()),
                  "amount": sum(a for _, a in programmes.values()), "programmes": programmes}
        ctx.put_json(layout.prepayroll_totals(month, district), totals)
        return {"district": district, "count": totals["count"], "amount": totals["amount"]}

    def summarize(self, month: str) -> dict[str, Any]:
        ctx = self.ctx
        manifest = self.freeze.manifest(month)
        ctx.run(month)
        expected = {d: (v["count"], v["amount"]) for d, v in manifest["districts"].items()}
        instructed = self._instructed(month)
        if instructed != expected:
            # Nobody lost: the Map wrote fewer (or other) instructions than the frozen manifest holds.
            missing = sorted(d for d in expected if instructed.get(d) != expected[d])
            raise Conflict(f"instructions differ from the manifest in {len(missing)} districts "
                           f"(first {missing[:1]})", code="instructions_incomplete")
        states: dict[str, dict[str, Any]] = {}
        for district in manifest["districts"]:
            totals = ctx.get_json(layout.prepayroll_totals(month, district))
            if totals is None or (totals["count"], totals["amount"]) != expected[district]:
                raise Conflict(f"payroll {month}: the pre-payroll of district {district} is not written",
                               code="prepayroll_incomplete")
            states[district] = totals
        rows = [(d, p, c, a) for d, t in sorted(states.items()) for p, (c, a) in t["programmes"].items()]
        ctx.files.put(layout.prepayroll_summary(month), _summary_csv(month, rows), "text/csv")

        def prepared(run: PayrollRun) -> None:
            for district, totals in states.items():
                state = run.districts.get(district) or DistrictState(
                    region_code=manifest["districts"][district]["region_code"])
                state.count, state.amount, state.programmes = totals["count"], totals["amount"], totals["programmes"]
                run.districts[district] = state  # a decision already made is kept
            run.advance("prepare")

        ctx.update(month, prepared)
        return {"districts": len(states), "lines": manifest["lines"], "amount": manifest["amount"]}

    def _instructed(self, month: str) -> dict[str, tuple[int, int]]:
        """Lines with their instruction stored, per district, as the parts' writers recorded them."""
        ctx = self.ctx
        found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        parts = [layout.shard_part(month, shard) for shard in range(ctx.assignments.shard_count)]
        for key in [*parts, layout.arrears_part(month)]:
            written = ctx.get_json(layout.instructions_written(month, key))
            if written is not None:
                records = [written]
            else:  # written batch by batch
                part = ctx.get_json(key) or {"batches": []}
                records = [ctx.get_json(layout.instructions_written(month, b)) or {} for b in part["batches"]]
            for record in records:
                for district, (count, amount) in record.get("districts", {}).items():
                    found[district][0] += count
                    found[district][1] += amount
        return {d: (c, a) for d, (c, a) in found.items()}

    def request_funds(self, month: str) -> dict[str, Any]:
        ctx = self.ctx
        run = ctx.run(month)
        lines = [(district, p, c, a) for district, d in sorted(run.districts.items())
                 for p, (c, a) in sorted(d.programmes.items())]
        answer = ctx.funds.request_funds(f"FR-{month}", month, lines)

        def requested(run: PayrollRun) -> None:
            run.funds_reference, run.funds_status = answer.reference, answer.status
            run.advance("request_funds")

        ctx.update(month, requested)
        return {"reference": answer.reference, "status": answer.status,
                "auto_approve": ctx.settings.payroll_auto_approve}


def _prepayroll_csv(month: str, district: str, by_programme: dict[str, list[PaymentLine]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("pre-payroll", month, "district", district))
    w.writerow(CSV_HEADER)
    total_count = total_amount = 0
    for programme in sorted(by_programme):
        items = sorted(by_programme[programme], key=lambda line: (line.mahalla_code, line.instruction_id))
        w.writerows((line.instruction_id, line.programme, line.mahalla_code, line.beneficiary_person_id,
                     line.household_id, line.amount, line.lump_sum, line.bank_code,
                     mask_number(line.account_number), line.arrears_of) for line in items)
        amount = sum(line.amount for line in items)
        w.writerow(("TOTAL", programme, "", "", "", amount, "", "", len(items), ""))
        total_count += len(items)
        total_amount += amount
    w.writerow(("TOTAL", "*", "", "", "", total_amount, "", "", total_count, ""))
    return buf.getvalue().encode()


def _summary_csv(month: str, rows: list[tuple[str, str, int, int]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("month", "district_code", "programme", "count", "amount_som"))
    per_district: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for district, programme, count, amount in rows:
        w.writerow((month, district, programme, count, amount))
        per_district[district][0] += count
        per_district[district][1] += amount
    for district, (count, amount) in sorted(per_district.items()):
        w.writerow((month, district, "TOTAL", count, amount))
    w.writerow((month, "TOTAL", "TOTAL", sum(c for c, _ in per_district.values()),
                sum(a for _, a in per_district.values())))
    return buf.getvalue().encode()
