//! The session cookie, the CSRF check, and the language of a page.

use gestiona_domain::service::Services;
use gestiona_domain::service::access::AuthorizeError;
use gestiona_domain::service::sessions::{LIFETIME_SECONDS, Session};
use gestiona_domain::{Actor, Locale};
use http::header;
use lambda_http::{Body, Request, Response};
use subtle::ConstantTimeEq;

use crate::response;

pub const COOKIE: &str = "gestiona_session";
/// The form field and the htmx header that carry the session's CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A signed-in request: the session, the secret that found it, and the caller with the
/// profile the tenant's directory gives them (read on every request, so a change of profile
/// or a deactivation applies at once).
pub struct SignedIn {
    pub session: Session,
    pub secret: String,
    pub actor: Actor,
}

impl SignedIn {
    /// Whether a state-changing request carries the session's CSRF token (in the form or, for
    /// htmx, in its header), compared in constant time.
    pub fn csrf_ok(&self, request: &Request) -> bool {
        let expected = self.session.csrf.as_bytes();
        let from_header = request.headers().get(CSRF_HEADER).map(|v| v.as_bytes().to_vec());
        let sent = from_header.or_else(|| form_value(request, CSRF_FIELD).map(String::into_bytes));
        sent.is_some_and(|sent| bool::from(sent.as_slice().ct_eq(expected)))
    }

    /// Whether `sent` is the session's token: for a form whose body is not URL-encoded (a file).
    pub fn csrf_is(&self, sent: &str) -> bool {
        bool::from(sent.as_bytes().ct_eq(self.session.csrf.as_bytes()))
    }
}

/// 32 bytes from the operating system's randomness, as hex.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's randomness");
    hex::encode(bytes)
}

pub fn cookie_value(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

/// The `Set-Cookie` of a new session, or of its removal.
pub fn set_cookie(secret: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match secret {
        Some(secret) => {
            format!("{COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={LIFETIME_SECONDS}{secure}")
        }
        None => format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}

/// One field of an `application/x-www-form-urlencoded` body.
pub fn form_value(request: &Request, name: &str) -> Option<String> {
    form_urlencoded::parse(request.body().as_ref()).find(|(n, _)| n == name).map(|(_, v)| v.into_owned())
}

/// Every value of a field that a form sends several times (checkboxes of one name).
pub fn form_values(request: &Request, name: &str) -> Vec<String> {
    form_urlencoded::parse(request.body().as_ref()).filter(|(n, _)| n == name).map(|(_, v)| v.into_owned()).collect()
}

/// Where a request came from, as the access log writes it: `console` and the client's address.
pub fn origin(request: &Request) -> String {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => match &context.http.source_ip {
            Some(address) => format!("console {address}"),
            None => "console".to_owned(),
        },
        _ => "console".to_owned(),
    }
}

/// The language of a page before anyone signed in: the one the browser prefers, Spanish when
/// it names neither.
pub fn locale_of(request: &Request) -> Locale {
    let header = request.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    header.and_then(Locale::preferred).unwrap_or(Locale::Es)
}

/// The request's live session, or the answer that sends the user to sign in and back here.
pub async fn signed_in(services: &Services, request: &Request) -> Result<SignedIn, Response<Body>> {
    let unavailable = |error: &dyn std::fmt::Display| {
        tracing::error!(%error, "the session could not be read");
        response::unavailable(locale_of(request))
    };
    let Some(secret) = cookie_value(request, COOKIE) else { return Err(response::to_sign_in(request)) };
    let Some(session) = services.session(&secret).await.map_err(|e| unavailable(&e))? else {
        return Err(response::to_sign_in(request));
    };
    match services.authorize(session.actor()).await {
        Ok(actor) => Ok(SignedIn { session, secret, actor: Actor { from: Some(origin(request)), ..actor } }),
        Err(AuthorizeError::Deactivated) => {
            // The session ends with the user's access; signing in again is refused too.
            if let Err(error) = services.end_session(&secret).await {
                tracing::warn!(%error, "the session of a deactivated user could not be removed");
            }
            Err(response::deactivated(session.locale))
        }
        Err(AuthorizeError::Store(e)) => Err(unavailable(&e)),
    }
}
