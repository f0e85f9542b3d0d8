"""The CDK app: the tables and bucket (from ``infra/resources.py``), the Chalice app and its state machines.

Synthesise with ``make synth`` (installs ``chalice[cdkv2]``, which the tests do not need, writes
``cdk.out/`` and runs cfn-lint on the template). Deploy with the ``aws-cdk@2`` CLI
(``npx aws-cdk@2 deploy --app cdk.out``) once AWS credentials are set.
Not imported by the registry's code; only this file imports aws_cdk.
"""

from __future__ import annotations

import re
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from chalice.cdk import Chalice

from app import app as registry_app
from infra import resources
from infra.statemachines import logical_id, placeholder

ROOT = Path(__file__).resolve().parent.parent


class RegistryStack(cdk.Stack):
    def __init__(self, scope: cdk.App, construct_id: str, *, stage: str = "prod") -> None:
        super().__init__(scope, construct_id)
        # Raw CloudFormation properties: the very definitions the tests and the local stack create.
        registry = cdk.CfnResource(self, "RegistryTable", type="AWS::DynamoDB::Table",
                                   properties=resources.cfn_table_properties(
                                       resources.registry_table(f"spsr-{stage}-registry")))
        applications = cdk.CfnResource(self, "ApplicationsTable", type="AWS::DynamoDB::Table",
                                       properties=resources.cfn_table_properties(
                                           resources.applications_table(f"spsr-{stage}-applications")))
        assignments = cdk.CfnResource(self, "AssignmentsTable", type="AWS::DynamoDB::Table",
                                      properties=resources.cfn_table_properties(
                                          resources.assignments_table(f"spsr-{stage}-assignments")))
        audit = cdk.CfnResource(self, "AuditTable", type="AWS::DynamoDB::Table",
                                properties=resources.cfn_table_properties(resources.audit_table(f"spsr-{stage}-audit")))
        documents = s3.Bucket(
            self, "DocumentsBucket", encryption=s3.BucketEncryption.KMS_MANAGED, bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True, versioned=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        payroll = cdk.CfnResource(self, "PayrollTable", type="AWS::DynamoDB::Table", properties={
            **resources.cfn_table_properties(resources.payroll_table(f"spsr-{stage}-payroll")),
            "TimeToLiveSpecification": {"AttributeName": resources.PAYROLL_TTL_ATTRIBUTE, "Enabled": True}})
        payroll_files = s3.Bucket(
            self, "PayrollBucket", encryption=s3.BucketEncryption.KMS_MANAGED, bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True, versioned=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        # The queue name is the one @on_sqs_message names in chalicelib/tasks/payroll.py.
        approvals = sqs.Queue(self, "PayrollApprovals", queue_name="spsr-payroll-approvals",
                              encryption=sqs.QueueEncryption.SQS_MANAGED,
                              visibility_timeout=cdk.Duration.minutes(5))
        # Known by name, so the functions can be told the ARN without a dependency cycle.
        machine_name = f"spsr-{stage}-payroll"
        machine_arn = cdk.Fn.sub("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
                                 + machine_name)
        # The state machine's ARN is built from its name, so the functions it calls can know it
        # without a reference cycle (they are its tasks, and the API starts it).
        workflow_name = f"spsr-{stage}-application"
        workflow_arn = self.format_arn(service="states", resource="stateMachine", resource_name=workflow_name,
                                       arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)
        self.chalice = Chalice(self, "Api", source_dir=str(ROOT), stage_config={"environment_variables": {
            "SPSR_APPLICATION_STATE_MACHINE_ARN": workflow_arn,
            "SPSR_REGISTRY_TABLE": registry.ref,
            "SPSR_APPLICATIONS_TABLE": applications.ref,
            "SPSR_ASSIGNMENTS_TABLE": assignments.ref,
            "SPSR_AUDIT_TABLE": audit.ref,
            "SPSR_DOCUMENTS_BUCKET": documents.bucket_name,
            "SPSR_PAYROLL_TABLE": payroll.ref,
            "SPSR_PAYROLL_BUCKET": payroll_files.bucket_name,
            "SPSR_PAYROLL_STATE_MACHINE_ARN": machine_arn,
            "SPSR_PAYROLL_APPROVAL_QUEUE_URL": approvals.queue_url,
            # SPSR_BANK_URL, SPSR_IFMS_URL and SPSR_BANK_CALLBACK_SECRETS come from the deployment's secrets.
        }})
        role = self.chalice.get_role("DefaultRole")
        for table in (registry, applications, assignments, audit, payroll):
            role.add_to_principal_policy(cdk.aws_iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query",
                         "dynamodb:TransactWriteItems", "dynamodb:ConditionCheckItem", "dynamodb:BatchWriteItem"],
                resources=[table.get_att("Arn").to_string(), f"{table.get_att('Arn').to_string()}/index/*"]))
        documents.grant_put(role)
        payroll_files.grant_read_write(role)
        # The payroll freeze reads each batch's households in one BatchGetItem.
        role.add_to_principal_policy(iam.PolicyStatement(
            actions=["dynamodb:BatchGetItem"], resources=[registry.get_att("Arn").to_string()]))
        # An approved "member moves out" releases the person's PINFL claim (a Delete in the transaction).
        role.add_to_principal_policy(iam.PolicyStatement(
            actions=["dynamodb:DeleteItem"], resources=[registry.get_att("Arn").to_string()]))
        role.add_to_principal_policy(iam.PolicyStatement(
            actions=["states:StartExecution", "states:DescribeExecution", "states:SendTaskSuccess",
                     "states:SendTaskFailure"],
            resources=[machine_arn, cdk.Fn.sub("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:"
                                               "execution:" + machine_name + ":*")]))
        documents.grant_read_write(role)
        role.add_to_principal_policy(iam.PolicyStatement(actions=["states:StartExecution"], resources=[workflow_arn]))
        role.add_to_principal_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=["*"]))  # SMS to phones

        names = [fn.name for fn in registry_app.pure_lambda_functions]
        functions = {name: self.chalice.get_function(logical_id(name)) for name in names}
        machine_role = iam.Role(self, "WorkflowRole", assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
        for function in functions.values():
            function.grant_invoke(machine_role)
        sfn.CfnStateMachine(
            self, "ApplicationWorkflow", state_machine_name=workflow_name, role_arn=machine_role.role_arn,
            definition_string=(ROOT / "statemachines" / "application.asl.json").read_text(encoding="utf-8"),
            definition_substitutions={placeholder(n): f.function_arn for n, f in functions.items()},
        )
        self._payroll_state_machine(machine_name, machine_arn, payroll_files, approvals)

    def _payroll_state_machine(self, name: str, arn: str, bucket: s3.Bucket, approvals: sqs.Queue) -> None:
        """statemachines/payroll.asl.json with its placeholders filled by the functions' ARNs."""
        text = (ROOT / "statemachines" / "payroll.asl.json").read_text(encoding="utf-8")
        functions = sorted(set(re.findall(r"\$\{(\w+)Arn\}", text)))
        arns = {f"{logical}Arn": self.chalice.get_resource(logical).get_att("Arn").to_string()
                for logical in functions}
        role = iam.Role(self, "PayrollStateMachineRole", assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
        role.add_to_policy(iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=list(arns.values())))
        # The Distributed Map runs its children as executions of this state machine.
        role.add_to_policy(iam.PolicyStatement(
            actions=["states:StartExecution", "states:DescribeExecution", "states:StopExecution"],
            resources=[arn, cdk.Fn.sub("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:"
                                       + name + "/*")]))
        bucket.grant_read(role)
        approvals.grant_send_messages(role)
        sfn.CfnStateMachine(self, "PayrollStateMachine", state_machine_name=name, role_arn=role.role_arn,
                            definition_string=text, definition_substitutions={
                                **arns, "PayrollBucket": bucket.bucket_name,
                                "PayrollApprovalQueueUrl": approvals.queue_url})


if __name__ == "__main__":
    app = cdk.App()
    RegistryStack(app, "spsr-prod")
    app.synth()
