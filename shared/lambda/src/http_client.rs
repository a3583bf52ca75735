//! The AWS SDK's HTTP client, over the `reqwest` client the console's sign-in and presigned
//! transfers already use. The SDK's own default client links hyper with HTTP/2 and a second TLS
//! stack into every binary; DynamoDB, SQS, SES and S3 answer over HTTP/1.1, so that is all this
//! client speaks.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::client::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_smithy_types::body::SdkBody;

/// Connections are kept this long between requests (a warm function reuses them).
const IDLE_CONNECTIONS: Duration = Duration::from_secs(60);

/// The client every AWS SDK client of a function shares.
pub fn http_client() -> SharedHttpClient {
    SharedHttpClient::new(ReqwestClient::default())
}

/// The SDK's stalled-stream protection, for downloads only. Every request body this client
/// sends is in memory (see `to_reqwest`), so an upload "stall" can only be the server taking
/// longer than the grace period to answer; the SDK would then retry a write that may have
/// committed, and a conditional write's retry fails against its own first attempt.
pub fn stalled_stream_protection() -> StalledStreamProtectionConfig {
    StalledStreamProtectionConfig::enabled().upload_enabled(false).build()
}

/// The connect and read timeouts the SDK asks a connector for.
type Timeouts = (Option<Duration>, Option<Duration>);

/// One `reqwest` client (and so one connection pool) per timeout setting the SDK asks for.
#[derive(Debug, Default)]
struct ReqwestClient {
    connectors: Mutex<HashMap<Timeouts, Connector>>,
}

impl HttpClient for ReqwestClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        let timeouts = (settings.connect_timeout(), settings.read_timeout());
        let mut connectors = self.connectors.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let connector = connectors.entry(timeouts).or_insert_with(|| Connector::new(timeouts));
        SharedHttpConnector::new(connector.clone())
    }
}

/// A `reqwest` client is a handle to its pool: clones share it.
#[derive(Debug, Clone)]
struct Connector {
    client: reqwest::Client,
}

impl Connector {
    fn new((connect, read): Timeouts) -> Self {
        let mut builder = reqwest::Client::builder()
            // The SDK follows no redirect: a signed request must reach the host it was signed for.
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(IDLE_CONNECTIONS)
            .tcp_nodelay(true);
        if let Some(connect) = connect {
            builder = builder.connect_timeout(connect);
        }
        if let Some(read) = read {
            builder = builder.read_timeout(read);
        }
        // Building fails only when the TLS backend cannot start: nothing could be sent then.
        Self { client: builder.build().expect("the HTTPS client starts") }
    }
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = self.client.clone();
        HttpConnectorFuture::new(async move {
            let request = to_reqwest(request)?;
            let response = client.execute(request).await.map_err(connector_error)?;
            let mut answer = http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                answer = answer.header(name, value);
            }
            let body = response.bytes().await.map_err(connector_error)?;
            let answer = answer.body(SdkBody::from(body)).map_err(|e| ConnectorError::other(e.into(), None))?;
            HttpResponse::try_from(answer).map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

/// The SDK's request as `reqwest` sends it. Every request Gestiona makes carries its body in
/// memory (JSON, query strings, a document's bytes); a streaming body is refused, not buffered.
fn to_reqwest(request: HttpRequest) -> Result<reqwest::Request, ConnectorError> {
    let request = request.try_into_http1x().map_err(|e| ConnectorError::user(e.into()))?;
    let (parts, body) = request.into_parts();
    let Some(bytes) = body.bytes() else {
        return Err(ConnectorError::user("a streaming request body: send the bytes in memory".into()));
    };
    let request = http::Request::from_parts(parts, reqwest::Body::from(bytes.to_vec()));
    reqwest::Request::try_from(request).map_err(|e| ConnectorError::user(e.into()))
}

/// Timeouts and failed connections are transient (the SDK retries them); the rest is not.
fn connector_error(error: reqwest::Error) -> ConnectorError {
    if error.is_timeout() {
        ConnectorError::timeout(error.into())
    } else if error.is_connect() || error.is_request() || error.is_body() {
        ConnectorError::io(error.into())
    } else {
        ConnectorError::other(error.into(), None)
    }
}
