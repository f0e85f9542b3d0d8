"""One Settings model, read from the environment once per process.

Every knob the registry has lives here, with its default for local runs. Handlers never read
``os.environ`` themselves; ``bootstrap`` builds adapters from a ``Settings`` instance.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib.agency_ports import AGENCY_NAMES

LOCAL_STAGE = "local"
# Local development only: the dev token issuer (devstack.token) signs with this secret. On AWS the
# tokens come from Cognito and are checked against its JWKS (SPSR_JWKS_URL), never with this value.
LOCAL_DEV_JWT_SECRET = "spsr-local-dev-secret-not-for-production"  # noqa: S105
LOCAL_BANK_CALLBACK_SECRETS = "XALQ=spsr-local-bank-secret"
# What the `local` stage runs with when its environment says nothing. No other stage gets any of it:
# a deployed stage that lacks one of these answers 503 instead (see ``token_problems``).
LOCAL_DEFAULTS: dict[str, Any] = {
    "jwt_secret": LOCAL_DEV_JWT_SECRET,
    "jwt_issuer": "spsr-local-dev",
    "jwt_audience": "spsr-api",
    "bank_callback_secrets": LOCAL_BANK_CALLBACK_SECRETS,
}


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    stage: str = LOCAL_STAGE
    # True inside a Lambda runtime (AWS_EXECUTION_ENV): such a process is never the `local` stage.
    on_lambda: bool = False
    region: str = "us-east-1"
    endpoint_url: str | None = None
    registry_table: str = "spsr-registry"
    applications_table: str = "spsr-applications"
    assignments_table: str = "spsr-assignments"
    audit_table: str = "spsr-audit"
    # Parallel hash chains of the audit trail (infra/resources.py explains the choice); only ever raised.
    audit_chains: int = Field(default=4, ge=1, le=64)
    # The KMS key (id, ARN or alias) wrapping the data keys of bank account and card numbers.
    data_key_id: str = "alias/spsr-local-data"
    data_key_reuse_seconds: int = Field(default=300, ge=0, le=3600)  # one data key per process and period
    documents_bucket: str = "spsr-documents"
    # Applications received after this day of the month (Tashkent time) join next month's cycle.
    cutoff_day: int = Field(default=15, ge=1, le=28)
    timezone: str = "Asia/Tashkent"
    max_document_bytes: int = 10 * 1024 * 1024
    document_content_types: tuple[str, ...] = ("application/pdf", "image/jpeg", "image/png")
    upload_url_seconds: int = 900
    # Token verification: local defaults in LOCAL_DEFAULTS; on AWS the Cognito user pool's.
    jwt_secret: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwks_url: str | None = None
    page_size_max: int = 100
    # Payroll (chalicelib.services.payroll, statemachines/payroll.asl.json)
    payroll_table: str = "spsr-payroll"
    payroll_bucket: str = "spsr-payroll-files"
    payroll_state_machine_arn: str | None = None
    payroll_approval_queue_url: str | None = None
    payroll_bank_queue_url: str | None = None  # bank callbacks, applied by payroll_bank_messages; unset: at once
    payroll_batch_size: int = Field(default=1000, ge=1, le=10_000)  # manifest lines per Map item
    pain001_max_transactions: int = Field(default=10_000, ge=1, le=100_000)  # a bank file is split beyond this
    payroll_auto_approve: bool = False  # local runs: approve every district's pre-payroll at once
    payroll_execution_day: int = Field(default=5, ge=1, le=28)  # requested execution date in the pain.001
    payroll_bank_wait_seconds: int = Field(default=3600, ge=0)  # Wait before each reconciliation round
    payroll_reconcile_rounds: int = Field(default=24, ge=1)  # rounds before a run ends with payments pending
    payroll_file_url_seconds: int = Field(default=300, ge=30, le=3600)  # presigned download links
    payroll_debtor_name: str = "Ministry of Economy and Finance: social benefits"
    payroll_debtor_account: str = "23402000300100001010"
    payroll_debtor_agent: str = "00014"
    bank_url: str | None = None  # the paying bank's file gateway (devstack/bank locally)
    bank_timeout_seconds: float = 10.0
    # Per-bank callback secrets. Locally "BANK=secret;BANK2=secret2" in the environment; on a deployed
    # stage only from Secrets Manager: the secret named by bank_callback_secret_id holds the JSON object
    # {"BANK_ID": "secret", ...}. Agency credentials likewise: {agency: {...}}.
    bank_callback_secrets: str | None = None
    bank_callback_secret_id: str | None = None
    agency_credentials_secret_id: str | None = None
    secrets_max_age_seconds: int = Field(default=300, ge=0, le=3600)  # cache before reading a secret again
    bank_callback_window_seconds: int = Field(default=300, ge=1, le=3600)
    ifms_url: str | None = None  # the treasury's SOAP endpoint (devstack/ifms locally)
    ifms_timeout_seconds: float = 10.0

    application_state_machine_arn: str | None = None
    agency_urls: dict[str, str] = Field(default_factory=dict)  # agency name -> base URL
    agency_timeout_s: float = 2.0
    # Extra attempts per agency, each about the members not answered yet; the pauses between them start
    # at agency_backoff_s and double, with jitter (1.4 s at most with the defaults).
    agency_retries: int = 3
    agency_backoff_s: float = 0.2
    collection_timeout_s: float = 20.0
    # An agency down after the retries: the workflow waits (doubling from collection_wait_s, at most
    # collection_wait_max_s) and asks it again, for collection_patience_s at most (a day of the three
    # working days to decide), before the application goes to review. make run: seconds.
    collection_wait_s: float = 60.0
    collection_wait_max_s: float = 3600.0
    collection_patience_s: float = 86400.0
    # After breaker_failures collections in a row found an agency down, it is left alone but for one
    # probe every breaker_probe_s (adapters/breakers.py).
    breaker_failures: int = 5
    breaker_probe_s: float = 30.0
    # Every agency the rules read; an application is decided only with all of them answered.
    required_agencies: tuple[str, ...] = AGENCY_NAMES

    @model_validator(mode="before")
    @classmethod
    def _local_defaults(cls, data: Any) -> Any:
        """The development secrets and issuer exist on the `local` stage only, however Settings is built."""
        if isinstance(data, dict) and data.get("stage", LOCAL_STAGE) == LOCAL_STAGE and not data.get("on_lambda"):
            return {**LOCAL_DEFAULTS, **data}
        return data

    @property
    def deployed(self) -> bool:
        """Any stage but `local`, and any process in a Lambda runtime whatever its stage says."""
        return self.stage != LOCAL_STAGE or self.on_lambda

    def token_problems(self) -> tuple[str, ...]:
        """The variables a deployed stage lacks, or carries and may not, to verify tokens: names, never values.

        A deployed stage verifies Cognito tokens against the JWKS only; nothing falls back to a local
        default, and a shared secret is refused outright.
        """
        if not self.deployed:
            return ()
        problems = [name for name, value in (("SPSR_STAGE", self.stage not in ("", LOCAL_STAGE)),
                                             ("SPSR_JWKS_URL", self.jwks_url), ("SPSR_JWT_ISSUER", self.jwt_issuer),
                                             ("SPSR_JWT_AUDIENCE", self.jwt_audience)) if not value]
        if self.jwt_secret:
            problems.append("SPSR_JWT_SECRET")
        return tuple(problems)

    def bank_callback_problems(self) -> tuple[str, ...]:
        """Why a deployed stage cannot check bank callbacks (variable names), or () if it can."""
        if not self.deployed:
            return ()
        problems = [] if self.bank_callback_secret_id else ["SPSR_BANK_CALLBACK_SECRET_ID"]
        if self.bank_callback_secrets:  # a secret in plain environment variables is refused outright
            problems.append("SPSR_BANK_CALLBACK_SECRETS")
        return tuple(problems)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        values: dict[str, object] = {}
        mapping = {
            "SPSR_STAGE": "stage",
            "AWS_REGION": "region",
            "AWS_DEFAULT_REGION": "region",
            "AWS_ENDPOINT_URL": "endpoint_url",
            "SPSR_REGISTRY_TABLE": "registry_table",
            "SPSR_APPLICATIONS_TABLE": "applications_table",
            "SPSR_ASSIGNMENTS_TABLE": "assignments_table",
            "SPSR_AUDIT_TABLE": "audit_table",
            "SPSR_AUDIT_CHAINS": "audit_chains",
            "SPSR_DATA_KEY_ID": "data_key_id",
            "SPSR_DOCUMENTS_BUCKET": "documents_bucket",
            "SPSR_CUTOFF_DAY": "cutoff_day",
            "SPSR_MAX_DOCUMENT_BYTES": "max_document_bytes",
            "SPSR_JWT_SECRET": "jwt_secret",
            "SPSR_JWT_ISSUER": "jwt_issuer",
            "SPSR_JWT_AUDIENCE": "jwt_audience",
            "SPSR_JWKS_URL": "jwks_url",
            "SPSR_PAYROLL_TABLE": "payroll_table",
            "SPSR_PAYROLL_BUCKET": "payroll_bucket",
            "SPSR_PAYROLL_STATE_MACHINE_ARN": "payroll_state_machine_arn",
            "SPSR_PAYROLL_APPROVAL_QUEUE_URL": "payroll_approval_queue_url",
            "SPSR_PAYROLL_BANK_QUEUE_URL": "payroll_bank_queue_url",
            "SPSR_PAYROLL_BATCH_SIZE": "payroll_batch_size",
            "SPSR_PAIN001_MAX_TRANSACTIONS": "pain001_max_transactions",
            "SPSR_PAYROLL_AUTO_APPROVE": "payroll_auto_approve",
            "SPSR_PAYROLL_BANK_WAIT_SECONDS": "payroll_bank_wait_seconds",
            "SPSR_PAYROLL_RECONCILE_ROUNDS": "payroll_reconcile_rounds",
            "SPSR_BANK_URL": "bank_url",
            "SPSR_BANK_CALLBACK_SECRETS": "bank_callback_secrets",
            "SPSR_BANK_CALLBACK_SECRET_ID": "bank_callback_secret_id",
            "SPSR_AGENCY_CREDENTIALS_SECRET_ID": "agency_credentials_secret_id",
            "SPSR_SECRETS_MAX_AGE_SECONDS": "secrets_max_age_seconds",
            "SPSR_BANK_CALLBACK_WINDOW_SECONDS": "bank_callback_window_seconds",
            "SPSR_IFMS_URL": "ifms_url",
            "SPSR_APPLICATION_STATE_MACHINE_ARN": "application_state_machine_arn",
            "SPSR_AGENCY_TIMEOUT_S": "agency_timeout_s",
            "SPSR_AGENCY_RETRIES": "agency_retries",
            "SPSR_AGENCY_BACKOFF_S": "agency_backoff_s",
            "SPSR_COLLECTION_WAIT_S": "collection_wait_s",
            "SPSR_COLLECTION_WAIT_MAX_S": "collection_wait_max_s",
            "SPSR_COLLECTION_PATIENCE_S": "collection_patience_s",
            "SPSR_BREAKER_FAILURES": "breaker_failures",
            "SPSR_BREAKER_PROBE_S": "breaker_probe_s",
        }
        for var, field in mapping.items():
            if env.get(var):
                values[field] = env[var]
        values["agency_urls"] = _agency_urls(env, cls.model_fields["required_agencies"].default)
        # The Lambda runtime sets AWS_EXECUTION_ENV: there a missing SPSR_STAGE is not `local` (a stage
        # the configuration does not define would otherwise run with the development secrets).
        values["on_lambda"] = env.get("AWS_EXECUTION_ENV", "").startswith("AWS_Lambda_")
        if values["on_lambda"] and "stage" not in values:
            values["stage"] = ""
        if values.get("jwks_url") and "jwt_secret" not in values:
            # Cognito-signed tokens only: the local shared secret is not a default beside a JWKS.
            values["jwt_secret"] = None
        return cls.model_validate(values)

    def bank_secret(self, bank_id: str) -> str | None:
        """The callback secret of ``bank_id`` from SPSR_BANK_CALLBACK_SECRETS (local runs)."""
        for pair in (self.bank_callback_secrets or "").split(";"):
            name, _, secret = pair.partition("=")
            if name.strip() == bank_id and secret:
                return secret.strip()
        return None


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


def _agency_urls(env: dict[str, str], agencies: tuple[str, ...]) -> dict[str, str]:
    """{agency: base URL} from ``SPSR_AGENCY_URLS`` (a JSON object, as ``make agencies`` prints it) and
    ``SPSR_AGENCY_<NAME>_URL`` variables, which win over the JSON for their agency."""
    urls: dict[str, str] = {}
    raw = env.get("SPSR_AGENCY_URLS", "").strip()
    if raw:
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise ValueError("SPSR_AGENCY_URLS is not a JSON object") from None
        if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
            raise ValueError("SPSR_AGENCY_URLS must map agency names to URLs")
        urls.update(parsed)
    for name in agencies:
        if env.get(f"SPSR_AGENCY_{name.upper()}_URL"):
            urls[name] = env[f"SPSR_AGENCY_{name.upper()}_URL"]
    unknown = sorted(set(urls) - set(agencies))
    if unknown:
        raise ValueError(f"SPSR_AGENCY_URLS names unknown agencies: {', '.join(unknown)}")
    return urls
