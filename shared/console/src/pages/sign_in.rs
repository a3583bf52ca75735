//! Signing in and out. On the local runner, a page lists the demo users; a deployment on AWS
//! signs in through Cognito's managed login (see [`crate::cognito`]) and never shows that page.

use askama::Template;
use gestiona_domain::access_log::AccessAction;
use gestiona_domain::messages as msg;
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::access::AuthorizeError;
use gestiona_domain::service::seed::DEMO_USERS;
use gestiona_domain::{Actor, Locale, Message, Role, TenantId, UserId};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::{page, query_value};
use crate::cognito::{self, Attempt, SignInError};
use crate::session::{self, SignedIn};
use crate::{Console, SignIn, assets, response};

const DEMO_TENANT: &str = "demo";

struct DemoUser {
    id: String,
    name: String,
    role: &'static str,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    locale: Locale,
    stylesheet: String,
    next: String,
    users: Vec<DemoUser>,
}

impl SignInPage {
    fn t(&self, message: Message) -> String {
        message.render(self.locale)
    }
}

/// Only paths of the console itself: a sign-in link cannot send the user elsewhere.
fn safe_next(next: Option<String>) -> String {
    next.filter(|n| n.starts_with("/app/") && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or_else(|| "/app/".into())
}

pub async fn form(console: &Console, request: &Request) -> Response<Body> {
    let locale = session::locale_of(request);
    let next = safe_next(query_value(request, "next"));
    match &console.sign_in {
        SignIn::LocalDemo => demo_users(console, locale, next).await,
        SignIn::Cognito(cognito) => {
            let (location, cookie) = cognito.begin(next, locale, console.secure_cookies);
            let mut response = response::redirect(&location);
            response.headers_mut().insert(http::header::SET_COOKIE, cookie.parse().expect("a valid cookie"));
            response
        }
        SignIn::Unconfigured => {
            response::sign_in_refused(StatusCode::SERVICE_UNAVAILABLE, locale, msg::ui_sign_in_not_configured())
        }
    }
}

/// The company the local sign-in signs into: the one the runner serves, else the demo.
fn local_tenant(console: &Console) -> TenantId {
    console.local_tenant.clone().unwrap_or_else(|| TenantId::parse(DEMO_TENANT).expect("a valid tenant id"))
}

/// Who may sign in locally, with the role their session starts with: in the demo, its users
/// with the roles of their tokens, then anyone invited since; elsewhere the active staff of the
/// company the runner serves (their directory profile decides what they may do; the role only
/// names the least).
async fn local_users(console: &Console) -> Vec<(UserId, String, Role)> {
    let tenant = local_tenant(console);
    let staff = PageRequest::new(Some(100), None).expect("a valid page size");
    let system = Actor::system(&tenant);
    let directory = match console.services.list_users(&system, &staff).await {
        Ok(page) => page.items.into_iter().map(|u| u.value).collect(),
        Err(error) => {
            tracing::error!(?error, "the company's staff could not be listed");
            Vec::new()
        }
    };
    let mut users = Vec::new();
    if tenant.as_str() == DEMO_TENANT {
        for (id, role) in DEMO_USERS {
            let user_id = UserId::parse(id).expect("demo user ids are valid");
            let name = directory.iter().find(|u| u.id == user_id).map_or_else(|| (*id).to_owned(), |u| u.name.clone());
            users.push((user_id, name, *role));
        }
    }
    for user in directory.into_iter().filter(|u| u.active) {
        if !users.iter().any(|(id, _, _)| *id == user.id) {
            users.push((user.id, user.name, Role::Agent));
        }
    }
    users
}

async fn demo_users(console: &Console, locale: Locale, next: String) -> Response<Body> {
    let users = local_users(console)
        .await
        .into_iter()
        .map(|(id, name, role)| DemoUser { id: id.to_string(), name, role: role.as_str() })
        .collect();
    page(StatusCode::OK, &SignInPage { locale, stylesheet: assets::stylesheet_path(), next, users })
}

pub async fn submit(console: &Console, request: &Request) -> Response<Body> {
    let locale = session::locale_of(request);
    if !matches!(console.sign_in, SignIn::LocalDemo) {
        return response::not_found(locale);
    }
    // No session yet, so no CSRF token: a sign-in posted from another site is refused by origin.
    if !same_origin(request) {
        return response::status_page(StatusCode::FORBIDDEN, locale);
    }
    let chosen = session::form_value(request, "user").unwrap_or_default();
    let Some((user, _, role)) = local_users(console).await.into_iter().find(|(id, _, _)| id.as_str() == chosen) else {
        return response::status_page(StatusCode::UNPROCESSABLE_ENTITY, locale);
    };
    let tenant = local_tenant(console);
    let actor = Actor { from: Some(session::origin(request)), ..Actor::with_role(&tenant, &user, role) };
    start_session(console, actor, locale, &safe_next(session::form_value(request, "next"))).await
}

/// Where Cognito's managed login sends the browser back: the code is redeemed and its ID token
/// verified (see [`crate::cognito`]), then the session starts like a local one.
pub async fn callback(console: &Console, request: &Request) -> Response<Body> {
    let locale = session::locale_of(request);
    let SignIn::Cognito(cognito) = &console.sign_in else {
        return response::not_found(locale);
    };
    let attempt = session::cookie_value(request, cognito::FLOW_COOKIE).and_then(|v| Attempt::from_cookie(&v));
    let (state, code) = (query_value(request, "state").unwrap_or_default(), query_value(request, "code"));
    let outcome = match code {
        Some(code) => cognito.finish(attempt.as_ref(), &state, &code).await,
        // The user cancelled, or the pool refused (`error=access_denied`).
        None => Err(SignInError::Refused(query_value(request, "error").unwrap_or_default())),
    };
    let mut response = match outcome {
        Ok(actor) => {
            let next = attempt.map(|a| a.next).unwrap_or_default();
            let actor = Actor { from: Some(session::origin(request)), ..actor };
            start_session(console, actor, locale, &safe_next(Some(next))).await
        }
        Err(error) => {
            let (status, text) = match &error {
                SignInError::NoAccess(_) => (StatusCode::FORBIDDEN, msg::ui_sign_in_no_access()),
                SignInError::Unreachable(_) => (StatusCode::BAD_GATEWAY, msg::ui_sign_in_unavailable()),
                _ => (StatusCode::FORBIDDEN, msg::ui_sign_in_failed()),
            };
            tracing::warn!(%error, "a console sign-in did not complete");
            response::sign_in_refused(status, locale, text)
        }
    };
    // The attempt is spent either way.
    let spent = cognito::flow_cookie(None, console.secure_cookies);
    response.headers_mut().append(http::header::SET_COOKIE, spent.parse().expect("a valid cookie"));
    response
}

/// Records the session of `actor` (in the language of their directory profile, else the
/// browser's; the profile's e-mail when the sign-in named none) and sends the browser on to
/// `next` with its cookie.
async fn start_session(console: &Console, mut actor: Actor, locale: Locale, next: &str) -> Response<Body> {
    // A deactivated user starts no session, whatever the identity provider said.
    match console.services.authorize(actor.clone()).await {
        Ok(_) => {}
        Err(AuthorizeError::Deactivated) => {
            console.services.log_access(&actor, AccessAction::SignInFailed, None).await;
            return response::deactivated(locale);
        }
        Err(AuthorizeError::Store(error)) => {
            tracing::error!(%error, "the user's directory entry could not be read");
            return response::unavailable(locale);
        }
    }
    let profile = console.services.user(&actor.tenant, &actor.user).await.ok().flatten();
    if actor.email.is_none() {
        actor.email = profile.as_ref().map(|u| u.email.clone());
    }
    let language = profile.map_or(locale, |u| Locale::from_tag(&u.locale));
    let secret = session::new_secret();
    if let Err(error) = console.services.start_session(&secret, &actor, language, session::new_secret()).await {
        tracing::error!(%error, "the session could not be stored");
        return response::unavailable(locale);
    }
    console.services.log_access(&actor, AccessAction::SignedIn, None).await;
    let mut response = response::redirect(next);
    let cookie = session::set_cookie(Some(&secret), console.secure_cookies);
    response.headers_mut().insert(http::header::SET_COOKIE, cookie.parse().expect("a valid cookie"));
    response
}

pub async fn sign_out(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    if !signed_in.csrf_ok(request) {
        return response::forbidden(signed_in);
    }
    if let Err(error) = console.services.end_session(&signed_in.secret).await {
        tracing::error!(%error, "the session could not be ended");
        return response::unavailable(signed_in.session.locale);
    }
    let location = match &console.sign_in {
        SignIn::Cognito(cognito) => cognito.sign_out_location(),
        SignIn::LocalDemo | SignIn::Unconfigured => "/app/sign-in".to_owned(),
    };
    let mut response = response::redirect(&location);
    let cookie = session::set_cookie(None, console.secure_cookies);
    response.headers_mut().insert(http::header::SET_COOKIE, cookie.parse().expect("a valid cookie"));
    response
}

/// A browser sends `Origin` on every POST; it must name this host.
fn same_origin(request: &Request) -> bool {
    let host = request.headers().get(http::header::HOST).and_then(|h| h.to_str().ok());
    let origin = request.headers().get(http::header::ORIGIN).and_then(|o| o.to_str().ok());
    match (origin, host) {
        (Some(origin), Some(host)) => {
            origin.split_once("://").is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
        }
        // Not a browser (a test or a script): nothing a cross-site page could forge.
        (None, _) => true,
        (Some(_), None) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_only_returns_into_the_console() {
        assert_eq!(safe_next(Some("/app/cases/1".into())), "/app/cases/1");
        assert_eq!(safe_next(Some("https://evil.example/app/".into())), "/app/");
        assert_eq!(safe_next(Some("//evil.example".into())), "/app/");
        assert_eq!(safe_next(None), "/app/");
    }
}
