"""How state machine files name the Lambda functions they call: ``${<FunctionName>Arn}`` placeholders.

``validate_application`` (the name given to ``@app.lambda_function``) is ``${ValidateApplicationArn}``,
which is also the function's logical id in the packaged template plus ``Arn``. The CDK app fills the
placeholders through DefinitionSubstitutions; the local stack fills them with moto's ARNs.
"""

from __future__ import annotations


def placeholder(function_name: str) -> str:
    return "".join(part.capitalize() for part in function_name.split("_")) + "Arn"


def logical_id(function_name: str) -> str:
    return placeholder(function_name).removesuffix("Arn")
