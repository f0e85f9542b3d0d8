"""District approval of pre-payrolls: decisions by district administrations, or auto-approval (local runs).

A rejected district's instructions are held, not paid; the state machine waits on a task token
(``await_approval``) and is resumed once every district is decided.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain import access
from chalicelib.domain.access import Principal, Target, authorize
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.payroll import PayrollRun
from chalicelib.services.payroll.context import PayrollContext


class Approval:
    def __init__(self, ctx: PayrollContext) -> None:
        self.ctx = ctx

    def auto_approve(self, month: str) -> dict[str, Any]:
        ctx = self.ctx

        def approve_all(run: PayrollRun) -> None:
            for code in run.undecided():
                d = run.districts[code]
                d.decision, d.decided_by, d.decided_at = "approved", "system:auto-approve", ctx.now()
            run.advance("approve")

        run = ctx.update(month, approve_all)
        return {"approved": len(run.approved()), "districts": run.approved()}

    def await_approval(self, month: str, task_token: str) -> dict[str, Any]:
        """Keeps the task token of the approval step; resumes at once if every district is decided."""
        def keep(run: PayrollRun) -> None:
            run.approval_token = task_token

        run = self.ctx.update(month, keep)
        if not run.undecided():
            self._resume(run)
        return {"undecided": run.undecided()}

    def decide(self, principal: Principal, month: str, district: str, approve: bool,
               reason: str | None = None) -> PayrollRun:
        ctx = self.ctx
        authorize(principal, access.PAYROLL_APPROVE_DISTRICT, Target.area("district", district), "the district")
        run = ctx.run(month)
        state = run.districts.get(district)
        if state is None:
            raise NotFound(f"district {district} has no pre-payroll in {month}", code="not_found")
        decision = "approved" if approve else "rejected"
        if state.decision == "pending" and run.status not in ("instructed", "awaiting_approval"):
            raise Conflict(f"payroll {month} is not awaiting approval", code="invalid_transition")

        def decided(current: PayrollRun) -> None:
            state = current.districts[district]
            if state.decision not in ("pending", decision):
                raise Conflict(f"the pre-payroll of district {district} is already {state.decision}",
                               field="decision", code="already_decided")
            if state.decision == "pending":
                state.decision, state.decided_by, state.decided_at, state.reason = (
                    decision, principal.subject, ctx.now(), reason)
            if not current.undecided():
                current.advance("approve")

        # The decision first (conditional on the run's version), then its effect: a rejection holds the
        # district's payments. Deciding the same again repeats the holds, repairing an interrupted one;
        # the payment files take approved districts only, so nothing of a rejected one is ever sent.
        run = ctx.update(month, decided)
        if not approve:
            for ins in ctx.repo.instructions(month, district):
                moved = ins.moved("hold", reason="prepayroll_rejected", at=ctx.now())
                if moved is not None:
                    ctx.repo.move(ins, moved)
        if not run.undecided() and run.approval_token:
            self._resume(run)
        return run

    def _resume(self, run: PayrollRun) -> None:
        if self.ctx.workflow is not None and run.approval_token:
            self.ctx.workflow.resume(run.approval_token, {"month": run.month, "approved": len(run.approved()),
                                                          "districts": run.approved()})
