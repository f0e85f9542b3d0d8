"""The CDK app: the registry's tables and bucket (from ``infra/resources.py``) and the Chalice app.

Synthesise with ``make synth`` (installs ``chalice[cdkv2]`` and the ``aws-cdk@2`` CLI, which the
tests do not need). Deploy with ``npx aws-cdk@2 deploy`` from ``infra/`` once AWS credentials are set.
Not imported by the registry's code; only this file imports aws_cdk.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from chalice.cdk import Chalice

from infra import resources

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
        self.chalice = Chalice(self, "Api", source_dir=str(ROOT), stage_config={"environment_variables": {
            "SPSR_REGISTRY_TABLE": registry.ref,
            "SPSR_APPLICATIONS_TABLE": applications.ref,
            "SPSR_ASSIGNMENTS_TABLE": assignments.ref,
            "SPSR_AUDIT_TABLE": audit.ref,
            "SPSR_DOCUMENTS_BUCKET": documents.bucket_name,
        }})
        role = self.chalice.get_role("DefaultRole")
        for table in (registry, applications, assignments, audit):
            role.add_to_principal_policy(cdk.aws_iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query",
                         "dynamodb:TransactWriteItems", "dynamodb:ConditionCheckItem", "dynamodb:BatchWriteItem"],
                resources=[table.get_att("Arn").to_string(), f"{table.get_att('Arn').to_string()}/index/*"]))
        documents.grant_put(role)


if __name__ == "__main__":
    app = cdk.App()
    RegistryStack(app, "spsr-prod")
    app.synth()
