"""The composition root: the only place that builds AWS clients, adapters and services.

Built lazily, once per process (a Lambda container or ``chalice local``), never at import time, so
tests can point it at moto and reset it between tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from chalicelib.adapters.dynamodb import DynamoApplicationRepository, DynamoHouseholdRepository
from chalicelib.adapters.s3 import S3DocumentStore
from chalicelib.adapters.system import RandomIds, SystemClock
from chalicelib.adapters.tokens import JwtVerifier
from chalicelib.config import Settings
from chalicelib.services.applications import ApplicationService
from chalicelib.services.households import HouseholdService
from chalicelib.services.intake import IntakeService


@dataclass
class Services:
    settings: Settings
    tokens: JwtVerifier
    intake: IntakeService
    households: HouseholdService
    applications: ApplicationService


def aws_client(service: str, settings: Settings) -> Any:
    """A boto3 client honouring AWS_ENDPOINT_URL (moto locally, LocalStack for those with Docker)."""
    return boto3.client(
        service,  # type: ignore[call-overload]
        region_name=settings.region,
        endpoint_url=settings.endpoint_url,
        config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10),
    )


def build(settings: Settings) -> Services:
    dynamodb = aws_client("dynamodb", settings)
    s3 = aws_client("s3", settings)
    clock, ids = SystemClock(), RandomIds()
    households = DynamoHouseholdRepository(dynamodb, settings.registry_table)
    applications = DynamoApplicationRepository(dynamodb, settings.applications_table)
    return Services(
        settings=settings,
        tokens=JwtVerifier(issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                           secret=settings.jwt_secret, jwks_url=settings.jwks_url),
        intake=IntakeService(households, applications, clock, ids, settings),
        households=HouseholdService(households, clock, ids),
        applications=ApplicationService(applications, S3DocumentStore(s3, settings.documents_bucket), clock, ids,
                                        settings),
    )


_services: Services | None = None


def services() -> Services:
    global _services
    if _services is None:
        _services = build(Settings.from_env())
    return _services


def reset(replacement: Services | None = None) -> None:
    """Drops the built services (tests, or after the environment changed)."""
    global _services
    _services = replacement
