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
use gestiona_domain::{Actor, ClaimNames, Role, TenantId};
use http::{HeaderMap, Method, StatusCode, Uri, header};
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use crate::blobs::FolderBlobs;
use crate::token::DevTokens;

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
    /// The one tenant a single-tenant runner serves (`serve --tenant`): only then may its clock,
    /// which every tenant shares, be moved.
    tenant: Option<TenantId>,
    clock: Arc<OffsetClock>,
    /// Plays S3 for presigned download and upload URLs.
    blobs: Arc<FolderBlobs>,
    /// Path template → the routes on it, by method.
    routes: matchit::Router<HashMap<&'static str, Endpoint>>,
    /// Every function's routes by route key, as each function dispatches its own.
    dispatch: Routes,
    /// The staff console at `/`, on the same use cases (the console function on AWS).
    console: Console,
    /// For a request's body to arrive whole (408 after).
    body_timeout: std::time::Duration,
}

/// A route as the runner serves it, with what it needs per request computed once.
struct Endpoint {
    public: bool,
    /// The API Gateway route key the event carries.
    key: String,
}

impl Runner {
    pub fn new(
        api: Api,
        tokens: DevTokens,
        tenant: Option<TenantId>,
        clock: Arc<OffsetClock>,
        blobs: Arc<FolderBlobs>,
    ) -> Self {
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
        let console = Console::new(api.services.clone(), SignIn::LocalDemo, false)
            .with_files(blobs.clone(), None)
            .signing_in_to(tenant.clone());
        let body_timeout = std::time::Duration::from_secs(30);
        Self { api, tokens, tenant, clock, blobs, routes, dispatch: Routes::all(), console, body_timeout }
    }

    pub fn with_body_timeout(mut self, body_timeout: std::time::Duration) -> Self {
        self.body_timeout = body_timeout;
        self
    }

    pub fn router(self: Arc<Self>) -> axum::Router {
        axum::Router::new().fallback(serve).with_state(self)
    }
}

/// The request body limits, as API Gateway and Lambda would apply them: the API's JSON and form
/// routes read at most the edge's limit (a form's handler refuses above its own, naming the
/// field), the console takes what a Lambda request carries, the bucket what S3 would.
const CONSOLE_BODY_BYTES: usize = 6 * 1024 * 1024;
const CLOCK_BODY_BYTES: usize = 1024;

/// What a request is for, decided from its head alone: no body is read for a request that is
/// refused anyway (no route, no token, another tenant, a declared size above the limit).
enum Destination<'r> {
    Clock,
    Bucket,
    Console,
    /// An API route, by its route key (borrowed from the runner's table: nothing is copied per
    /// request but the path parameters and the token's claims).
    Api {
        key: &'r str,
        params: HashMap<String, String>,
        claims: Option<HashMap<String, String>>,
    },
}

impl Destination<'_> {
    fn body_limit(&self) -> usize {
        match self {
            Self::Clock => CLOCK_BODY_BYTES,
            Self::Bucket => usize::try_from(MAX_UPLOAD_BYTES).unwrap_or(usize::MAX),
            Self::Console => CONSOLE_BODY_BYTES,
            Self::Api { .. } => edge::MAX_BODY_BYTES,
        }
    }
}

async fn serve(
    State(runner): State<Arc<Runner>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let locale = edge::locale(&parts.headers);
    let destination = match runner.destination(&parts.method, &parts.uri, &parts.headers) {
        Ok(destination) => destination,
        Err(response) => {
            drain_in_background(body, runner.body_timeout);
            return to_axum(*response);
        }
    };
    let limit = destination.body_limit();
    let too_large = |size: Option<usize>| {
        let problem = Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", msg::title_body_too_large());
        let reason = match size {
            Some(size) => msg::body_too_large(limit, size),
            None => msg::at_most_bytes(limit),
        };
        to_axum(problem.field("body", reason).into_response(locale))
    };
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if let Some(size) = declared.filter(|size| *size > limit) {
        drain_in_background(body, runner.body_timeout);
        return too_large(Some(size));
    }
    let body = match tokio::time::timeout(runner.body_timeout, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => return too_large(None),
        Err(_) => {
            let problem = Problem::new(StatusCode::REQUEST_TIMEOUT, "body-timeout", msg::title_body_timeout())
                .detail(msg::detail_body_timeout(runner.body_timeout.as_secs()));
            let mut response = to_axum(problem.into_response(locale));
            // The rest of the body may still come: the connection cannot carry another request.
            response.headers_mut().insert(header::CONNECTION, http::HeaderValue::from_static("close"));
            return response;
        }
    };
    to_axum(runner.deliver(destination, &parts.method, &parts.uri, &parts.headers, body, peer.ip()).await)
}

/// The most a refused request's body is read (and discarded) after its answer.
const DRAIN_BYTES: usize = 16 * 1024 * 1024;

/// Reads and discards the body of a request answered from its head, while the answer goes out:
/// a client that writes its whole body before reading (most do) then gets the answer instead of
/// a broken pipe. Nothing is kept; reading stops at the body deadline or after `DRAIN_BYTES`,
/// and the connection then closes.
fn drain_in_background(mut body: axum::body::Body, deadline: std::time::Duration) {
    use axum::body::HttpBody;
    if body.is_end_stream() {
        return;
    }
    tokio::spawn(async move {
        let drain = async {
            let mut read = 0;
            while read <= DRAIN_BYTES {
                match std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
                    Some(Ok(frame)) => read += frame.data_ref().map_or(0, |data| data.len()),
                    _ => break,
                }
            }
        };
        let _ = tokio::time::timeout(deadline, drain).await;
    });
}

impl Runner {
    /// Where a request goes, or the answer it gets without its body being read.
    fn destination(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<Destination<'_>, Box<lambda_http::Response<lambda_http::Body>>> {
        let locale = edge::locale(headers);
        if uri.path() == "/_local/clock" {
            return Ok(Destination::Clock);
        }
        if uri.path().starts_with(crate::blobs::ROUTE_PREFIX) {
            return Ok(Destination::Bucket);
        }
        if Console::serves(uri.path()) {
            return Ok(Destination::Console);
        }
        let Ok(matched) = self.routes.at(uri.path()) else {
            return Err(Box::new(
                Problem::not_found().detail(msg::detail_no_route_for(uri.path())).into_response(locale),
            ));
        };
        if *method == Method::OPTIONS {
            // API Gateway answers CORS preflights itself (the API's CorsConfiguration).
            return Err(Box::new(
                lambda_http::Response::builder()
                    .status(StatusCode::NO_CONTENT)
                    .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
                    .header(header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, PUT, PATCH, DELETE, OPTIONS")
                    .header(
                        header::ACCESS_CONTROL_ALLOW_HEADERS,
                        "authorization, content-type, if-match, idempotency-key",
                    )
                    .header(header::ACCESS_CONTROL_MAX_AGE, "600")
                    .body(lambda_http::Body::Empty)
                    .expect("a valid response"),
            ));
        }
        let Some(endpoint) = matched.value.get(method.as_str()) else {
            let mut allowed: Vec<&str> = matched.value.keys().copied().collect();
            allowed.sort_unstable();
            let mut response =
                Problem::new(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed", msg::title_method_not_allowed())
                    .detail(msg::detail_allows(uri.path(), allowed.join(", ")))
                    .into_response(locale);
            response.headers_mut().insert(header::ALLOW, allowed.join(", ").parse().expect("methods are tokens"));
            return Err(Box::new(response));
        };
        let claims = match endpoint.public {
            true => None,
            false => Some(self.verify(headers).map_err(|problem| Box::new(problem.into_response(locale)))?),
        };
        // API Gateway's HTTP API hands path parameters over percent-decoded; so does the runner,
        // so ids are validated as the functions will see them in production.
        let mut params = HashMap::new();
        for (name, raw) in matched.params.iter() {
            let Ok(value) = percent_decode_str(raw).decode_utf8() else {
                return Err(Box::new(
                    Problem::not_found().detail(msg::detail_no_route_for(uri.path())).into_response(locale),
                ));
            };
            params.insert(name.to_owned(), value.into_owned());
        }
        Ok(Destination::Api { key: &endpoint.key, params, claims })
    }

    /// Answers a request its destination admitted, with its body.
    async fn deliver(
        &self,
        destination: Destination<'_>,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: Bytes,
        source_ip: IpAddr,
    ) -> lambda_http::Response<lambda_http::Body> {
        match destination {
            Destination::Clock => self.clock_control(method, headers, &body),
            Destination::Bucket => self.blobs.serve(method, uri, headers, &body).await,
            Destination::Console => self.console.handle(console_request(method, uri, headers, body, source_ip)).await,
            Destination::Api { key, params, claims } => {
                let event = api_gateway_event(key, &params, method, uri, headers, &body, claims.as_ref(), source_ip);
                match lambda_http::request::from_str(&event.to_string()) {
                    Ok(request) => self.api.handle(&self.dispatch, request).await,
                    Err(e) => {
                        tracing::error!(error = %e, "could not build the API Gateway event");
                        Problem::new(StatusCode::BAD_REQUEST, "bad-request", msg::title_bad_request())
                            .into_response(edge::locale(headers))
                    }
                }
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
            if self.tenant.is_none() {
                return Problem::conflict("clock-shared", msg::title_clock_shared())
                    .detail(msg::detail_clock_shared())
                    .into_response(edge::locale(headers));
            }
            let actor = Actor::from_claims(|name| claims.get(name).cloned(), &ClaimNames::default());
            if !actor.is_ok_and(|actor| actor.role == Role::Admin) {
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
        let claims = self.tokens.verify(token.trim()).map_err(|e| unauthorized(msg::detail_token_refused(e)))?;
        if let Some(served) = &self.tenant
            && claims.get(&ClaimNames::default().tenant).is_none_or(|tenant| tenant != served.as_str())
        {
            return Err(Problem::forbidden(msg::detail_tenant_not_served(served.as_str())));
        }
        Ok(claims)
    }
}

/// The console reads the request as the Lambda runtime hands it over: method, path, query,
/// headers and body.
fn console_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
    source_ip: IpAddr,
) -> lambda_http::Request {
    use lambda_http::RequestExt;
    let mut request = lambda_http::Request::new(lambda_http::Body::Binary(body.to_vec()));
    *request.method_mut() = method.clone();
    *request.uri_mut() = uri.clone();
    *request.headers_mut() = headers.clone();
    // Where the request came from, as API Gateway tells the console function (the access log).
    let mut context = lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext::default();
    context.http.source_ip = Some(source_ip.to_string());
    request.with_request_context(lambda_http::request::RequestContext::ApiGatewayV2(context))
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
