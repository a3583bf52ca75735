//! The AWS emulator the test command starts. No test talks to anything but 127.0.0.1.

use aws_sdk_dynamodb::config::interceptors::FinalizerInterceptorContextRef;
use aws_sdk_dynamodb::config::{BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;

pub const ENDPOINT_VARIABLE: &str = "GESTIONA_TEST_AWS_ENDPOINT";
/// A second emulator, for the stack deployed from the template (tests/tests/stack/): its
/// Lambda functions would break the first one's model dump, which the SES tests read.
pub const STACK_ENDPOINT_VARIABLE: &str = "GESTIONA_TEST_STACK_AWS_ENDPOINT";

fn loopback(variable: &str) -> String {
    match std::env::var(variable) {
        Ok(url) if url.starts_with("http://127.0.0.1:") => url,
        Ok(url) => panic!("{variable}={url} is not a loopback URL; tests talk only to 127.0.0.1"),
        Err(_) => panic!(
            "{variable} is not set: these tests need the AWS emulator (moto). \
             Run the test command `tests/run`, which installs and starts it."
        ),
    }
}

/// The emulator's URL. Panics with instructions when the test command did not start it, so a
/// missing emulator is a failure, never a skip.
pub fn endpoint() -> String {
    loopback(ENDPOINT_VARIABLE)
}

/// The URL of the emulator the template is deployed into.
pub fn stack_endpoint() -> String {
    loopback(STACK_ENDPOINT_VARIABLE)
}

/// A DynamoDB client for the emulator with fixed test credentials.
pub fn dynamodb() -> aws_sdk_dynamodb::Client {
    dynamodb_at(&endpoint())
}

/// A DynamoDB client for the emulator at `endpoint`.
pub fn dynamodb_at(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "gestiona-tests"))
        .http_client(gestiona_lambda::http_client())
        .stalled_stream_protection(gestiona_lambda::stalled_stream_protection())
        .interceptor(RetryWitness)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// Prints every DynamoDB attempt that failed without an answer (a timeout, a dropped
/// connection), which the SDK retries. moto ignores a transaction's idempotency token, so the
/// retry of a write that had committed fails its own condition; when a test fails that way,
/// this names the first attempt's error.
#[derive(Debug)]
struct RetryWitness;

impl Intercept for RetryWitness {
    fn name(&self) -> &'static str {
        "gestiona-tests::RetryWitness"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(Err(error)) = context.output_or_error()
            && !error.is_operation_error()
        {
            eprintln!("moto: a DynamoDB attempt got no answer (the SDK retries it): {error:?}");
        }
        Ok(())
    }
}

/// A fresh table (unique name) created as the template declares it.
pub async fn fresh_table() -> gestiona_store_dynamo::DynamoStore {
    let client = dynamodb();
    let name = format!("gestiona-test-{}", ulid::Ulid::generate().to_string().to_lowercase());
    gestiona_store_dynamo::create_table(&client, &name).await.expect("create the test table in moto");
    gestiona_store_dynamo::DynamoStore::new(client, name)
}

/// An SQS client for the emulator.
pub fn sqs() -> aws_sdk_sqs::Client {
    sqs_at(&endpoint())
}

/// An SQS client for the emulator at `endpoint`.
pub fn sqs_at(endpoint: &str) -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_sqs::config::Credentials::new("testing", "testing", None, None, "gestiona-tests"))
        .http_client(gestiona_lambda::http_client())
        .stalled_stream_protection(gestiona_lambda::stalled_stream_protection())
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

/// A fresh queue (unique name); returns its URL.
pub async fn fresh_queue(client: &aws_sdk_sqs::Client, purpose: &str) -> String {
    let name = format!("gestiona-{purpose}-{}", ulid::Ulid::generate().to_string().to_lowercase());
    let created = client.create_queue().queue_name(name).send().await.expect("create a queue in moto");
    created.queue_url().expect("a queue URL").to_owned()
}

/// An SES v2 client for the emulator.
pub fn sesv2() -> aws_sdk_sesv2::Client {
    sesv2_at(&endpoint())
}

/// The SDK configuration of a client of the emulator at `endpoint`: its region, fixed test
/// credentials, and the functions' HTTP client.
fn emulator(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
            aws_credential_types::Credentials::new("testing", "testing", None, None, "gestiona-tests"),
        ))
        .http_client(gestiona_lambda::http_client())
        .stalled_stream_protection(gestiona_lambda::stalled_stream_protection())
        .build()
}

/// An SES v2 client for the emulator at `endpoint`.
pub fn sesv2_at(endpoint: &str) -> aws_sdk_sesv2::Client {
    aws_sdk_sesv2::Client::new(&emulator(endpoint))
}

/// An S3 client for the emulator (path-style, as the functions configure it).
pub fn s3() -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(endpoint())
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new("testing", "testing", None, None, "gestiona-tests"))
        .http_client(gestiona_lambda::http_client())
        .stalled_stream_protection(gestiona_lambda::stalled_stream_protection())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// A fresh bucket (unique name).
pub async fn fresh_bucket(client: &aws_sdk_s3::Client) -> String {
    let name = format!("gestiona-docs-{}", ulid::Ulid::generate().to_string().to_lowercase());
    client.create_bucket().bucket(&name).send().await.expect("create a bucket in moto");
    name
}

/// Every raw e-mail moto's SES has accepted: (destinations, raw MIME).
pub async fn sent_raw_emails() -> Vec<(Vec<String>, String)> {
    let data: serde_json::Value = reqwest::get(format!("{}/moto-api/data.json", endpoint()))
        .await
        .expect("moto's API answers")
        .json()
        .await
        .expect("moto's model data is JSON");
    data["ses"]["RawMessage"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let to = m["destinations"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d.as_str().map(str::to_owned))
                .collect();
            (to, m["raw_data"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

/// A Cognito user pool client for the emulator.
pub fn cognito() -> aws_sdk_cognitoidentityprovider::Client {
    aws_sdk_cognitoidentityprovider::Client::new(&emulator(&endpoint()))
}
