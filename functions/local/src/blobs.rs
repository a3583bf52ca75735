//! The local runner's documents bucket: files under `{data}/documents/{key}`, with a sidecar
//! `.meta.json` holding the content type and SHA-256. It plays S3's presigned URLs too: a URL
//! under `/_local/blobs/` carries an expiry and an HMAC (keyed per process) of what it allows,
//! so the download and upload routes behave as they do against S3.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use gestiona_domain::document::attachment_disposition;
use gestiona_domain::ports::{BlobError, BlobInfo, BlobStore, UPLOAD_ONCE_HEADER};
use hmac::{KeyInit, Mac};
use http::{HeaderMap, Method, StatusCode, Uri, header};
use lambda_http::{Body, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The path prefix the runner routes to [`FolderBlobs::serve`].
pub const ROUTE_PREFIX: &str = "/_local/blobs/";
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    content_type: String,
    sha256: String,
}

pub struct FolderBlobs {
    root: PathBuf,
    base_url: String,
    key: [u8; 32],
}

impl FolderBlobs {
    pub fn new(data_dir: &Path, base_url: String) -> Self {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the OS has randomness");
        Self { root: data_dir.join("documents"), base_url, key }
    }

    /// The file of `key`; keys are the domain's (`{tenant}/cases/…`), never `..`.
    fn path(&self, key: &str) -> Option<PathBuf> {
        let safe = !key.is_empty() && key.split('/').all(|s| !s.is_empty() && s != "." && s != "..");
        safe.then(|| self.root.join(key))
    }

    fn meta_path(path: &Path) -> PathBuf {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".meta.json");
        path.with_file_name(name)
    }

    fn signature(&self, parts: &[&str]) -> String {
        let mut mac = hmac::Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        for part in parts {
            mac.update(part.as_bytes());
            mac.update(&[0]);
        }
        hex::encode(mac.finalize().into_bytes())
    }

    fn url(&self, key: &str, query: &[(&str, &str)]) -> String {
        let path: Vec<String> = key.split('/').map(|s| utf8_percent_encode(s, SEGMENT).to_string()).collect();
        let query: Vec<String> =
            query.iter().map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, NON_ALPHANUMERIC))).collect();
        format!("{}{ROUTE_PREFIX}{}?{}", self.base_url, path.join("/"), query.join("&"))
    }

    /// Where `key` is written, its folder made.
    async fn place(&self, key: &str) -> std::io::Result<PathBuf> {
        let path = self.path(key).ok_or_else(|| std::io::Error::other("invalid key"))?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        Ok(path)
    }

    async fn write(&self, key: &str, bytes: &[u8], content_type: &str, sha256: &str) -> std::io::Result<()> {
        let path = self.place(key).await?;
        // Write then rename, so a reader never sees half a file.
        let partial = path.with_extension("partial");
        tokio::fs::write(&partial, bytes).await?;
        let meta = Meta { content_type: content_type.to_owned(), sha256: sha256.to_owned() };
        tokio::fs::write(Self::meta_path(&path), serde_json::to_vec(&meta).expect("serialises")).await?;
        tokio::fs::rename(&partial, &path).await
    }

    /// Writes the object unless one is stored under `key` (an upload link's `PUT`); says whether
    /// it wrote. The file appears by a hard link, which fails when the name exists: two PUTs at
    /// once cannot both win.
    async fn create(&self, key: &str, bytes: &[u8], content_type: &str, sha256: &str) -> std::io::Result<bool> {
        let path = self.place(key).await?;
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|e| std::io::Error::other(e.to_string()))?;
        let partial = path.with_extension(format!("{}.partial", hex::encode(nonce)));
        let meta = Meta { content_type: content_type.to_owned(), sha256: sha256.to_owned() };
        tokio::fs::write(&partial, bytes).await?;
        tokio::fs::write(Self::meta_path(&partial), serde_json::to_vec(&meta).expect("serialises")).await?;
        // The metadata's name is claimed first: whoever claims it writes the object.
        let claimed = tokio::fs::hard_link(Self::meta_path(&partial), Self::meta_path(&path)).await;
        let written = match claimed {
            Ok(()) => tokio::fs::hard_link(&partial, &path).await.map(|()| true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        };
        tokio::fs::remove_file(Self::meta_path(&partial)).await?;
        tokio::fs::remove_file(&partial).await?;
        written
    }

    /// Serves a presigned URL: `GET` downloads, `PUT` uploads exactly what was signed.
    pub async fn serve(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response<Body> {
        let encoded = uri.path().strip_prefix(ROUTE_PREFIX).unwrap_or_default();
        let key: String = encoded
            .split('/')
            .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let query: std::collections::HashMap<String, String> =
            form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
        let get = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
        let expires: i64 = get("expires").parse().unwrap_or(0);
        if expires < jiff::Timestamp::now().as_second() {
            return plain(StatusCode::FORBIDDEN, "Request has expired");
        }
        let Some(path) = self.path(&key) else { return plain(StatusCode::BAD_REQUEST, "invalid key") };
        match *method {
            Method::GET if get("signature") == self.signature(&["get", &key, get("expires"), get("name")]) => {
                let (Ok(bytes), Ok(meta)) =
                    (tokio::fs::read(&path).await, tokio::fs::read(Self::meta_path(&path)).await)
                else {
                    return plain(StatusCode::NOT_FOUND, "NoSuchKey");
                };
                let meta: Meta = serde_json::from_slice(&meta)
                    .unwrap_or(Meta { content_type: "application/octet-stream".into(), sha256: String::new() });

                Response::builder()
                    .status(StatusCode::OK)
                    .header(header::CONTENT_TYPE, meta.content_type)
                    .header(header::CONTENT_DISPOSITION, attachment_disposition(get("name")))
                    .body(Body::Binary(bytes))
                    .expect("a valid response")
            }
            Method::PUT
                if get("signature") == self.signature(&["put", &key, get("expires"), get("type"), get("size")]) =>
            {
                let header_of = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
                let content_type = header_of(header::CONTENT_TYPE.as_str());
                if content_type != get("type") || body.len().to_string() != get("size") {
                    return plain(
                        StatusCode::FORBIDDEN,
                        "SignatureDoesNotMatch: type or size differ from the signed ones",
                    );
                }
                // As on S3, the link is signed with If-None-Match: * and writes its object once.
                if header_of(UPLOAD_ONCE_HEADER.0) != UPLOAD_ONCE_HEADER.1 {
                    return plain(StatusCode::FORBIDDEN, "SignatureDoesNotMatch: If-None-Match: * is signed");
                }
                let sha256 = hex::encode(Sha256::digest(body));
                match self.create(&key, body, content_type, &sha256).await {
                    Ok(true) => plain(StatusCode::OK, ""),
                    Ok(false) => plain(StatusCode::PRECONDITION_FAILED, "PreconditionFailed: the object exists"),
                    Err(e) => plain(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
                }
            }
            _ => plain(StatusCode::FORBIDDEN, "SignatureDoesNotMatch"),
        }
    }
}

fn plain(status: StatusCode, text: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::Text(text.to_owned()))
        .expect("a valid response")
}

fn unavailable(e: std::io::Error) -> BlobError {
    BlobError::Unavailable(e.to_string())
}

#[async_trait]
impl BlobStore for FolderBlobs {
    async fn put(&self, key: &str, bytes: &[u8], content_type: &str, sha256: &str) -> Result<String, BlobError> {
        self.write(key, bytes, content_type, sha256).await.map_err(unavailable)?;
        Ok(hex::encode(Sha256::digest(bytes)))
    }

    /// The entity tag is the SHA-256 of the file as it is now on disk (not the one its sidecar
    /// recorded), so a file replaced in the folder shows as changed.
    async fn head(&self, key: &str) -> Result<Option<BlobInfo>, BlobError> {
        let Some(path) = self.path(key) else { return Ok(None) };
        let (Ok(bytes), Ok(meta)) = (tokio::fs::read(&path).await, tokio::fs::read(Self::meta_path(&path)).await)
        else {
            return Ok(None);
        };
        let meta: Meta = serde_json::from_slice(&meta).map_err(|e| BlobError::Unavailable(e.to_string()))?;
        let etag = hex::encode(Sha256::digest(&bytes));
        Ok(Some(BlobInfo { size: bytes.len() as u64, content_type: meta.content_type, etag }))
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        let Some(path) = self.path(key) else { return Ok(None) };
        match tokio::fs::read(path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn presign_get(&self, key: &str, file_name: &str, expires_in: u64) -> Result<String, BlobError> {
        let expires = (jiff::Timestamp::now().as_second() + expires_in as i64).to_string();
        let signature = self.signature(&["get", key, &expires, file_name]);
        Ok(self.url(key, &[("expires", &expires), ("name", file_name), ("signature", &signature)]))
    }

    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        expires_in: u64,
    ) -> Result<String, BlobError> {
        let expires = (jiff::Timestamp::now().as_second() + expires_in as i64).to_string();
        let size = size.to_string();
        let signature = self.signature(&["put", key, &expires, content_type, &size]);
        Ok(self.url(key, &[("expires", &expires), ("type", content_type), ("size", &size), ("signature", &signature)]))
    }
}
