//! Download links to the documents bucket, signed with SigV4 alone. The console hands out
//! links but never reads or writes an object; linking the S3 client for that would add more
//! than a megabyte to its binary, while the signer is already there for DynamoDB.

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
use gestiona_domain::ports::{BlobError, DownloadLinks};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What S3 leaves unescaped in a key's path segment and a query value (RFC 3986 unreserved).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

pub struct S3DownloadLinks {
    credentials: SharedCredentialsProvider,
    region: String,
    /// `https://s3.{region}.amazonaws.com`, or the endpoint of an emulator.
    endpoint: String,
    bucket: String,
}

impl S3DownloadLinks {
    pub fn new(credentials: SharedCredentialsProvider, region: String, endpoint: String, bucket: String) -> Self {
        Self { credentials, region, endpoint: endpoint.trim_end_matches('/').to_owned(), bucket }
    }

    /// The presigned `GET` of `key` (path-style, as the S3 client builds it) signed with
    /// `credentials` at `now`.
    pub fn url_at(
        &self,
        credentials: &Credentials,
        key: &str,
        file_name: &str,
        expires_in: u64,
        now: SystemTime,
    ) -> Result<String, BlobError> {
        let path: Vec<String> = key.split('/').map(|s| utf8_percent_encode(s, UNRESERVED).to_string()).collect();
        let disposition = utf8_percent_encode(&attachment_disposition(file_name), UNRESERVED).to_string();
        let unsigned = format!(
            "{}/{}/{}?response-content-disposition={disposition}&x-id=GetObject",
            self.endpoint,
            self.bucket,
            path.join("/")
        );
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(expires_in));
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
            .map_err(|e| BlobError::Unavailable(e.to_string()))?
            .into();
        let request = SignableRequest::new("GET", &unsigned, std::iter::empty(), SignableBody::UnsignedPayload)
            .map_err(|e| BlobError::Unavailable(e.to_string()))?;
        let (instructions, _) = sign(request, &params).map_err(|e| BlobError::Unavailable(e.to_string()))?.into_parts();
        let mut http_request =
            http::Request::builder().uri(&unsigned).body(()).map_err(|e| BlobError::Unavailable(e.to_string()))?;
        instructions.apply_to_request_http1x(&mut http_request);
        Ok(http_request.uri().to_string())
    }
}

#[async_trait]
impl DownloadLinks for S3DownloadLinks {
    async fn download_url(&self, key: &str, file_name: &str, expires_in: u64) -> Result<String, BlobError> {
        let credentials =
            self.credentials.provide_credentials().await.map_err(|e| BlobError::Unavailable(e.to_string()))?;
        self.url_at(&credentials, key, file_name, expires_in, SystemTime::now())
    }
}
