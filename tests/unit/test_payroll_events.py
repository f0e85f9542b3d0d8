"""Every payroll entry point has a sample event, and each sample is a valid input for its handler."""

from __future__ import annotations

import json
from pathlib import Path

from app import app
from chalicelib.tasks import payroll as tasks

EVENTS = Path(__file__).resolve().parents[2] / "events" / "payroll"
MODELS = {"payroll_write_instructions": tasks.BatchIn, "payroll_reconcile": tasks.RoundIn,
          "payroll_send_file": tasks.FileIn, "payroll_freeze_shard": tasks.ShardIn,
          "payroll_prepare_district": tasks.DistrictIn, "payroll_write_district_files": tasks.DistrictIn,
          "payroll_count_books": tasks.ShardRoundIn}


def test_every_payroll_task_has_a_sample_input_its_model_accepts() -> None:
    functions = {fn.name for fn in app.pure_lambda_functions if fn.name.startswith("payroll_")}
    samples = {p.stem.removeprefix("task_"): p for p in EVENTS.glob("task_*.json")}
    assert set(samples) == functions
    for name, path in samples.items():
        MODELS.get(name, tasks.MonthIn).model_validate(json.loads(path.read_text(encoding="utf-8")))


def test_the_queue_and_schedule_samples_have_their_shape() -> None:
    sqs = json.loads((EVENTS / "sqs_payroll_approval_token.json").read_text(encoding="utf-8"))
    for record in sqs["Records"]:
        tasks.ApprovalMessage.model_validate(json.loads(record["body"]))
    bank = json.loads((EVENTS / "sqs_payroll_bank_messages.json").read_text(encoding="utf-8"))
    for record in bank["Records"]:
        tasks.BankMessage.model_validate(json.loads(record["body"]))
    schedule = json.loads((EVENTS / "schedule_payroll_monthly.json").read_text(encoding="utf-8"))
    assert schedule["detail-type"] == "Scheduled Event"


def test_the_monthly_schedule_starts_nothing_without_a_state_machine(monkeypatch) -> None:
    from chalicelib import bootstrap
    from tests.payroll_fakes import fake_world

    world = fake_world(n=1)
    world.service.workflow = None
    monkeypatch.setattr(bootstrap, "services", lambda: type("S", (), {"payroll": world.service})())
    out = tasks.payroll_monthly(json.loads((EVENTS / "schedule_payroll_monthly.json").read_text()), None)
    assert out == {"month": "2026-11", "started": False}  # the fake clock is in November 2026
