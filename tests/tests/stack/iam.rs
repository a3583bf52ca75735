//! Least privilege, checked on the deployed roles: each function's inline policy grants
//! exactly the actions on the resources `gestiona_lambda::permissions` declares for it (the
//! calls its code makes, which the run-time guard enforces), no fewer and no more.

use std::collections::BTreeSet;

use gestiona_domain::ports::QueueName;
use gestiona_lambda::permissions::{Lambda, Resource};
use serde_json::Value;

use crate::deploy::{Stack, stack};

/// The ARN pattern a grant on `resource` names in this stack.
fn arn(stack: &Stack, resource: Resource) -> String {
    let account = stack.account();
    let table = format!("arn:aws:dynamodb:us-east-1:{account}:table/{}", stack.table());
    let queue = |output: &str| {
        let name = stack.output(output).rsplit('/').next().expect("a queue URL").to_owned();
        format!("arn:aws:sqs:us-east-1:{account}:{name}")
    };
    match resource {
        Resource::Table => table,
        Resource::Indexes => format!("{table}/index/*"),
        Resource::Index(name) => format!("{table}/index/{name}"),
        Resource::Queue(QueueName::Notifications) => queue("NotificationsQueueUrl"),
        Resource::Queue(QueueName::Documents) => queue("DocumentsQueueUrl"),
        Resource::Queue(QueueName::Webhooks) => queue("WebhooksQueueUrl"),
        Resource::DocumentObjects => format!("arn:aws:s3:::{}/*", stack.output("DocumentsBucketName")),
        Resource::UploadObjects => format!("arn:aws:s3:::{}/*/cases/*/uploads/*", stack.output("DocumentsBucketName")),
        // moto's CloudFormation makes no user pool, so the reference to it stays as written;
        // in AWS it is the pool's id (the `UserPoolId` output).
        Resource::UserPool => {
            let pool = stack.report["outputs"]["UserPoolId"].as_str().unwrap_or("${UserPool}");
            format!("arn:aws:cognito-idp:us-east-1:{account}:userpool/{pool}")
        }
        Resource::SenderIdentity => format!("arn:aws:ses:us-east-1:{account}:identity/example.com"),
        // The set the notifier sends through, by the name its code reads.
        Resource::EmailConfigurationSet => {
            let (_, notifier) = stack.function(Lambda::Notifier);
            let name =
                notifier["environment"][gestiona_lambda::SES_CONFIGURATION_SET_VARIABLE].as_str().expect("a set");
            format!("arn:aws:ses:us-east-1:{account}:configuration-set/{name}")
        }
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        other => panic!("a policy names actions and resources as strings: {other}"),
    }
}

/// Every (action, resource) an inline policy allows.
fn granted(function: &Value) -> Grants {
    let mut grants = BTreeSet::new();
    for statement in function["statements"].as_array().expect("statements") {
        assert_eq!(statement["Effect"], "Allow", "{statement}");
        for action in strings(&statement["Action"]) {
            for resource in strings(&statement["Resource"]) {
                grants.insert((action.clone(), resource));
            }
        }
    }
    grants
}

/// (IAM action, resource ARN pattern).
type Grants = BTreeSet<(String, String)>;

/// The grants `lambda` must have and the ones its role has beyond them, in this stack.
fn compare(stack: &Stack, lambda: Lambda) -> (Grants, Grants) {
    let declared: Grants =
        lambda.permissions().into_iter().map(|p| (p.action.to_owned(), arn(stack, p.resource))).collect();
    let (_, function) = stack.function(lambda);
    let granted = granted(function);
    let missing = declared.difference(&granted).cloned().collect();
    let extra = granted.difference(&declared).cloned().collect();
    (missing, extra)
}

#[test]
#[ignore = "needs the template deployed into the AWS emulator: tests/run provides it"]
fn every_role_grants_exactly_the_calls_its_function_makes() {
    let stack = stack();
    let mut problems = Vec::new();
    for lambda in Lambda::ALL {
        let (missing, extra) = compare(stack, lambda);
        for (action, resource) in missing {
            problems.push(format!(
                "{}: the code calls {action} on {resource}, the role does not allow it",
                lambda.binary()
            ));
        }
        for (action, resource) in extra {
            problems
                .push(format!("{}: the role allows {action} on {resource}, the code never calls it", lambda.binary()));
        }
    }
    assert!(problems.is_empty(), "the template's IAM policies and the code disagree:\n{}", problems.join("\n"));
}

#[test]
#[ignore = "needs the template deployed into the AWS emulator: tests/run provides it"]
fn no_role_has_a_wildcard_action_or_an_account_wide_resource() {
    let stack = stack();
    for lambda in Lambda::ALL {
        let (logical, function) = stack.function(lambda);
        for (action, resource) in granted(function) {
            assert!(!action.contains('*'), "{logical} allows {action}");
            assert!(resource != "*" && !resource.ends_with(":*"), "{logical} allows {action} on {resource}");
        }
        // The managed policies SAM attaches: logs for every function, and polling its own
        // queue for a consumer (AWS's managed policy for SQS event sources).
        let mut expected = vec![Value::from("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")];
        if lambda.consumes().is_some() {
            expected.push(Value::from("arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"));
        }
        assert_eq!(function["managedPolicies"], Value::from(expected), "{logical}");
    }
}
