//! The local HTTP server: plays API Gateway. It matches the route, verifies the development
//! token, builds the same payload-v2 event API Gateway would send, and calls the function's
//! handler, so requests run through exactly the code that runs in Lambda.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use base64::Engine;
use gestiona_api::edge;
use gestiona_api::problem::Problem;
use gestiona_api::{Api, Routes};
use gestiona_console::{Console, SignIn};
use gestiona_domain::document::MAX_UPLOAD_BYTES;
use gestiona_domain::messages as msg;
use http::{HeaderMap, Method, StatusCode, Uri, header};
use serde_json::{Value, json};

use crate::blobs::FolderBlobs;
use crate::token::DevTokens;

/// API Gateway refuses larger payloads; so does the runner.
const MAX_PAYLOAD_BYTES: usize = 10 * 1024 * 1024;

/// The runner's clock: the system's, plus an offset an admin can advance (demos, tests of
/// deadlines) — never back, so instants stay ordered.
#[derive(Default)]
pub struct OffsetClock {
    offset_seconds: std::sync::atomic::AtomicI64,
}

impl OffsetClock {
    pub fn advance(&self, seconds: i64) {
        self.offset_seconds.fetch_add(seconds.max(0), std::sync::atomic::Ordering::SeqCst);
    }
}

impl gestiona_domain::ports::Clock for OffsetClock {
    fn now(&self) -> jiff::Timestamp {
        let offset = self.offset_seconds.load(std::sync::atomic::Ordering::SeqCst);
        jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_secs(offset))
            .unwrap_or_else(|_| jiff::Timestamp::now())
    }
}

pub struct Runner {
    api: Api,
    tokens: DevTokens,
    clock: Arc<OffsetClock>,
    /// Plays S3 for presigned download and upload URLs.
    blobs: Arc<FolderBlobs>,
    /// Path template → the routes on it, by method.
    routes: matchit::Router<HashMap<&'static str, Endpoint>>,
    /// Every function's routes by route key, as each function dispatches its own.
    dispatch: Routes,
    /// The staff console at `/`, on the same use cases (the console function on AWS).
    console: Console,
}

/// A route as the runner serves it, with what it needs per request computed once.
struct Endpoint {
    public: bool,
    /// The API Gateway route key the event carries.
    key: String,
}

impl Runner {
    pub fn new(api: Api, tokens: DevTokens, clock: Arc<OffsetClock>, blobs: Arc<FolderBlobs>) -> Self {
        let mut by_path: HashMap<String, HashMap<&'static str, Endpoint>> = HashMap::new();
        for route in gestiona_api::routes::all() {
            let endpoint = Endpoint { public: route.public(), key: route.key() };
            by_path.entry(route.path()).or_default().insert(route.method(), endpoint);
        }
        let mut routes = matchit::Router::new();
        for (path, methods) in by_path {
            routes.insert(path, methods).expect("route templates do not overlap");
        }
        // Plain HTTP on loopback: the session cookie cannot be `Secure` here.
        let console = Console::new(api.services.clone(), SignIn::LocalDemo, false).with_files(blobs.clone(), None);
        Self { api, tokens, clock, blobs, routes, dispatch: Routes::all(), console }
    }

    pub fn router(self: Arc<Self>) -> axum::Router {
        axum::Router::new().fallback(serve).with_state(self)
    }
}

async fn serve(
    State(runner): State<Arc<Runner>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    // The bucket's presigned uploads take what S3 would; everything else what a Lambda would.
    let limit = if parts.uri.path().starts_with(crate::blobs::ROUTE_PREFIX) {
        usize::try_from(MAX_UPLOAD_BYTES).unwrap_or(usize::MAX)
    } else {
        MAX_PAYLOAD_BYTES
    };
    let body = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let problem = Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", msg::title_body_too_large())
                .field("body", msg::at_most_bytes(limit));
            return to_axum(problem.into_response(edge::locale(&parts.headers)));
        }
    };
    to_axum(runner.handle(&parts.method, &parts.uri, &parts.headers, body, peer.ip()).await)
}

impl Runner {
    pub async fn handle(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: Bytes,
        source_ip: IpAddr,
    ) -> lambda_http::Response<lambda_http::Body> {
        if uri.path() == "/_local/clock" {
            return self.clock_control(method, headers, &body);
        }
        if uri.path().starts_with(crate::blobs::ROUTE_PREFIX) {
            return self.blobs.serve(method, uri, headers, &body).await;
        }
        if Console::serves(uri.path()) {
            return self.console.handle(console_request(method, uri, headers, body)).await;
        }
        let matched = match self.routes.at(uri.path()) {
            Ok(matched) => matched,
            Err(_) => {
                return Problem::not_found()
                    .detail(msg::detail_no_route_for(uri.path()))
                    .into_response(edge::locale(headers));
            }
        };
        if *method == Method::OPTIONS {
            // API Gateway answers CORS preflights itself (the API's CorsConfiguration).
            return lambda_http::Response::builder()
                .status(StatusCode::NO_CONTENT)
                .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
                .header(header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, PUT, PATCH, DELETE, OPTIONS")
                .header(header::ACCESS_CONTROL_ALLOW_HEADERS, "authorization, content-type, if-match, idempotency-key")
                .header(header::ACCESS_CONTROL_MAX_AGE, "600")
                .body(lambda_http::Body::Empty)
                .expect("a valid response");
        }
        let Some(endpoint) = matched.value.get(method.as_str()) else {
            let mut allowed: Vec<&str> = matched.value.keys().copied().collect();
            allowed.sort_unstable();
            let mut response =
                Problem::new(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed", msg::title_method_not_allowed())
                    .detail(msg::detail_allows(uri.path(), allowed.join(", ")))
                    .into_response(edge::locale(headers));
            response.headers_mut().insert(header::ALLOW, allowed.join(", ").parse().expect("methods are tokens"));
            return response;
        };
        let claims = if endpoint.public {
            None
        } else {
            match self.verify(headers) {
                Ok(claims) => Some(claims),
                Err(problem) => return problem.into_response(edge::locale(headers)),
            }
        };
        let params: HashMap<String, String> =
            matched.params.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        let event = api_gateway_event(&endpoint.key, &params, method, uri, headers, &body, claims.as_ref(), source_ip);
        match lambda_http::request::from_str(&event.to_string()) {
            Ok(request) => self.api.handle(&self.dispatch, request).await,
            Err(e) => {
                tracing::error!(error = %e, "could not build the API Gateway event");
                Problem::new(StatusCode::BAD_REQUEST, "bad-request", msg::title_bad_request())
                    .into_response(edge::locale(headers))
            }
        }
    }

    /// `GET /_local/clock` tells the runner's time; `POST {"advanceMinutes": n}` (admins) moves it
    /// forward, so deadlines can be reached in a demo. Local runner only.
    fn clock_control(
        &self,
        method: &Method,
        headers: &HeaderMap,
        body: &[u8],
    ) -> lambda_http::Response<lambda_http::Body> {
        let claims = match self.verify(headers) {
            Ok(claims) => claims,
            Err(problem) => return problem.into_response(edge::locale(headers)),
        };
        if *method == Method::POST {
            let is_admin = claims.values().any(|v| v.contains("admin"));
            if !is_admin {
                return Problem::forbidden(msg::detail_clock_admin()).into_response(edge::locale(headers));
            }
            let minutes = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|v| v["advanceMinutes"].as_i64())
                .filter(|m| (1..=525_600).contains(m));
            let Some(minutes) = minutes else {
                return Problem::validation(vec![gestiona_domain::FieldError {
                    field: "advanceMinutes".into(),
                    reason: msg::clock_minutes(),
                }])
                .into_response(edge::locale(headers));
            };
            self.clock.advance(minutes * 60);
        }
        let now = gestiona_domain::ports::Clock::now(self.clock.as_ref());
        let body = json!({ "now": now.to_string() }).to_string();
        lambda_http::Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .body(lambda_http::Body::Text(body))
            .expect("a valid response")
    }

    /// Plays the JWT authorizer: 401 unless a valid bearer token is present.
    fn verify(&self, headers: &HeaderMap) -> Result<HashMap<String, String>, Problem> {
        let unauthorized = |detail| {
            Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", msg::title_unauthenticated()).detail(detail)
        };
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .ok_or_else(|| unauthorized(msg::detail_dev_token()))?;
        self.tokens.verify(token.trim()).map_err(|e| unauthorized(msg::detail_token_refused(e)))
    }
}

/// The console reads the request as the Lambda runtime hands it over: method, path, query,
/// headers and body.
fn console_request(method: &Method, uri: &Uri, headers: &HeaderMap, body: Bytes) -> lambda_http::Request {
    let mut request = lambda_http::Request::new(lambda_http::Body::Binary(body.to_vec()));
    *request.method_mut() = method.clone();
    *request.uri_mut() = uri.clone();
    *request.headers_mut() = headers.clone();
    request
}

/// The API Gateway HTTP API payload-v2 event for one request.
#[expect(clippy::too_many_arguments, reason = "one event field per argument, called once")]
fn api_gateway_event(
    route_key: &str,
    path_parameters: &HashMap<String, String>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    claims: Option<&HashMap<String, String>>,
    source_ip: IpAddr,
) -> Value {
    let mut header_map: HashMap<String, String> = HashMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        header_map
            .entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push(',');
                v.push_str(&value)
            })
            .or_insert(value);
    }
    let raw_query = uri.query().unwrap_or_default();
    let mut query: HashMap<String, String> = HashMap::new();
    for (name, value) in form_urlencoded::parse(raw_query.as_bytes()) {
        query
            .entry(name.into_owned())
            .and_modify(|v| {
                v.push(',');
                v.push_str(&value)
            })
            .or_insert(value.into_owned());
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let (body, is_base64) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (Value::Null, false),
        Ok(text) => (Value::from(text), false),
        Err(_) => (Value::from(base64::engine::general_purpose::STANDARD.encode(body)), true),
    };
    let authorizer = claims.map(|claims| json!({"jwt": {"claims": claims, "scopes": null}}));
    json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": uri.path(),
        "rawQueryString": raw_query,
        "headers": header_map,
        "queryStringParameters": if query.is_empty() { Value::Null } else { json!(query) },
        "pathParameters": if path_parameters.is_empty() { Value::Null } else { json!(path_parameters) },
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "local",
            "http": {
                "method": method.as_str(),
                "path": uri.path(),
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip.to_string(),
                "userAgent": headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default(),
            },
            "requestId": format!("local-{}", now.as_nanos()),
            "routeKey": route_key,
            "stage": "$default",
            "time": "",
            "timeEpoch": now.as_millis() as u64,
            "authorizer": authorizer,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    })
}

fn to_axum(response: lambda_http::Response<lambda_http::Body>) -> axum::response::Response {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        lambda_http::Body::Empty => Bytes::new(),
        lambda_http::Body::Text(text) => Bytes::from(text),
        lambda_http::Body::Binary(data) => Bytes::from(data),
        _ => Bytes::new(),
    };
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}
