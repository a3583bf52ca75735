"""Deploys infra/template.yaml into the AWS emulator's CloudFormation, as `sam deploy` would.

The SAM template is translated to plain CloudFormation by aws-sam-translator (the library
`sam deploy` uses), each function's code is a placeholder archive in an emulated S3 bucket
(CloudFormation needs one; the tests run the real binaries under cargo-lambda's emulator),
and the stack is created in moto. What the stack created is printed as one JSON document for
the Rust tests (tests/tests/stack/): the physical resources, the outputs, each function's
configuration and its role's inline policies, and the translated template itself.

Usage: deploy_stack.py --endpoint URL --stack NAME [--parameter KEY=VALUE ...]
"""

import argparse
import ast
import io
import json
import pathlib
import sys
import zipfile

import boto3
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = "gestiona-test-artifacts"


class NoManagedPolicies:
    """The template names no managed policy by name (SAM adds the basic ones by ARN)."""

    def load(self):
        return {}


def placeholder_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bootstrap", "#!/bin/sh\nexit 1\n")
    return buffer.getvalue()


def policy_document(document):
    # moto returns inline policies as text, sometimes in Python's notation rather than JSON.
    if isinstance(document, str):
        try:
            return json.loads(document)
        except json.JSONDecodeError:
            return ast.literal_eval(document)
    return document


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--parameter", action="append", default=[])
    args = parser.parse_args()
    parameters = dict(p.split("=", 1) for p in args.parameter)
    clients = dict(endpoint_url=args.endpoint, region_name="us-east-1")

    template = yaml_parse((ROOT / "infra" / "template.yaml").read_text())
    s3 = boto3.client("s3", **clients)
    s3.create_bucket(Bucket=ARTIFACTS)
    binaries = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            binary = resource["Metadata"]["BuildProperties"]["Binary"]
            binaries[name] = binary
            s3.put_object(Bucket=ARTIFACTS, Key=f"{binary}.zip", Body=placeholder_zip())
            resource["Properties"]["CodeUri"] = f"s3://{ARTIFACTS}/{binary}.zip"
    translated = transform(template, parameters, NoManagedPolicies())

    # The tests start the real binaries themselves and hand them the queues' messages. moto
    # would instead run each message through its own Lambda (in Docker, which is not here) and
    # refuse the send, so the event source mappings are left out of what moto creates; the
    # drift tests read them from the translated template.
    deployed = json.loads(json.dumps(translated))
    for name in [n for n, r in deployed["Resources"].items() if r["Type"] == "AWS::Lambda::EventSourceMapping"]:
        del deployed["Resources"][name]

    cloudformation = boto3.client("cloudformation", **clients)
    cloudformation.create_stack(
        StackName=args.stack,
        TemplateBody=json.dumps(deployed),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    stack = cloudformation.describe_stacks(StackName=args.stack)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        sys.exit(f"the stack is {stack['StackStatus']}: {stack.get('StackStatusReason')}")
    resources = {
        r["LogicalResourceId"]: {"type": r["ResourceType"], "physical": r.get("PhysicalResourceId")}
        for r in cloudformation.list_stack_resources(StackName=args.stack)["StackResourceSummaries"]
    }

    iam = boto3.client("iam", **clients)
    lambdas = boto3.client("lambda", **clients)
    functions = {}
    for name, binary in binaries.items():
        role = resources[f"{name}Role"]["physical"]
        statements = []
        for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            document = policy_document(iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"])
            statements.extend(document["Statement"])
        configuration = lambdas.get_function_configuration(FunctionName=resources[name]["physical"])
        functions[name] = {
            "binary": binary,
            "functionName": resources[name]["physical"],
            "environment": configuration.get("Environment", {}).get("Variables", {}),
            "memorySize": configuration["MemorySize"],
            "timeout": configuration["Timeout"],
            "statements": statements,
            "managedPolicies": translated["Resources"][f"{name}Role"]["Properties"].get("ManagedPolicyArns", []),
        }

    json.dump(
        {
            "stack": args.stack,
            "outputs": {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
            "resources": resources,
            "functions": functions,
            "template": translated,
        },
        sys.stdout,
        default=str,
    )


if __name__ == "__main__":
    main()
