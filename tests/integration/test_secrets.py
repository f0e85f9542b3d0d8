"""Secrets Manager through Powertools Parameters (on moto): bank callback secrets and agency credentials."""

from __future__ import annotations

import json

import boto3
import pytest

from chalicelib import bootstrap
from chalicelib.adapters.secrets import ManagedBankSecrets, ManagedJsonSecret
from chalicelib.config import Settings
from chalicelib.domain.errors import ServiceMisconfigured

BANKS = "spsr/prod/bank-callbacks"
AGENCIES = "spsr/prod/agency-credentials"


@pytest.fixture
def secretsmanager(aws: Settings):
    client = boto3.client("secretsmanager", region_name=aws.region)
    client.create_secret(Name=BANKS, SecretString=json.dumps({"XALQ": "first-secret", "AGRO": "agro-secret"}))
    client.create_secret(Name=AGENCIES, SecretString=json.dumps({"tax": {"client_id": "spsr", "api_key": "k1"}}))
    return client


def _services(monkeypatch: pytest.MonkeyPatch, **env: str) -> bootstrap.Services:
    for name, value in {"SPSR_STAGE": "prod", "SPSR_BANK_CALLBACK_SECRET_ID": BANKS,
                        "SPSR_AGENCY_CREDENTIALS_SECRET_ID": AGENCIES, **env}.items():
        monkeypatch.setenv(name, value)
    bootstrap.reset()
    return bootstrap.services()


def test_the_deployed_stage_reads_each_banks_secret_from_secrets_manager(secretsmanager, monkeypatch) -> None:
    # Given the bank callback secret {"BANK_ID": "secret"} and a stage naming it
    services = _services(monkeypatch)
    # Then each bank's secret is found, an unknown bank has none
    assert services.bank_secrets.secret("XALQ") == "first-secret"
    assert services.bank_secrets.secret("AGRO") == "agro-secret"
    assert services.bank_secrets.secret("NOBANK") is None


def test_a_rotated_secret_is_read_again_once_its_cache_expires(secretsmanager, monkeypatch) -> None:
    # Given one reader caching for five minutes and one that does not cache
    provider = bootstrap.services().secrets_provider
    cached = ManagedBankSecrets(ManagedJsonSecret(provider, BANKS, max_age=300))
    uncached = ManagedBankSecrets(ManagedJsonSecret(type(provider)(boto3_client=secretsmanager), BANKS, max_age=0))
    assert cached.secret("XALQ") == uncached.secret("XALQ") == "first-secret"
    # When the secret is rotated
    secretsmanager.put_secret_value(SecretId=BANKS, SecretString=json.dumps({"XALQ": "rotated-secret"}))
    # Then the cached reader answers from its cache (no call per request), the other sees the new value
    assert cached.secret("XALQ") == "first-secret"
    assert uncached.secret("XALQ") == "rotated-secret"


@pytest.mark.parametrize("value", ["not json", json.dumps(["XALQ"])], ids=["not JSON", "not an object"])
def test_a_malformed_secret_answers_503_without_quoting_it(secretsmanager, monkeypatch, caplog, value: str) -> None:
    secretsmanager.put_secret_value(SecretId=BANKS, SecretString=value)
    services = _services(monkeypatch)
    with pytest.raises(ServiceMisconfigured) as raised:
        services.bank_secrets.secret("XALQ")
    assert raised.value.status == 503 and raised.value.code == "service_misconfigured"
    assert value not in str(raised.value) and value not in caplog.text


def test_a_missing_secret_answers_503(aws, monkeypatch) -> None:
    services = _services(monkeypatch, SPSR_BANK_CALLBACK_SECRET_ID="spsr/prod/absent")
    with pytest.raises(ServiceMisconfigured):
        services.bank_secrets.secret("XALQ")


def test_agency_credentials_are_exposed_by_agency(secretsmanager, monkeypatch) -> None:
    services = _services(monkeypatch)
    assert services.agency_credentials.credentials("tax") == {"client_id": "spsr", "api_key": "k1"}
    assert services.agency_credentials.credentials("cadastre") == {}


def test_locally_the_environment_keeps_working_without_secrets_manager(monkeypatch) -> None:
    # Given the local stage with no secret ids (no AWS call can be made: nothing is mocked here)
    monkeypatch.setenv("SPSR_BANK_CALLBACK_SECRETS", "XALQ=local-one;AGRO=local-two")
    bootstrap.reset()
    services = bootstrap.services()
    # Then the secrets come from the environment, and there are no agency credentials
    assert services.bank_secrets.secret("XALQ") == "local-one" and services.bank_secrets.secret("AGRO") == "local-two"
    assert services.agency_credentials.credentials("tax") == {}
