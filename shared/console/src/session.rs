//! The session cookie, the CSRF check, and the language of a page.

use gestiona_domain::Locale;
use gestiona_domain::service::Services;
use gestiona_domain::service::sessions::{LIFETIME_SECONDS, Session};
use http::header;
use lambda_http::{Body, Request, Response};
use subtle::ConstantTimeEq;

use crate::response;

pub const COOKIE: &str = "gestiona_session";
/// The form field and the htmx header that carry the session's CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A signed-in request: the session and the secret that found it.
pub struct SignedIn {
    pub session: Session,
    pub secret: String,
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

/// The language of a page before anyone signed in: the one the browser prefers, Spanish when
/// it names neither.
pub fn locale_of(request: &Request) -> Locale {
    let header = request.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    header.and_then(Locale::preferred).unwrap_or(Locale::Es)
}

/// The request's live session, or the answer that sends the user to sign in and back here.
pub async fn signed_in(services: &Services, request: &Request) -> Result<SignedIn, Response<Body>> {
    let found = match cookie_value(request, COOKIE) {
        Some(secret) => match services.session(&secret).await {
            Ok(session) => session.map(|session| SignedIn { session, secret }),
            Err(error) => {
                tracing::error!(%error, "the session could not be read");
                return Err(response::unavailable(locale_of(request)));
            }
        },
        None => None,
    };
    found.ok_or_else(|| response::to_sign_in(request))
}
