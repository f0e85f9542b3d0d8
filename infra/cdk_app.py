"""The CDK app: ``RegistryStack`` (``infra/stack.py``) for one ``.chalice/config.json`` stage, checked
by cdk-nag's AwsSolutions pack.

``make synth STAGE=prod`` writes ``cdk.out/`` and runs cfn-lint on it; ``make deploy STAGE=prod``
deploys it with the pinned CDK CLI (``package.json``). The functions are ``make package``'s artefacts
(``infra/package.py``, built here when missing or stale; cached otherwise). Context (``-c key=value`` or ``SPSR_*``
environment variables, see ``README.md`` "Deploying to AWS"): ``stage``,
``userPoolId`` / ``userPoolClientId`` (an existing Cognito pool), ``alarmEmail``.
Not imported by the registry's code; only ``infra/`` imports aws_cdk.
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra import package
from infra.stack import RegistryStack


def build(app: cdk.App, stack_name: str | None = None) -> RegistryStack:
    """The stack for the context's stage; named ``spsr-<stage>`` unless ``stack_name`` says otherwise."""
    def context(key: str, env: str) -> str | None:
        value = app.node.try_get_context(key) or os.environ.get(env)
        return str(value) if value else None

    stage = context("stage", "STAGE") or "prod"
    stack = RegistryStack(
        app, stack_name or f"spsr-{stage}", stage=stage, artefacts=package.build("x86_64"),
        user_pool_id=context("userPoolId", "SPSR_USER_POOL_ID"),
        user_pool_client_id=context("userPoolClientId", "SPSR_USER_POOL_CLIENT_ID"),
        alarm_email=context("alarmEmail", "SPSR_ALARM_EMAIL"))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return stack


def new_app(outdir: str | None = None) -> cdk.App:
    # Access logs are granted by bucket policy, not by the legacy LogDeliveryWrite ACL.
    return cdk.App(outdir=outdir, context={"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True})


if __name__ == "__main__":
    app = new_app()
    build(app)
    app.synth()
