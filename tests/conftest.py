"""Shared fixtures: an isolated AWS (moto) with the project's own resource definitions, and tokens."""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from chalicelib import bootstrap
from chalicelib.config import Settings
from devstack.token import issue
from infra.resources import create_all

MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach a real AWS account: fake credentials, a fixed region, no endpoint override."""
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    bootstrap.reset()


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env(dict(os.environ))


@pytest.fixture
def aws(settings: Settings) -> Iterator[Settings]:
    """moto with the registry's tables and buckets created from infra/resources.py."""
    with mock_aws(config=MOTO_CONFIG):  # type: ignore[arg-type]
        create_all(boto3.client("dynamodb", region_name=settings.region),
                   boto3.client("s3", region_name=settings.region), settings,
                   boto3.client("kms", region_name=settings.region))
        bootstrap.reset()
        yield settings
        bootstrap.reset()


@pytest.fixture
def token():
    def make(role: str, scope: str = "", subject: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue(role, scope, subject=subject)}",
                "Content-Type": "application/json"}

    return make
