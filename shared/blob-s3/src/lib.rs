//! The documents bucket on Amazon S3, behind the domain's [`BlobStore`] port.
//!
//! Objects carry their content type and their SHA-256 as user metadata (`x-amz-meta-sha256`).
//! Downloads and uploads go straight between the browser and S3 through short-lived presigned
//! URLs, so file bytes never pass through a Lambda function or API Gateway's payload limit.
//! [`PresignedS3`] is the same bucket without the S3 client, for the console.

mod presigned;

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use gestiona_domain::document::attachment_disposition;
use gestiona_domain::ports::{BlobError, BlobInfo, BlobStore, UPLOAD_ONCE_HEADER};
pub use presigned::{Presign, PresignedS3};

/// The metadata key of an object's SHA-256 (hex).
pub const SHA256_METADATA: &str = "sha256";
/// The same metadata as a request header.
const SHA256_HEADER: &str = "x-amz-meta-sha256";

#[derive(Clone)]
pub struct S3BlobStore {
    client: Client,
    bucket: String,
}

impl S3BlobStore {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into() }
    }
}

fn unavailable<E: std::fmt::Debug>(error: E) -> BlobError {
    BlobError::Unavailable(format!("{error:?}"))
}

fn presigning(expires_in: u64) -> Result<PresigningConfig, BlobError> {
    PresigningConfig::expires_in(Duration::from_secs(expires_in)).map_err(unavailable)
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(&self, key: &str, bytes: &[u8], content_type: &str, sha256: &str) -> Result<String, BlobError> {
        let put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .metadata(SHA256_METADATA, sha256)
            .body(ByteStream::from(bytes.to_vec()))
            .send()
            .await
            .map_err(unavailable)?;
        put.e_tag.ok_or_else(|| BlobError::Unavailable("S3 answered a put without an ETag".into()))
    }

    async fn head(&self, key: &str) -> Result<Option<BlobInfo>, BlobError> {
        match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(head) => Ok(Some(BlobInfo {
                size: head.content_length().unwrap_or_default().max(0) as u64,
                content_type: head.content_type().unwrap_or("application/octet-stream").to_owned(),
                etag: head.e_tag().unwrap_or_default().to_owned(),
            })),
            Err(SdkError::ServiceError(e)) if e.err().is_not_found() => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        match self.client.get_object().bucket(&self.bucket).key(key).send().await {
            Ok(object) => Ok(Some(object.body.collect().await.map_err(unavailable)?.into_bytes().to_vec())),
            Err(SdkError::ServiceError(e)) if e.err().is_no_such_key() => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn presign_get(&self, key: &str, file_name: &str, expires_in: u64) -> Result<String, BlobError> {
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_disposition(attachment_disposition(file_name))
            .presigned(presigning(expires_in)?)
            .await
            .map_err(unavailable)?;
        Ok(request.uri().to_owned())
    }

    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        expires_in: u64,
    ) -> Result<String, BlobError> {
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(size as i64)
            .if_none_match(UPLOAD_ONCE_HEADER.1)
            .presigned(presigning(expires_in)?)
            .await
            .map_err(unavailable)?;
        Ok(request.uri().to_owned())
    }
}
