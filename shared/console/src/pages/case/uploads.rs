//! Files staff upload to a case. Where the page's script runs, the file goes from the browser
//! straight to the documents bucket: the script announces it (`uploads/direct`), sends it to the
//! presigned URL it is given, and asks the console to check it (`uploads/{doc}/complete`), so a
//! 25 MB file never passes through a Lambda function. Without JavaScript the form posts the file
//! to the console (`uploads`, multipart) up to [`FORM_UPLOAD_BYTES`], what API Gateway and Lambda
//! let through; the console stores it and checks it the same way.

use gestiona_domain::document::{MAX_UPLOAD_BYTES, PRESIGNED_URL_SECONDS};
use gestiona_domain::messages as msg;
use gestiona_domain::ports::upload_headers;
use gestiona_domain::service::documents::{BeginUploadError, CompleteUploadError, FileUploadError, UploadRequest};
use gestiona_domain::{EntityId, Message, ValidationErrors};
use http::{StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde_json::json;

use super::fields::form_fields;
use super::{Outcome, parse_id, render};
use crate::session::{CSRF_FIELD, SignedIn};
use crate::{Console, response};

/// The largest file the form takes without JavaScript: a Lambda request carries at most 6 MB,
/// and API Gateway sends a file base64-encoded (a third larger).
pub const FORM_UPLOAD_BYTES: u64 = 4 * 1024 * 1024;
/// Room for the multipart framing and the token around the file.
const FORM_OVERHEAD_BYTES: u64 = 16 * 1024;

/// Where the user is sent once a file is filed (or refused): the documents on the case page.
fn documents_of(case_id: EntityId) -> String {
    format!("/app/cases/{case_id}#documents-heading")
}

/// Why a file was refused, in words about the file (the announcement's fields are the
/// script's, not the user's).
fn reasons(errors: ValidationErrors, content_type: &str) -> Vec<Message> {
    errors
        .0
        .into_iter()
        .map(|error| match error.field.as_str() {
            "contentType" => msg::ui_upload_type_refused(if content_type.is_empty() { "?" } else { content_type }),
            "size" => msg::ui_upload_size(MAX_UPLOAD_BYTES / (1024 * 1024)),
            _ => error.reason,
        })
        .collect()
}

/// `POST /app/cases/{id}/uploads/direct`: records the file the page's script is about to send
/// and answers where to send it and where to say it arrived.
pub async fn announce(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let locale = signed_in.session.locale;
    let refuse = |status, reasons: Vec<Message>| {
        let texts: Vec<String> = reasons.into_iter().map(|r| r.render(locale)).collect();
        response::json(status, &json!({ "errors": texts }))
    };
    let Some(case_id) = parse_id(id) else {
        return refuse(StatusCode::NOT_FOUND, vec![msg::ui_not_found()]);
    };
    let Some(files) = console.files.as_ref() else {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, vec![msg::ui_uploads_unavailable()]);
    };
    let values = form_fields(request.body().as_ref());
    let text = |name: &str| values.get(name).cloned().unwrap_or_default();
    let Ok(size) = text("size").parse::<u64>() else {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, vec![msg::ui_upload_size(MAX_UPLOAD_BYTES / (1024 * 1024))]);
    };
    let content_type = text("contentType");
    let upload = UploadRequest { file_name: text("fileName"), content_type: content_type.clone(), size };
    let document = match console.services.begin_upload(&signed_in.actor, case_id, upload).await {
        Ok(document) => document,
        Err(BeginUploadError::NotFound) => return refuse(StatusCode::NOT_FOUND, vec![msg::ui_not_found()]),
        Err(BeginUploadError::Archived) => return refuse(StatusCode::CONFLICT, vec![msg::title_case_archived()]),
        Err(BeginUploadError::Invalid(errors)) => {
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, reasons(errors, &content_type));
        }
        Err(BeginUploadError::Store(error)) => {
            tracing::error!(%error, "the upload could not be recorded");
            return refuse(StatusCode::SERVICE_UNAVAILABLE, vec![msg::detail_nothing_changed_retry()]);
        }
    };
    let key = document.object_key.as_deref().unwrap_or_default();
    match files.presign_put(key, &document.content_type, size, PRESIGNED_URL_SECONDS).await {
        Ok(url) => response::json(
            StatusCode::CREATED,
            &json!({
                "url": url,
                "contentType": document.content_type,
                "headers": upload_headers(&document.content_type).into_iter().collect::<std::collections::BTreeMap<_, _>>(),
                "complete": format!("/app/cases/{case_id}/uploads/{}/complete", document.id),
            }),
        ),
        Err(error) => {
            tracing::error!(%error, "no upload link");
            refuse(StatusCode::SERVICE_UNAVAILABLE, vec![msg::detail_nothing_changed_retry()])
        }
    }
}

/// `POST /app/cases/{id}/uploads/{doc}/complete`: the file arrived; the console checks it
/// against what was announced and files it (or marks it failed, with the reason on the page).
/// The page's script asks for JSON; a form gets the case page.
pub async fn complete(
    console: &Console,
    request: &Request,
    signed_in: &SignedIn,
    id: &str,
    document: &str,
) -> Response<Body> {
    let script = request.headers().get(header::ACCEPT).is_some_and(|v| v.as_bytes() == b"application/json");
    let locale = signed_in.session.locale;
    let refuse = |status: StatusCode, reason: Message| {
        if script {
            response::json(status, &json!({ "errors": [reason.render(locale)] }))
        } else {
            response::message_page(status, locale, reason)
        }
    };
    let (Some(case_id), Ok(document_id)) = (parse_id(id), EntityId::parse(document)) else {
        return refuse(StatusCode::NOT_FOUND, msg::ui_not_found());
    };
    let Some(files) = console.files.as_ref() else {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, msg::ui_uploads_unavailable());
    };
    match console.services.complete_upload(&signed_in.actor, case_id, document_id, files.as_ref()).await {
        // A mismatch marks the document failed with its reason, which the section shows; a
        // second completion (a retried request) finds it filed already.
        Ok(_) | Err(CompleteUploadError::Mismatch(_)) | Err(CompleteUploadError::NotAwaiting(_)) if script => {
            response::json(StatusCode::OK, &json!({ "documents": documents_of(case_id) }))
        }
        Ok(_) | Err(CompleteUploadError::Mismatch(_)) | Err(CompleteUploadError::NotAwaiting(_)) => {
            response::redirect(&documents_of(case_id))
        }
        Err(CompleteUploadError::NotFound) => refuse(StatusCode::NOT_FOUND, msg::ui_not_found()),
        Err(CompleteUploadError::Missing) => refuse(StatusCode::CONFLICT, msg::ui_upload_missing()),
        Err(error) => {
            tracing::error!(%error, "the upload could not be checked");
            refuse(StatusCode::SERVICE_UNAVAILABLE, msg::detail_nothing_changed_retry())
        }
    }
}

/// A file posted with the form, and the form's token.
#[derive(Default)]
struct Posted {
    csrf: String,
    file: Option<(String, String, Vec<u8>)>,
}

/// Reads the multipart form: the token and the first file. `Err` when the body is not one, or
/// is larger than the form takes.
async fn read_form(request: &Request) -> Result<Posted, Message> {
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let boundary = multer::parse_boundary(content_type).map_err(|_| msg::ui_upload_choose())?;
    let limits = multer::SizeLimit::new().whole_stream(FORM_UPLOAD_BYTES + FORM_OVERHEAD_BYTES);
    let body = std::io::Cursor::new(request.body().to_vec());
    let mut form =
        multer::Multipart::with_reader_with_constraints(body, boundary, multer::Constraints::new().size_limit(limits));
    let too_big = || msg::ui_upload_too_big_for_form(FORM_UPLOAD_BYTES / (1024 * 1024));
    let mut posted = Posted::default();
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(multer::Error::StreamSizeExceeded { .. }) => return Err(too_big()),
            Err(_) => return Err(msg::ui_upload_choose()),
        };
        match field.name() {
            Some(CSRF_FIELD) => posted.csrf = field.text().await.map_err(|_| msg::ui_upload_choose())?,
            Some("file") if posted.file.is_none() => {
                let name = field.file_name().unwrap_or_default().to_owned();
                let kind = field.content_type().map(ToString::to_string).unwrap_or_default();
                let bytes = match field.bytes().await {
                    Ok(bytes) => bytes.to_vec(),
                    Err(multer::Error::StreamSizeExceeded { .. }) => return Err(too_big()),
                    Err(_) => return Err(msg::ui_upload_choose()),
                };
                if !name.is_empty() && !bytes.is_empty() {
                    posted.file = Some((name, kind, bytes));
                }
            }
            _ => {}
        }
    }
    Ok(posted)
}

/// `POST /app/cases/{id}/uploads`: the upload form without JavaScript (the file in the body).
pub async fn form_upload(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let locale = signed_in.session.locale;
    let Some(case_id) = parse_id(id) else { return response::not_found(locale) };
    let posted = read_form(request).await;
    // The token is checked here because it travels inside the multipart body; a body too large
    // to read is refused before anything is written, whoever sent it.
    if let Ok(posted) = &posted
        && !signed_in.csrf_is(&posted.csrf)
    {
        return response::forbidden(signed_in);
    }
    let refused = |reason: Message| async move {
        let outcome = Outcome { upload_error: Some(reason.render(locale)), ..Default::default() };
        render(console, signed_in, id, StatusCode::UNPROCESSABLE_ENTITY, outcome).await
    };
    let (file_name, content_type, bytes) = match posted {
        Ok(Posted { file: Some(file), .. }) => file,
        Ok(Posted { file: None, .. }) => return refused(msg::ui_upload_choose()).await,
        Err(reason) => return refused(reason).await,
    };
    let Some(files) = console.files.as_ref() else {
        return response::message_page(StatusCode::SERVICE_UNAVAILABLE, locale, msg::ui_uploads_unavailable());
    };
    let actor = signed_in.actor.clone();
    let filed =
        console.services.file_upload(&actor, case_id, file_name, content_type.clone(), &bytes, files.as_ref()).await;
    match filed {
        // A mismatch marks the document failed, with the reason in the section.
        Ok(_) | Err(FileUploadError::Complete(CompleteUploadError::Mismatch(_))) => {
            response::redirect(&documents_of(case_id))
        }
        Err(FileUploadError::Begin(BeginUploadError::NotFound)) => response::not_found(locale),
        Err(FileUploadError::Begin(BeginUploadError::Archived)) => refused(msg::title_case_archived()).await,
        Err(FileUploadError::Begin(BeginUploadError::Invalid(errors))) => {
            let reason = reasons(errors, &content_type).into_iter().next().unwrap_or_else(msg::ui_upload_choose);
            refused(reason).await
        }
        Err(error) => {
            tracing::error!(%error, "the uploaded file could not be filed");
            response::unavailable(locale)
        }
    }
}
