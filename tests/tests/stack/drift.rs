//! The template and the code cannot drift: the deployed table has the keys and indexes the
//! store adapter queries, the queues the code publishes to have a dead-letter queue and a
//! visibility timeout above their consumer's, and every function exists with the
//! configuration its code reads at start.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_dynamodb::types::{BillingMode, KeyType, ProjectionType};
use gestiona_console::cognito::{
    CALLBACK_URL_VARIABLE, SIGN_IN_CLIENT_VARIABLE, SIGN_IN_ISSUER_VARIABLE, SIGN_IN_URL_VARIABLE,
    SIGN_OUT_URL_VARIABLE,
};
use gestiona_domain::ports::{Index, QueueName};
use gestiona_lambda::permissions::Lambda;
use gestiona_lambda::{DOCUMENTS_BUCKET_VARIABLE, SENDER_VARIABLE, SES_CONFIGURATION_SET_VARIABLE, TABLE_VARIABLE};
use serde_json::{Value, json};

use crate::deploy::stack;

fn keys(schema: &[aws_sdk_dynamodb::types::KeySchemaElement]) -> Vec<(String, KeyType)> {
    schema.iter().map(|k| (k.attribute_name().to_owned(), k.key_type().clone())).collect()
}

#[tokio::test]
#[ignore = "needs the template deployed into the AWS emulator: tests/run provides it"]
async fn the_deployed_table_has_the_keys_and_indexes_the_code_queries() {
    let stack = stack();
    let client = gestiona_tests::moto::dynamodb_at(&gestiona_tests::moto::stack_endpoint());
    let table = client.describe_table().table_name(stack.table()).send().await.expect("the stack's table");
    let table = table.table().expect("a description");
    assert_eq!(keys(table.key_schema()), [("PK".into(), KeyType::Hash), ("SK".into(), KeyType::Range)]);
    assert_eq!(table.billing_mode_summary().and_then(|b| b.billing_mode()), Some(&BillingMode::PayPerRequest));

    let deployed: BTreeMap<String, Vec<(String, KeyType)>> = table
        .global_secondary_indexes()
        .iter()
        .map(|index| {
            assert_eq!(
                index.projection().and_then(|p| p.projection_type()),
                Some(&ProjectionType::All),
                "{:?} projects every attribute: the code reads whole items from its indexes",
                index.index_name()
            );
            (index.index_name().unwrap_or_default().to_owned(), keys(index.key_schema()))
        })
        .collect();
    let expected: BTreeMap<String, Vec<(String, KeyType)>> = Index::ALL
        .iter()
        .map(|index| {
            let schema = vec![
                (index.pk_attribute().to_owned(), KeyType::Hash),
                (index.sk_attribute().to_owned(), KeyType::Range),
            ];
            (index.name().to_owned(), schema)
        })
        .collect();
    assert_eq!(deployed, expected, "the table's indexes are the store adapter's (gestiona_domain::ports::Index)");

    // What moto does not model, read off the template CloudFormation received.
    let properties = &stack.template_resource("Table")["Properties"];
    assert_eq!(properties["TimeToLiveSpecification"], serde_json::json!({"AttributeName": "ttl", "Enabled": true}));
    assert_eq!(properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true);
    assert_eq!(properties["SSESpecification"]["SSEEnabled"], true);
    assert_eq!(properties["DeletionProtectionEnabled"], serde_json::json!({"Fn::If": ["ProtectTable", true, false]}));
    assert_eq!(table.deletion_protection_enabled(), Some(false), "the dev stage's table can be deleted");
}

/// The queue's attributes in moto, by URL.
async fn attributes(url: &str) -> BTreeMap<String, String> {
    let sqs = gestiona_tests::moto::sqs_at(&gestiona_tests::moto::stack_endpoint());
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await
        .unwrap_or_else(|e| panic!("the queue {url} exists: {e:?}"));
    attributes.attributes().into_iter().flatten().map(|(k, v)| (k.as_str().to_owned(), v.clone())).collect()
}

#[tokio::test]
#[ignore = "needs the template deployed into the AWS emulator: tests/run provides it"]
async fn every_queue_the_code_publishes_to_has_a_dead_letter_queue_and_a_consumer_that_reports_failures() {
    let stack = stack();
    let functions = stack.functions();
    for queue in QueueName::ALL {
        let variable = gestiona_lambda::queue_variable(queue);
        let publishers: BTreeSet<&str> = Lambda::ALL
            .iter()
            .filter(|lambda| {
                lambda.permissions().iter().any(|p| p.resource == gestiona_lambda::permissions::Resource::Queue(queue))
            })
            .map(|lambda| lambda.binary())
            .collect();
        assert!(!publishers.is_empty(), "someone publishes to {queue:?}");
        let mut urls = BTreeSet::new();
        for publisher in &publishers {
            let (_, function) = functions[*publisher];
            let url = function["environment"][variable]
                .as_str()
                .unwrap_or_else(|| panic!("{publisher} publishes to {queue:?} but has no {variable}"));
            urls.insert(url.to_owned());
        }
        assert_eq!(urls.len(), 1, "every publisher of {queue:?} names the same queue: {urls:?}");
        let url = urls.into_iter().next().unwrap();
        let queue_attributes = attributes(&url).await;

        let redrive: Value = serde_json::from_str(
            queue_attributes.get("RedrivePolicy").unwrap_or_else(|| panic!("{queue:?} has no redrive policy")),
        )
        .expect("JSON");
        let receives = redrive["maxReceiveCount"]
            .as_i64()
            .or_else(|| redrive["maxReceiveCount"].as_str().and_then(|s| s.parse().ok()));
        assert!(
            receives.is_some_and(|n| (3..=10).contains(&n)),
            "{queue:?}: a poison message is retried a few times, then parked: {redrive}"
        );
        let dead_letter_arn = redrive["deadLetterTargetArn"].as_str().expect("a dead-letter target");
        let dead_letter_url = url
            .rsplit_once('/')
            .map(|(base, _)| format!("{base}/{}", dead_letter_arn.rsplit(':').next().unwrap()))
            .unwrap();
        let dead_letter = attributes(&dead_letter_url).await;
        assert_eq!(dead_letter["QueueArn"], dead_letter_arn);
        assert_eq!(dead_letter["MessageRetentionPeriod"], "1209600", "{queue:?}'s parked messages are kept 14 days");

        let consumer = Lambda::ALL.into_iter().find(|l| l.consumes() == Some(queue)).expect("a consumer");
        let (logical, function) = stack.function(consumer);
        let timeout = function["timeout"].as_i64().expect("a timeout");
        let visibility: i64 = queue_attributes["VisibilityTimeout"].parse().unwrap();
        assert!(
            visibility >= 6 * timeout,
            "{queue:?}: visibility {visibility} s is at least six times {logical}'s {timeout} s"
        );

        let mapping = stack.report["template"]["Resources"]
            .as_object()
            .unwrap()
            .values()
            .find(|r| {
                r["Type"] == "AWS::Lambda::EventSourceMapping" && r["Properties"]["FunctionName"]["Ref"] == logical
            })
            .unwrap_or_else(|| panic!("{logical} has no event source mapping"));
        assert_eq!(
            mapping["Properties"]["FunctionResponseTypes"],
            serde_json::json!(["ReportBatchItemFailures"]),
            "{logical}"
        );
        let source = &mapping["Properties"]["EventSourceArn"]["Fn::GetAtt"][0];
        let source_url = stack.report["resources"][source.as_str().unwrap()]["physical"].as_str().unwrap();
        assert_eq!(source_url, url, "{logical} consumes the queue its publishers send to");
    }
}

#[test]
#[ignore = "needs the template deployed into the AWS emulator: tests/run provides it"]
fn every_function_of_the_code_is_deployed_with_the_configuration_it_reads() {
    let stack = stack();
    let functions = stack.functions();
    let deployed: BTreeSet<&str> = functions.keys().map(String::as_str).collect();
    let code: BTreeSet<&str> = Lambda::ALL.iter().map(|l| l.binary()).collect();
    assert_eq!(deployed, code, "one function in the template per binary in functions/ (but the local runner)");
    for lambda in Lambda::ALL {
        let (logical, function) = stack.function(lambda);
        let environment = &function["environment"];
        assert_eq!(environment[TABLE_VARIABLE], stack.table(), "{logical}");
        let variables: Vec<&str> = match lambda {
            Lambda::Notifier => vec![SENDER_VARIABLE, SES_CONFIGURATION_SET_VARIABLE],
            Lambda::Documents => vec![DOCUMENTS_BUCKET_VARIABLE],
            // Deployed with the console's addresses (deploy.rs); the pool's domain, issuer and
            // client are checked in the template below (moto creates no Cognito resource).
            Lambda::Console => vec![CALLBACK_URL_VARIABLE, SIGN_OUT_URL_VARIABLE],
            _ => vec![],
        };
        for variable in variables {
            assert!(environment[variable].as_str().is_some_and(|v| !v.is_empty()), "{logical} reads {variable}");
        }
        let properties = &stack.template_resource(logical)["Properties"];
        assert_eq!(properties["Runtime"], "provided.al2023", "{logical}");
        assert_eq!(properties["Handler"], "bootstrap", "{logical}");
        assert_eq!(properties["Architectures"], serde_json::json!([{"Ref": "Architecture"}]), "{logical}");
    }
    let (console, _) = stack.function(Lambda::Console);
    let variables = &stack.template_resource(console)["Properties"]["Environment"]["Variables"];
    let when_configured = |value: Value| json!({"Fn::If": ["ConsoleSignIn", value, ""]});
    assert_eq!(variables[SIGN_IN_CLIENT_VARIABLE], when_configured(json!({"Ref": "ConsoleClient"})));
    assert_eq!(
        variables[SIGN_IN_URL_VARIABLE],
        when_configured(json!({"Fn::Sub": "https://${SignInDomain}.auth.${AWS::Region}.amazoncognito.com"}))
    );
    assert_eq!(
        variables[SIGN_IN_ISSUER_VARIABLE],
        when_configured(json!({"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"}))
    );
    // The console's app client: a public client (PKCE, no secret) for the code flow only,
    // registered at exactly the addresses the function redirects to.
    let client = &stack.template_resource("ConsoleClient")["Properties"];
    assert_eq!(client["GenerateSecret"], false);
    assert_eq!(client["AllowedOAuthFlows"], json!(["code"]));
    assert_eq!(client["AllowedOAuthFlowsUserPoolClient"], true);
    assert_eq!(client["CallbackURLs"], json!([{"Ref": "ConsoleCallbackUrl"}]));
    assert_eq!(client["LogoutURLs"], json!([{"Ref": "ConsoleSignOutUrl"}]));
    assert!(client["AllowedOAuthScopes"].as_array().unwrap().contains(&json!("openid")));
    assert_eq!(
        variables[CALLBACK_URL_VARIABLE],
        json!({"Ref": "ConsoleCallbackUrl"}),
        "the function redirects to the address the client registers"
    );
    assert_eq!(variables[SIGN_OUT_URL_VARIABLE], json!({"Ref": "ConsoleSignOutUrl"}));

    assert_eq!(
        stack.output("DocumentsBucketName"),
        stack.function(Lambda::Documents).1["environment"][DOCUMENTS_BUCKET_VARIABLE]
    );
}

#[test]
#[ignore = "needs the template deployed into the AWS emulator: tests/run provides it"]
fn every_scheduled_function_has_a_schedule_sending_its_fixture() {
    let stack = stack();
    let resources = stack.report["template"]["Resources"].as_object().unwrap();
    for lambda in [Lambda::SlaSweep, Lambda::InvoiceSweep, Lambda::OutboxRelay] {
        let (logical, _) = stack.function(lambda);
        let schedule = resources
            .values()
            .find(|r| {
                r["Type"] == "AWS::Scheduler::Schedule" && r["Properties"]["Target"]["Arn"]["Fn::GetAtt"][0] == logical
            })
            .unwrap_or_else(|| panic!("{logical} has no schedule"));
        let input: Value =
            serde_json::from_str(schedule["Properties"]["Target"]["Input"].as_str().expect("an input")).unwrap();
        assert_eq!(input, gestiona_tests::fixtures::event(&format!("scheduler/{}.json", lambda.binary())), "{logical}");
        assert_eq!(schedule["Properties"]["FlexibleTimeWindow"]["Mode"], "OFF", "{logical} runs on time");
    }
}
