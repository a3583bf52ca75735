//! The documents bucket over SigV4-presigned URLs and a plain HTTP client, without the S3
//! client. The console hands out download and upload links and checks an upload once it
//! arrived; linking the S3 client for that would add more than a megabyte to its binary, while
//! the signer is already there for DynamoDB and the HTTP client for the sign-in.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{
    PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings, UriPathNormalizationMode,
    sign,
};
use aws_sigv4::sign::v4;
use gestiona_domain::document::attachment_disposition;
use gestiona_domain::ports::{BlobError, BlobInfo, BlobStore, UPLOAD_ONCE_HEADER};
use http::StatusCode;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::SHA256_HEADER;

/// What S3 leaves unescaped in a key's path segment and a query value (RFC 3986 unreserved).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
/// How long the links this store uses itself (put, head, get) stay valid.
const OWN_LINK_SECONDS: u64 = 60;

/// One request to sign: its method, the key, the query parameters besides the signature's,
/// and the headers the request must carry exactly.
pub struct Presign<'a> {
    pub method: &'a str,
    pub key: &'a str,
    pub query: Vec<(&'static str, String)>,
    pub headers: Vec<(&'static str, String)>,
    pub expires_in: u64,
}

impl<'a> Presign<'a> {
    /// A request of this store's own, with nothing but the method and the key signed.
    fn plain(method: &'a str, key: &'a str) -> Self {
        Self { method, key, query: Vec::new(), headers: Vec::new(), expires_in: OWN_LINK_SECONDS }
    }
}

pub struct PresignedS3 {
    credentials: SharedCredentialsProvider,
    region: String,
    /// `https://s3.{region}.amazonaws.com`, or the endpoint of an emulator.
    endpoint: String,
    bucket: String,
    /// Built at the first use, not at cold start: the TLS set-up costs milliseconds.
    http: OnceLock<reqwest::Client>,
}

fn unavailable(error: impl std::fmt::Display) -> BlobError {
    BlobError::Unavailable(error.to_string())
}

impl PresignedS3 {
    pub fn new(credentials: SharedCredentialsProvider, region: String, endpoint: String, bucket: String) -> Self {
        Self { credentials, region, endpoint: endpoint.trim_end_matches('/').to_owned(), bucket, http: OnceLock::new() }
    }

    /// The origin browsers send uploads to, for the console's Content-Security-Policy.
    pub fn origin(&self) -> &str {
        let after_scheme = self.endpoint.find("://").map_or(0, |i| i + 3);
        match self.endpoint[after_scheme..].find('/') {
            Some(slash) => &self.endpoint[..after_scheme + slash],
            None => &self.endpoint,
        }
    }

    /// The presigned URL of `request` (path-style, as the S3 client builds it) signed with
    /// `credentials` at `now`.
    pub fn url_at(
        &self,
        credentials: &Credentials,
        request: &Presign<'_>,
        now: SystemTime,
    ) -> Result<String, BlobError> {
        let path: Vec<String> =
            request.key.split('/').map(|s| utf8_percent_encode(s, UNRESERVED).to_string()).collect();
        let mut unsigned = format!("{}/{}/{}", self.endpoint, self.bucket, path.join("/"));
        for (i, (name, value)) in request.query.iter().enumerate() {
            unsigned.push(if i == 0 { '?' } else { '&' });
            unsigned.push_str(name);
            unsigned.push('=');
            unsigned.push_str(&utf8_percent_encode(value, UNRESERVED).to_string());
        }
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(request.expires_in));
        // S3 signs the path as sent: no second escaping, no dot-segment normalisation.
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let identity = credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(now)
            .settings(settings)
            .build()
            .map_err(unavailable)?
            .into();
        let headers = request.headers.iter().map(|(n, v)| (*n, v.as_str()));
        let signable = SignableRequest::new(request.method, &unsigned, headers, SignableBody::UnsignedPayload)
            .map_err(unavailable)?;
        let (instructions, _) = sign(signable, &params).map_err(unavailable)?.into_parts();
        let mut http_request = http::Request::builder().uri(&unsigned).body(()).map_err(unavailable)?;
        instructions.apply_to_request_http1x(&mut http_request);
        Ok(http_request.uri().to_string())
    }

    async fn url(&self, request: &Presign<'_>) -> Result<String, BlobError> {
        let credentials = self.credentials.provide_credentials().await.map_err(unavailable)?;
        self.url_at(&credentials, request, SystemTime::now())
    }

    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(reqwest::Client::new)
    }

    /// A download of `key` saved as `file_name`, as the S3 client presigns it.
    pub fn get_request<'a>(key: &'a str, file_name: &str, expires_in: u64) -> Presign<'a> {
        Presign {
            method: "GET",
            key,
            query: vec![
                ("response-content-disposition", attachment_disposition(file_name)),
                ("x-id", "GetObject".to_owned()),
            ],
            headers: Vec::new(),
            expires_in,
        }
    }

    /// One upload of exactly `size` bytes of `content_type`, as the S3 client presigns it.
    pub fn put_request<'a>(key: &'a str, content_type: &str, size: u64, expires_in: u64) -> Presign<'a> {
        Presign {
            method: "PUT",
            key,
            query: vec![("x-id", "PutObject".to_owned())],
            headers: vec![
                ("content-length", size.to_string()),
                ("content-type", content_type.to_owned()),
                (UPLOAD_ONCE_HEADER.0, UPLOAD_ONCE_HEADER.1.to_owned()),
            ],
            expires_in,
        }
    }
}

#[async_trait]
impl BlobStore for PresignedS3 {
    async fn put(&self, key: &str, bytes: &[u8], content_type: &str, sha256: &str) -> Result<String, BlobError> {
        let mut request = Self::put_request(key, content_type, bytes.len() as u64, OWN_LINK_SECONDS);
        request.headers.push((SHA256_HEADER, sha256.to_owned()));
        let url = self.url(&request).await?;
        let mut put = self.http().put(url);
        for (name, value) in &request.headers {
            put = put.header(*name, value);
        }
        let response = put.body(bytes.to_vec()).send().await.map_err(unavailable)?;
        if !response.status().is_success() {
            return Err(BlobError::Unavailable(format!("S3 answered {} to a put", response.status())));
        }
        let etag = response.headers().get(http::header::ETAG).and_then(|v| v.to_str().ok());
        etag.map(str::to_owned).ok_or_else(|| BlobError::Unavailable("S3 answered a put without an ETag".into()))
    }

    async fn head(&self, key: &str) -> Result<Option<BlobInfo>, BlobError> {
        let request = Presign::plain("HEAD", key);
        let response = self.http().head(self.url(&request).await?).send().await.map_err(unavailable)?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            status if status.is_success() => {
                let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok());
                Ok(Some(BlobInfo {
                    size: header(http::header::CONTENT_LENGTH).and_then(|v| v.parse().ok()).unwrap_or_default(),
                    content_type: header(http::header::CONTENT_TYPE).unwrap_or("application/octet-stream").to_owned(),
                    etag: header(http::header::ETAG).unwrap_or_default().to_owned(),
                }))
            }
            status => Err(BlobError::Unavailable(format!("S3 answered {status} to a head"))),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        let request = Presign::plain("GET", key);
        let response = self.http().get(self.url(&request).await?).send().await.map_err(unavailable)?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            status if status.is_success() => Ok(Some(response.bytes().await.map_err(unavailable)?.to_vec())),
            status => Err(BlobError::Unavailable(format!("S3 answered {status} to a get"))),
        }
    }

    async fn presign_get(&self, key: &str, file_name: &str, expires_in: u64) -> Result<String, BlobError> {
        self.url(&Self::get_request(key, file_name, expires_in)).await
    }

    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        expires_in: u64,
    ) -> Result<String, BlobError> {
        self.url(&Self::put_request(key, content_type, size, expires_in)).await
    }
}
