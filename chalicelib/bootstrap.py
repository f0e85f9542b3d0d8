"""The composition root: the only place that builds AWS clients, adapters and services.

Built lazily, once per process (a Lambda container or ``chalice local``), never at import time, so
tests can point it at moto and reset it between tests.

Every Lambda function imports ``app.py`` and so this module, so nothing heavy is imported here at
module level: each service is a cached property that imports its adapters and service module when it
is first used. The API never loads OpenFisca (the rules) or zeep (SOAP) unless a route needs them
(``bench/cold_start.py`` measures it). To add a service: one small cached property below, with its
imports inside.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from chalicelib.config import Settings

if TYPE_CHECKING:
    from chalicelib.adapters.breakers import DynamoCircuitBreakers
    from chalicelib.adapters.crypto import EnvelopeCipher
    from chalicelib.adapters.dynamodb import DynamoAccessLog, DynamoHouseholdRepository
    from chalicelib.adapters.grievances import DynamoGrievanceRepository
    from chalicelib.adapters.payroll import DynamoPayrollRepository
    from chalicelib.adapters.tokens import JwtVerifier, UnconfiguredVerifier
    from chalicelib.agency_ports import AgencyClient
    from chalicelib.ports import AgencyCredentials, BankSecrets, Clock, IdGenerator, Workflow
    from chalicelib.services.appeals import AppealService
    from chalicelib.services.applications import ApplicationService
    from chalicelib.services.audit import AuditService
    from chalicelib.services.cases import CaseService
    from chalicelib.services.change_requests import ChangeRequestService
    from chalicelib.services.grievances import GrievanceService
    from chalicelib.services.households import HouseholdService
    from chalicelib.services.intake import IntakeService
    from chalicelib.services.notifications import NotificationService
    from chalicelib.services.payroll import PayrollService
    from chalicelib.services.workflow import WorkflowService
    from chalicelib.services.workflow_starts import StartSweep


def aws_client(service: str, settings: Settings) -> Any:
    """A boto3 client honouring AWS_ENDPOINT_URL (moto locally, LocalStack for those with Docker)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,  # type: ignore[call-overload]
        region_name=settings.region,
        endpoint_url=settings.endpoint_url,
        config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10),
    )


logger = Logger(service="spsr-bootstrap")


def _log_misconfiguration(what: str, problems: tuple[str, ...]) -> None:
    """Names the variables at fault (never their values), once per container."""
    logger.error("service misconfigured", extra={"component": what, "variables": list(problems)})


class Services:
    """The services of one process, each built on first use and kept (``cached_property``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    # ------------------------------------------------------------------ clients and shared adapters

    @cached_property
    def dynamodb(self) -> Any:
        return aws_client("dynamodb", self.settings)

    @cached_property
    def s3(self) -> Any:
        return aws_client("s3", self.settings)

    @cached_property
    def clock(self) -> Clock:
        from chalicelib.adapters.system import SystemClock

        return SystemClock()

    @cached_property
    def ids(self) -> IdGenerator:
        from chalicelib.adapters.system import RandomIds

        return RandomIds()

    @cached_property
    def household_repository(self) -> DynamoHouseholdRepository:
        from chalicelib.adapters.dynamodb import DynamoHouseholdRepository

        return DynamoHouseholdRepository(self.dynamodb, self.settings.registry_table, self.cipher)

    @cached_property
    def cipher(self) -> EnvelopeCipher:
        return field_cipher(self.settings)

    @cached_property
    def audit(self) -> AuditService:
        return audit_service(self.settings, self.dynamodb)

    @cached_property
    def application_repository(self) -> Any:
        from chalicelib.adapters.dynamodb import DynamoApplicationRepository

        return DynamoApplicationRepository(self.dynamodb, self.settings.applications_table)

    @cached_property
    def decision_repository(self) -> Any:
        from chalicelib.adapters.dynamodb import DynamoDecisionRepository

        return DynamoDecisionRepository(self.dynamodb, self.settings.applications_table)

    @cached_property
    def assignment_repository(self) -> Any:
        from chalicelib.adapters.dynamodb import DynamoAssignmentRepository

        return DynamoAssignmentRepository(self.dynamodb, self.settings.assignments_table)

    @cached_property
    def application_workflow(self) -> Workflow:
        from chalicelib.adapters.stepfunctions import StepFunctionsWorkflow, UnconfiguredWorkflow

        arn = self.settings.application_state_machine_arn
        return StepFunctionsWorkflow(aws_client("stepfunctions", self.settings), arn) if arn \
            else UnconfiguredWorkflow()

    @cached_property
    def agencies(self) -> list[AgencyClient]:
        from chalicelib.adapters.agencies import build_agency_clients  # zeep and lxml: only where collected

        return build_agency_clients(self.settings.agency_urls, timeout_s=self.settings.agency_timeout_s)

    @cached_property
    def secrets_provider(self) -> Any:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        return SecretsProvider(boto3_client=aws_client("secretsmanager", self.settings))

    # ------------------------------------------------------------------ what the handlers use

    @cached_property
    def tokens(self) -> JwtVerifier | UnconfiguredVerifier:
        from chalicelib.adapters.tokens import JwtVerifier, UnconfiguredVerifier

        s = self.settings
        problems = s.token_problems()
        if problems or not s.jwt_issuer or not s.jwt_audience:
            _log_misconfiguration("tokens", problems or ("SPSR_JWT_ISSUER", "SPSR_JWT_AUDIENCE"))
            return UnconfiguredVerifier()
        # A deployed stage verifies against the JWKS only (token_problems refuses a shared secret there).
        return JwtVerifier(issuer=s.jwt_issuer, audience=s.jwt_audience,
                           secret=None if s.jwks_url else s.jwt_secret, jwks_url=s.jwks_url)

    @cached_property
    def bank_secrets(self) -> BankSecrets:
        from chalicelib.adapters.secrets import (
            ManagedBankSecrets,
            ManagedJsonSecret,
            StaticBankSecrets,
            UnconfiguredBankSecrets,
        )

        s = self.settings
        if problems := s.bank_callback_problems():
            _log_misconfiguration("bank_callbacks", problems)
            return UnconfiguredBankSecrets()
        if s.bank_callback_secret_id:
            return ManagedBankSecrets(ManagedJsonSecret(self.secrets_provider, s.bank_callback_secret_id,
                                                        max_age=s.secrets_max_age_seconds))
        pairs = (p.partition("=") for p in (s.bank_callback_secrets or "").split(";"))
        return StaticBankSecrets({name.strip(): secret.strip() for name, _, secret in pairs if secret.strip()})

    @cached_property
    def agency_credentials(self) -> AgencyCredentials:
        from chalicelib.adapters.secrets import ManagedAgencyCredentials, ManagedJsonSecret, NoAgencyCredentials

        s = self.settings
        if not s.agency_credentials_secret_id:
            return NoAgencyCredentials()
        return ManagedAgencyCredentials(ManagedJsonSecret(self.secrets_provider, s.agency_credentials_secret_id,
                                                          max_age=s.secrets_max_age_seconds))

    @cached_property
    def access_log(self) -> DynamoAccessLog:
        from chalicelib.adapters.dynamodb import DynamoAccessLog

        return DynamoAccessLog(self.dynamodb, self.settings.audit_table)

    @cached_property
    def notifications(self) -> NotificationService:
        from chalicelib.adapters.dynamodb import DynamoNotificationLog
        from chalicelib.adapters.sns import SnsSms
        from chalicelib.services.notifications import NotificationService

        return NotificationService(DynamoNotificationLog(self.dynamodb, self.settings.audit_table),
                                   SnsSms(aws_client("sns", self.settings)), self.clock)

    @cached_property
    def intake(self) -> IntakeService:
        from chalicelib.services.intake import IntakeService

        return IntakeService(self.household_repository, self.application_repository, self.clock, self.ids,
                             self.settings, self.application_workflow)

    @cached_property
    def start_sweep(self) -> StartSweep:
        from chalicelib.services.workflow_starts import StartSweep

        return StartSweep(self.application_repository, self.application_workflow, self.clock)

    @cached_property
    def households(self) -> HouseholdService:
        from chalicelib.services.households import HouseholdService

        return HouseholdService(self.household_repository, self.clock, self.ids, self.change_requests)

    @cached_property
    def change_requests(self) -> ChangeRequestService:
        from chalicelib.adapters.change_requests import DynamoChangeRequestRepository
        from chalicelib.services.change_requests import ChangeRequestService

        repository = DynamoChangeRequestRepository(self.dynamodb, self.settings.registry_table,
                                                   self.household_repository)
        return ChangeRequestService(self.household_repository, repository, self.notifications, self.clock, self.ids,
                                    self.settings.page_size_max)

    @cached_property
    def grievance_repository(self) -> DynamoGrievanceRepository:
        from chalicelib.adapters.grievances import DynamoGrievanceRepository

        return DynamoGrievanceRepository(self.dynamodb, self.settings.registry_table)

    @cached_property
    def grievances(self) -> GrievanceService:
        from chalicelib.adapters.s3 import S3DocumentStore
        from chalicelib.services.grievances import GrievanceService

        return GrievanceService(self.grievance_repository, self.household_repository, self.application_repository,
                                S3DocumentStore(self.s3, self.settings.documents_bucket),
                                self.notifications, self.clock, self.ids, self.settings)

    @cached_property
    def cases(self) -> CaseService:
        from chalicelib.adapters.cases import DynamoCaseRepository
        from chalicelib.services.cases import CaseService

        return CaseService(DynamoCaseRepository(self.dynamodb, self.settings.registry_table),
                           self.household_repository, self.application_repository, self.decision_repository,
                           self.grievance_repository, self.assignment_repository, self.clock, self.ids, self.settings)

    @cached_property
    def appeals(self) -> AppealService:
        from chalicelib.services.appeals import AppealService

        return AppealService(self.grievances, self.grievance_repository, self.applications,
                             self.application_repository, self.decision_repository, self.application_workflow,
                             self.clock)

    @cached_property
    def payroll_repository(self) -> DynamoPayrollRepository:
        from chalicelib.adapters.payroll import DynamoPayrollRepository

        return DynamoPayrollRepository(self.dynamodb, self.settings.payroll_table)

    @cached_property
    def applications(self) -> ApplicationService:
        from chalicelib.adapters.s3 import S3DocumentStore
        from chalicelib.services.applications import ApplicationService

        return ApplicationService(self.application_repository, S3DocumentStore(self.s3, self.settings.documents_bucket),
                                  self.clock, self.ids, self.settings, self.application_workflow,
                                  self.decision_repository, self.access_log)

    @cached_property
    def assess(self) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
        """The rules (OpenFisca): loaded by the first assessment, not by the API's cold start."""
        from chalicelib.services.assessment import assess

        return assess

    @cached_property
    def workflow(self) -> WorkflowService:
        from chalicelib.adapters.evidence_store import S3EvidenceStore
        from chalicelib.services.workflow import WorkflowService

        return WorkflowService(
            self.application_repository, self.decision_repository, self.assignment_repository,
            S3EvidenceStore(self.s3, self.settings.documents_bucket), self.notifications, lambda: self.agencies,
            self.access_log, lambda evidence: self.assess(evidence), self.clock, self.settings,
            appeals=self.appeals, back_pay=self.payroll_repository, breakers=self.circuit_breakers)

    @cached_property
    def circuit_breakers(self) -> DynamoCircuitBreakers:
        from chalicelib.adapters.breakers import DynamoCircuitBreakers

        return DynamoCircuitBreakers(self.dynamodb, self.settings.applications_table,
                                     failures=self.settings.breaker_failures, probe_s=self.settings.breaker_probe_s)

    @cached_property
    def payroll(self) -> PayrollService:
        """The payroll service; the treasury, bank and state machine only where configured."""
        from chalicelib.adapters.payments import (
            CivilRegistryDeaths,
            HttpBankGateway,
            NoBank,
            PayrollStateMachine,
            SqsBankQueue,
            StaticDeathRegistry,
            UnconfiguredFunds,
            ZeepFundsGateway,
        )
        from chalicelib.adapters.payroll import DynamoHouseholdDirectory, S3FileStore
        from chalicelib.services.payroll import PayrollService

        s = self.settings
        funds = ZeepFundsGateway(s.ifms_url, s.ifms_timeout_seconds) if s.ifms_url else UnconfiguredFunds()
        bank = HttpBankGateway(s.bank_url, s.bank_timeout_seconds) if s.bank_url else NoBank()
        workflow = (PayrollStateMachine(aws_client("stepfunctions", s), s.payroll_state_machine_arn)
                    if s.payroll_state_machine_arn else None)
        # Deaths come from the civil registry; without its URL (API-only local runs) nobody is reported dead.
        civil_registry = s.agency_urls.get("civil_registry")
        if civil_registry:
            from chalicelib.adapters.agencies import build_agency_client

            deaths: Any = CivilRegistryDeaths(build_agency_client("civil_registry", civil_registry,
                                                                  timeout_s=s.agency_timeout_s))
        else:
            deaths = StaticDeathRegistry()
        return PayrollService(
            assignments=self.assignment_repository, households=self.household_repository,
            directory=DynamoHouseholdDirectory(self.dynamodb, s.registry_table),
            payroll=self.payroll_repository,
            files=S3FileStore(self.s3, s.payroll_bucket), deaths=deaths, funds=funds, bank=bank,
            sms=self.notifications, workflow=workflow, clock=self.clock, settings=s, bank_secrets=self.bank_secrets,
            cipher=self.cipher,
            bank_queue=(SqsBankQueue(aws_client("sqs", s), s.payroll_bank_queue_url)
                        if s.payroll_bank_queue_url else None))


def field_cipher(settings: Settings) -> EnvelopeCipher:
    """The envelope cipher of bank account and card numbers (KMS key ``settings.data_key_id``)."""
    from chalicelib.adapters.crypto import EnvelopeCipher

    return EnvelopeCipher(aws_client("kms", settings), settings.data_key_id, settings.data_key_reuse_seconds)


def audit_service(settings: Settings, dynamodb: Any = None) -> AuditService:
    """The audit trail's service (the API edge, the tasks and ``cli audit verify``)."""
    from chalicelib.adapters.audit import DynamoAuditTrail
    from chalicelib.adapters.system import SystemClock
    from chalicelib.services.audit import AuditService

    trail = DynamoAuditTrail(dynamodb or aws_client("dynamodb", settings), settings.audit_table,
                             settings.audit_chains)
    return AuditService(trail, SystemClock())


def build(settings: Settings) -> Services:
    """The services for ``settings``; nothing is built until it is used."""
    return Services(settings)


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
