"""Secrets: bank callback secrets and agency credentials, from Secrets Manager on AWS.

Each secret's SecretString is a JSON object: the bank callback secret ``{"BANK_ID": "secret", ...}``,
the agency credentials ``{agency: {name: value, ...}}``. They are read through Powertools Parameters,
which keeps a value for ``max_age`` seconds, so a rotated secret is picked up within that time without
a call per request. Locally (stage ``local``, no secret id) the values come from the environment.

A secret that cannot be read, or is not the JSON object it should be, raises ServiceMisconfigured
(503). Neither a secret's value nor the error text (which can quote it) is ever logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.domain.errors import ServiceMisconfigured

logger = Logger(service="spsr-secrets")


class ManagedJsonSecret:
    """One Secrets Manager secret holding a JSON object, cached for ``max_age`` seconds."""

    def __init__(self, provider: Any, secret_id: str, *, max_age: int) -> None:
        self._provider = provider  # aws_lambda_powertools.utilities.parameters.SecretsProvider
        self._secret_id = secret_id
        self._max_age = max_age

    def read(self) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.parameters import GetParameterError, TransformParameterError

        try:
            value = self._provider.get(self._secret_id, max_age=self._max_age, transform="json")
        except (GetParameterError, TransformParameterError) as err:
            logger.error("secret unreadable", extra={"secret_id": self._secret_id, "error_type": type(err).__name__})
            raise ServiceMisconfigured() from None
        if not isinstance(value, dict):
            logger.error("secret is not a JSON object", extra={"secret_id": self._secret_id})
            raise ServiceMisconfigured()
        return value


class ManagedBankSecrets:
    """BankSecrets from a Secrets Manager secret ``{"BANK_ID": "secret", ...}``."""

    def __init__(self, secret: ManagedJsonSecret) -> None:
        self._secret = secret

    def secret(self, bank_id: str) -> str | None:
        value = self._secret.read().get(bank_id)
        return value if isinstance(value, str) and value else None


class StaticBankSecrets:
    """BankSecrets given at start (local runs: SPSR_BANK_CALLBACK_SECRETS)."""

    def __init__(self, secrets: Mapping[str, str]) -> None:
        self._secrets = dict(secrets)

    def secret(self, bank_id: str) -> str | None:
        return self._secrets.get(bank_id) or None


class UnconfiguredBankSecrets:
    """A deployed stage without its bank callback secret: every callback answers 503, none is checked."""

    def secret(self, bank_id: str) -> str | None:
        raise ServiceMisconfigured()


class ManagedAgencyCredentials:
    """AgencyCredentials from a Secrets Manager secret ``{agency: {name: value}}``."""

    def __init__(self, secret: ManagedJsonSecret) -> None:
        self._secret = secret

    def credentials(self, agency: str) -> dict[str, str]:
        value = self._secret.read().get(agency, {})
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            logger.error("agency credentials are not an object of strings", extra={"agency": agency})
            raise ServiceMisconfigured()
        return dict(value)


class NoAgencyCredentials:
    """No agency credentials configured (local runs; the connectors need none yet)."""

    def credentials(self, agency: str) -> dict[str, str]:
        return {}
