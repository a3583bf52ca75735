//! Request parsing and response building shared by every handler.

use std::str::FromStr;

use gestiona_domain::messages as msg;
use gestiona_domain::service::PageRequest;
use gestiona_domain::{EntityId, FieldError, Locale, Message};
use gestiona_domain::{ExpectedVersion, Page, Versioned};
use http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::problem::Problem;

/// Largest request body accepted. API Gateway allows 10 MB; no Gestiona request needs more than
/// this, and a larger body is refused before it is parsed.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The language to answer in: the first of Spanish or English that the client's
/// `Accept-Language` prefers, English when it names neither (API clients seldom send one).
pub fn locale(headers: &http::HeaderMap) -> Locale {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .and_then(Locale::preferred)
        .unwrap_or(Locale::En)
}

/// Parses a JSON body: content type, size, syntax, then shape, naming the offending field.
pub fn json_body<T: DeserializeOwned>(request: &Request) -> Result<T, Problem> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    let is_json = content_type.as_deref().is_some_and(|t| t == "application/json" || t.ends_with("+json"));
    if !is_json {
        return Err(Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", msg::title_send_json())
            .detail(msg::detail_send_json())
            .field("Content-Type", msg::got_content_type(content_type.as_deref().unwrap_or("-"))));
    }
    let bytes = request.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", msg::title_body_too_large())
            .field("body", msg::body_too_large(MAX_BODY_BYTES, bytes.len())));
    }
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Err(malformed(msg::empty_body())),
        // serde would read an array into a struct field by field; requests are objects.
        Some(b'{') => {}
        Some(_) if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_err() => {
            return Err(malformed(msg::invalid_json("-")));
        }
        Some(_) => {
            return Err(Problem::validation(vec![FieldError::new("body", msg::json_object())]));
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(&mut deserializer) {
        // One JSON value and nothing after it but whitespace: `{…}garbage` is not a request.
        Ok(value) => deserializer.end().map(|()| value).map_err(|_| malformed(msg::trailing_content())),
        Err(error) if error.inner().is_syntax() || error.inner().is_eof() => {
            Err(malformed(msg::invalid_json(strip_position(&error.into_inner().to_string()))))
        }
        // The shape is wrong where serde stopped; the rest must still be JSON to say so.
        Err(error) if !error.inner().to_string().starts_with("invalid type: floating point") => {
            serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(unparsable)?;
            Err(shape_problem(error))
        }
        // JSON has one kind of number (RFC 8259 §6): `100.0` and `1e2` are the integer 100 to a
        // client, not to serde. Only then is the body read again with integral numbers as such.
        Err(_) => {
            let mut value: serde_json::Value = serde_json::from_slice(bytes).map_err(unparsable)?;
            integral_numbers(&mut value);
            serde_path_to_error::deserialize(value).map_err(shape_problem)
        }
    }
}

fn unparsable(error: serde_json::Error) -> Problem {
    let reason = strip_position(&error.to_string());
    if reason.starts_with("trailing characters") {
        malformed(msg::trailing_content())
    } else {
        malformed(msg::invalid_json(reason))
    }
}

/// A body that is JSON but not the request's shape: 422 naming the field.
fn shape_problem<E: std::fmt::Display>(error: serde_path_to_error::Error<E>) -> Problem {
    let path = error.path().to_string();
    let reason = strip_position(&error.into_inner().to_string());
    let field = field_of(&path, &reason);
    Problem::validation(vec![FieldError::new(field, serde_reason(&reason))])
}

/// Writes every number with no fractional part that fits an integer as that integer.
fn integral_numbers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(number) => {
            // Only where a float holds every integer exactly (|n| ≤ 2^53): beyond that a
            // literal such as -9223372036854775809 has already been rounded into range, and
            // is left a float for the field's type check to refuse.
            const EXACT: f64 = 9_007_199_254_740_992.0;
            let integral = number.as_f64().filter(|f| number.is_f64() && f.fract() == 0.0 && f.abs() <= EXACT);
            if let Some(float) = integral {
                *number = (float as i64).into();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(fields) => fields.values_mut().for_each(integral_numbers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

fn malformed(reason: Message) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, "malformed-body", msg::title_malformed_json()).field("body", reason)
}

/// A deserialisation error in the catalogue's words: serde says what was expected in Rust's
/// terms, so only what a client can act on is kept.
fn serde_reason(reason: &str) -> Message {
    let expected = || {
        let list = reason.split_once("expected ").map_or("", |(_, rest)| rest);
        list.strip_prefix("one of ").unwrap_or(list).replace('`', "")
    };
    if reason.starts_with("missing field") {
        msg::required()
    } else if reason.starts_with("unknown field") {
        msg::unknown_request_field(expected())
    } else if reason.starts_with("unknown variant") {
        msg::one_of(expected())
    } else {
        msg::invalid_value(reason)
    }
}

/// serde_json appends " at line L column C"; the field path says more to an API client.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// The field a deserialisation error is about. serde's path already ends at an unknown
/// field, but stops at the parent of a missing one.
fn field_of(path: &str, reason: &str) -> String {
    let named = |marker: &str| reason.strip_prefix(marker).and_then(|rest| rest.split('`').next());
    match (path, named("missing field `"), named("unknown field `")) {
        (".", Some(name), _) | (".", _, Some(name)) => name.to_owned(),
        (_, Some(name), _) => format!("{path}.{name}"),
        (".", None, None) => "body".to_owned(),
        _ => path.to_owned(),
    }
}

/// The versions a change may replace, from `If-Match` (RFC 9110 §13.1.1): `*`, or a list of
/// entity tags compared strongly. 428 when it is missing or is not a list of tags; 412 when no
/// tag can ever match (weak tags, tags no version of ours has), like a stale version.
pub fn if_match(request: &Request) -> Result<ExpectedVersion, Problem> {
    let Some(value) = if_match_value(request) else {
        return Err(Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition-required",
            msg::title_if_match_required(),
        )
        .detail(msg::detail_if_match_required()));
    };
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(ExpectedVersion::Any);
    }
    let Some(tags) = entity_tags(text) else {
        return Err(Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition-required",
            msg::title_if_match_one_version(),
        )
        .field("If-Match", msg::etag_expected(text)));
    };
    let mut versions: Vec<u64> =
        tags.iter().filter(|tag| !tag.weak).filter_map(|tag| tag.opaque.parse().ok()).collect();
    let never = |reason| {
        Problem::new(StatusCode::PRECONDITION_FAILED, "stale-version", msg::title_stale()).field("If-Match", reason)
    };
    match versions.len() {
        0 if tags.iter().all(|tag| tag.weak) => Err(never(msg::weak_etag())),
        0 => Err(never(msg::etag_expected(text))),
        1 => Ok(ExpectedVersion::Exactly(versions[0])),
        _ => {
            versions.dedup();
            Ok(ExpectedVersion::AnyOf(versions))
        }
    }
}

/// `If-Match` where it is optional (settings saved with or without a prior read).
pub fn optional_if_match(request: &Request) -> Result<Option<ExpectedVersion>, Problem> {
    if if_match_value(request).is_some() { if_match(request).map(Some) } else { Ok(None) }
}

/// The `If-Match` field, unless it is absent or empty: an empty list names no tag, so it asks
/// for nothing (RFC 9110 §5.6.1 has recipients ignore empty list elements).
fn if_match_value(request: &Request) -> Option<&HeaderValue> {
    request.headers().get(header::IF_MATCH).filter(|value| !value.as_bytes().trim_ascii().is_empty())
}

/// One `entity-tag` of a header: `W/"…"` or `"…"`.
struct EntityTag<'a> {
    weak: bool,
    opaque: &'a str,
}

/// `#entity-tag` (RFC 9110 §8.8.3): tags separated by commas and optional whitespace. An opaque
/// tag may itself hold commas, so the list is read quote by quote. `None` when it is not one.
fn entity_tags(mut text: &str) -> Option<Vec<EntityTag<'_>>> {
    let mut tags = Vec::new();
    loop {
        text = text.trim_start_matches([' ', '\t', ',']);
        if text.is_empty() {
            return (!tags.is_empty()).then_some(tags);
        }
        let weak = text.starts_with("W/");
        let quoted = text.strip_prefix("W/").unwrap_or(text).strip_prefix('"')?;
        let close = quoted.find('"')?;
        let opaque = &quoted[..close];
        if opaque.bytes().any(|b| b < 0x21 || b == 0x7f) {
            return None;
        }
        tags.push(EntityTag { weak, opaque });
        text = &quoted[close + 1..];
        if !(text.is_empty() || text.starts_with([' ', '\t', ','])) {
            return None;
        }
    }
}

/// Whether `If-None-Match` names the response's entity tag (RFC 9110 §13.1.2: weak comparison,
/// `*` or a list), so a GET can answer 304 Not Modified.
pub fn none_match(if_none_match: &str, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let current = opaque(etag);
    if_none_match.trim() == "*" || if_none_match.split(',').any(|tag| opaque(tag) == current)
}

pub fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("digits are a valid header value")
}

/// An id from the path. Anything that is not an id is "not found", like an id of another tenant.
pub fn path_id(request: &Request, name: &str) -> Result<EntityId, Problem> {
    request
        .path_parameters_ref()
        .and_then(|p| p.first(name))
        .and_then(|id| EntityId::parse(id).ok())
        .ok_or_else(Problem::not_found)
}

pub fn path_param(request: &Request, name: &str) -> Option<String> {
    request.path_parameters_ref().and_then(|p| p.first(name)).map(str::to_owned)
}

/// Query-string access with typed, field-named errors.
pub struct QueryParams<'a>(&'a Request);

impl<'a> QueryParams<'a> {
    pub fn of(request: &'a Request) -> Self {
        Self(request)
    }

    pub fn text(&self, name: &str) -> Option<String> {
        self.0
            .query_string_parameters_ref()
            .and_then(|q| q.first(name))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    pub fn parse<T: FromStr>(&self, name: &str, reason: Message) -> Result<Option<T>, Problem> {
        match self.text(name) {
            None => Ok(None),
            Some(raw) => raw.parse().map(Some).map_err(|_| Problem::validation(vec![FieldError::new(name, reason)])),
        }
    }

    /// A value of an enumeration by its wire name (`high`, `walkIn`); `allowed` lists them for
    /// the error.
    pub fn wire_name<T: serde::de::DeserializeOwned>(&self, name: &str, allowed: &str) -> Result<Option<T>, Problem> {
        let read = |raw: String| {
            serde_json::from_value(serde_json::Value::String(raw))
                .map_err(|_| Problem::validation(vec![FieldError::new(name, msg::one_of(allowed))]))
        };
        self.text(name).map(read).transpose()
    }

    pub fn flag(&self, name: &str) -> Result<bool, Problem> {
        Ok(self.parse::<bool>(name, msg::true_or_false())?.unwrap_or(false))
    }

    pub fn page(&self) -> Result<PageRequest, Problem> {
        let limit = self.parse::<u32>("limit", msg::page_limit(gestiona_domain::service::MAX_PAGE_SIZE))?;
        PageRequest::new(limit, self.text("cursor")).map_err(Problem::from)
    }
}

/// An entity with its version, as the API returns it.
#[derive(Serialize)]
pub struct WithVersion<'a, T: Serialize> {
    #[serde(flatten)]
    value: &'a T,
    version: u64,
}

/// An entity as the API serves it: its fields and its `version` (the value of its ETag). Named
/// in a route's declaration as `Record<T>`; the document's `{T}Record` schema is `T`'s with
/// `version` added (see `openapi::contract`), so a request schema `T` stays closed.
pub struct Record<T>(std::marker::PhantomData<T>);

// `ComposeSchema` (utoipa's generic form of `PartialSchema`) is what a declaration's
// `ListResponse<Record<T>>` asks of its argument.
impl<T: utoipa::ToSchema> utoipa::__dev::ComposeSchema for Record<T> {
    fn compose(
        _generics: Vec<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>>,
    ) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::Ref::from_schema_name(format!("{}{}", T::name(), RECORD_SUFFIX)).into()
    }
}

impl<T: utoipa::ToSchema> utoipa::ToSchema for Record<T> {
    fn name() -> std::borrow::Cow<'static, str> {
        format!("{}{}", T::name(), RECORD_SUFFIX).into()
    }

    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
}

/// What `Record<T>` appends to `T`'s schema name.
pub const RECORD_SUFFIX: &str = "Record";

/// Rows of a report or of a short list that is never paged, as the API returns them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Rows<T: utoipa::ToSchema> {
    pub items: Vec<T>,
}

/// A page of a list, as the API returns it.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse<T: utoipa::ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    let body = serde_json::to_string(value).expect("API values serialise");
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(body))
        .expect("a valid response")
}

pub fn versioned<T: Serialize>(status: StatusCode, entity: &Versioned<T>) -> Response<Body> {
    let mut response = json(status, &WithVersion { value: &entity.value, version: entity.version });
    response.headers_mut().insert(header::ETAG, etag(entity.version));
    response
}

pub fn created<T: Serialize>(location: String, entity: &Versioned<T>) -> Response<Body> {
    let mut response = versioned(StatusCode::CREATED, entity);
    let location = HeaderValue::from_str(&location).expect("locations are ASCII paths");
    response.headers_mut().insert(header::LOCATION, location);
    response
}

/// A page as [`ListResponse`] documents it, borrowed from the use case's answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listing<'a, T: Serialize> {
    items: Vec<WithVersion<'a, T>>,
    next_cursor: &'a Option<String>,
}

impl<'a, T: Serialize> Listing<'a, T> {
    pub fn of(page: &'a Page<Versioned<T>>) -> Self {
        let items = page.items.iter().map(|v| WithVersion { value: &v.value, version: v.version }).collect();
        Listing { items, next_cursor: &page.next_cursor }
    }
}

pub fn page<T: Serialize>(page: &Page<Versioned<T>>) -> Response<Body> {
    json(StatusCode::OK, &Listing::of(page))
}

pub fn no_content() -> Response<Body> {
    Response::builder().status(StatusCode::NO_CONTENT).body(Body::Empty).expect("a valid response")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly() {
        assert!(none_match("\"3\"", "\"3\""));
        assert!(none_match("W/\"3\"", "\"3\""), "weak comparison ignores W/");
        assert!(none_match("\"1\", \"3\"", "\"3\""), "any tag of a list");
        assert!(none_match("*", "\"3\""));
        assert!(!none_match("\"2\"", "\"3\""));
        assert!(!none_match("\"33\"", "\"3\""));
    }

    #[test]
    fn fields_are_named_from_serde_errors() {
        assert_eq!(field_of(".", "unknown field `nmae`, expected one of `name`"), "nmae");
        assert_eq!(field_of("nmae", "unknown field `nmae`, expected one of `name`"), "nmae");
        assert_eq!(field_of("amount.cur", "unknown field `cur`, expected `currency`"), "amount.cur");
        assert_eq!(field_of(".", "missing field `subject`"), "subject");
        assert_eq!(field_of("amount", "missing field `currency`"), "amount.currency");
        assert_eq!(field_of("priority", "unknown variant `top`"), "priority");
        assert_eq!(field_of(".", "invalid type: integer `1`, expected struct"), "body");
        assert_eq!(strip_position("expected value at line 1 column 2"), "expected value");
    }
}
