//! What every Lambda function does once per cold start: read its configuration from the
//! environment (names declared in `infra/template.yaml`, listed in the README) and build its
//! AWS clients, which later requests borrow.

use std::collections::HashMap;
use std::sync::Arc;

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use gestiona_api::{Api, ClaimNames, Function, Route, Routes};
use gestiona_blob_s3::{PresignedS3, S3BlobStore};
use gestiona_domain::ports::{
    BlobStore, EffectMessage, EffectQueue, IdentityError, IdentityProvider, Invitation, QueueName, SystemClock,
    UlidGenerator, WebhookTransport,
};
use gestiona_domain::service::Services;
use gestiona_domain::{TenantId, UserId};
use gestiona_identity_cognito::CognitoIdentity;
use gestiona_mail_ses::SesMailer;
use gestiona_notify::{Notifier, Templates};
use gestiona_queue_sqs::{OutboxOnly, SqsQueue};
use gestiona_store_dynamo::DynamoStore;

pub mod guard;
mod http_client;
pub mod permissions;

pub use http_client::{http_client, stalled_stream_protection};

pub use gestiona_api::init_tracing;

use guard::CallGuard;
use permissions::Lambda;

/// The DynamoDB table name.
pub const TABLE_VARIABLE: &str = "GESTIONA_TABLE";
/// The JWT claim that names the tenant (default `custom:tenant`).
pub const TENANT_CLAIM_VARIABLE: &str = "GESTIONA_TENANT_CLAIM";
/// The JWT claim that lists the user's groups (default `cognito:groups`).
pub const ROLES_CLAIM_VARIABLE: &str = "GESTIONA_ROLES_CLAIM";
/// The notifications queue URL (functions that publish effects).
pub const NOTIFICATIONS_QUEUE_VARIABLE: &str = "GESTIONA_NOTIFICATIONS_QUEUE_URL";
/// The documents queue URL (functions that publish effects).
pub const DOCUMENTS_QUEUE_VARIABLE: &str = "GESTIONA_DOCUMENTS_QUEUE_URL";

/// The webhooks queue URL (functions that announce events to webhook subscriptions).
pub const WEBHOOKS_QUEUE_VARIABLE: &str = "GESTIONA_WEBHOOKS_QUEUE_URL";

/// The variable that holds `queue`'s URL.
pub fn queue_variable(queue: QueueName) -> &'static str {
    match queue {
        QueueName::Notifications => NOTIFICATIONS_QUEUE_VARIABLE,
        QueueName::Documents => DOCUMENTS_QUEUE_VARIABLE,
        QueueName::Webhooks => WEBHOOKS_QUEUE_VARIABLE,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("the function serves no route")]
    NoRoutes,
}

/// The configuration of an HTTP API function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    pub table: String,
    pub claims: ClaimNames,
    /// Queue URLs; without them effects wait in the outbox for the relay.
    pub queues: HashMap<QueueName, String>,
}

impl HttpConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let defaults = ClaimNames::default();
        let queues = QueueName::ALL
            .into_iter()
            .filter_map(|queue| lookup(queue_variable(queue)).filter(|u| !u.is_empty()).map(|url| (queue, url)))
            .collect();
        Ok(Self {
            queues,
            table: lookup(TABLE_VARIABLE).filter(|t| !t.is_empty()).ok_or(ConfigError::Missing(TABLE_VARIABLE))?,
            claims: ClaimNames {
                tenant: lookup(TENANT_CLAIM_VARIABLE).unwrap_or(defaults.tenant),
                roles: lookup(ROLES_CLAIM_VARIABLE).unwrap_or(defaults.roles),
            },
        })
    }
}

/// The AWS configuration, built once per cold start and shared by every client the function
/// builds: the region, the function role's credentials and `AWS_ENDPOINT_URL` (moto, LocalStack)
/// from the environment, where Lambda puts them. The SDK's default chain (profile files, SSO,
/// STS web identity, instance metadata) would find the same there, after reading files that do
/// not exist on Lambda, and it adds half a megabyte to every binary; the clients' own defaults
/// give retries, timeouts and the credentials cache.
pub fn aws() -> aws_config::SdkConfig {
    aws_config_from(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
}

fn aws_config_from(lookup: impl Fn(&str) -> Option<String>) -> aws_config::SdkConfig {
    let region = lookup("AWS_REGION").or_else(|| lookup("AWS_DEFAULT_REGION"));
    let credentials = aws_config::environment::EnvironmentVariableCredentialsProvider::new();
    let mut config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .http_client(http_client())
        .stalled_stream_protection(stalled_stream_protection());
    config.set_region(region.map(aws_config::Region::new));
    config.set_endpoint_url(lookup("AWS_ENDPOINT_URL"));
    config.build()
}

/// Builds `lambda`'s use cases on DynamoDB and SQS, its clients guarded by its declared
/// permissions. Without queue URLs, effects wait in the outbox for the relay.
pub fn services(
    aws: &aws_config::SdkConfig,
    lambda: Lambda,
    table: String,
    queues: HashMap<QueueName, String>,
) -> Services {
    let guard = CallGuard::new(lambda, &queues);
    let dynamodb = aws_sdk_dynamodb::config::Builder::from(aws).interceptor(guard.clone()).build();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(dynamodb), table);
    let queue: Arc<dyn EffectQueue> = if queues.is_empty() {
        Arc::new(OutboxOnly)
    } else {
        let sqs = aws_sdk_sqs::config::Builder::from(aws).interceptor(guard).build();
        Arc::new(SqsQueue::new(aws_sdk_sqs::Client::from_conf(sqs), queues))
    };
    Services::new(Arc::new(store), queue, Arc::new(SystemClock), Arc::new(UlidGenerator::default()))
}

/// The Cognito user pool staff are invited into (the accounts API and the console).
pub const USER_POOL_VARIABLE: &str = "GESTIONA_USER_POOL_ID";

/// The user pool named by [`USER_POOL_VARIABLE`]; without one (the stack signs staff in
/// through the company's own identity provider) invitations are refused: the provider invites,
/// and an administrator adds the entry under the subject it gives (`PUT /users/{sub}`).
pub fn identity(aws: &aws_config::SdkConfig, lambda: Lambda) -> Arc<dyn IdentityProvider> {
    let Some(pool) = std::env::var(USER_POOL_VARIABLE).ok().filter(|p| !p.is_empty()) else {
        return Arc::new(ExternalIdentity);
    };
    let cognito = aws_sdk_cognitoidentityprovider::config::Builder::from(aws)
        .interceptor(CallGuard::new(lambda, &HashMap::new()))
        .build();
    Arc::new(CognitoIdentity::new(aws_sdk_cognitoidentityprovider::Client::from_conf(cognito), pool))
}

/// Sign-ins kept by an identity provider the company runs: nothing to do here.
struct ExternalIdentity;

#[async_trait::async_trait]
impl IdentityProvider for ExternalIdentity {
    async fn invite(&self, _: &TenantId, _: &Invitation) -> Result<UserId, IdentityError> {
        Err(IdentityError::Refused("staff sign in through the company's own identity provider".into()))
    }

    async fn set_enabled(&self, _: &TenantId, _: &UserId, _: bool) -> Result<(), IdentityError> {
        Ok(())
    }
}

/// The documents bucket (the documents function, and the cases API for download and upload URLs).
pub const DOCUMENTS_BUCKET_VARIABLE: &str = "GESTIONA_DOCUMENTS_BUCKET";

/// The documents bucket named by [`DOCUMENTS_BUCKET_VARIABLE`], if `lambda` has one.
pub fn blob_store(aws: &aws_config::SdkConfig, lambda: Lambda) -> Option<Arc<dyn BlobStore>> {
    let bucket = std::env::var(DOCUMENTS_BUCKET_VARIABLE).ok().filter(|b| !b.is_empty())?;
    // Path-style addressing works with every endpoint (S3, moto, LocalStack) and bucket name.
    let s3 = aws_sdk_s3::config::Builder::from(aws)
        .force_path_style(true)
        .interceptor(CallGuard::new(lambda, &HashMap::new()))
        .build();
    Some(Arc::new(S3BlobStore::new(aws_sdk_s3::Client::from_conf(s3), bucket)))
}

/// The documents bucket named by [`DOCUMENTS_BUCKET_VARIABLE`] through presigned URLs signed with
/// the function's credentials, without linking the S3 client (the console).
pub fn presigned_blobs(aws: &aws_config::SdkConfig) -> Option<Arc<PresignedS3>> {
    let bucket = std::env::var(DOCUMENTS_BUCKET_VARIABLE).ok().filter(|b| !b.is_empty())?;
    let region = aws.region()?.to_string();
    let endpoint = aws.endpoint_url().map_or_else(|| format!("https://s3.{region}.amazonaws.com"), str::to_owned);
    Some(Arc::new(PresignedS3::new(aws.credentials_provider()?, region, endpoint, bucket)))
}

/// Builds `function`'s HTTP API on DynamoDB and SQS.
pub fn http_api(aws: &aws_config::SdkConfig, function: Function, config: HttpConfig) -> Api {
    Api::new(services(aws, function.into(), config.table, config.queues), config.claims)
}

/// The whole life of an HTTP function: configuration and clients once, then every request of
/// the container through the same `Api`, answering for the routes of `table` (the function's
/// own, so its binary links no other function's handlers).
pub async fn serve_http(table: &'static [Route]) -> Result<(), lambda_http::Error> {
    serve_routes(table, |_, _, api| api).await
}

/// [`serve_http`] for the function that invites and deactivates staff: in the user pool, when
/// the stack has one (only this one and the console link the Cognito client).
pub async fn serve_http_with_identity(table: &'static [Route]) -> Result<(), lambda_http::Error> {
    serve_routes(table, |aws, function, mut api| {
        api.services = api.services.with_identity(identity(aws, function.into()));
        api
    })
    .await
}

/// [`serve_http`] for a function that hands out download and upload URLs of the documents
/// bucket, when one is configured (only this one links the S3 client).
pub async fn serve_http_with_documents(table: &'static [Route]) -> Result<(), lambda_http::Error> {
    serve_routes(table, |aws, function, api| match blob_store(aws, function.into()) {
        Some(blobs) => api.with_blobs(blobs),
        None => api,
    })
    .await
}

async fn serve_routes(
    table: &'static [Route],
    wire: impl FnOnce(&aws_config::SdkConfig, Function, Api) -> Api,
) -> Result<(), lambda_http::Error> {
    gestiona_api::init_tracing();
    let function = table.first().map(|route| route.function).ok_or(ConfigError::NoRoutes)?;
    let aws = aws();
    let api = Arc::new(wire(&aws, function, http_api(&aws, function, HttpConfig::from_env()?)));
    let routes = Arc::new(Routes::of(table));
    lambda_http::run(lambda_http::service_fn(move |request| {
        let (api, routes) = (Arc::clone(&api), Arc::clone(&routes));
        async move { Ok::<_, std::convert::Infallible>(api.handle(&routes, request).await) }
    }))
    .await
}

/// The whole life of a scheduled function (EventBridge): configuration and clients once, then
/// `job` on every invocation, its error failing the invocation (metrics, alarms, retries).
pub async fn serve_scheduled<F, Fut>(lambda: Lambda, job: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(Services) -> Fut,
    Fut: std::future::Future<Output = Result<serde_json::Value, lambda_runtime::Error>>,
{
    gestiona_api::init_tracing();
    let config = HttpConfig::from_env()?;
    let services = services(&aws(), lambda, config.table, config.queues);
    let job = &job;
    let services = &services;
    lambda_runtime::run(lambda_runtime::service_fn(move |_: lambda_runtime::LambdaEvent<serde_json::Value>| {
        job(services.clone())
    }))
    .await
}

/// The sender for tenants without their own identity (the notifier).
pub const SENDER_VARIABLE: &str = "GESTIONA_SENDER";
/// The SES configuration set (bounce and complaint events), optional.
pub const SES_CONFIGURATION_SET_VARIABLE: &str = "GESTIONA_SES_CONFIGURATION_SET";

/// Builds the notifier on DynamoDB and SES v2.
pub async fn notifier() -> Result<Notifier, ConfigError> {
    let config = HttpConfig::from_env()?;
    let sender =
        std::env::var(SENDER_VARIABLE).ok().filter(|s| !s.is_empty()).ok_or(ConfigError::Missing(SENDER_VARIABLE))?;
    let configuration_set = std::env::var(SES_CONFIGURATION_SET_VARIABLE).ok().filter(|s| !s.is_empty());
    let aws = aws();
    let services = services(&aws, Lambda::Notifier, config.table, config.queues);
    let ses = aws_sdk_sesv2::config::Builder::from(&aws)
        .interceptor(CallGuard::new(Lambda::Notifier, &HashMap::new()))
        .build();
    let mailer = SesMailer::new(aws_sdk_sesv2::Client::from_conf(ses), configuration_set);
    Ok(Notifier::new(services, Arc::new(mailer), Templates::shared(), sender))
}

/// Delivers one SQS batch of notification effects and reports the messages to retry.
pub async fn notifier_batch(notifier: &Notifier, event: SqsEvent) -> SqsBatchResponse {
    effect_batch(event, |message| async move {
        notifier.deliver(&message).await.map(|d| format!("{d:?}")).map_err(|e| e.to_string())
    })
    .await
}

/// Handles one SQS batch of the webhooks queue and reports the messages to retry.
pub async fn webhooks_batch(
    services: &Services,
    transport: &dyn WebhookTransport,
    event: SqsEvent,
) -> SqsBatchResponse {
    effect_batch(event, |message| async move {
        services.handle_webhook_message(&message, transport).await.map(|h| format!("{h:?}")).map_err(|e| e.to_string())
    })
    .await
}

fn failure_of(message_id: String) -> BatchItemFailure {
    let mut failure = BatchItemFailure::default();
    failure.item_identifier = message_id;
    failure
}

/// Runs `handle` on each effect of one SQS batch and reports the messages to retry
/// (`ReportBatchItemFailures`): unreadable or malformed ones too, so SQS moves them to the
/// dead-letter queue after the queue's maximum receives instead of losing them.
pub async fn effect_batch<F, Fut>(event: SqsEvent, handle: F) -> SqsBatchResponse
where
    F: Fn(EffectMessage) -> Fut,
    Fut: std::future::Future<Output = Result<String, String>>,
{
    let mut failures = Vec::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let message: Result<EffectMessage, String> = record
            .body
            .as_deref()
            .ok_or_else(|| "no body".to_owned())
            .and_then(|body| serde_json::from_str(body).map_err(|e| e.to_string()));
        let message = match message {
            Ok(message) => message,
            Err(reason) => {
                // An unknown kind or a malformed body never becomes readable: failing it each
                // time lets SQS move it to the dead-letter queue after the queue's maximum receives.
                tracing::error!(message = %id, %reason, "unreadable effect message; it goes to the dead-letter queue");
                failures.push(failure_of(id));
                continue;
            }
        };
        match handle(message).await {
            Ok(outcome) => tracing::info!(message = %id, %outcome, "done"),
            Err(reason) => {
                tracing::warn!(message = %id, %reason, "not delivered; SQS will retry");
                failures.push(failure_of(id));
            }
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_comes_from_the_environment() {
        let missing = HttpConfig::from_lookup(|_| None);
        assert!(matches!(missing, Err(ConfigError::Missing(TABLE_VARIABLE))));
        let config = HttpConfig::from_lookup(|name| (name == TABLE_VARIABLE).then(|| "gestiona".to_owned())).unwrap();
        assert_eq!(
            config,
            HttpConfig { table: "gestiona".into(), claims: ClaimNames::default(), queues: HashMap::new() }
        );
        let with_queue = HttpConfig::from_lookup(|name| match name {
            TABLE_VARIABLE => Some("t".into()),
            DOCUMENTS_QUEUE_VARIABLE => Some("https://sqs/docs".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(with_queue.queues, HashMap::from([(QueueName::Documents, "https://sqs/docs".to_owned())]));
    }

    #[test]
    fn the_aws_configuration_comes_from_the_environment_lambda_sets() {
        let lambda = [("AWS_REGION", "sa-east-1"), ("AWS_DEFAULT_REGION", "us-east-1")];
        let config = aws_config_from(|name| lambda.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()));
        assert_eq!(config.region().map(|r| r.as_ref()), Some("sa-east-1"));
        assert!(config.credentials_provider().is_some() && config.endpoint_url().is_none());
        assert!(config.http_client().is_some(), "the SDK has no default HTTP client here");
        let stalls = config.stalled_stream_protection().map(|s| (s.upload_enabled(), s.download_enabled()));
        assert_eq!(stalls, Some((false, true)), "a slow answer to an in-memory upload is not a stall to retry");

        let moto = [("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")];
        let config = aws_config_from(|name| moto.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()));
        assert_eq!(config.region().map(|r| r.as_ref()), Some("us-east-1"));
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:5000"));
    }
}
