"""Settings read from the environment, and the agencies they require."""

from chalicelib.adapters.agencies import AGENCY_NAMES
from chalicelib.config import Settings


def test_every_agency_with_a_connector_is_required_for_a_decision() -> None:
    assert set(Settings().required_agencies) == set(AGENCY_NAMES)


def test_a_jwks_url_switches_off_the_local_secret() -> None:
    settings = Settings.from_env({"SPSR_JWKS_URL": "https://cognito.example/jwks.json"})
    assert settings.jwt_secret is None and settings.jwks_url


def test_agency_urls_come_from_a_json_object() -> None:
    settings = Settings.from_env({"SPSR_AGENCY_URLS": '{"tax": "http://127.0.0.1:7001"}', "SPSR_CUTOFF_DAY": "20"})
    assert settings.agency_urls == {"tax": "http://127.0.0.1:7001"} and settings.cutoff_day == 20
