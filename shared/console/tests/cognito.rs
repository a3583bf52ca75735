//! Signing in through Cognito's managed login, against a stand-in user pool on loopback that
//! speaks the same protocol: the authorization-code flow with PKCE, the token endpoint, the
//! published keys. The keys under `tests/fixtures/` are test keys made for this file only.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode as AxumStatus, header as axum_header};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gestiona_console::cognito::{Cognito, CognitoConfig};
use gestiona_console::{Console, SignIn};
use gestiona_domain::ClaimNames;
use http::{Method, StatusCode, header};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

mod support;

use support::{header_of, text};

const CLIENT: &str = "console-client";
const CALLBACK: &str = "https://crm.example.com/app/auth/callback";
const SIGNED_OUT: &str = "https://crm.example.com/app/sign-in";
const POOL_KEY: &str = include_str!("fixtures/identity-provider-key.pem");
const STRANGER_KEY: &str = include_str!("fixtures/stranger-key.pem");
const JWKS: &str = include_str!("fixtures/identity-provider-jwks.json");

/// What the stand-in pool issues for one code once its user has signed in.
struct Grant {
    challenge: String,
    id_token: String,
}

#[derive(Clone, Default)]
struct Pool {
    grants: Arc<Mutex<HashMap<String, Grant>>>,
    key_fetches: Arc<Mutex<u32>>,
}

/// The token endpoint: one use per code, and only with the verifier whose challenge the login
/// page received (RFC 7636 §4.6).
async fn token(
    State(pool): State<Pool>,
    body: String,
) -> (AxumStatus, [(axum_header::HeaderName, &'static str); 1], String) {
    let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let json_type = [(axum_header::CONTENT_TYPE, "application/json")];
    let refuse = |error: &str| (AxumStatus::BAD_REQUEST, json_type.clone(), json!({ "error": error }).to_string());
    if form.get("grant_type").map(String::as_str) != Some("authorization_code")
        || form.get("client_id").map(String::as_str) != Some(CLIENT)
        || form.get("redirect_uri").map(String::as_str) != Some(CALLBACK)
    {
        return refuse("invalid_request");
    }
    let Some(grant) = form.get("code").and_then(|code| pool.grants.lock().unwrap().remove(code)) else {
        return refuse("invalid_grant");
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge {
        return refuse("invalid_grant");
    }
    let answer =
        json!({ "id_token": grant.id_token, "access_token": "unused", "token_type": "Bearer", "expires_in": 3600 });
    (AxumStatus::OK, json_type, answer.to_string())
}

async fn keys(State(pool): State<Pool>) -> ([(axum_header::HeaderName, &'static str); 1], &'static str) {
    *pool.key_fetches.lock().unwrap() += 1;
    ([(axum_header::CONTENT_TYPE, "application/json")], JWKS)
}

struct Harness {
    console: Console,
    pool: Pool,
    base: String,
    issuer: String,
}

async fn harness() -> Harness {
    let pool = Pool::default();
    let app = Router::new()
        .route("/oauth2/token", post(token))
        .route("/pool/.well-known/jwks.json", get(keys))
        .with_state(pool.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let issuer = format!("{base}/pool");
    harness_at(pool, base, issuer).await
}

async fn harness_at(pool: Pool, base: String, issuer: String) -> Harness {
    let services = support::demo_services().await;
    let cognito = Cognito::new(CognitoConfig {
        login_url: base.clone(),
        issuer: issuer.clone(),
        client_id: CLIENT.into(),
        callback_url: CALLBACK.into(),
        sign_out_url: SIGNED_OUT.into(),
        claims: ClaimNames::default(),
    });
    Harness { console: Console::new(services, SignIn::Cognito(Arc::new(cognito)), true), pool, base, issuer }
}

fn get_request(path: &str, cookie: Option<&str>) -> Request {
    let mut request = Request::new(Body::Empty);
    *request.method_mut() = Method::GET;
    *request.uri_mut() = path.parse().unwrap();
    if let Some(cookie) = cookie {
        request.headers_mut().insert(header::COOKIE, cookie.parse().unwrap());
    }
    request.headers_mut().insert(header::ACCEPT_LANGUAGE, "es-CR,es;q=0.9".parse().unwrap());
    request
}

/// The login page's query parameters and the attempt's cookie, as the browser holds them.
struct Redirected {
    params: HashMap<String, String>,
    cookie: String,
}

async fn start(harness: &Harness, next: &str) -> Redirected {
    let path = format!("/app/sign-in?next={}", form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
    let response = harness.console.handle(get_request(&path, None)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = header_of(&response, "location").to_owned();
    let query = location
        .strip_prefix(&format!("{}/oauth2/authorize?", harness.base))
        .unwrap_or_else(|| panic!("to the managed login: {location}"));
    let params = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let set_cookie = header_of(&response, "set-cookie").to_owned();
    assert!(
        set_cookie.contains("HttpOnly")
            && set_cookie.contains("Secure")
            && set_cookie.contains("SameSite=Lax")
            && set_cookie.contains("Path=/app/auth/callback"),
        "{set_cookie}"
    );
    Redirected { params, cookie: set_cookie.split(';').next().unwrap().to_owned() }
}

fn claims(harness: &Harness, nonce: &str) -> Value {
    let now = jiff::Timestamp::now().as_second();
    json!({
        "sub": "ana", "email": "ana@demo.gestiona.example", "custom:tenant": "demo",
        "cognito:groups": ["agent"], "token_use": "id", "nonce": nonce,
        "iss": harness.issuer, "aud": CLIENT, "iat": now, "exp": now + 3600,
    })
}

fn signed(claims: &Value, pem: &str, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    // A PKCS#1 PEM's body is the key's DER.
    let body: String = pem.lines().filter(|line| !line.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(body).unwrap();
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_der(&der)).unwrap()
}

/// The user signs in at the pool, which sends the browser back with `code`.
fn grant(harness: &Harness, redirected: &Redirected, code: &str, id_token: String) {
    let challenge = redirected.params["code_challenge"].clone();
    harness.pool.grants.lock().unwrap().insert(code.into(), Grant { challenge, id_token });
}

async fn callback(harness: &Harness, code: &str, state: &str, cookie: Option<&str>) -> Response<Body> {
    harness.console.handle(get_request(&format!("/app/auth/callback?code={code}&state={state}"), cookie)).await
}

#[tokio::test]
async fn the_authorization_code_flow_with_pkce_ends_in_a_session_where_the_user_was_going() {
    let harness = harness().await;
    let redirected = start(&harness, "/app/cases?state=abierto").await;
    let params = &redirected.params;
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["client_id"], CLIENT);
    assert_eq!(params["redirect_uri"], CALLBACK);
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["scope"], "openid email profile");
    assert_eq!(params["lang"], "es", "the managed login in the browser's language");
    assert!(params["state"].len() >= 43 && params["nonce"].len() >= 43 && params["code_challenge"].len() == 43);

    grant(&harness, &redirected, "code-1", signed(&claims(&harness, &params["nonce"]), POOL_KEY, "test-key-1"));
    let response = callback(&harness, "code-1", &params["state"], Some(&redirected.cookie)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}", text(&response));
    assert_eq!(header_of(&response, "location"), "/app/cases?state=abierto");
    let cookies: Vec<String> =
        response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let session = cookies.iter().find(|c| c.starts_with("gestiona_session=")).expect("a session cookie");
    assert!(cookies.iter().any(|c| c.starts_with("gestiona_sign_in=;") && c.contains("Max-Age=0")), "{cookies:?}");
    let session = session.split(';').next().unwrap();

    let page = harness.console.handle(get_request("/app/", Some(session))).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(text(&page).contains("Mi trabajo"), "Ana's directory entry says Spanish");

    // The code was spent: the same callback again is refused, and starts no session.
    let again = callback(&harness, "code-1", &params["state"], Some(&redirected.cookie)).await;
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
    assert!(
        again.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().starts_with("gestiona_session="))
    );

    let redirect = harness.console.handle(get_request("/app/sign-in?next=/app/", None)).await;
    let policy = header_of(&redirect, "content-security-policy");
    assert!(policy.is_empty(), "a redirect has no policy: {policy}");
    let home = harness.console.handle(get_request("/app/", Some(session))).await;
    let page_policy = header_of(&home, "content-security-policy");
    assert!(
        page_policy.contains(&format!("form-action 'self' {};", harness.base)),
        "sign-out may end at the login: {page_policy}"
    );
    // Signing out ends the session here and at the managed login.
    let csrf = {
        let html = text(&harness.console.handle(get_request("/app/", Some(session))).await);
        html.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned()
    };
    let mut out = Request::new(Body::Text(format!("_csrf={csrf}")));
    *out.method_mut() = Method::POST;
    *out.uri_mut() = "/app/sign-out".parse().unwrap();
    out.headers_mut().insert(header::COOKIE, session.parse().unwrap());
    out.headers_mut().insert(header::CONTENT_TYPE, "application/x-www-form-urlencoded".parse().unwrap());
    let out = harness.console.handle(out).await;
    let location = header_of(&out, "location").to_owned();
    assert_eq!(
        location,
        format!("{}/logout?client_id={CLIENT}&logout_uri=https%3A%2F%2Fcrm.example.com%2Fapp%2Fsign-in", harness.base)
    );
    assert_eq!(harness.console.handle(get_request("/app/", Some(session))).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_callback_this_browser_did_not_start_is_refused() {
    let harness = harness().await;
    let mine = start(&harness, "/app/").await;
    let theirs = start(&harness, "/app/").await;
    grant(&harness, &theirs, "their-code", signed(&claims(&harness, &theirs.params["nonce"]), POOL_KEY, "test-key-1"));

    // Another attempt's state with this browser's cookie (login CSRF), and no cookie at all.
    let forged = callback(&harness, "their-code", &theirs.params["state"], Some(&mine.cookie)).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(text(&forged).contains("No se pudo completar el inicio de sesión"), "{}", text(&forged));
    let without = callback(&harness, "their-code", &theirs.params["state"], None).await;
    assert_eq!(without.status(), StatusCode::FORBIDDEN);

    // A stolen code with this browser's own state: the verifier does not match its challenge.
    let stolen = callback(&harness, "their-code", &mine.params["state"], Some(&mine.cookie)).await;
    assert_eq!(stolen.status(), StatusCode::FORBIDDEN);

    // The user cancelled at the login page.
    let cancelled = harness
        .console
        .handle(get_request(
            &format!("/app/auth/callback?error=access_denied&state={}", mine.params["state"]),
            Some(&mine.cookie),
        ))
        .await;
    assert_eq!(cancelled.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn only_a_current_id_token_of_this_pool_for_this_client_and_attempt_is_trusted() {
    let harness = harness().await;
    let redirected = start(&harness, "/app/").await;
    let nonce = redirected.params["nonce"].clone();
    let base = claims(&harness, &nonce);
    let with = |change: &dyn Fn(&mut Value)| {
        let mut claims = base.clone();
        change(&mut claims);
        claims
    };
    let now = jiff::Timestamp::now().as_second();
    let refused: Vec<(&str, String)> = vec![
        ("another client", signed(&with(&|c| c["aud"] = json!("someone-else")), POOL_KEY, "test-key-1")),
        ("another issuer", signed(&with(&|c| c["iss"] = json!("https://elsewhere.example")), POOL_KEY, "test-key-1")),
        ("another attempt", signed(&with(&|c| c["nonce"] = json!("replayed")), POOL_KEY, "test-key-1")),
        ("expired", signed(&with(&|c| c["exp"] = json!(now - 600)), POOL_KEY, "test-key-1")),
        ("an access token", signed(&with(&|c| c["token_use"] = json!("access")), POOL_KEY, "test-key-1")),
        ("a key the pool never published", signed(&base, STRANGER_KEY, "test-key-2")),
        ("a published key id over another key", signed(&base, STRANGER_KEY, "test-key-1")),
    ];
    for (n, (why, token)) in refused.into_iter().enumerate() {
        let code = format!("code-{n}");
        grant(&harness, &redirected, &code, token);
        let response = callback(&harness, &code, &redirected.params["state"], Some(&redirected.cookie)).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{why}");
    }
    // The keys were fetched once, then again only for the unknown key id.
    assert_eq!(*harness.pool.key_fetches.lock().unwrap(), 2);

    let outsider = with(&|c| {
        c.as_object_mut().unwrap().remove("custom:tenant");
    });
    grant(&harness, &redirected, "outsider", signed(&outsider, POOL_KEY, "test-key-1"));
    let response = callback(&harness, "outsider", &redirected.params["state"], Some(&redirected.cookie)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(text(&response).contains("no tiene empresa o rol"), "{}", text(&response));
}

#[tokio::test]
async fn an_unreachable_pool_or_a_missing_configuration_says_so() {
    // A port nothing listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let harness = harness_at(Pool::default(), base.clone(), format!("{base}/pool")).await;
    let redirected = start(&harness, "/app/").await;
    let response = callback(&harness, "any", &redirected.params["state"], Some(&redirected.cookie)).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(text(&response).contains("no respondió"), "{}", text(&response));

    let unconfigured = Console::new(support::demo_services().await, SignIn::Unconfigured, true);
    let page = unconfigured.handle(get_request("/app/sign-in", None)).await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(text(&page).contains("no está configurado"));
    // The demo users are the local runner's only.
    for console in [&unconfigured, &harness.console] {
        let mut demo = Request::new(Body::Text("user=ana".into()));
        *demo.method_mut() = Method::POST;
        *demo.uri_mut() = "/app/sign-in".parse().unwrap();
        demo.headers_mut().insert(header::CONTENT_TYPE, "application/x-www-form-urlencoded".parse().unwrap());
        let refused = console.handle(demo).await;
        assert_eq!(refused.status(), StatusCode::NOT_FOUND);
        assert!(refused.headers().get("set-cookie").is_none());
    }
}
