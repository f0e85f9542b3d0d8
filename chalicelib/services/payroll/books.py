"""The books of a run, per district and programme: sent = paid + rejected + returned + pending.

``count_shard`` (one per instruction shard, the state machine's inline Map in each reconciliation
round) counts one shard's instructions by status; ``close`` adds the shards' counts to what the sent
payment files carried (their manifest), writes the month's reconciliation and says whether another
round is due. ``reconcile`` does both in one call; ``totals`` counts the month live (the API's summary).
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import Conflict
from chalicelib.domain.payroll import PayrollRun, Totals, reconcile
from chalicelib.services.payroll import layout
from chalicelib.services.payroll.context import PayrollContext
from chalicelib.services.payroll.files import Files


class Books:
    def __init__(self, ctx: PayrollContext, files: Files) -> None:
        self.ctx = ctx
        self.files = files

    def plan(self, month: str, round_no: int = 0) -> dict[str, Any]:
        return {"month": month, "round": round_no, "shards": list(range(self.ctx.repo.shard_count))}

    def reconcile(self, month: str, round_no: int = 0) -> dict[str, Any]:
        for shard in range(self.ctx.repo.shard_count):
            self.count_shard(month, shard, round_no)
        return self.close(month, round_no)

    def count_shard(self, month: str, shard: int, round_no: int = 0) -> dict[str, Any]:
        counted = reconcile(self.ctx.repo.instructions(month, shard=shard), {})
        self.ctx.put_json(layout.books_shard(month, shard), {"round": round_no, "totals": {
            f"{d}|{p}": t.as_dict() for (d, p), t in counted.items()}})
        return {"shard": shard, "instructions": counted[("*", "*")].as_dict()["instructed_count"]}

    def close(self, month: str, round_no: int = 0) -> dict[str, Any]:
        ctx = self.ctx
        totals: dict[tuple[str, str], Totals] = {}
        for shard in range(ctx.repo.shard_count):
            counted = ctx.get_json(layout.books_shard(month, shard))
            if counted is None or counted["round"] != round_no:
                raise Conflict(f"payroll {month}: shard {shard} is not counted in round {round_no}",
                               code="books_incomplete")
            for key, values in counted["totals"].items():
                district, programme = key.split("|")
                totals.setdefault((district, programme), Totals()).add(Totals.from_dict(values))
        totals.setdefault(("*", "*"), Totals())
        for (district, programme), (count, amount) in self.sent(month).items():
            for key in (("*", "*"), (district, programme), (district, "*")):
                t = totals.setdefault(key, Totals())
                t.sent_count += count
                t.sent_amount += amount
        overall = totals[("*", "*")]
        ctx.put_json(layout.reconciliation(month), summary(month, totals), indent=1)

        def booked(run: PayrollRun) -> None:
            if overall.settled():
                run.advance("settle")

        ctx.update(month, booked)
        return {"month": month, "settled": overall.settled(), "balanced": overall.balanced(),
                "pending": overall.pending_count, "round": round_no + 1,
                "more": not overall.settled() and round_no + 1 < ctx.settings.payroll_reconcile_rounds,
                "wait_seconds": ctx.settings.payroll_bank_wait_seconds}

    def sent(self, month: str) -> dict[tuple[str, str], tuple[int, int]]:
        """(count, som) per (district, programme) that the files handed to the bank carried."""
        sent: dict[tuple[str, str], tuple[int, int]] = {}
        for record in self.files.file_manifest(month)["files"]:
            if not self.ctx.repo.message_handled(record["bank_code"], "SENT:" + record["msg_id"]):
                continue  # not handed to the bank yet
            for key, (count, amount) in record["totals"].items():
                district, programme = key.split("|")
                c, a = sent.get((district, programme), (0, 0))
                sent[(district, programme)] = (c + count, a + amount)
        return sent

    def totals(self, month: str) -> dict[tuple[str, str], Totals]:
        return reconcile(self.ctx.repo.instructions(month), self.sent(month))


def summary(month: str, totals: dict[tuple[str, str], Totals], visible: set[str] | None = None) -> dict[str, Any]:
    districts: dict[str, Any] = {}
    for (district, programme), t in sorted(totals.items()):
        if district == "*" or (visible is not None and district not in visible):
            continue
        entry = districts.setdefault(district, {"programmes": {}})
        if programme == "*":
            entry["totals"] = t.as_dict()
            entry["returned_to_local_budget"] = t.returned_amount
        else:
            entry["programmes"][programme] = t.as_dict()
    overall = Totals()
    for entry in districts.values():
        overall.add(Totals.from_dict(entry["totals"]))
    return {"month": month, "totals": overall.as_dict(), "districts": districts,
            "rejected_awaiting_bank_details": overall.rejected_count}
