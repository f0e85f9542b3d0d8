"""Settings read from the environment, and the agencies they require."""

import pytest

from chalicelib.adapters.agencies import AGENCY_NAMES
from chalicelib.config import Settings


def test_every_agency_with_a_connector_is_required_for_a_decision() -> None:
    assert set(Settings().required_agencies) == set(AGENCY_NAMES)


def test_a_jwks_url_switches_off_the_local_secret() -> None:
    settings = Settings.from_env({"SPSR_JWKS_URL": "https://cognito.example/jwks.json"})
    assert settings.jwt_secret is None and settings.jwks_url


def test_agency_urls_come_from_a_json_object_and_per_agency_variables() -> None:
    settings = Settings.from_env({"SPSR_AGENCY_URLS": '{"tax": "http://a", "cadastre": "http://b"}',
                                  "SPSR_AGENCY_TAX_URL": "http://c", "SPSR_CUTOFF_DAY": "20"})
    assert settings.agency_urls == {"tax": "http://c", "cadastre": "http://b"} and settings.cutoff_day == 20
    assert Settings.from_env({}).agency_urls == {}


@pytest.mark.parametrize("bad", ['{"weather": "http://x"}', "[1]", "not json"])
def test_bad_agency_urls_are_refused_at_start(bad: str) -> None:
    with pytest.raises(ValueError):
        Settings.from_env({"SPSR_AGENCY_URLS": bad})


COGNITO = {"SPSR_JWKS_URL": "https://cognito-idp.example/pool/.well-known/jwks.json",
           "SPSR_JWT_ISSUER": "https://cognito-idp.example/pool", "SPSR_JWT_AUDIENCE": "client-id"}


def test_a_deployed_stage_never_falls_back_to_the_local_secrets() -> None:
    # Given the local stage and a deployed one whose environment names no secret
    local = Settings.from_env({})
    deployed = Settings.from_env({"SPSR_STAGE": "prod"})
    # Then only the local stage has the development secret, issuer and bank secret
    assert local.jwt_secret and local.jwt_issuer and local.bank_secret("XALQ")
    assert (deployed.jwt_secret, deployed.jwt_issuer, deployed.jwt_audience) == (None, None, None)
    assert deployed.bank_secret("XALQ") is None
    # however the settings are built
    assert Settings(stage="prod").jwt_secret is None and Settings().jwt_secret


def test_a_deployed_stage_names_what_token_verification_lacks() -> None:
    assert Settings.from_env({}).token_problems() == ()
    assert Settings.from_env({"SPSR_STAGE": "prod"}).token_problems() == (
        "SPSR_JWKS_URL", "SPSR_JWT_ISSUER", "SPSR_JWT_AUDIENCE")
    assert Settings.from_env({"SPSR_STAGE": "prod", **COGNITO}).token_problems() == ()
    # a shared secret is refused outright beside Cognito's JWKS
    assert Settings.from_env({"SPSR_STAGE": "prod", **COGNITO, "SPSR_JWT_SECRET": "x"}).token_problems() == (
        "SPSR_JWT_SECRET",)


@pytest.mark.parametrize("stage", [None, "local"])
def test_a_lambda_runtime_is_never_the_local_stage(stage: str | None) -> None:
    # Given a Lambda function whose environment has no stage, or says local
    env = {"AWS_EXECUTION_ENV": "AWS_Lambda_python3.13", **COGNITO, **({"SPSR_STAGE": stage} if stage else {})}
    settings = Settings.from_env(env)
    # Then it gets no development secret and is told its stage is wrong
    assert settings.deployed and settings.jwt_secret is None and settings.bank_callback_secrets is None
    assert settings.token_problems() == ("SPSR_STAGE",)


def test_bank_callbacks_on_a_deployed_stage_need_the_secrets_manager_secret() -> None:
    assert Settings.from_env({}).bank_callback_problems() == ()
    assert Settings.from_env({"SPSR_STAGE": "prod"}).bank_callback_problems() == ("SPSR_BANK_CALLBACK_SECRET_ID",)
    managed = {"SPSR_STAGE": "prod", "SPSR_BANK_CALLBACK_SECRET_ID": "spsr/prod/bank-callbacks"}
    assert Settings.from_env(managed).bank_callback_problems() == ()
    # a secret in a plain environment variable is refused on a deployed stage
    plain = {**managed, "SPSR_BANK_CALLBACK_SECRETS": "XALQ=in-the-environment"}
    assert Settings.from_env(plain).bank_callback_problems() == ("SPSR_BANK_CALLBACK_SECRETS",)


def test_secret_ids_and_their_cache_age_come_from_the_environment() -> None:
    settings = Settings.from_env({"SPSR_BANK_CALLBACK_SECRET_ID": "b", "SPSR_AGENCY_CREDENTIALS_SECRET_ID": "a",
                                  "SPSR_SECRETS_MAX_AGE_SECONDS": "60"})
    assert (settings.bank_callback_secret_id, settings.agency_credentials_secret_id) == ("b", "a")
    assert settings.secrets_max_age_seconds == 60
