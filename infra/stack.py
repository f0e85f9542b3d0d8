"""The registry's AWS stack: data (tables, buckets, one customer key), identity (Cognito), the Chalice
app with one role per function, the two state machines, and operations (alarms, dead letters, logs,
dashboard).

The stage is a stage of ``.chalice/config.json`` (``prod`` and any other you add), whatever the stack
is called: the functions get that stage's settings, so a deployed function never runs on the local
defaults. Settings outside the code come from CloudFormation parameters (URLs) and Secrets Manager
(bank callback secrets, agency credentials); ``README.md`` "Deploying to AWS" lists them.
cdk-nag's AwsSolutions pack checks the stack (``infra/cdk_app.py``); every acknowledged finding
says why here, next to the resource it is about.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from chalice.cdk import Chalice
from constructs import Construct

from infra import resources
from infra.permissions import FUNCTIONS, OBJECT_ACTIONS, TABLE_ACTIONS, Grants
from infra.statemachines import logical_id, placeholder

ROOT = Path(__file__).resolve().parent.parent
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
# Routes API Gateway serves without the Cognito authorizer: health, the contract, and the banks'
# callbacks (signed with the bank's own secret, checked in code).
PUBLIC_ROUTES = {"/health", "/openapi.json", "/bank/callbacks"}
# Requests per second (steady, burst) per route; every other route gets DEFAULT_THROTTLE.
DEFAULT_THROTTLE = (50, 100)
ROUTE_THROTTLE = {
    ("/applications", "POST"): (20, 40),
    ("/assessments/preview", "POST"): (5, 10),  # an OpenFisca simulation per request
    ("/bank/callbacks", "POST"): (10, 20),
}
MACHINE_IDS = {"application": "ApplicationWorkflow", "payroll": "PayrollStateMachine"}
LOG_RETENTION = logs.RetentionDays.ONE_YEAR
# Payroll files are accounting records: kept five years (the default), then deleted.
PAYROLL_RETENTION_DAYS = 1827


def check_stage(stage: str) -> None:
    if stage not in CONFIG["stages"] or stage == "local":
        raise ValueError(f"stage {stage!r} is not a deployable stage of .chalice/config.json")


def ack(construct: Construct, rule: str, reason: str) -> None:
    """Acknowledges one cdk-nag finding on ``construct`` (and what it contains), with its reason."""
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=f"AwsSolutions::{rule}", reason=reason))


class StageChalice(Chalice):
    """Chalice's construct, packaged for a named ``.chalice/config.json`` stage.

    The construct names the stage after the stack unless told otherwise, and a stage missing from
    the config silently gets the top-level (local) settings.
    """

    def __init__(self, scope: Construct, construct_id: str, *, stage: str, source_dir: str,
                 stage_config: dict[str, Any]) -> None:
        check_stage(stage)
        self._chalice_stage = stage
        super().__init__(scope, construct_id, source_dir=source_dir, stage_config=stage_config)

    def _package_app(self) -> None:
        self.stage_name = self._chalice_stage
        super()._package_app()


class RegistryStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, artefacts: dict[str, str], stage: str = "prod",
                 user_pool_id: str | None = None,
                 user_pool_client_id: str | None = None, alarm_email: str | None = None) -> None:
        check_stage(stage)
        super().__init__(scope, construct_id, description=f"SPSR social registry, stage {stage}")
        self.stage = stage
        self.key = kms.Key(self, "DataKey", alias=f"alias/spsr-{stage}", enable_key_rotation=True,
                           removal_policy=cdk.RemovalPolicy.RETAIN,
                           description="SPSR: tables, buckets, queues, topics, secrets and logs")
        # Bank account and card numbers: envelope-encrypted per field under a key of their own, apart from
        # the customer key every role may use; its data keys only for the roles ``fields`` names.
        self.field_key = kms.Key(self, "FieldKey", alias=f"alias/spsr-{stage}-data", enable_key_rotation=True,
                                 removal_policy=cdk.RemovalPolicy.RETAIN,
                                 description="SPSR: bank account and card numbers (field envelope encryption)")
        self._allow_services_to_use_key()
        self._parameters()
        self._data()
        self._identity(user_pool_id, user_pool_client_id)
        self._queues_and_topic(alarm_email)
        self._secrets()
        self._app(artefacts)
        self._state_machines()
        self._api()
        self._alarms()
        self._dashboard()

    # -- data ------------------------------------------------------------------------------------

    def _allow_services_to_use_key(self) -> None:
        region, account, partition = cdk.Aws.REGION, cdk.Aws.ACCOUNT_ID, cdk.Aws.PARTITION
        self.key.add_to_resource_policy(iam.PolicyStatement(
            sid="CloudWatchLogs", principals=[iam.ServicePrincipal(f"logs.{region}.amazonaws.com")],
            actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
                     "kms:DescribeKey"],
            resources=["*"],
            conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                    f"arn:{partition}:logs:{region}:{account}:log-group:*"}}))
        # Alarms publish to the encrypted topic.
        self.key.add_to_resource_policy(iam.PolicyStatement(
            sid="CloudWatchAlarms", principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=["*"]))

    def _parameters(self) -> None:
        def url(name: str, description: str) -> cdk.CfnParameter:
            return cdk.CfnParameter(self, name, type="String", default="", description=description,
                                    allowed_pattern=r"^(https://\S+)?$")
        self.bank_url = url("BankUrl", "The paying bank's file gateway (https://...)")
        self.ifms_url = url("IfmsUrl", "The treasury's (IFMS) SOAP endpoint (https://...)")
        self.agency_urls = cdk.CfnParameter(
            self, "AgencyUrls", type="String", default="",
            description='Agency base URLs as a JSON object {"civil_registry": "https://...", ...}')

    def _table(self, logical: str, spec: dict[str, Any]) -> cdk.CfnResource:
        table = cdk.CfnResource(self, logical, type="AWS::DynamoDB::Table",
                                properties=resources.cfn_table_properties(spec, kms_key_arn=self.key.key_arn))
        table.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        return table

    def _data(self) -> None:
        stage = self.stage
        self.tables: dict[str, cdk.CfnResource] = {
            "registry": self._table("RegistryTable", resources.registry_table(f"spsr-{stage}-registry")),
            "applications": self._table("ApplicationsTable",
                                        resources.applications_table(f"spsr-{stage}-applications")),
            "assignments": self._table("AssignmentsTable", resources.assignments_table(f"spsr-{stage}-assignments")),
            "audit": self._table("AuditTable", resources.audit_table(f"spsr-{stage}-audit")),
            "payroll": self._table("PayrollTable", resources.payroll_table(f"spsr-{stage}-payroll")),
        }
        self.tables["payroll"].add_property_override(
            "TimeToLiveSpecification", {"AttributeName": resources.PAYROLL_TTL_ATTRIBUTE, "Enabled": True})
        self.indexed = {name for name, table in self.tables.items()
                        if "GlobalSecondaryIndexes" in resources.cfn_table_properties(
                            getattr(resources, f"{name}_table")("x"))}
        self.access_logs = s3.Bucket(
            self, "AccessLogsBucket", encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED, removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(PAYROLL_RETENTION_DAYS))])

        def bucket(logical: str, prefix: str, rules: list[s3.LifecycleRule]) -> s3.Bucket:
            return s3.Bucket(
                self, logical, encryption=s3.BucketEncryption.KMS, encryption_key=self.key, bucket_key_enabled=True,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True, versioned=True,
                removal_policy=cdk.RemovalPolicy.RETAIN, server_access_logs_bucket=self.access_logs,
                server_access_logs_prefix=prefix, lifecycle_rules=rules)

        self.documents = bucket("DocumentsBucket", "documents/", [
            s3.LifecycleRule(noncurrent_version_expiration=cdk.Duration.days(90),
                             abort_incomplete_multipart_upload_after=cdk.Duration.days(1))])
        self.payroll_files = bucket("PayrollBucket", "payroll/", [s3.LifecycleRule(
            prefix="payroll/",
            transitions=[s3.Transition(storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                                       transition_after=cdk.Duration.days(90)),
                         s3.Transition(storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                                       transition_after=cdk.Duration.days(365))],
            expiration=cdk.Duration.days(PAYROLL_RETENTION_DAYS),
            noncurrent_version_expiration=cdk.Duration.days(90),
            abort_incomplete_multipart_upload_after=cdk.Duration.days(7))])

    # -- identity ----------------------------------------------------------------------------------

    def _identity(self, user_pool_id: str | None, client_id: str | None) -> None:
        """Staff sign in with Cognito; ``custom:role`` and ``custom:scope`` are set by administrators
        only (the app client may read them, never write them)."""
        if user_pool_id:
            if not client_id:
                raise ValueError("an imported user pool needs its app client id (userPoolClientId)")
            self.user_pool: cognito.IUserPool = cognito.UserPool.from_user_pool_id(self, "UserPool", user_pool_id)
            self.client_id = client_id
        else:
            pool = cognito.UserPool(
                self, "UserPool", user_pool_name=f"spsr-{self.stage}", self_sign_up_enabled=False,
                sign_in_aliases=cognito.SignInAliases(username=True, email=True),
                standard_attributes=cognito.StandardAttributes(email=cognito.StandardAttribute(required=True,
                                                                                               mutable=True)),
                custom_attributes={"role": cognito.StringAttribute(min_len=1, max_len=32, mutable=True),
                                   "scope": cognito.StringAttribute(min_len=0, max_len=32, mutable=True)},
                mfa=cognito.Mfa.REQUIRED, mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
                password_policy=cognito.PasswordPolicy(min_length=12, require_digits=True, require_lowercase=True,
                                                       require_uppercase=True, require_symbols=True,
                                                       temp_password_validity=cdk.Duration.days(3)),
                account_recovery=cognito.AccountRecovery.EMAIL_ONLY, deletion_protection=True,
                feature_plan=cognito.FeaturePlan.PLUS,
                standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
                removal_policy=cdk.RemovalPolicy.RETAIN)
            client = pool.add_client(
                "ApiClient", auth_flows=cognito.AuthFlow(user_srp=True), generate_secret=False,
                prevent_user_existence_errors=True, id_token_validity=cdk.Duration.hours(1),
                access_token_validity=cdk.Duration.hours(1), refresh_token_validity=cdk.Duration.hours(12),
                read_attributes=cognito.ClientAttributes().with_standard_attributes(email=True)
                .with_custom_attributes("role", "scope"),
                write_attributes=cognito.ClientAttributes().with_standard_attributes(email=True))
            self.user_pool, self.client_id = pool, client.user_pool_client_id
        self.issuer = f"https://cognito-idp.{cdk.Aws.REGION}.amazonaws.com/{self.user_pool.user_pool_id}"

    # -- queues, topic, secrets ------------------------------------------------------------------

    def _queue(self, logical: str, **kwargs: Any) -> sqs.Queue:
        return sqs.Queue(self, logical, encryption=sqs.QueueEncryption.KMS, encryption_master_key=self.key,
                         enforce_ssl=True, retention_period=cdk.Duration.days(14), **kwargs)

    def _queues_and_topic(self, alarm_email: str | None) -> None:
        self.approvals_dlq = self._queue("PayrollApprovalsDeadLetters")
        # The queue name is the one @on_sqs_message names in chalicelib/tasks/payroll.py.
        self.approvals = self._queue(
            "PayrollApprovals", queue_name="spsr-payroll-approvals", visibility_timeout=cdk.Duration.minutes(5),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=5, queue=self.approvals_dlq))
        # Bank callbacks are checked by the API, stored and queued; payroll_bank_messages applies them.
        self.bank_callbacks_dlq = self._queue("BankCallbacksDeadLetters")
        self.bank_callbacks = self._queue(
            "BankCallbacks", queue_name="spsr-payroll-bank-callbacks", visibility_timeout=cdk.Duration.minutes(6),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=5, queue=self.bank_callbacks_dlq))
        self.async_dlq = self._queue("AsyncFailures")
        ack(self.async_dlq, "AwsSolutions-SQS3",
            "This queue is the dead-letter queue of the scheduled (asynchronously invoked) functions.")
        self.alarm_topic = sns.Topic(self, "AlarmTopic", display_name=f"SPSR {self.stage} alarms",
                                     master_key=self.key, enforce_ssl=True)
        if alarm_email:
            self.alarm_topic.add_subscription(subscriptions.EmailSubscription(alarm_email))

    def _secrets(self) -> None:
        """JSON objects, filled in by the operators after the first deploy (README "Deploying to AWS")."""
        self.secrets = {
            "bank_callbacks": secretsmanager.Secret(
                self, "BankCallbackSecrets", secret_name=f"spsr/{self.stage}/bank-callback-secrets",
                description='{"BANK_ID": "shared HMAC secret"} for each paying bank', encryption_key=self.key,
                secret_string_value=cdk.SecretValue.unsafe_plain_text("{}"),
                removal_policy=cdk.RemovalPolicy.RETAIN),
            "agency_credentials": secretsmanager.Secret(
                self, "AgencyCredentials", secret_name=f"spsr/{self.stage}/agency-credentials",
                description='{"AGENCY": {"NAME": "value"}} for each agency connector', encryption_key=self.key,
                secret_string_value=cdk.SecretValue.unsafe_plain_text("{}"),
                removal_policy=cdk.RemovalPolicy.RETAIN),
        }
        for secret in self.secrets.values():
            ack(secret, "AwsSolutions-SMG4", "Issued by the bank or agency and rotated with it by the operators "
                "(README: rotation); no rotation Lambda can obtain a new value on its own.")

    # -- the Chalice app -----------------------------------------------------------------------------

    def _app(self, artefacts: dict[str, str]) -> None:
        """The functions from ``make package``'s artefacts (``infra/package.py``): the staged Chalice app
        (our code only) and the dependency layer every function takes."""
        stage = self.stage
        if artefacts["runtime"] != "python3.13" or artefacts["architecture"] != "x86_64":
            raise ValueError("the stack deploys python3.13 x86_64 functions (.chalice/config.json)")
        self.layer = lambda_.LayerVersion(
            self, "Dependencies", code=lambda_.Code.from_asset(artefacts["layer"]),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_13], compatible_architectures=[lambda_.Architecture.X86_64],
            description="SPSR runtime dependencies (requirements.txt with constraints.txt)")
        self.machine_names = {"application": f"spsr-{stage}-application", "payroll": f"spsr-{stage}-payroll"}
        # Known by name, so the functions can be told the ARNs without a dependency cycle (they are
        # the machines' tasks, and the API starts them).
        self.machine_arns = {kind: self.format_arn(service="states", resource="stateMachine", resource_name=name,
                                                   arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)
                             for kind, name in self.machine_names.items()}
        environment = {
            "SPSR_STAGE": stage,
            "SPSR_APPLICATION_STATE_MACHINE_ARN": self.machine_arns["application"],
            "SPSR_PAYROLL_STATE_MACHINE_ARN": self.machine_arns["payroll"],
            **{f"SPSR_{name.upper()}_TABLE": table.ref for name, table in self.tables.items()},
            "SPSR_DOCUMENTS_BUCKET": self.documents.bucket_name,
            "SPSR_PAYROLL_BUCKET": self.payroll_files.bucket_name,
            "SPSR_PAYROLL_APPROVAL_QUEUE_URL": self.approvals.queue_url,
            "SPSR_PAYROLL_BANK_QUEUE_URL": self.bank_callbacks.queue_url,
            "SPSR_JWT_ISSUER": self.issuer,
            "SPSR_JWT_AUDIENCE": self.client_id,
            "SPSR_JWKS_URL": f"{self.issuer}/.well-known/jwks.json",
            "SPSR_BANK_URL": self.bank_url.value_as_string,
            "SPSR_IFMS_URL": self.ifms_url.value_as_string,
            "SPSR_AGENCY_URLS": self.agency_urls.value_as_string,
            "POWERTOOLS_TRACE_DISABLED": "false",
        }
        # Every function gets its own role below; Chalice makes none.
        self.chalice = StageChalice(
            self, "Api", stage=stage, source_dir=artefacts["app"], stage_config={
                "environment_variables": environment, "manage_iam_role": False,
                "layers": [self.layer.layer_version_arn],
                "iam_role_arn": "arn:aws:iam::000000000000:role/replaced-per-function"})
        template = json.loads(self._sam_path().read_text(encoding="utf-8"))
        self.function_ids = {logical: res for logical, res in template["Resources"].items()
                             if res["Type"] == "AWS::Serverless::Function"}
        names = {self._function_name(logical, res): logical for logical, res in self.function_ids.items()}
        unknown = sorted(set(names) - set(FUNCTIONS))
        if unknown:
            raise ValueError(f"no entry in infra/permissions.py for: {', '.join(unknown)}")
        self.functions: dict[str, Any] = {}
        self.roles: dict[str, iam.Role] = {}
        self.logicals: dict[str, str] = {}
        for name, logical in sorted(names.items()):
            self._function(name, logical, FUNCTIONS[name])

    def _id(self, construct: Construct) -> str:
        """The logical id of a construct's resource, as cdk-nag's findings name it."""
        return str(self.resolve(self.get_logical_id(construct.node.default_child)))

    def _sam_path(self) -> Path:
        return Path(str(self.chalice._sam_package_dir)) / "sam.json"

    @staticmethod
    def _function_name(logical: str, resource: dict[str, Any]) -> str:
        if logical == "APIHandler":
            return "api_handler"
        return re.sub(r"(?<!^)([A-Z])", r"_\1", logical).lower()

    def _function(self, name: str, logical: str, grants: Grants) -> None:
        function = self.chalice.get_resource(logical)
        log_group = logs.LogGroup(self, f"{logical}Logs", retention=LOG_RETENTION, encryption_key=self.key,
                                  removal_policy=cdk.RemovalPolicy.RETAIN)
        role = iam.Role(self, f"{logical}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description=f"SPSR {self.stage} {name}: {grants.why}")
        role.add_to_policy(iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                                               resources=[log_group.log_group_arn]))
        role.add_to_policy(iam.PolicyStatement(actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                                               resources=["*"]))
        ack(role, "AwsSolutions-IAM5[Resource::*]",
            "X-Ray trace segments have no resource-level permissions"
            + ("; SMS to phone numbers (sns:Publish without a topic) has no resource ARN." if grants.sms else "."))
        role.add_to_policy(iam.PolicyStatement(
            actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            resources=[self.key.key_arn]))
        if grants.fields:
            # The cipher's data keys carry the context purpose=spsr-field (``adapters/crypto.py``).
            role.add_to_policy(iam.PolicyStatement(
                actions=["kms:GenerateDataKey" if grants.fields == "seal" else "kms:Decrypt"],
                resources=[self.field_key.key_arn],
                conditions={"StringEquals": {"kms:EncryptionContext:purpose": "spsr-field"}}))
        function.add_property_override("Environment.Variables.SPSR_DATA_KEY_ID", self.field_key.key_arn)
        for table_name, access in grants.tables.items():
            arn = self.tables[table_name].get_att("Arn").to_string()
            arns = [arn]
            if table_name in self.indexed:
                arns.append(f"{arn}/index/*")
                ack(role, f"AwsSolutions-IAM5[Resource::<{table_name.capitalize()}Table.Arn>/index/*]",
                    "Queries the table's own indexes (all of them are read by the listings).")
            role.add_to_policy(iam.PolicyStatement(actions=list(TABLE_ACTIONS[access]), resources=arns))
        for bucket, objects in ((self.documents, grants.documents), (self.payroll_files, grants.payroll_files)):
            if objects:
                role.add_to_policy(iam.PolicyStatement(actions=list(OBJECT_ACTIONS[objects]),
                                                       resources=[bucket.arn_for_objects("*")]))
                ack(role, f"AwsSolutions-IAM5[Resource::<{self._id(bucket)}"
                          ".Arn>/*]", "Objects of the stage's own bucket, keyed by application or month.")
        for kind in grants.starts:
            executions = self.format_arn(service="states", resource="execution",
                                         resource_name=f"{self.machine_names[kind]}:*",
                                         arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)
            role.add_to_policy(iam.PolicyStatement(actions=["states:StartExecution"],
                                                   resources=[self.machine_arns[kind]]))
            role.add_to_policy(iam.PolicyStatement(actions=["states:DescribeExecution"], resources=[executions]))
            ack(role, "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:"
                      f"execution:{self.machine_names[kind]}:*]",
                "Describes the executions of the one state machine it starts.")
        if grants.task_tokens:
            role.add_to_policy(iam.PolicyStatement(actions=["states:SendTaskSuccess", "states:SendTaskFailure"],
                                                   resources=[self.machine_arns["payroll"]]))
        if grants.sms:
            role.add_to_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=["*"]))
        for secret_name in grants.secrets:
            secret = self.secrets[secret_name]
            role.add_to_policy(iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"],
                                                   resources=[secret.secret_arn]))
            variable = {"bank_callbacks": "SPSR_BANK_CALLBACK_SECRET_ID",
                        "agency_credentials": "SPSR_AGENCY_CREDENTIALS_SECRET_ID"}[secret_name]
            function.add_property_override(f"Environment.Variables.{variable}", secret.secret_arn)
        queues = {"approvals": self.approvals, "bank_callbacks": self.bank_callbacks}
        for queue_name in grants.consumes:
            queue = queues[queue_name]
            role.add_to_policy(iam.PolicyStatement(
                actions=["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                         "sqs:ChangeMessageVisibility"], resources=[queue.queue_arn]))
            # The consumer answers batchItemFailures; without this Lambda would retry the whole batch.
            event = f"{logical_id(name)}SqsEventSource"
            function.add_property_override(f"Events.{event}.Properties.FunctionResponseTypes",
                                           ["ReportBatchItemFailures"])
        for queue_name in grants.sends:
            role.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage"],
                                                   resources=[queues[queue_name].queue_arn]))
        if grants.dead_letter:
            role.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.async_dlq.queue_arn]))
            function.add_property_override("DeadLetterQueue", {"Type": "SQS", "TargetArn": self.async_dlq.queue_arn})
        function.add_property_override("Role", role.role_arn)
        function.add_property_override("LoggingConfig", {"LogGroup": log_group.log_group_name, "LogFormat": "JSON"})
        self.functions[name] = function
        self.roles[name] = role
        self.logicals[name] = logical

    # -- state machines ------------------------------------------------------------------------------

    def _machine_role(self, kind: str, functions: list[str]) -> iam.Role:
        role = iam.Role(self, f"{kind.capitalize()}StateMachineRole",
                        assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
        role.add_to_policy(iam.PolicyStatement(
            actions=["lambda:InvokeFunction"],
            resources=[self.functions[name].get_att("Arn").to_string() for name in functions]))
        # Logging and tracing: CloudWatch Logs delivery and X-Ray take no resource ARNs.
        role.add_to_policy(iam.PolicyStatement(
            actions=["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                     "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                     "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
                     "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                     "xray:GetSamplingTargets"], resources=["*"]))
        ack(role, "AwsSolutions-IAM5[Resource::*]",
            "CloudWatch Logs delivery and X-Ray actions have no resource-level permissions.")
        return role

    def _machine(self, kind: str, asl: str, role: iam.Role, substitutions: dict[str, str]) -> sfn.CfnStateMachine:
        log_group = logs.LogGroup(self, f"{kind.capitalize()}StateMachineLogs", retention=LOG_RETENTION,
                                  encryption_key=self.key, removal_policy=cdk.RemovalPolicy.RETAIN,
                                  log_group_name=f"/aws/vendedlogs/states/{self.machine_names[kind]}")
        machine = sfn.CfnStateMachine(
            self, MACHINE_IDS[kind],
            state_machine_name=self.machine_names[kind], role_arn=role.role_arn, definition_string=asl,
            definition_substitutions=substitutions,
            # Execution data holds application ids and amounts, never names; still kept out of the logs.
            logging_configuration=sfn.CfnStateMachine.LoggingConfigurationProperty(
                level="ALL", include_execution_data=False,
                destinations=[sfn.CfnStateMachine.LogDestinationProperty(
                    cloud_watch_logs_log_group=sfn.CfnStateMachine.CloudWatchLogsLogGroupProperty(
                        log_group_arn=log_group.log_group_arn))]),
            tracing_configuration=sfn.CfnStateMachine.TracingConfigurationProperty(enabled=True))
        # The role's policy must exist before the machine is created (the role alone is not enough).
        machine.node.add_dependency(role.node.find_child("DefaultPolicy"))
        return machine

    def _state_machines(self) -> None:
        self.machines: dict[str, sfn.CfnStateMachine] = {}
        for kind in ("application", "payroll"):
            text = (ROOT / "statemachines" / f"{kind}.asl.json").read_text(encoding="utf-8")
            called = sorted({name for name in FUNCTIONS if f"${{{placeholder(name)}}}" in text})
            role = self._machine_role(kind, called)
            substitutions = {placeholder(name): self.functions[name].get_att("Arn").to_string() for name in called}
            if kind == "payroll":
                self._payroll_machine_grants(role)
                substitutions.update({"PayrollBucket": self.payroll_files.bucket_name,
                                      "PayrollApprovalQueueUrl": self.approvals.queue_url})
            self.machines[kind] = self._machine(kind, text, role, substitutions)

    def _payroll_machine_grants(self, role: iam.Role) -> None:
        name, arn = self.machine_names["payroll"], self.machine_arns["payroll"]
        # The Distributed Map runs its children as executions of this state machine.
        children = cdk.Fn.sub("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:"
                              + name + "/*")
        role.add_to_policy(iam.PolicyStatement(actions=["states:StartExecution"], resources=[arn]))
        role.add_to_policy(iam.PolicyStatement(actions=["states:DescribeExecution", "states:StopExecution"],
                                               resources=[children]))
        role.add_to_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[self.payroll_files.bucket_arn]))
        role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"],
                                               resources=[self.payroll_files.arn_for_objects("*")]))
        role.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.approvals.queue_arn]))
        role.add_to_policy(iam.PolicyStatement(actions=["kms:Decrypt", "kms:GenerateDataKey"],
                                               resources=[self.key.key_arn]))
        ack(role, f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:"
                  f"execution:{name}/*]", "The Distributed Map's child executions of this state machine.")
        ack(role, f"AwsSolutions-IAM5[Resource::<{self._id(self.payroll_files)}"
                  ".Arn>/*]", "The Distributed Map reads the month's manifest batches from the payroll bucket.")

    # -- API Gateway -------------------------------------------------------------------------------

    def _api(self) -> None:
        """The Cognito authorizer on every route but the public ones, per-route throttling, access logs
        and tracing on the REST API Chalice generates."""
        api = self.chalice.get_resource("RestAPI")
        body = api.definition_body
        body["securityDefinitions"] = {"Cognito": {
            "type": "apiKey", "name": "Authorization", "in": "header",
            "x-amazon-apigateway-authtype": "cognito_user_pools",
            "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools",
                                               "providerARNs": [self.user_pool.user_pool_arn]}}}
        settings = [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": DEFAULT_THROTTLE[0],
                     "ThrottlingBurstLimit": DEFAULT_THROTTLE[1], "MetricsEnabled": True, "LoggingLevel": "ERROR",
                     "DataTraceEnabled": False}]
        for path, methods in body["paths"].items():
            for method, operation in methods.items():
                if method == "options" or not isinstance(operation, dict):
                    continue
                if path not in PUBLIC_ROUTES:
                    operation["security"] = [{"Cognito": []}]
                limit = ROUTE_THROTTLE.get((path, method.upper()))
                if limit:
                    settings.append({"ResourcePath": "/" + path.replace("/", "~1"), "HttpMethod": method.upper(),
                                     "ThrottlingRateLimit": limit[0], "ThrottlingBurstLimit": limit[1]})
        api.definition_body = body
        access_logs = logs.LogGroup(self, "ApiAccessLogs", retention=LOG_RETENTION, encryption_key=self.key,
                                    removal_policy=cdk.RemovalPolicy.RETAIN)
        api.add_property_override("MethodSettings", settings)
        api.add_property_override("TracingEnabled", True)
        api.add_property_override("AccessLogSetting", {
            "DestinationArn": access_logs.log_group_arn,
            "Format": json.dumps({"requestId": "$context.requestId", "ip": "$context.identity.sourceIp",
                                  "time": "$context.requestTime", "method": "$context.httpMethod",
                                  "path": "$context.resourcePath", "status": "$context.status",
                                  "latencyMs": "$context.responseLatency", "sub": "$context.authorizer.claims.sub"})})
        # API Gateway writes its logs through one role per account and region.
        logging_role = iam.Role(self, "ApiGatewayLogsRole", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
                                managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                                    "service-role/AmazonAPIGatewayPushToCloudWatchLogs")])
        ack(logging_role, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                          "AmazonAPIGatewayPushToCloudWatchLogs]",
            "The managed policy API Gateway's account logging role is documented with; it writes logs only.")
        account = cdk.CfnResource(self, "ApiGatewayAccount", type="AWS::ApiGateway::Account",
                                  properties={"CloudWatchRoleArn": logging_role.role_arn})
        api.node.add_dependency(account)
        self.api = api

    # -- operations --------------------------------------------------------------------------------

    def _alarm(self, logical: str, metric: cloudwatch.IMetric, threshold: float, description: str,
               comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
               periods: int = 1) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(self, logical, metric=metric, threshold=threshold, evaluation_periods=periods,
                                 comparison_operator=comparison, alarm_description=description,
                                 treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)
        alarm.add_alarm_action(cw_actions.SnsAction(self.alarm_topic))
        return alarm

    def _alarms(self) -> None:
        five = cdk.Duration.minutes(5)
        for name, function in sorted(self.functions.items()):
            logical = self.logicals[name]
            for metric_name in ("Errors", "Throttles"):
                self._alarm(f"{logical}{metric_name}Alarm", cloudwatch.Metric(
                    namespace="AWS/Lambda", metric_name=metric_name, dimensions_map={"FunctionName": function.ref},
                    statistic="Sum", period=five), 0, f"{name}: {metric_name.lower()} in 5 minutes")
        for kind, machine in self.machines.items():
            for metric_name in ("ExecutionsFailed", "ExecutionsTimedOut"):
                self._alarm(f"{MACHINE_IDS[kind]}{metric_name}Alarm", cloudwatch.Metric(
                    namespace="AWS/States", metric_name=metric_name,
                    dimensions_map={"StateMachineArn": machine.attr_arn}, statistic="Sum", period=five),
                    0, f"{kind} state machine: {metric_name}")
        for logical, queue, threshold in (("ApprovalsDeadLettersAlarm", self.approvals_dlq, 0),
                                          ("AsyncFailuresAlarm", self.async_dlq, 0),
                                          ("BankCallbacksDeadLettersAlarm", self.bank_callbacks_dlq, 0),
                                          ("ApprovalsBacklogAlarm", self.approvals, 10),
                                          ("BankCallbacksBacklogAlarm", self.bank_callbacks, 100)):
            self._alarm(logical, queue.metric_approximate_number_of_messages_visible(period=five, statistic="Maximum"),
                        threshold, f"messages waiting in {logical.removesuffix('Alarm')}")
        api_dims = {"ApiName": "spsr", "Stage": CONFIG["stages"][self.stage].get("api_gateway_stage", "api")}
        self._alarm("Api5xxAlarm", cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name="5XXError",
                                                     dimensions_map=api_dims, statistic="Sum", period=five),
                    0, "API answered 5xx")
        self._alarm("ApiLatencyAlarm", cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name="Latency",
                                                         dimensions_map=api_dims, statistic="p99", period=five),
                    3000, "API p99 latency above 3 s for 15 minutes", periods=3)
        self._alarm("OverdueApplicationsAlarm", cloudwatch.Metric(
            namespace="SPSR", metric_name="OverdueApplications", dimensions_map={"service": "workflow"},
            statistic="Maximum", period=cdk.Duration.days(1)), 0,
            "applications undecided past their 3-working-day due date (report_overdue, daily)")
        self._alarm("PendingStartsAlarm", cloudwatch.Metric(
            namespace="SPSR", metric_name="PendingStartsFound", dimensions_map={"service": "workflow"},
            statistic="Maximum", period=five), 0,
            "workflow runs still not started a minute after their application was stored (start_pending_workflows)")
        self._alarm("OverdueGrievancesAlarm", cloudwatch.Metric(
            namespace="SPSR", metric_name="OverdueGrievances", dimensions_map={"service": "grievances"},
            statistic="Maximum", period=cdk.Duration.days(1)), 0,
            "grievances open past their legal deadline (grievance_sweep, daily)")
        self._alarm("UnapprovedPrepayrollsAlarm", cloudwatch.Metric(
            namespace="SPSR", metric_name="UnapprovedPrepayrolls", dimensions_map={"service": "payroll"},
            statistic="Maximum", period=cdk.Duration.days(1)), 0,
            "districts whose pre-payroll is not approved by the 4th (payroll_unapproved_report)")

    def _dashboard(self) -> None:
        five = cdk.Duration.minutes(5)
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=f"spsr-{self.stage}")
        api_dims = {"ApiName": "spsr", "Stage": CONFIG["stages"][self.stage].get("api_gateway_stage", "api")}
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="API requests and errors", left=[
                cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name=m, dimensions_map=api_dims,
                                  statistic="Sum", period=five) for m in ("Count", "4XXError", "5XXError")]),
            cloudwatch.GraphWidget(title="API latency p50 / p99", left=[
                cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name="Latency", dimensions_map=api_dims,
                                  statistic=s, period=five) for s in ("p50", "p99")]),
            cloudwatch.GraphWidget(title="State machines", left=[
                cloudwatch.Metric(namespace="AWS/States", metric_name=m,
                                  dimensions_map={"StateMachineArn": machine.attr_arn}, statistic="Sum",
                                  period=five, label=f"{kind} {m}")
                for kind, machine in self.machines.items()
                for m in ("ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed")]))
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Function errors", width=12, left=[
                cloudwatch.Metric(namespace="AWS/Lambda", metric_name="Errors",
                                  dimensions_map={"FunctionName": fn.ref}, statistic="Sum", period=five, label=name)
                for name, fn in sorted(self.functions.items())]),
            cloudwatch.GraphWidget(title="Function duration p99 (ms)", width=12, left=[
                cloudwatch.Metric(namespace="AWS/Lambda", metric_name="Duration",
                                  dimensions_map={"FunctionName": fn.ref}, statistic="p99", period=five, label=name)
                for name, fn in sorted(self.functions.items())]))
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Queues", left=[
                q.metric_approximate_number_of_messages_visible(period=five, label=label)
                for label, q in (("approvals", self.approvals), ("approval dead letters", self.approvals_dlq),
                                 ("async failures", self.async_dlq), ("bank callbacks", self.bank_callbacks),
                                 ("bank callback dead letters", self.bank_callbacks_dlq))]),
            cloudwatch.SingleValueWidget(title="Overdue applications / unapproved pre-payrolls", metrics=[
                cloudwatch.Metric(namespace="SPSR", metric_name="OverdueApplications",
                                  dimensions_map={"service": "workflow"}, statistic="Maximum",
                                  period=cdk.Duration.days(1)),
                cloudwatch.Metric(namespace="SPSR", metric_name="UnapprovedPrepayrolls",
                                  dimensions_map={"service": "payroll"}, statistic="Maximum",
                                  period=cdk.Duration.days(1))]))


__all__ = ["RegistryStack", "StageChalice", "logical_id"]
