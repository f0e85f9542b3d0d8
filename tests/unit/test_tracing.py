"""Every entry point is traced on AWS: one ``## <function>`` subsegment per invocation, cold start marked."""

from __future__ import annotations

import importlib
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest

from app import app
from chalicelib import tracing
from chalicelib.domain.errors import ValidationFailed


class FakeSegment:
    def __init__(self, name: str) -> None:
        self.name, self.annotations = name, {}

    def put_annotation(self, key: str, value: Any) -> None:
        self.annotations[key] = value


class FakeProvider:
    def __init__(self) -> None:
        self.segments: list[FakeSegment] = []

    @contextmanager
    def in_subsegment(self, name: str):  # type: ignore[no-untyped-def]
        self.segments.append(FakeSegment(name))
        yield self.segments[-1]


def test_a_task_of_the_app_runs_inside_its_subsegment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an enabled tracer and a workflow task of the app
    provider = FakeProvider()
    monkeypatch.setattr(tracing, "tracer", SimpleNamespace(disabled=False, provider=provider, service="spsr"))
    # (what Lambda calls: the handler string's module attribute, with the app's middleware around it)
    handler = next(fn for fn in app.pure_lambda_functions if fn.name == "begin_application").handler_string
    module, _, attribute = handler.rpartition(".")
    task = getattr(importlib.import_module(module), attribute)
    # When it is invoked with an input it refuses
    with pytest.raises(ValidationFailed):
        task({"attempt": 1}, SimpleNamespace(function_name="spsr-prod-BeginApplication"))
    # Then the invocation ran (and failed) inside the function's subsegment
    assert [s.name for s in provider.segments] == ["## spsr-prod-BeginApplication"]


def test_each_invocation_gets_a_subsegment_and_only_the_first_is_cold(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an enabled tracer (as in Lambda)
    provider = FakeProvider()
    monkeypatch.setattr(tracing, "tracer", SimpleNamespace(disabled=False, provider=provider, service="spsr"))
    monkeypatch.setattr(tracing, "_cold", True)
    event = SimpleNamespace(context=SimpleNamespace(function_name="spsr-prod-CollectEvidence"))
    # When two invocations go through the middleware
    results = [tracing.trace(event, lambda e: {"ok": True}) for _ in range(2)]
    # Then both answer, each in its own subsegment, and only the first is a cold start
    assert results == [{"ok": True}, {"ok": True}]
    assert [s.name for s in provider.segments] == ["## spsr-prod-CollectEvidence"] * 2
    assert [s.annotations["ColdStart"] for s in provider.segments] == [True, False]


def test_outside_lambda_the_tracer_is_off_and_the_middleware_only_calls_on() -> None:
    assert tracing.tracer.disabled
    assert tracing.trace(SimpleNamespace(), lambda e: "answer") == "answer"
