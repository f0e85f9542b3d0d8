"""Deployed stages fail closed: no development token, no local secret, 503 where a setting is missing.

Through ``chalice.test.Client`` with the environment a deployed function would have.
"""

from __future__ import annotations

import json
import time

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib import bootstrap
from chalicelib.api.payroll import CALLBACK_EXAMPLE
from chalicelib.config import LOCAL_BANK_CALLBACK_SECRETS, LOCAL_DEV_JWT_SECRET, Settings
from chalicelib.domain.signatures import sign
from devstack.token import issue

COGNITO = {"SPSR_JWKS_URL": "http://127.0.0.1:9/pool/.well-known/jwks.json",
           "SPSR_JWT_ISSUER": "https://cognito-idp.example/pool", "SPSR_JWT_AUDIENCE": "client-id"}
BANK_SECRET = "xalq-secret-from-secrets-manager"


def _deploy(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.13")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    bootstrap.reset()


def _dev_token(role: str = "auditor", scope: str = "") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue(role, scope, settings=Settings())}", "Content-Type": "application/json"}


def _callback(secret: str) -> tuple[dict[str, str], str]:
    body = json.dumps(CALLBACK_EXAMPLE)
    stamp = str(int(time.time()))
    return {"Content-Type": "application/json", "X-Bank-Id": "XALQ", "X-Signature-Timestamp": stamp,
            "X-Signature": sign(secret, stamp, body.encode())}, body


@pytest.mark.parametrize("missing", ["SPSR_STAGE", "SPSR_JWKS_URL", "SPSR_JWT_ISSUER", "SPSR_JWT_AUDIENCE"])
def test_a_deployed_function_missing_a_token_setting_answers_503(monkeypatch, caplog, missing: str) -> None:
    # Given a Lambda function whose environment lacks one of its token settings
    env = {"SPSR_STAGE": "prod", **COGNITO}
    env.pop(missing)
    monkeypatch.delenv("SPSR_STAGE", raising=False)
    _deploy(monkeypatch, **env)
    with Client(app) as client:
        # When a development token (the repository's secret, a nationwide auditor) is presented
        listing = client.http.get("/applications", headers=_dev_token())
        health = client.http.get("/health")
    # Then the API answers 503 with a stable code, and nothing falls back to the local secret
    assert (listing.status_code, listing.json_body["error"]["code"]) == (503, "service_misconfigured")
    assert (health.status_code, health.json_body["error"]["code"]) == (503, "service_misconfigured")
    assert "SPSR_" not in listing.body.decode(), "the caller is told nothing about the configuration"
    # and the log names the variable at fault, never a secret's value
    logged = [(r.getMessage(), getattr(r, "variables", None)) for r in caplog.records]
    assert ("service misconfigured", [missing]) in logged
    assert LOCAL_DEV_JWT_SECRET not in caplog.text


def test_a_shared_secret_on_a_deployed_stage_is_refused_outright(monkeypatch) -> None:
    # Given a complete Cognito configuration plus the development secret in the environment
    _deploy(monkeypatch, SPSR_STAGE="prod", SPSR_JWT_SECRET=LOCAL_DEV_JWT_SECRET, **COGNITO)
    with Client(app) as client:
        listing = client.http.get("/applications", headers=_dev_token())
    # Then the stage does not run with it
    assert (listing.status_code, listing.json_body["error"]["code"]) == (503, "service_misconfigured")


def test_a_development_token_is_refused_by_a_configured_stage(monkeypatch) -> None:
    # Given a deployed stage with its Cognito settings (the JWKS endpoint unreachable from here)
    _deploy(monkeypatch, SPSR_STAGE="prod", **COGNITO)
    with Client(app) as client:
        health = client.http.get("/health")
        listing = client.http.get("/applications", headers=_dev_token())
    # Then it is healthy, and an HS256 token signed with the repository's secret is not a token
    assert health.status_code == 200
    assert (listing.status_code, listing.json_body["error"]["code"]) == (401, "invalid_token")


@pytest.mark.parametrize("env", [{}, {"SPSR_BANK_CALLBACK_SECRETS": LOCAL_BANK_CALLBACK_SECRETS}],
                         ids=["no secret id", "local secret in the environment"])
def test_bank_callbacks_without_their_secret_answer_503(monkeypatch, env: dict[str, str]) -> None:
    # Given a deployed stage with no Secrets Manager secret for the bank callbacks
    _deploy(monkeypatch, SPSR_STAGE="prod", **COGNITO, **env)
    headers, body = _callback("spsr-local-bank-secret")
    with Client(app) as client:
        # When the bank posts a callback signed with the local secret
        response = client.http.post("/bank/callbacks", headers=headers, body=body)
    # Then no secret is checked at all: 503, never a fallback to the local one
    assert (response.status_code, response.json_body["error"]["code"]) == (503, "service_misconfigured")


@pytest.mark.usefixtures("aws")
def test_bank_callbacks_are_checked_with_the_secret_from_secrets_manager(monkeypatch) -> None:
    # Given the bank callback secret in Secrets Manager and a deployed stage naming it
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="spsr/prod/bank-callbacks", SecretString=json.dumps({"XALQ": BANK_SECRET}))
    _deploy(monkeypatch, SPSR_STAGE="prod", SPSR_BANK_CALLBACK_SECRET_ID="spsr/prod/bank-callbacks", **COGNITO)
    with Client(app) as client:
        # When the bank signs with that secret, and someone else with the local one
        good = client.http.post("/bank/callbacks", headers=_callback(BANK_SECRET)[0], body=_callback(BANK_SECRET)[1])
        local = client.http.post("/bank/callbacks", headers=_callback("spsr-local-bank-secret")[0],
                                 body=_callback("spsr-local-bank-secret")[1])
    # Then the first passes the signature check and the second is refused
    assert good.status_code == 200, good.body
    assert (local.status_code, local.json_body["error"]["code"]) == (401, "bad_signature")
