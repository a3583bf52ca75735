//! What the console's tests share: the demo console, requests, and reading answers.
#![allow(dead_code)] // each test binary uses its own part

use std::sync::Arc;

use gestiona_console::{Console, SignIn};
use gestiona_domain::TenantId;
use gestiona_domain::ports::{SystemClock, UlidGenerator};
use gestiona_domain::service::Services;
use gestiona_domain::testing::{MemoryStore, RecordingQueue};
use http::{Method, StatusCode, header};
use lambda_http::{Body, Request, Response};

/// A demo user as the use cases see them.
pub fn demo_actor(user: &str, role: gestiona_domain::Role) -> gestiona_domain::Actor {
    gestiona_domain::Actor::with_role(
        &TenantId::parse("demo").unwrap(),
        &gestiona_domain::UserId::parse(user).unwrap(),
        role,
    )
}

/// The console on the in-memory store with the demo tenant, signing in with the demo users.
pub async fn console() -> Console {
    Console::new(demo_services().await, SignIn::LocalDemo, true)
}

/// Makes the demo administrator read English (the directory says so), as they sign in next.
pub async fn admin_reads_english(services: &Services) {
    let user = gestiona_domain::user::User {
        id: gestiona_domain::UserId::parse("admin").unwrap(),
        name: "Admin".into(),
        email: "admin@demo.example".into(),
        locale: "en".into(),
        profile: None,
        active: true,
    };
    services.put_user(&gestiona_domain::TenantId::parse("demo").unwrap(), &user).await.unwrap();
}

pub async fn demo_services() -> Services {
    demo_services_on(Arc::new(SystemClock)).await
}

/// The demo tenant on `clock`: for what depends on the hour (reminders go out at the ladder's
/// sending hour in the tenant's time zone).
pub async fn demo_services_on(clock: Arc<dyn gestiona_domain::ports::Clock>) -> Services {
    let services = Services::new(
        Arc::new(MemoryStore::new()),
        Arc::new(RecordingQueue::default()),
        clock,
        Arc::new(UlidGenerator::default()),
    );
    let demo = TenantId::parse("demo").unwrap();
    services.seed_demo(&demo).await.expect("seed the demo tenant");
    services.seed_demo_receivables(&demo).await.expect("seed the demo invoices");
    services
}

pub fn request(method: Method, path: &str, cookie: Option<&str>, form: Option<&str>) -> Request {
    let mut request = Request::new(Body::Binary(form.unwrap_or_default().as_bytes().to_vec()));
    *request.method_mut() = method;
    *request.uri_mut() = path.parse().unwrap();
    if let Some(cookie) = cookie {
        request.headers_mut().insert(header::COOKIE, cookie.parse().unwrap());
    }
    if form.is_some() {
        request.headers_mut().insert(header::CONTENT_TYPE, "application/x-www-form-urlencoded".parse().unwrap());
    }
    request
}

pub fn text(response: &Response<Body>) -> String {
    match response.body() {
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        _ => String::new(),
    }
}

pub fn header_of<'a>(response: &'a Response<Body>, name: &str) -> &'a str {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// Signs in as `user` and returns the cookie and the session's CSRF token.
pub async fn sign_in(console: &Console, user: &str) -> (String, String) {
    let response = console.handle(request(Method::POST, "/app/sign-in", None, Some(&format!("user={user}")))).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let set_cookie = header_of(&response, "set-cookie");
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax") && set_cookie.contains("Secure"));
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let page = text(&console.handle(request(Method::GET, "/app/cases", Some(&cookie), None)).await);
    let csrf = page.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    (cookie, csrf)
}

/// A form body as a browser posts it.
pub fn encode(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// The value of the first hidden (or any) input named `name` on a page.
pub fn input_value(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\"")).nth(1).expect(name).split('"').next().unwrap().to_owned()
}
