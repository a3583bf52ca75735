//! Responses of the console: pages with their security headers, redirects, error pages.

use gestiona_domain::Locale;
use gestiona_domain::messages as msg;
use http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};

use crate::session::SignedIn;

/// No inline script or style anywhere, so the policy can forbid them.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const CSP_HEADER: &str = "Content-Security-Policy";

/// Lets a page's forms end at `origin` too: signing out is a form whose answer redirects to the
/// managed login, and browsers hold a form's redirects to `form-action`.
pub fn allow_form_target(response: &mut Response<Body>, origin: &str) {
    amend_policy(response, |policy| policy.replace("form-action 'self'", &format!("form-action 'self' {origin}")));
}

/// Lets a page's script send files to `origin`: uploads go from the browser straight to the
/// documents bucket.
pub fn allow_upload_target(response: &mut Response<Body>, origin: &str) {
    amend_policy(response, |policy| format!("{policy}; connect-src 'self' {origin}"));
}

/// Rewrites the page's policy, if the response is a page.
fn amend_policy(response: &mut Response<Body>, amend: impl FnOnce(&str) -> String) {
    let Some(policy) = response.headers().get(CSP_HEADER).and_then(|v| v.to_str().ok()) else { return };
    if let Ok(value) = HeaderValue::from_str(&amend(policy)) {
        response.headers_mut().insert(CSP_HEADER, value);
    }
}

/// An answer to the console's own script (never cached, never sniffed).
pub fn json(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .header("X-Content-Type-Options", "nosniff")
        .body(Body::Text(body.to_string()))
        .expect("a valid response")
}

/// A page: HTML that may show personal data, so never stored by a cache.
pub fn html(status: StatusCode, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::VARY, "HX-Request, Cookie")
        .header(CSP_HEADER, CSP)
        .header("X-Content-Type-Options", "nosniff")
        .header("Referrer-Policy", "same-origin")
        .body(Body::Text(body))
        .expect("a valid response")
}

/// A file to save (an export): never cached, never sniffed into something else.
pub fn download(file_name: &str, content_type: &str, body: String) -> Response<Body> {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\""))
        .header(header::CACHE_CONTROL, "no-store")
        .header("X-Content-Type-Options", "nosniff")
        .body(Body::Text(body))
        .expect("a valid response")
}

/// `303 See Other`: where a form post goes next (the browser then GETs it).
pub fn redirect(location: &str) -> Response<Body> {
    let mut response = Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::Empty)
        .expect("a valid response");
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Sends the user to sign in and back to where they were; an htmx request is told to load
/// the sign-in page as a whole (a fragment swap would put it inside the page), and to come
/// back to the page it was on (`HX-Current-URL`), not to the fragment it asked for.
pub fn to_sign_in(request: &Request) -> Response<Body> {
    let path_and_query = |uri: &http::Uri| match uri.query() {
        Some(query) => format!("{}?{query}", uri.path()),
        None => uri.path().to_owned(),
    };
    let htmx = request.headers().contains_key("hx-request");
    let page = request
        .headers()
        .get("hx-current-url")
        .and_then(|v| v.to_str().ok())
        .and_then(|url| url.parse::<http::Uri>().ok())
        .filter(|_| htmx);
    let back = match page {
        Some(page) => path_and_query(&page),
        None if request.method() == http::Method::GET => path_and_query(request.uri()),
        None => "/app/".to_owned(),
    };
    let target = format!("/app/sign-in?next={}", form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>());
    if htmx {
        let mut response = html(StatusCode::OK, String::new());
        if let Ok(value) = HeaderValue::from_str(&target) {
            response.headers_mut().insert("HX-Redirect", value);
        }
        return response;
    }
    redirect(&target)
}

/// A page that only says what happened (errors, refusals), escaped by askama like every page.
#[derive(askama::Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    locale: Locale,
    title: &'a str,
    text: &'a str,
}

fn plain_page(status: StatusCode, locale: Locale, title: &str, text: &str) -> Response<Body> {
    let body = askama::Template::render(&MessagePage { locale, title, text }).unwrap_or_else(|_| title.to_owned());
    html(status, body)
}

pub fn not_found(locale: Locale) -> Response<Body> {
    plain_page(
        StatusCode::NOT_FOUND,
        locale,
        &msg::title_not_found().render(locale),
        &msg::ui_not_found().render(locale),
    )
}

pub fn forbidden(signed_in: &SignedIn) -> Response<Body> {
    let locale = signed_in.session.locale;
    plain_page(
        StatusCode::FORBIDDEN,
        locale,
        &msg::title_forbidden().render(locale),
        &msg::ui_form_expired().render(locale),
    )
}

/// A sign-in that did not end in a session, with the way to start again.
pub fn sign_in_refused(status: StatusCode, locale: Locale, text: gestiona_domain::Message) -> Response<Body> {
    plain_page(status, locale, &msg::ui_sign_in().render(locale), &text.render(locale))
}

/// A page that says one thing: why the request could not be done.
pub fn message_page(status: StatusCode, locale: Locale, text: gestiona_domain::Message) -> Response<Body> {
    let title = status.canonical_reason().unwrap_or_default();
    plain_page(status, locale, title, &text.render(locale))
}

/// The user's profile does not allow this page or action: what it needs, in their language.
pub fn not_permitted(locale: Locale, why: gestiona_domain::Message) -> Response<Body> {
    plain_page(StatusCode::FORBIDDEN, locale, &msg::title_forbidden().render(locale), &why.render(locale))
}

/// The user was deactivated: the session has just ended.
pub fn deactivated(locale: Locale) -> Response<Body> {
    not_permitted(locale, msg::detail_user_deactivated())
}

pub fn unavailable(locale: Locale) -> Response<Body> {
    let (title, text) = (msg::title_unavailable().render(locale), msg::detail_nothing_changed_retry().render(locale));
    plain_page(StatusCode::SERVICE_UNAVAILABLE, locale, &title, &text)
}

pub fn status_page(status: StatusCode, locale: Locale) -> Response<Body> {
    let reason = status.canonical_reason().unwrap_or_default();
    plain_page(status, locale, reason, reason)
}
