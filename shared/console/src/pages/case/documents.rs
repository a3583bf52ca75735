//! A case's documents on its page: the list with each one's state and download link, and the
//! form that generates one from a template, its fields asked in words. A document being
//! prepared refreshes its section every two seconds where htmx runs (a link elsewhere).

use gestiona_domain::document::{Document, DocumentStatus, DocumentTemplate, MAX_UPLOAD_BYTES, UPLOAD_CONTENT_TYPES};
use gestiona_domain::format;
use gestiona_domain::messages as msg;
use gestiona_domain::service::documents::{
    DocumentRequest, DownloadLinkError, GetDocumentError, RequestDocumentError, download_link,
};
use gestiona_domain::{EntityId, Locale};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};

use super::fields::{Control, FieldInput, form_fields};
use super::uploads::FORM_UPLOAD_BYTES;
use super::{Draft, Outcome, parse_id, render};
use crate::pages::Chrome;
use crate::pages::input::{parse_amount, parse_number};
use crate::session::SignedIn;
use crate::{Console, response};

/// How long a download link works: long enough to start the download, short enough that a
/// forwarded link is useless.
const LINK_SECONDS: u64 = 300;
/// Line rows the quote and invoice forms offer.
pub const LINE_ROWS: usize = 5;

pub struct DocumentView {
    pub name: String,
    pub status: String,
    pub tone: &'static str,
    pub at: String,
    pub download: Option<String>,
    pub errors: Vec<String>,
}

impl DocumentView {
    pub fn of(document: &Document, chrome: &Chrome) -> Self {
        let (status, tone) = match document.status {
            DocumentStatus::Queued => (msg::ui_doc_queued(), "paused"),
            DocumentStatus::AwaitingUpload => (msg::ui_doc_awaiting_upload(), "paused"),
            DocumentStatus::Ready => (msg::ui_doc_ready(), "met"),
            DocumentStatus::Failed => (msg::ui_doc_failed(), "breached"),
        };
        let download = (document.status == DocumentStatus::Ready)
            .then(|| format!("/app/cases/{}/documents/{}", document.case_id, document.id));
        Self {
            name: document.file_name.clone(),
            status: chrome.t(status),
            tone,
            at: chrome.when(document.ready_at.unwrap_or(document.requested_at)),
            download,
            errors: document.errors.iter().map(|e| e.line_in(chrome.locale)).collect(),
        }
    }
}

/// A template the user may generate, and whether its form is the open one.
pub struct TemplateLink {
    pub key: &'static str,
    pub title: &'static str,
    pub open: bool,
}

/// The open generation form: the template and its inputs.
pub struct DocumentForm {
    pub template: &'static str,
    pub title: &'static str,
    pub inputs: Vec<FieldInput>,
    /// Quote and invoice: rows of description, quantity and unit price.
    pub lines: Vec<[FieldInput; 3]>,
    pub lines_error: Option<String>,
    pub locale: String,
    pub notify: bool,
}

/// The section's data: the documents newest first, the templates, and the open form.
pub struct DocumentsSection {
    pub documents: Vec<DocumentView>,
    /// Some document is being prepared: the section refreshes itself.
    pub pending: bool,
    pub templates: Vec<TemplateLink>,
    pub form: Option<DocumentForm>,
    /// The types the upload form takes, for its `accept`.
    pub accept: String,
    pub upload_hint: String,
    pub upload_error: Option<String>,
}

impl DocumentsSection {
    pub fn of(
        documents: &[Document],
        open: Option<DocumentTemplate>,
        draft: Option<&Draft>,
        chrome: &Chrome,
        currency: &str,
    ) -> Self {
        let views: Vec<DocumentView> = documents.iter().rev().map(|d| DocumentView::of(d, chrome)).collect();
        let templates = DocumentTemplate::ALL
            .iter()
            .map(|t| TemplateLink { key: t.key(), title: t.title(chrome.locale), open: Some(*t) == open })
            .collect();
        let form = open.map(|template| form(template, draft, chrome, currency));
        let hint = msg::ui_upload_hint(MAX_UPLOAD_BYTES / (1024 * 1024), FORM_UPLOAD_BYTES / (1024 * 1024));
        Self {
            pending: documents.iter().any(|d| d.status == DocumentStatus::Queued),
            documents: views,
            templates,
            form,
            accept: UPLOAD_CONTENT_TYPES.join(","),
            upload_hint: chrome.t(hint),
            upload_error: None,
        }
    }
}

/// A template field's label and control.
fn field(name: &str, locale: Locale) -> (String, Control) {
    let (label, control) = match name {
        "number" => (msg::doc_field_number(), Control::Text),
        "validUntil" => (msg::doc_field_valid_until(), Control::Date),
        "dueDate" => (msg::doc_field_due_date(), Control::Date),
        "currency" => (msg::doc_field_currency(), Control::Text),
        "taxRatePercent" => (msg::doc_field_tax_rate(), Control::Number),
        "notes" => (msg::doc_field_notes(), Control::LongText),
        "reference" => (msg::doc_field_reference(), Control::Text),
        "amountDueMinor" => (msg::doc_field_amount_due(), Control::Money),
        "subject" => (msg::doc_field_subject(), Control::Text),
        "body" => (msg::doc_field_body(), Control::LongText),
        "principalMinor" => (msg::doc_field_principal(), Control::Money),
        "place" => (msg::doc_field_place(), Control::Text),
        "annualInterestPercent" => (msg::doc_field_annual_interest(), Control::Number),
        "lateInterestPercent" => (msg::doc_field_late_interest(), Control::Number),
        other => return (other.to_owned(), Control::Text),
    };
    (label.render(locale), control)
}

fn input(name: &str, label: String, control: Control, required: bool, draft: Option<&Draft>) -> FieldInput {
    FieldInput {
        name: name.to_owned(),
        dom_id: format!("doc-{}", name.replace(['.', '[', ']'], "-")),
        label,
        control,
        value: draft.and_then(|d| d.values.get(name).cloned()).unwrap_or_default(),
        options: Vec::new(),
        required,
        read_only: false,
        error: draft.and_then(|d| d.errors.get(name).cloned()),
    }
}

fn form(template: DocumentTemplate, draft: Option<&Draft>, chrome: &Chrome, currency: &str) -> DocumentForm {
    let locale = chrome.locale;
    let draft = draft.filter(|d| d.target == template.key());
    let mut inputs = Vec::new();
    let mut lines = Vec::new();
    for (name, _, required) in template.contract() {
        if *name == "lines" {
            for n in 1..=LINE_ROWS {
                let first = n == 1;
                lines.push([
                    input(
                        &format!("line{n}.description"),
                        msg::ui_doc_line_description(n).render(locale),
                        Control::Text,
                        first,
                        draft,
                    ),
                    input(
                        &format!("line{n}.quantity"),
                        msg::ui_doc_line_quantity(n).render(locale),
                        Control::Number,
                        first,
                        draft,
                    ),
                    input(
                        &format!("line{n}.price"),
                        msg::ui_doc_line_price(n).render(locale),
                        Control::Money,
                        first,
                        draft,
                    ),
                ]);
            }
            continue;
        }
        let (mut label, control) = field(name, locale);
        if control == Control::Money {
            label = format!("{label} ({currency})");
        }
        let mut field = input(name, label, control, *required, draft);
        if *name == "currency" && draft.is_none() {
            field.value = currency.to_owned();
        }
        inputs.push(field);
    }
    DocumentForm {
        template: template.key(),
        title: template.title(locale),
        inputs,
        lines,
        lines_error: draft.and_then(|d| d.errors.get("lines").cloned()),
        locale: draft.and_then(|d| d.values.get("locale").cloned()).unwrap_or_default(),
        notify: draft.is_some_and(|d| d.values.contains_key("notify")),
    }
}

/// The template's fields as the document request takes them; errors by input name.
fn read(template: DocumentTemplate, draft: &mut Draft, currency: &str, locale: Locale) -> Map<String, Value> {
    let mut fields = Map::new();
    let currency = draft
        .values
        .get("currency")
        .map(|c| c.trim().to_uppercase())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| currency.to_owned());
    let exponent = format::exponent(&currency);
    let mut errors = Vec::new();
    for (name, _, _) in template.contract() {
        if *name == "lines" {
            let mut lines = Vec::new();
            for n in 1..=LINE_ROWS {
                let cell = |part: &str| {
                    draft.values.get(&format!("line{n}.{part}")).map(|v| v.trim().to_owned()).unwrap_or_default()
                };
                let (description, quantity, price) = (cell("description"), cell("quantity"), cell("price"));
                if description.is_empty() && quantity.is_empty() && price.is_empty() {
                    continue;
                }
                let quantity_value = parse_number(&quantity);
                let price_value = parse_amount(&price, exponent);
                if quantity_value.is_none() {
                    errors.push((format!("line{n}.quantity"), msg::must_be_a_number()));
                }
                if price_value.is_none() {
                    errors.push((format!("line{n}.price"), msg::ui_amount_format()));
                }
                if let (Some(quantity), Some(price)) = (quantity_value, price_value) {
                    lines.push(
                        serde_json::json!({"description": description, "quantity": quantity, "unitPriceMinor": price}),
                    );
                }
            }
            if !lines.is_empty() {
                fields.insert("lines".into(), Value::Array(lines));
            }
            continue;
        }
        let text = draft.values.get(*name).map(|v| v.trim().to_owned()).unwrap_or_default();
        if text.is_empty() {
            continue;
        }
        let (_, control) = field(name, locale);
        let value = match control {
            Control::Money => parse_amount(&text, exponent).map(Value::from).ok_or_else(msg::ui_amount_format),
            Control::Number => parse_number(&text).map(Value::Number).ok_or_else(msg::must_be_a_number),
            _ if *name == "currency" => Ok(Value::from(currency.clone())),
            _ => Ok(Value::from(text)),
        };
        match value {
            Ok(value) => {
                fields.insert((*name).to_owned(), value);
            }
            Err(reason) => errors.push(((*name).to_owned(), reason)),
        }
    }
    for (name, reason) in errors {
        draft.errors.insert(name, reason.render(locale));
    }
    fields
}

/// The input a document request's error belongs to: `fields.dueDate` → `dueDate`, a line's
/// error → the lines.
fn input_of(field: &str) -> String {
    let field = field.strip_prefix("fields.").unwrap_or(field);
    if field.starts_with("lines") { "lines".to_owned() } else { field.to_owned() }
}

/// `POST /app/cases/{id}/documents`: asks for the document; the worker renders it.
pub async fn generate(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let locale = signed_in.session.locale;
    let Some(case_id) = parse_id(id) else { return response::not_found(locale) };
    let values = form_fields(request.body().as_ref());
    let Some(template) = values.get("template").and_then(|t| DocumentTemplate::parse(t)) else {
        return response::status_page(StatusCode::BAD_REQUEST, locale);
    };
    let currency = match console.services.tenant(&signed_in.session.tenant).await {
        Ok(tenant) => tenant.map_or_else(|| "CRC".to_owned(), |t| t.currency),
        Err(error) => {
            tracing::error!(%error, "the tenant could not be read");
            return response::unavailable(locale);
        }
    };
    let mut draft = Draft { target: template.key().to_owned(), values, errors: Default::default() };
    let fields = read(template, &mut draft, &currency, locale);
    let failed = |draft: Draft, status| async move {
        let outcome = Outcome { document: Some(draft), ..Default::default() };
        render(console, signed_in, id, status, outcome).await
    };
    if !draft.errors.is_empty() {
        return failed(draft, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let document_request = DocumentRequest {
        template: template.key().to_owned(),
        locale: draft.values.get("locale").filter(|l| matches!(l.as_str(), "es" | "en")).cloned(),
        fields,
        notify: draft.values.contains_key("notify"),
    };
    match console.services.request_document(&signed_in.actor, case_id, document_request).await {
        Ok(_) => response::redirect(&format!("/app/cases/{case_id}#documents-heading")),
        Err(RequestDocumentError::NotFound) => response::not_found(locale),
        Err(RequestDocumentError::Archived) => {
            draft.errors.insert("template".into(), msg::title_case_archived().render(locale));
            failed(draft, StatusCode::CONFLICT).await
        }
        Err(RequestDocumentError::Invalid(errors)) => {
            for error in errors.0 {
                let text = error.reason.render(locale);
                let input = input_of(&error.field);
                // Errors about the case itself (no addressee) have no input: they go on top.
                let known = input == "lines" || template.contract().iter().any(|(n, _, _)| *n == input);
                let key = if known { input } else { "template".to_owned() };
                let text = if known { text } else { format!("{}: {text}", error.field) };
                draft.errors.insert(key, text);
            }
            failed(draft, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(RequestDocumentError::Store(error)) => {
            tracing::error!(%error, "the document could not be requested");
            response::unavailable(locale)
        }
    }
}

/// `GET /app/cases/{id}/documents/{doc}`: sends the browser to a short-lived download link.
pub async fn download(console: &Console, signed_in: &SignedIn, id: &str, document: &str) -> Response<Body> {
    let locale = signed_in.session.locale;
    let (Some(case_id), Ok(document_id)) = (parse_id(id), EntityId::parse(document)) else {
        return response::not_found(locale);
    };
    let found = match console.services.get_document(&signed_in.actor, case_id, document_id).await {
        Ok(found) => found.value,
        Err(GetDocumentError::NotFound) => return response::not_found(locale),
        Err(GetDocumentError::Store(error)) => {
            tracing::error!(%error, "the document could not be read");
            return response::unavailable(locale);
        }
    };
    if found.status != DocumentStatus::Ready {
        return response::message_page(StatusCode::CONFLICT, locale, msg::ui_doc_not_ready());
    }
    let Some(links) = console.files.as_ref() else {
        return response::message_page(StatusCode::SERVICE_UNAVAILABLE, locale, msg::ui_downloads_unavailable());
    };
    match download_link(&found, links.as_ref(), LINK_SECONDS).await {
        Ok(url) => response::redirect(&url),
        Err(DownloadLinkError::Missing | DownloadLinkError::Replaced) => {
            response::message_page(StatusCode::CONFLICT, locale, msg::ui_doc_altered())
        }
        Err(DownloadLinkError::Blob(error)) => {
            tracing::error!(%error, "no download link");
            response::unavailable(locale)
        }
    }
}

/// The message shown for the errors of a whole form, not of one input.
pub fn form_error(draft: Option<&Draft>) -> Option<String> {
    draft.and_then(|d| d.errors.get("template").cloned())
}
