"""What the API reads: runs, their status and districts, the books (aggregates), download links."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import access
from chalicelib.domain.access import Principal, Target
from chalicelib.domain.payroll import PayrollRun
from chalicelib.services.payroll import layout
from chalicelib.services.payroll.books import Books, summary
from chalicelib.services.payroll.context import PayrollContext, require, sees


class Queries:
    def __init__(self, ctx: PayrollContext, books: Books) -> None:
        self.ctx = ctx
        self.books = books

    def runs(self, principal: Principal) -> list[dict[str, Any]]:
        require(principal, access.PAYROLL_READ)
        return [run_view(r, principal) for r in sorted(self.ctx.repo.runs(), key=lambda r: r.month, reverse=True)]

    def run(self, principal: Principal, month: str) -> dict[str, Any]:
        require(principal, access.PAYROLL_READ)
        return run_view(self.ctx.run(month), principal)

    def summary(self, principal: Principal, month: str) -> dict[str, Any]:
        """Aggregates only (counts and som per district and programme): every payroll role may read them."""
        require(principal, access.PAYROLL_READ)
        run = self.ctx.run(month)
        visible = {code for code, d in run.districts.items() if sees(principal, code, d.region_code)}
        out = summary(month, self.books.totals(month), visible)
        out["status"] = run.status
        return out

    def summary_for_system(self, month: str) -> dict[str, Any]:
        """The summary without a caller (the demo, scheduled reports): every district."""
        run = self.ctx.run(month)
        out = summary(month, self.books.totals(month))
        out["status"] = run.status
        return out

    def unapproved_districts(self, month: str) -> list[str]:
        """District codes whose pre-payroll is still undecided (the scheduled check on the 4th); none
        when the month has no run yet."""
        run = self.ctx.repo.get_run(month)
        return run.undecided() if run else []

    def file_links(self, principal: Principal, month: str) -> dict[str, Any]:
        require(principal, access.PAYROLL_FILES)
        run = self.ctx.run(month)
        seconds = self.ctx.settings.payroll_file_url_seconds
        out: list[dict[str, Any]] = []
        for code, d in sorted(run.districts.items()):
            if sees(principal, code, d.region_code, access.PAYROLL_FILES):
                out.append({"kind": "prepayroll", "district_code": code, "key": layout.prepayroll(month, code)})
        if access.permits(principal, access.PAYROLL_FILES, Target()):  # national files: national reach only
            out.append({"kind": "prepayroll_summary", "key": layout.prepayroll_summary(month)})
            out.append({"kind": "manifest", "key": layout.manifest(month)})
            out.append({"kind": "pain001_manifest", "key": layout.pain001_manifest(month)})
            out += [{"kind": "pain001", "msg_id": f["msg_id"], "sha256": f["sha256"], "key": f["key"]}
                    for f in run.files]
            out.append({"kind": "reconciliation", "key": layout.reconciliation(month)})
        for item in out:
            item["url"] = self.ctx.files.download_url(item["key"], seconds)
        return {"month": month, "expires_in": seconds, "files": out}


def run_view(run: PayrollRun, principal: Principal | None = None) -> dict[str, Any]:
    out = run.as_dict()
    out.pop("approval_token", None)
    out["awaiting_decision"] = run.undecided()
    if principal is not None:
        out["districts"] = {c: d for c, d in out["districts"].items()
                            if sees(principal, c, d["region_code"])}
        out["awaiting_decision"] = [c for c in out["awaiting_decision"] if c in out["districts"]]
    return out
