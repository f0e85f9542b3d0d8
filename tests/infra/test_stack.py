"""The synthesised AWS stack (``infra/``): checked from the CloudFormation template, with cdk-nag's
AwsSolutions pack and cfn-lint.

One synthesis per run (about half a minute: ``chalice package`` plus CDK). The stack is deliberately
named unlike its stage, so the tests also show the functions get the ``.chalice/config.json`` stage,
not one named after the stack. cdk-nag and Chalice's SAM resources: cdk-nag does not look inside the
functions and the API Chalice generates, so those are checked here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters.tokens import JwtVerifier
from chalicelib.config import LOCAL_BANK_CALLBACK_SECRETS, Settings
from chalicelib.domain.errors import Unauthorized
from devstack import token as dev_token
from infra.permissions import FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
STACK_NAME = "registry-blue"  # not the stage's name, on purpose
REGION = "eu-central-1"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="the CDK needs Node.js (apt-get install nodejs)")


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from infra.cdk_app import build, new_app

    # chalice package loads the app with the stage's environment put into os.environ: put it back
    # afterwards, or the tests after these would run as the prod stage.
    saved = dict(os.environ)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # chalice package needs one
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")  # Debian's nodejs
    out = tmp_path_factory.mktemp("cdk.out")
    try:
        app = new_app(outdir=str(out))
        app.node.set_context("stage", "prod")
        build(app, stack_name=STACK_NAME)
        app.synth()  # raises if cdk-nag finds anything not acknowledged
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {"dir": out, "template": json.loads((out / f"{STACK_NAME}.template.json").read_text(encoding="utf-8")),
            "report": json.loads((out / "validation-report.json").read_text(encoding="utf-8"))}


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def resolve(value: Any, params: dict[str, str]) -> Any:
    """CloudFormation intrinsics as a deployment would fill them (made-up ids, the test region,
    parameters at their defaults)."""
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Ref":
            return {"AWS::Region": REGION, "AWS::Partition": "aws", "AWS::AccountId": "123456789012",
                    "AWS::URLSuffix": "amazonaws.com", **params}.get(arg, f"{arg.lower()}-id")
        if fn == "Fn::GetAtt":
            return f"arn:aws:made-up:{REGION}:123456789012:{arg[0]}"
        if fn == "Fn::Join":
            return arg[0].join(str(resolve(part, params)) for part in arg[1])
        if fn == "Fn::Sub":
            text = arg if isinstance(arg, str) else arg[0]
            return re.sub(r"\$\{([^}]+)\}", lambda m: str(resolve({"Ref": m.group(1)}, params)), text)
    return value


def function_env(template: dict[str, Any], function: dict[str, Any]) -> dict[str, str]:
    params = {name: str(p.get("Default", "")) for name, p in template.get("Parameters", {}).items()}
    return {k: str(resolve(v, params)) for k, v in function["Properties"]["Environment"]["Variables"].items()}


# -- the stage -----------------------------------------------------------------------------------

def test_the_synthesis_leaves_the_test_process_environment_as_it_was(synth: dict[str, Any]) -> None:
    assert os.environ.get("SPSR_STAGE", "local") == "local" and "SPSR_AGENCY_URLS" not in os.environ


def test_every_function_gets_the_config_stage_whatever_the_stack_is_called(synth: dict[str, Any]) -> None:
    # Given a stack named unlike its stage, when its functions are read, then each runs stage prod
    functions = resources(synth["template"], "AWS::Serverless::Function")
    assert len(functions) == len(FUNCTIONS)
    for logical, function in functions.items():
        env = function_env(synth["template"], function)
        assert env["SPSR_STAGE"] == "prod", logical
        assert "stage=prod" in function["Properties"]["Tags"]["aws-chalice"], logical
        assert env["SPSR_JWKS_URL"].startswith(f"https://cognito-idp.{REGION}.amazonaws.com/"), logical


def test_every_function_refuses_a_development_token_and_the_local_bank_secret(
        synth: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the Cognito pool's signing key (served as its JWKS) and a token signed with the repository's
    # development secret for a nationwide auditor
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": "pool-key", "use": "sig"}
    monkeypatch.setattr(jwt.PyJWKClient, "fetch_data", lambda self: {"keys": [jwk]})
    dev = dev_token.issue("auditor", settings=Settings())
    for logical, function in resources(synth["template"], "AWS::Serverless::Function").items():
        # When the function's settings are read from its environment in the template
        settings = Settings.from_env(function_env(synth["template"], function))
        # it is a deployed stage with everything token checks need (no 503 for want of settings)
        assert settings.deployed and settings.token_problems() == (), (logical, settings.token_problems())
        if "bank_callbacks" in FUNCTIONS[function_name(logical)].secrets:
            assert settings.bank_callback_problems() == (), logical
        verifier = JwtVerifier(issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                               secret=settings.jwt_secret, jwks_url=settings.jwks_url)
        # Then the development token is refused
        with pytest.raises(Unauthorized):
            verifier.verify(f"Bearer {dev}")
        # and so is the local bank callback secret
        local_bank, _, local_secret = LOCAL_BANK_CALLBACK_SECRETS.partition("=")
        assert settings.bank_secret(local_bank) != local_secret, logical
        # while a token the pool signed for this app client is accepted (the check can tell them apart)
        now = int(time.time())
        signed = jwt.encode({"sub": "staff-1", "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
                             "iat": now, "exp": now + 300, "custom:role": "auditor", "custom:scope": ""},
                            key, algorithm="RS256", headers={"kid": "pool-key"})
        assert verifier.verify(f"Bearer {signed}").role == "auditor", logical


# -- identity ------------------------------------------------------------------------------------

def test_staff_sign_in_with_mfa_and_only_administrators_set_role_and_scope(synth: dict[str, Any]) -> None:
    (pool,) = resources(synth["template"], "AWS::Cognito::UserPool").values()
    (client,) = resources(synth["template"], "AWS::Cognito::UserPoolClient").values()
    props = pool["Properties"]
    assert props["MfaConfiguration"] == "ON"
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert {a["Name"] for a in props["Schema"]} >= {"role", "scope"}
    assert {"custom:role", "custom:scope"} <= set(client["Properties"]["ReadAttributes"])
    assert not {"custom:role", "custom:scope"} & set(client["Properties"]["WriteAttributes"])
    assert pool["DeletionPolicy"] == "Retain"


def test_the_api_puts_cognito_in_front_of_every_route_but_the_public_ones(synth: dict[str, Any]) -> None:
    (api,) = resources(synth["template"], "AWS::Serverless::Api").values()
    body = api["Properties"]["DefinitionBody"]
    assert body["securityDefinitions"]["Cognito"]["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    seen = set()
    for path, methods in body["paths"].items():
        for method, operation in methods.items():
            if method == "options":
                continue
            seen.add(path)
            public = path in {"/health", "/openapi.json", "/bank/callbacks"}
            assert ("security" in operation) is not public, f"{method.upper()} {path}"
    assert {"/health", "/bank/callbacks", "/applications"} <= seen
    settings = {(s["ResourcePath"], s["HttpMethod"]): s for s in api["Properties"]["MethodSettings"]}
    assert settings[("/*", "*")]["ThrottlingRateLimit"] > 0
    assert settings[("/~1applications", "POST")]["ThrottlingBurstLimit"] > 0
    assert api["Properties"]["TracingEnabled"] is True
    assert "DestinationArn" in api["Properties"]["AccessLogSetting"]


def test_secrets_reach_exactly_the_functions_that_read_them(synth: dict[str, Any]) -> None:
    template = synth["template"]
    secrets = resources(template, "AWS::SecretsManager::Secret")
    assert len(secrets) == 2 and all("KmsKeyId" in s["Properties"] for s in secrets.values())
    for logical, function in resources(template, "AWS::Serverless::Function").items():
        env = function["Properties"]["Environment"]["Variables"]
        name = function_name(logical)
        assert ("SPSR_BANK_CALLBACK_SECRET_ID" in env) == ("bank_callbacks" in FUNCTIONS[name].secrets), name
        assert ("SPSR_AGENCY_CREDENTIALS_SECRET_ID" in env) == ("agency_credentials" in FUNCTIONS[name].secrets)


# -- least privilege -----------------------------------------------------------------------------

def function_name(logical: str) -> str:
    return "api_handler" if logical == "APIHandler" else re.sub(r"(?<!^)([A-Z])", r"_\1", logical).lower()


# Actions allowed on "*": they have no resource-level permissions (or, for SMS, no resource at all).
STAR_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                "xray:GetSamplingTargets", "sns:Publish", "logs:CreateLogDelivery", "logs:GetLogDelivery",
                "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries",
                "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"}


def test_each_function_has_its_own_role_with_no_wildcard_actions(synth: dict[str, Any]) -> None:
    template = synth["template"]
    roles = [f["Properties"]["Role"]["Fn::GetAtt"][0]
             for f in resources(template, "AWS::Serverless::Function").values()]
    assert len(roles) == len(set(roles)) == len(FUNCTIONS)
    for policy in resources(template, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert all("*" not in a for a in actions), actions
            if statement["Resource"] == "*":
                assert set(actions) <= STAR_ACTIONS, actions


def test_sms_and_secrets_only_where_the_table_says(synth: dict[str, Any]) -> None:
    template = synth["template"]
    policies = {p["Properties"]["Roles"][0]["Ref"]: p for p in resources(template, "AWS::IAM::Policy").values()}
    for logical, function in resources(template, "AWS::Serverless::Function").items():
        grants = FUNCTIONS[function_name(logical)]
        statements = policies[function["Properties"]["Role"]["Fn::GetAtt"][0]]["Properties"]["PolicyDocument"]
        actions = {a for s in statements["Statement"]
                   for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
        assert ("sns:Publish" in actions) == grants.sms, logical
        assert ("secretsmanager:GetSecretValue" in actions) == bool(grants.secrets), logical
        assert ("states:StartExecution" in actions) == bool(grants.starts), logical


def test_only_the_table_s_field_grants_reach_the_key_of_bank_numbers(synth: dict[str, Any]) -> None:
    """Given the synthesised roles, Then the field key is used by the roles ``fields`` names and no other:
    ``seal`` may make data keys, ``open`` may unwrap them, both bound to the cipher's encryption context."""
    template = synth["template"]
    field_arn = {"Fn::GetAtt": [key_id(template, "FieldKey"), "Arn"]}
    policies = {p["Properties"]["Roles"][0]["Ref"]: p for p in resources(template, "AWS::IAM::Policy").values()}
    opened = []
    for logical, function in resources(template, "AWS::Serverless::Function").items():
        grants = FUNCTIONS[function_name(logical)]
        statements = policies[function["Properties"]["Role"]["Fn::GetAtt"][0]]["Properties"]["PolicyDocument"]
        on_field_key = [s for s in statements["Statement"] if s["Resource"] == field_arn]
        expected = {None: [], "seal": ["kms:GenerateDataKey"], "open": ["kms:Decrypt"]}[grants.fields]
        assert [s["Action"] for s in on_field_key] == expected, logical
        for statement in on_field_key:
            assert statement["Condition"] == {"StringEquals": {"kms:EncryptionContext:purpose": "spsr-field"}}
        assert function["Properties"]["Environment"]["Variables"]["SPSR_DATA_KEY_ID"] == field_arn
        if grants.fields == "open":
            opened.append(function_name(logical))
    assert opened == ["payroll_write_district_files"]


def test_cdk_nag_passes_and_every_acknowledgement_has_its_reason(synth: dict[str, Any]) -> None:
    (report,) = [r for r in synth["report"]["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert report["conclusion"] == "success" and report["violations"] == []
    for violation in report.get("suppressedViolations", []):
        assert len(violation.get("suppressionReason", violation.get("reason", "")).strip()) > 20, violation


def test_cfn_lint_finds_nothing(synth: dict[str, Any]) -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    out = subprocess.run([str(cfn_lint), str(synth["dir"] / f"{STACK_NAME}.template.json")],  # noqa: S603
                         capture_output=True, text=True, check=False, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr


# -- data protection -----------------------------------------------------------------------------

def key_id(template: dict[str, Any], name: str) -> str:
    """The logical id of the stack's KMS key ``DataKey`` (the customer key) or ``FieldKey`` (bank numbers)."""
    (found,) = [k for k in resources(template, "AWS::KMS::Key") if k.startswith(name)]
    return found


def test_tables_use_the_customer_key_and_are_protected(synth: dict[str, Any]) -> None:
    template = synth["template"]
    keys = resources(template, "AWS::KMS::Key")
    assert len(keys) == 2
    for key in keys.values():
        assert key["Properties"]["EnableKeyRotation"] is True and key["DeletionPolicy"] == "Retain"
    customer_key = {"Fn::GetAtt": [key_id(template, "DataKey"), "Arn"]}
    tables = resources(template, "AWS::DynamoDB::Table")
    assert len(tables) == 5
    for logical, table in tables.items():
        props = table["Properties"]
        assert props["SSESpecification"]["KMSMasterKeyId"] == customer_key, logical
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert props["DeletionProtectionEnabled"] is True
        assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_buckets_queues_topic_and_logs_use_the_customer_key(synth: dict[str, Any]) -> None:
    template = synth["template"]
    key_arn = {"Fn::GetAtt": [key_id(template, "DataKey"), "Arn"]}
    buckets = resources(template, "AWS::S3::Bucket")
    kms_buckets = {k: b for k, b in buckets.items() if "BucketEncryption" in b["Properties"] and b["Properties"][
        "BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"].get(
        "KMSMasterKeyID") == key_arn}
    assert {k for k in kms_buckets if "Documents" in k or "Payroll" in k} and len(kms_buckets) == 2
    assert all(b["DeletionPolicy"] == "Retain" for b in buckets.values())
    (payroll,) = [b for k, b in buckets.items() if k.startswith("PayrollBucket")]
    (rule,) = payroll["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == 1827 and rule["Prefix"] == "payroll/"
    for queue in resources(template, "AWS::SQS::Queue").values():
        assert queue["Properties"]["KmsMasterKeyId"] == key_arn
    for topic in resources(template, "AWS::SNS::Topic").values():
        assert topic["Properties"]["KmsMasterKeyId"] == key_arn
    for logical, group in resources(template, "AWS::Logs::LogGroup").items():
        assert group["Properties"]["KmsKeyId"] == key_arn and group["Properties"]["RetentionInDays"] > 0, logical


# -- operations ----------------------------------------------------------------------------------

def test_memory_and_timeout_per_function_come_from_the_config(synth: dict[str, Any]) -> None:
    for logical, function in resources(synth["template"], "AWS::Serverless::Function").items():
        expected = CONFIG["lambda_functions"][function_name(logical)]
        assert function["Properties"]["MemorySize"] == expected["lambda_memory_size"], logical
        assert function["Properties"]["Timeout"] == expected["lambda_timeout"], logical
        assert function["Properties"].get("ReservedConcurrentExecutions") == expected.get("reserved_concurrency")
        assert function["Properties"]["Tracing"] == "Active", logical
        assert "LogGroup" in function["Properties"]["LoggingConfig"], logical


def test_every_function_takes_the_dependency_layer_make_package_built(synth: dict[str, Any]) -> None:
    template = synth["template"]
    (layer_id, layer), = resources(template, "AWS::Lambda::LayerVersion").items()
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["x86_64"]
    for logical, function in resources(template, "AWS::Serverless::Function").items():
        assert function["Properties"]["Layers"] == [{"Ref": layer_id}], logical
        assert function["Properties"]["Runtime"] == "python3.13" and function["Properties"]["Architectures"] == [
            "x86_64"], logical


def test_asynchronous_entry_points_have_dead_letter_queues(synth: dict[str, Any]) -> None:
    template = synth["template"]
    for logical, function in resources(template, "AWS::Serverless::Function").items():
        events = function["Properties"].get("Events", {}).values()
        if any(e["Type"] == "Schedule" for e in events):
            assert "TargetArn" in function["Properties"]["DeadLetterQueue"], logical
    consumed = [q for q in resources(template, "AWS::SQS::Queue").values() if "QueueName" in q["Properties"]]
    assert consumed and all("RedrivePolicy" in q["Properties"] for q in consumed)


def test_every_queue_consumer_reports_its_failed_messages_one_by_one(synth: dict[str, Any]) -> None:
    # Given the synthesized template, when a function is fed by SQS (the approvals, the bank's callbacks)
    template = synth["template"]
    consumers = {}
    for logical, function in resources(template, "AWS::Serverless::Function").items():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                consumers[logical] = event["Properties"]
    # then Lambda reads its batchItemFailures instead of retrying the whole batch
    assert {"PayrollApprovalToken", "PayrollBankMessages"} <= set(consumers)
    for logical, properties in consumers.items():
        assert properties.get("FunctionResponseTypes") == ["ReportBatchItemFailures"], logical


def test_alarms_cover_functions_machines_queues_and_the_api(synth: dict[str, Any]) -> None:
    template = synth["template"]
    alarms = resources(template, "AWS::CloudWatch::Alarm").values()
    (topic,) = resources(template, "AWS::SNS::Topic")
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": topic}] for a in alarms)
    metrics = {(a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms}
    assert {("AWS/Lambda", "Errors"), ("AWS/Lambda", "Throttles"), ("AWS/States", "ExecutionsFailed"),
            ("AWS/States", "ExecutionsTimedOut"), ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
            ("AWS/ApiGateway", "5XXError"), ("AWS/ApiGateway", "Latency"), ("SPSR", "OverdueApplications"),
            ("SPSR", "UnapprovedPrepayrolls"), ("SPSR", "OverdueGrievances")} <= metrics
    per_function = [a for a in alarms if a["Properties"]["Namespace"] == "AWS/Lambda"]
    assert len(per_function) == 2 * len(FUNCTIONS)
    assert resources(template, "AWS::CloudWatch::Dashboard")


def test_both_state_machines_are_logged_and_traced(synth: dict[str, Any]) -> None:
    machines = resources(synth["template"], "AWS::StepFunctions::StateMachine").values()
    assert len(machines) == 2
    for machine in machines:
        props = machine["Properties"]
        assert props["LoggingConfiguration"]["Level"] == "ALL"
        assert props["LoggingConfiguration"]["IncludeExecutionData"] is False  # no personal data in logs
        assert props["TracingConfiguration"]["Enabled"] is True


@pytest.mark.parametrize("stage", ["local", "staging-typo"])
def test_a_stage_the_config_does_not_deploy_is_refused_before_packaging(stage: str) -> None:
    # Given the local stage or one .chalice/config.json does not define, when a stack is built for it,
    # then it is refused (Chalice would otherwise package the top-level, local settings)
    import aws_cdk as cdk

    from infra.stack import RegistryStack

    with pytest.raises(ValueError, match="not a deployable stage"):
        RegistryStack(cdk.App(), f"spsr-{stage}", stage=stage, artefacts={})
