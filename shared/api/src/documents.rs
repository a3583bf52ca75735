//! `/cases/{id}/documents`, `/cases/{id}/uploads` and `/document-templates` handlers.
//!
//! Generated documents are queued (202) and rendered by the documents worker; downloads and
//! uploads are presigned blob-store URLs, so no file passes through the function.

use gestiona_domain::EntityId;
use gestiona_domain::document::{Document, DocumentStatus, DocumentTemplate, PRESIGNED_URL_SECONDS};
use gestiona_domain::messages as msg;
use gestiona_domain::ports::{BlobError, BlobStore, upload_headers};
use gestiona_domain::service::documents::{
    BeginUploadError, CompleteUploadError, DocumentRequest, DownloadLinkError, GetDocumentError, RequestDocumentError,
    UploadRequest, download_link,
};
use http::{StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde_json::json;

use crate::Api;
use crate::edge::{self, ListResponse};
use crate::problem::{Problem, ProblemSchema};

impl From<RequestDocumentError> for Problem {
    fn from(e: RequestDocumentError) -> Self {
        match e {
            RequestDocumentError::NotFound => Problem::not_found(),
            RequestDocumentError::Archived => Problem::conflict("archived", msg::title_case_archived()),
            RequestDocumentError::Invalid(v) => v.into(),
            RequestDocumentError::Store(s) => Problem::store(s),
        }
    }
}

impl From<GetDocumentError> for Problem {
    fn from(e: GetDocumentError) -> Self {
        match e {
            GetDocumentError::NotFound => Problem::not_found(),
            GetDocumentError::Store(s) => Problem::store(s),
        }
    }
}

impl From<BeginUploadError> for Problem {
    fn from(e: BeginUploadError) -> Self {
        match e {
            BeginUploadError::NotFound => Problem::not_found(),
            BeginUploadError::Archived => Problem::conflict("archived", msg::title_case_archived()),
            BeginUploadError::Invalid(v) => v.into(),
            BeginUploadError::Store(s) => Problem::store(s),
        }
    }
}

impl From<CompleteUploadError> for Problem {
    fn from(e: CompleteUploadError) -> Self {
        match e {
            CompleteUploadError::NotFound => Problem::not_found(),
            CompleteUploadError::NotAwaiting(status) => {
                Problem::conflict("not-awaiting-upload", msg::title_not_awaiting_upload())
                    .with("documentStatus", json!(status))
            }
            CompleteUploadError::Missing => Problem::conflict("upload-missing", msg::title_nothing_uploaded())
                .detail(msg::detail_put_then_complete()),
            CompleteUploadError::Mismatch(reason) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "upload-mismatch", msg::title_upload_mismatch())
                    .field("file", reason)
            }
            CompleteUploadError::Blob(b) => b.into(),
            CompleteUploadError::Store(s) => Problem::store(s),
        }
    }
}

impl From<BlobError> for Problem {
    fn from(e: BlobError) -> Self {
        tracing::error!(error = %e, "blob store unavailable");
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", msg::title_unavailable())
            .detail(msg::detail_nothing_changed_retry())
    }
}

impl From<DownloadLinkError> for Problem {
    fn from(e: DownloadLinkError) -> Self {
        match e {
            DownloadLinkError::Blob(e) => e.into(),
            DownloadLinkError::Missing | DownloadLinkError::Replaced => {
                Problem::conflict("document-altered", msg::title_document_altered())
                    .detail(msg::detail_document_altered())
            }
        }
    }
}

impl Api {
    fn blobs(&self) -> Result<&dyn BlobStore, Problem> {
        self.blobs.as_deref().ok_or_else(|| {
            tracing::error!("no documents bucket configured for this function");
            Problem::new(StatusCode::SERVICE_UNAVAILABLE, "documents-unavailable", msg::title_documents_unconfigured())
        })
    }
}

/// A template and the fields it reads.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateContract {
    key: &'static str,
    title: &'static str,
    fields: Vec<TemplateField>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TemplateField {
    name: &'static str,
    description: &'static str,
    required: bool,
}

#[utoipa::path(get, path = "/document-templates", tag = "documents",
    responses((status = 200, description = "Every document template and the fields it needs", body = Vec<TemplateContract>)),
    security(("bearer" = [])))]
pub async fn templates(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    api.actor(request)?;
    let contracts: Vec<TemplateContract> = DocumentTemplate::ALL
        .into_iter()
        .map(|template| TemplateContract {
            key: template.key(),
            title: template.title(gestiona_domain::document::Locale::Es),
            fields: template
                .contract()
                .iter()
                .map(|(name, description, required)| TemplateField { name, description, required: *required })
                .collect(),
        })
        .collect();
    Ok(edge::json(StatusCode::OK, &contracts))
}

#[utoipa::path(post, path = "/cases/{id}/documents", tag = "documents", params(("id" = EntityId, Path)),
    request_body = DocumentRequest,
    responses((status = 202, description = "Queued for rendering; `Location` is the download route", body = Document),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, description = "The data does not meet the template's contract; every field is named",
               body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn request(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let input: DocumentRequest = edge::json_body(request)?;
    let document = api.services.request_document(&actor, id, input).await?;
    let mut response = edge::json(StatusCode::ACCEPTED, &document);
    let location = format!("/cases/{id}/documents/{}", document.id);
    response.headers_mut().insert(header::LOCATION, location.parse().expect("an ASCII path"));
    Ok(response)
}

#[utoipa::path(get, path = "/cases/{id}/documents", tag = "documents", params(("id" = EntityId, Path)),
    responses((status = 200, body = ListResponse<Document>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let documents = api.services.list_documents(&actor, id).await?;
    Ok(edge::json(StatusCode::OK, &edge::ListResponse { items: documents, next_cursor: None }))
}

#[utoipa::path(get, path = "/cases/{id}/documents/{docId}", tag = "documents",
    params(("id" = EntityId, Path), ("docId" = EntityId, Path)),
    responses((status = 302, description = "`Location` is a presigned download URL, valid for five minutes"),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 409, description = "Not ready yet (`Retry-After` set), failed (`errors` say why), \
               or its stored file is no longer the one filed (`document-altered`)",
               body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn download(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let document_id = edge::path_id(request, "docId")?;
    let document = api.services.get_document(&actor, id, document_id).await?.value;
    match document.status {
        DocumentStatus::Ready => {}
        DocumentStatus::Queued => {
            let mut response = Problem::conflict("document-not-ready", msg::title_document_not_ready())
                .detail(msg::detail_retry_seconds())
                .into_response(edge::locale(request.headers()));
            response.headers_mut().insert(header::RETRY_AFTER, "2".parse().expect("a number"));
            return Ok(response);
        }
        DocumentStatus::AwaitingUpload => {
            return Err(Problem::conflict("upload-missing", msg::title_upload_not_completed()));
        }
        DocumentStatus::Failed => {
            let mut problem = Problem::conflict("document-failed", msg::title_document_failed());
            for error in &document.errors {
                problem = problem.field(error.field.clone(), error.message());
            }
            return Err(problem);
        }
    }
    let url = download_link(&document, api.blobs()?, PRESIGNED_URL_SECONDS).await?;
    Ok(Response::builder()
        .status(StatusCode::FOUND)
        .header(header::LOCATION, url)
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::Empty)
        .expect("a valid response"))
}

/// Where and how to upload the announced file.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadTicket {
    document: Document,
    /// `PUT` the bytes here with exactly the `headers` below.
    url: String,
    method: &'static str,
    #[schema(value_type = Object)]
    headers: std::collections::BTreeMap<&'static str, String>,
    expires_in_seconds: u64,
}

#[utoipa::path(post, path = "/cases/{id}/uploads", tag = "documents", params(("id" = EntityId, Path)),
    request_body = UploadRequest,
    responses((status = 201, description = "A presigned PUT for exactly this type and size; then POST …/complete", body = UploadTicket),
              (status = 422, description = "Type not allowed or too large", body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn begin_upload(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let input: UploadRequest = edge::json_body(request)?;
    let blobs = api.blobs()?;
    let document = api.services.begin_upload(&actor, id, input).await?;
    let key = document.object_key.as_deref().unwrap_or_default();
    let size = document.size.unwrap_or_default();
    let url = blobs.presign_put(key, &document.content_type, size, PRESIGNED_URL_SECONDS).await?;
    let ticket = UploadTicket {
        headers: upload_headers(&document.content_type)
            .into_iter()
            .chain([("content-length", size.to_string())])
            .collect(),
        document,
        url,
        method: "PUT",
        expires_in_seconds: PRESIGNED_URL_SECONDS,
    };
    let mut response = edge::json(StatusCode::CREATED, &ticket);
    let location = format!("/cases/{id}/documents/{}", ticket.document.id);
    response.headers_mut().insert(header::LOCATION, location.parse().expect("an ASCII path"));
    Ok(response)
}

#[utoipa::path(post, path = "/cases/{id}/documents/{docId}/complete", tag = "documents",
    params(("id" = EntityId, Path), ("docId" = EntityId, Path)),
    responses((status = 200, description = "Filed on the case", body = Document),
              (status = 409, description = "Nothing uploaded yet, or not an upload", body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, description = "Size or type differ from the announcement; the document is marked failed",
               body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn complete_upload(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let document_id = edge::path_id(request, "docId")?;
    let document = api.services.complete_upload(&actor, id, document_id, api.blobs()?).await?;
    Ok(edge::json(StatusCode::OK, &document))
}
