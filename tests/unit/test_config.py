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


def test_a_deployed_stage_never_falls_back_to_the_local_secrets() -> None:
    local = Settings.from_env({})
    deployed = Settings.from_env({"SPSR_STAGE": "prod"})
    assert local.jwt_secret and local.bank_secret("XALQ")
    assert deployed.jwt_secret is None and deployed.bank_secret("XALQ") is None
    # what the deployment provides is used
    explicit = Settings.from_env({"SPSR_STAGE": "prod", "SPSR_BANK_CALLBACK_SECRETS": "XALQ=from-secrets-manager"})
    assert explicit.bank_secret("XALQ") == "from-secrets-manager"
