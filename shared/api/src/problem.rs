//! RFC 9457 problem details: every error the API returns, with a stable `type`.

use gestiona_domain::messages as msg;
use gestiona_domain::ports::StoreError;
use gestiona_domain::{FieldError, FieldProblem, Locale, Message};
use http::StatusCode;
use lambda_http::{Body, Response};
use serde::Serialize;
use serde_json::{Map, Value};

/// Prefix of every problem `type`; the suffix is the stable code clients switch on.
pub const TYPE_PREFIX: &str = "urn:gestiona:problem:";

/// An error response. Boxed, so the `Result`s that carry it stay small on the success path.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem(Box<ProblemDocument>);

/// The problem before it is rendered in the reader's language.
#[derive(Debug, Clone, PartialEq)]
pub struct ProblemDocument {
    pub kind: String,
    pub title: Message,
    pub status: u16,
    pub detail: Option<Message>,
    pub errors: Vec<FieldError>,
    /// Problem-specific members (e.g. `existingId` on a duplicate).
    pub extra: Map<String, Value>,
}

/// The RFC 9457 document as sent.
#[derive(Serialize)]
struct Rendered<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: String,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldProblem>,
    #[serde(flatten)]
    extra: &'a Map<String, Value>,
}

/// The problem document as OpenAPI describes it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ProblemSchema {
    /// `urn:gestiona:problem:{code}`, e.g. `urn:gestiona:problem:validation-failed`.
    #[schema(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    detail: Option<String>,
    errors: Option<Vec<FieldProblem>>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, title: Message) -> Self {
        Self(Box::new(ProblemDocument {
            kind: format!("{TYPE_PREFIX}{code}"),
            title,
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
            extra: Map::new(),
        }))
    }

    pub fn document(&self) -> &ProblemDocument {
        &self.0
    }

    pub fn detail(mut self, detail: Message) -> Self {
        self.0.detail = Some(detail);
        self
    }

    pub fn field(mut self, field: impl Into<String>, reason: Message) -> Self {
        self.0.errors.push(FieldError::new(field, reason));
        self
    }

    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.0.extra.insert(name.into(), value.into());
        self
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", msg::title_not_found())
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut problem = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed", msg::title_validation())
            .detail(msg::detail_see_errors());
        problem.0.errors = errors;
        problem
    }

    pub fn stale(expected: u64) -> Self {
        Self::new(StatusCode::PRECONDITION_FAILED, "stale-version", msg::title_stale())
            .detail(msg::detail_stale(expected))
    }

    pub fn forbidden(detail: Message) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", msg::title_forbidden()).detail(detail)
    }

    pub fn conflict(code: &str, title: Message) -> Self {
        Self::new(StatusCode::CONFLICT, code, title)
    }

    /// A store failure: logged in full, answered without internal details.
    pub fn store(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(reason) => {
                tracing::error!(%reason, "store unavailable");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", msg::title_unavailable())
                    .detail(msg::detail_nothing_changed_retry())
            }
            StoreError::InvalidCursor => Self::validation(vec![FieldError::new("cursor", msg::foreign_cursor())]),
            StoreError::ConditionFailed { name } => {
                tracing::warn!(condition = name, "unexpected condition failure");
                Self::conflict("conflict", msg::title_concurrent_change()).detail(msg::detail_retry())
            }
            other => {
                tracing::error!(error = %other, "store error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", msg::title_internal())
            }
        }
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The field errors in `locale`, as the response carries them.
    pub fn errors_in(&self, locale: Locale) -> Vec<FieldProblem> {
        self.0.errors.iter().map(|e| e.render(locale)).collect()
    }

    /// The response, its reasons in `locale` (and `Content-Language` saying so).
    pub fn into_response(self, locale: Locale) -> Response<Body> {
        let document = &self.0;
        let rendered = Rendered {
            kind: &document.kind,
            title: document.title.render(locale),
            status: document.status,
            detail: document.detail.as_ref().map(|d| d.render(locale)),
            errors: self.errors_in(locale),
            extra: &document.extra,
        };
        let body = serde_json::to_string(&rendered).unwrap_or_else(|_| String::from("{}"));
        Response::builder()
            .status(self.status_code())
            .header(http::header::CONTENT_TYPE, "application/problem+json")
            .header(http::header::CONTENT_LANGUAGE, locale.tag())
            .header(http::header::VARY, "Accept-Language")
            .body(Body::Text(body))
            .expect("a valid response")
    }
}

impl From<gestiona_domain::ValidationErrors> for Problem {
    fn from(errors: gestiona_domain::ValidationErrors) -> Self {
        Self::validation(errors.0)
    }
}

impl From<gestiona_domain::actor::Forbidden> for Problem {
    fn from(e: gestiona_domain::actor::Forbidden) -> Self {
        match e.needed {
            // Which fields, each with why: a form shows the reason under the field.
            gestiona_domain::actor::Needed::Fields(_) => {
                let mut problem =
                    Self::new(StatusCode::FORBIDDEN, "field-not-writable", msg::title_field_not_writable())
                        .detail(e.message());
                problem.0.errors = e.field_errors();
                problem
            }
            _ => Self::forbidden(e.message()),
        }
    }
}

impl From<gestiona_domain::service::ListError> for Problem {
    fn from(e: gestiona_domain::service::ListError) -> Self {
        match e {
            gestiona_domain::service::ListError::Invalid(v) => v.into(),
            gestiona_domain::service::ListError::Store(s) => Problem::store(s),
        }
    }
}
