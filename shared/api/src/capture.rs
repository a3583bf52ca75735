//! The public lead-capture endpoint, `/f/{tenant}/{form}`: the only route without a token.
//!
//! `GET` serves the ready-made form page (or, to `Accept: application/json`, the fields and a
//! signed timestamp for a page of one's own). `POST` takes a plain HTML form
//! (`application/x-www-form-urlencoded`, answered `303 See Other`) or JSON (answered `201` for
//! a new lead, `202` otherwise). CORS preflights are API Gateway's (its `CorsConfiguration`);
//! the form's allowed origins are enforced here, on every request, with a 403.
//! Spam is answered like success on purpose: a bot learns nothing from the response.

use std::net::IpAddr;
use std::sync::OnceLock;

use gestiona_domain::form::{FieldTarget, FormDefinition, PostMeta, TOKEN_FIELD};
use gestiona_domain::lead::form_body::{self, BodyError, Fields};
use gestiona_domain::messages as msg;
use gestiona_domain::service::forms::{GetFormError, IncomingPost, SubmitFormError};
use gestiona_domain::service::leads::PostOutcome;
use gestiona_domain::{FieldError, FormId, Locale, TenantId, ValidationErrors};
use handlebars::Handlebars;
use http::{HeaderValue, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::json;

use crate::Api;
use crate::edge;
use crate::problem::{Problem, ProblemSchema};

/// Largest post accepted: a contact form is a few kilobytes.
pub const MAX_POST_BYTES: usize = 64 * 1024;
const PAGE_TEMPLATE: &str = include_str!("../../../templates/forms/page.html.hbs");

fn pages() -> &'static Handlebars<'static> {
    static PAGES: OnceLock<Handlebars<'static>> = OnceLock::new();
    PAGES.get_or_init(|| {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_template_string("page", PAGE_TEMPLATE).expect("the form page template parses");
        registry
    })
}

fn header_text(request: &Request, name: header::HeaderName) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The form named by the path; an unknown tenant or form is simply not found.
fn target(request: &Request) -> Result<(TenantId, FormId), Problem> {
    let tenant = edge::path_param(request, "tenant").and_then(|t| TenantId::parse(&t).ok());
    let form = edge::path_param(request, "form").and_then(|f| FormId::parse(&f).ok());
    tenant.zip(form).ok_or_else(Problem::not_found)
}

fn wants_html(request: &Request) -> bool {
    header_text(request, header::ACCEPT).is_some_and(|a| a.contains("text/html"))
}

/// The caller's address as API Gateway saw it (never a header a client can set).
fn source_ip(request: &Request) -> String {
    let raw = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
        _ => None,
    };
    raw.and_then(|ip| ip.parse::<IpAddr>().ok()).map_or_else(|| "unknown".into(), |ip| ip.to_string())
}

fn with_cors(mut response: Response<Body>, origin: Option<&str>) -> Response<Body> {
    if let Some(value) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

fn origin_refused() -> Problem {
    Problem::forbidden(msg::detail_form_origin()).field("Origin", msg::origin_not_allowed())
}

fn form_problem(e: GetFormError) -> Problem {
    match e {
        GetFormError::NotFound => Problem::not_found(),
        GetFormError::Store(s) => Problem::store(s),
    }
}

/// `GET /f/{tenant}/{form}`: the page, or its JSON description with a fresh timestamp.
#[utoipa::path(get, path = "/f/{tenant}/{form}", tag = "public forms", description = "The ready-made form page (Accept: text/html) or, otherwise, the fields, honeypot name and a signed timestamp (`_ts`) for a page of your own.",
    params(("tenant" = TenantId, Path), ("form" = FormId, Path), ("sent" = Option<String>, Query, description = "Show the thank-you message")),
    responses((status = 200, description = "text/html page or JSON description"), (status = 404, body = ProblemSchema, content_type = "application/problem+json")))]
pub async fn page(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let (tenant, form) = target(request)?;
    let (definition, token) = api.services.form_for_page(&tenant, &form).await.map_err(form_problem)?;
    let origin = header_text(request, header::ORIGIN);
    if !definition.allows_origin(origin.as_deref()) {
        return Err(origin_refused());
    }
    let sent = edge::QueryParams::of(request).text("sent").is_some();
    if !wants_html(request) {
        let fields: Vec<_> = definition
            .fields
            .iter()
            .map(|f| json!({"name": f.name, "maps": f.maps, "required": f.required, "label": f.label, "hiddenValue": f.hidden_value, "maxLength": max_length(f)}))
            .collect();
        let body = json!({
            "name": definition.name,
            "fields": fields,
            "tokenField": TOKEN_FIELD,
            "token": token,
            "honeypot": definition.honeypot,
            "minFillSeconds": definition.min_fill_seconds,
        });
        let mut response = edge::json(StatusCode::OK, &body);
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(with_cors(response, origin.as_deref()));
    }
    let html = render_page(&definition, &tenant, &form, &token, sent, &Fields::new(), &[]);
    Ok(with_cors(html_response(StatusCode::OK, html), origin.as_deref()))
}

fn max_length(field: &gestiona_domain::form::FormField) -> u32 {
    field.max_length.unwrap_or(match field.maps {
        FieldTarget::Message => 5_000,
        FieldTarget::Campaign | FieldTarget::Custom(_) => 500,
        FieldTarget::Phone => 40,
        FieldTarget::Email => 254,
        _ => 200,
    })
}

fn html_response(status: StatusCode, html: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action *")
        .body(Body::Text(html))
        .expect("a valid response")
}

fn render_page(
    definition: &FormDefinition,
    tenant: &TenantId,
    form: &FormId,
    token: &str,
    sent: bool,
    previous: &Fields,
    errors: &[FieldError],
) -> String {
    let locale = Locale::from_tag(&definition.locale);
    let english = locale == Locale::En;
    let labels = if english {
        json!({"send": "Send", "thanks": "Thank you. We received your message and will be in touch soon.", "fix": "Please correct the following:"})
    } else {
        json!({"send": "Enviar", "thanks": "Gracias. Recibimos su mensaje y le contactaremos pronto.", "fix": "Por favor corrija lo siguiente:"})
    };
    let label_of = |name: &str| {
        definition
            .fields
            .iter()
            .find(|f| f.name == name)
            .map_or_else(|| name.to_owned(), |f| f.label.clone().unwrap_or_else(|| f.name.clone()))
    };
    let fields: Vec<_> = definition
        .fields
        .iter()
        .map(|f| {
            let value = previous.iter().find(|(n, _)| n == &f.name).map(|(_, v)| v.clone());
            let error = errors.iter().find(|e| e.field == f.name).map(|e| e.reason.render(locale));
            json!({
                "name": f.name,
                "label": f.label.clone().unwrap_or_else(|| f.name.clone()),
                "required": f.required,
                "hidden": f.hidden_value.is_some(),
                "value": value.or_else(|| f.hidden_value.clone()).unwrap_or_default(),
                "multiline": f.maps == FieldTarget::Message,
                "type": match f.maps { FieldTarget::Email => "email", FieldTarget::Phone => "tel", _ => "text" },
                "maxLength": max_length(f),
                "error": error,
            })
        })
        .collect();
    let errors: Vec<_> =
        errors.iter().map(|e| json!({"label": label_of(&e.field), "reason": e.reason.render(locale)})).collect();
    let data = json!({
        "locale": definition.locale,
        "form": {"name": definition.name},
        "action": format!("/f/{tenant}/{form}"),
        "token": token,
        "sent": sent,
        "fields": fields,
        "errors": errors,
        "honeypot": definition.honeypot,
        "labels": labels,
    });
    pages().render("page", &data).unwrap_or_else(|e| {
        tracing::error!(error = %e, "form page failed to render");
        String::from("<!doctype html><title>Error</title><p>The form is unavailable.</p>")
    })
}

fn body_problem(e: BodyError) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, "malformed-body", msg::title_body_unreadable()).field(e.field, e.reason)
}

/// Reads the post's fields by its content type, within the size limit.
fn read_fields(request: &Request) -> Result<(Fields, bool), Problem> {
    let content_type = header_text(request, header::CONTENT_TYPE)
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    let urlencoded = match content_type.as_deref() {
        Some("application/x-www-form-urlencoded") => true,
        Some("application/json") => false,
        other => {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                msg::title_send_form_or_json(),
            )
            .detail(msg::detail_send_form_or_json())
            .field("Content-Type", msg::got_content_type(other.unwrap_or("-"))));
        }
    };
    let bytes = request.body().as_ref();
    if bytes.len() > MAX_POST_BYTES {
        let problem =
            Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", msg::title_form_post_too_large());
        return Err(match urlencoded.then(|| form_body::largest_urlencoded_field(bytes)).flatten() {
            Some((field, size)) => problem.field(field, msg::field_too_large(size, MAX_POST_BYTES)),
            None => problem.field("body", msg::body_too_large(MAX_POST_BYTES, bytes.len())),
        });
    }
    let fields = if urlencoded { form_body::parse_urlencoded(bytes) } else { form_body::parse_json(bytes) };
    fields.map(|f| (f, urlencoded)).map_err(body_problem)
}

/// `POST /f/{tenant}/{form}`.
#[utoipa::path(post, path = "/f/{tenant}/{form}", tag = "public forms",
    description = "A form post. application/x-www-form-urlencoded is answered 303 to the form's redirect (or its thank-you page); JSON is answered 201 {status: created, leadId} for a new lead and 202 {status: received} otherwise. Spam is answered like success. Idempotency-Key (or the form's `_ts`) makes a retry return the first answer.",
    params(("tenant" = TenantId, Path), ("form" = FormId, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, description = "A new lead"), (status = 202, description = "Received (attached to an existing lead, or held for review)"),
              (status = 303, description = "Browser post: go to the redirect"),
              (status = 400, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 413, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 415, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")))]
pub async fn submit(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let (tenant, form) = target(request)?;
    let origin = header_text(request, header::ORIGIN);
    let (fields, urlencoded) = read_fields(request)?;
    let meta = PostMeta {
        ip: source_ip(request),
        origin: origin.clone(),
        user_agent: header_text(request, header::USER_AGENT).map(|u| u.chars().take(300).collect()),
        ..Default::default()
    }
    .with_referrer(header_text(request, header::REFERER));
    let idempotency_key = header_text(request, header::HeaderName::from_static("idempotency-key"));
    if idempotency_key.as_ref().is_some_and(|k| k.len() > 255) {
        return Err(Problem::validation(vec![FieldError::new("Idempotency-Key", msg::at_most_chars(255))]));
    }
    let post = IncomingPost { tenant: tenant.clone(), form: form.clone(), fields, meta, idempotency_key };
    let submitted = post.fields.clone();
    let receipt = match api.services.submit_form(post).await {
        Ok(receipt) => receipt,
        Err(SubmitFormError::Invalid(errors)) if urlencoded && wants_html(request) => {
            return invalid_page(api, &tenant, &form, &submitted, errors, origin.as_deref()).await;
        }
        Err(e) => return Err(submit_problem(e)),
    };
    if urlencoded {
        let location = receipt.redirect.clone().unwrap_or_else(|| format!("/f/{tenant}/{form}?sent=1"));
        let response = Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, HeaderValue::from_str(&location).map_err(|_| Problem::not_found())?)
            .body(Body::Empty)
            .expect("a valid response");
        return Ok(with_cors(response, origin.as_deref()));
    }
    let (status, body) = match &receipt.outcome {
        PostOutcome::Created { lead_id, submission_id } => {
            (StatusCode::CREATED, json!({"status": "created", "leadId": lead_id, "submissionId": submission_id}))
        }
        PostOutcome::AttachedToLead { lead_id, submission_id } => {
            (StatusCode::ACCEPTED, json!({"status": "received", "leadId": lead_id, "submissionId": submission_id}))
        }
        PostOutcome::AttachedToContact { submission_id, .. } | PostOutcome::Quarantined { submission_id } => {
            (StatusCode::ACCEPTED, json!({"status": "received", "submissionId": submission_id}))
        }
        PostOutcome::Dropped => (StatusCode::ACCEPTED, json!({"status": "received"})),
    };
    let mut body = body;
    if let Some(redirect) = &receipt.redirect {
        body["redirect"] = json!(redirect);
    }
    let mut response = edge::json(status, &body);
    if receipt.replayed {
        response.headers_mut().insert("Idempotent-Replayed", HeaderValue::from_static("true"));
    }
    Ok(with_cors(response, origin.as_deref()))
}

async fn invalid_page(
    api: &Api,
    tenant: &TenantId,
    form: &FormId,
    submitted: &Fields,
    errors: ValidationErrors,
    origin: Option<&str>,
) -> Result<Response<Body>, Problem> {
    let (definition, token) = api.services.form_for_page(tenant, form).await.map_err(form_problem)?;
    // The fresh timestamp would make a quick correction look automated; keep the original.
    let token = submitted.iter().find(|(n, _)| n == TOKEN_FIELD).map_or(token, |(_, v)| v.clone());
    let html = render_page(&definition, tenant, form, &token, false, submitted, &errors.0);
    Ok(with_cors(html_response(StatusCode::UNPROCESSABLE_ENTITY, html), origin))
}

fn submit_problem(e: SubmitFormError) -> Problem {
    match e {
        SubmitFormError::FormNotFound => Problem::not_found(),
        SubmitFormError::OriginNotAllowed => origin_refused(),
        SubmitFormError::Invalid(v) => v.into(),
        SubmitFormError::Store(s) => Problem::store(s),
    }
}
