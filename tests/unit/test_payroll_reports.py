"""The check on the 4th: districts whose pre-payroll nobody has decided, counted in a metric."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib import bootstrap
from chalicelib.domain.access import Principal
from chalicelib.tasks import payroll_reports
from tests.payroll_fakes import fake_world

EVENT = Path(__file__).resolve().parents[2] / "events" / "payroll" / "schedule_payroll_unapproved_report.json"
MONTH = "2026-11"  # the fake clock's month


def test_the_report_names_the_districts_still_undecided(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    # Given a month prepared for several districts, one of which its administrator approved
    world = fake_world(n=40)
    svc = world.service
    out = svc.freeze(MONTH)
    for item in json.loads(world.files.objects[out["batches_key"]]):
        svc.write_instructions(item["key"])
    svc.prepare(MONTH)
    districts = svc.unapproved_districts(MONTH)
    assert len(districts) >= 2
    svc.decide(Principal("da", "district_admin", districts[0]), MONTH, districts[0], True)
    monkeypatch.setattr(bootstrap, "services", lambda: type("S", (), {"payroll": svc})())
    # When the scheduled report runs
    result = payroll_reports.payroll_unapproved_report(json.loads(EVENT.read_text(encoding="utf-8")), None)
    # Then it names the others and emits their count as the UnapprovedPrepayrolls metric
    assert result == {"month": MONTH, "unapproved": districts[1:]}
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [m["UnapprovedPrepayrolls"] for m in emitted] == [[float(len(districts) - 1)]]


def test_a_month_without_a_run_has_nothing_unapproved() -> None:
    assert fake_world(n=1).service.unapproved_districts("2027-01") == []
