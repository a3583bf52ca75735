//! The webhook transport: one `reqwest` client (rustls, connection pool) that follows no
//! redirect (a redirect could send a signed delivery somewhere its subscription never named),
//! waits at most the attempt timeout, and keeps the start of the answer for the delivery log.

use async_trait::async_trait;
use gestiona_domain::ports::{EndpointAnswer, TransportError, WebhookTransport};
use gestiona_domain::webhook::{ATTEMPT_TIMEOUT, RESPONSE_EXCERPT};

/// Bytes of an answer read at most: enough for the excerpt in any encoding.
const READ_AT_MOST: usize = RESPONSE_EXCERPT * 4;

#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    timeout: std::time::Duration,
}

impl HttpTransport {
    pub fn new() -> Self {
        Self::with_timeout(ATTEMPT_TIMEOUT)
    }

    /// A transport that gives up after `timeout` (tests use a short one).
    pub fn with_timeout(timeout: std::time::Duration) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .expect("a reqwest client with rustls");
        Self { client, timeout }
    }
}

impl Default for HttpTransport {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl WebhookTransport for HttpTransport {
    async fn post(&self, url: &str, headers: &[(&str, String)], body: &[u8]) -> Result<EndpointAnswer, TransportError> {
        let mut request = self.client.post(url).body(body.to_vec());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let failed = |error: reqwest::Error| {
            if error.is_timeout() {
                TransportError::Timeout(self.timeout.as_secs())
            } else {
                // The chain names the cause (refused, TLS, DNS) without the URL's query.
                TransportError::Failed(chain(&error.without_url()))
            }
        };
        let mut response = request.send().await.map_err(failed)?;
        let status = response.status().as_u16();
        let mut read = Vec::new();
        while read.len() < READ_AT_MOST {
            match response.chunk().await {
                Ok(Some(chunk)) => read.extend_from_slice(&chunk),
                // A body cut short or slow still leaves the status, which is what counts.
                Ok(None) | Err(_) => break,
            }
        }
        read.truncate(READ_AT_MOST);
        let body = String::from_utf8_lossy(&read).chars().take(RESPONSE_EXCERPT).collect();
        Ok(EndpointAnswer { status, body })
    }
}

/// The error and its causes on one line.
fn chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
