//! Gestiona's staff HTTP API at the Lambda edge.
//!
//! Every function is an API Gateway HTTP API (payload v2) handler. API Gateway matches the
//! route and verifies the JWT; the handler looks the request's `routeKey` up in the function's
//! route table ([`routes`]), reads the caller from the authorizer claims, calls one use case and
//! maps its error enum to a problem+json response. The local runner builds the same v2 events
//! and calls the same handlers, so both paths run this code.

pub mod auth;
pub mod edge;
pub mod openapi;
pub mod problem;
pub mod routes;

mod access_log;
mod accounts;
mod capture;
mod case_types;
mod cases;
mod contacts;
mod directory;
mod documents;
mod forecast;
mod goals;
mod leads;
mod opportunities;
mod orders;
mod organisation;
mod pipelines;
mod price_lists;
mod products;
mod profiles;
mod quotes;
mod receivables;
mod reports;
mod sla;
mod tenant;
mod transitions;
mod webhooks;

use std::sync::Arc;
use std::time::Instant;

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use gestiona_domain::Actor;
use gestiona_domain::access_log::{AccessAction, RecordRef};
use gestiona_domain::ports::BlobStore;
use gestiona_domain::service::Services;
use gestiona_domain::service::access::AuthorizeError;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

pub use gestiona_domain::ClaimNames;
use problem::Problem;
pub use routes::{Function, Route, Routes};

/// The API: the use cases plus the edge's configuration.
#[derive(Clone)]
pub struct Api {
    pub services: Services,
    pub claims: ClaimNames,
    /// The documents bucket, for the functions that hand out download and upload URLs.
    pub blobs: Option<Arc<dyn BlobStore>>,
}

impl Api {
    pub fn new(services: Services, claims: ClaimNames) -> Self {
        Self { services, claims, blobs: None }
    }

    pub fn with_blobs(mut self, blobs: Arc<dyn BlobStore>) -> Self {
        self.blobs = Some(blobs);
        self
    }

    /// Handles one API Gateway v2 request with the route of `routes` its route key names.
    /// Never fails: every error is a problem+json response.
    pub async fn handle(&self, routes: &Routes, request: Request) -> Response<Body> {
        let started = Instant::now();
        let locale = edge::locale(request.headers());
        let is_read = matches!(*request.method(), http::Method::GET | http::Method::HEAD);
        let if_none_match =
            request.headers().get(http::header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let route_key = match request.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(context)) => context.route_key.clone().unwrap_or_default(),
            _ => String::new(),
        };
        let mut request = request;
        let mut response = match routes.get(&route_key) {
            Some(route) => match self.authorize(&mut request).await {
                Ok(()) => route.call(self, &request).await.unwrap_or_else(|problem| problem.into_response(locale)),
                Err(problem) => problem.into_response(locale),
            },
            None => Problem::not_found()
                .detail(gestiona_domain::messages::detail_no_route(&route_key))
                .into_response(locale),
        };
        if is_read && response.status() == http::StatusCode::OK {
            response = not_modified(if_none_match.as_deref(), response);
        }
        // Nothing is answered before what it wrote, or read, is durable (one sync shared by
        // concurrent requests on the embedded store; nothing to do on DynamoDB).
        if let Err(error) = self.services.sync().await {
            tracing::error!(%error, "the request's writes could not be made durable");
            response = Problem::new(
                http::StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                gestiona_domain::messages::title_unavailable(),
            )
            .detail(gestiona_domain::messages::detail_maybe_not_saved())
            .into_response(locale);
        }
        tracing::info!(
            route = %route_key,
            status = response.status().as_u16(),
            micros = started.elapsed().as_micros() as u64,
            "request"
        );
        response
    }

    /// When the request carries verified claims, reads the caller's directory entry and profile
    /// once and keeps the actor with the request: a deactivated user is refused here, whatever
    /// the route. A request without claims (the public form) goes on as it came.
    async fn authorize(&self, request: &mut Request) -> Result<(), Problem> {
        if !auth::has_claims(request) {
            return Ok(());
        }
        let Ok(claimed) = auth::actor(request, &self.claims) else { return Ok(()) };
        let actor = self.services.authorize(claimed).await.map_err(|error| match error {
            AuthorizeError::Deactivated => Problem::forbidden(gestiona_domain::messages::detail_user_deactivated()),
            AuthorizeError::Store(e) => Problem::store(e),
        })?;
        let from = match auth::client_address(request) {
            Some(address) => format!("api {address}"),
            None => "api".to_owned(),
        };
        request.extensions_mut().insert(Actor { from: Some(from), ..actor });
        Ok(())
    }

    /// Records in the access log that the caller asked for one record (found or not).
    pub(crate) async fn log_read(&self, actor: &Actor, kind: &str, id: impl std::fmt::Display) {
        self.services.log_access(actor, AccessAction::Read, Some(RecordRef::new(kind, id))).await;
    }

    /// The caller, as [`Api::authorize`] found them.
    fn actor(&self, request: &Request) -> Result<Actor, Problem> {
        match request.extensions().get::<Actor>() {
            Some(actor) => Ok(actor.clone()),
            // The claims name no actor: the reason is the claims'.
            None => auth::actor(request, &self.claims).and(Err(auth::unauthenticated())),
        }
    }
}

/// `304 Not Modified` in place of a GET's 200 when the client already holds this version
/// (its `If-None-Match` names the ETag): the same ETag, no body.
fn not_modified(if_none_match: Option<&str>, response: Response<Body>) -> Response<Body> {
    let etag = response.headers().get(http::header::ETAG).and_then(|v| v.to_str().ok());
    match (if_none_match, etag) {
        (Some(wanted), Some(etag)) if edge::none_match(wanted, etag) => {
            let mut not_modified = Response::new(Body::Empty);
            *not_modified.status_mut() = http::StatusCode::NOT_MODIFIED;
            for name in [http::header::ETAG, http::header::CACHE_CONTROL, http::header::VARY] {
                if let Some(value) = response.headers().get(&name) {
                    not_modified.headers_mut().insert(name, value.clone());
                }
            }
            not_modified
        }
        _ => response,
    }
}

/// Logs as JSON lines for CloudWatch; `RUST_LOG` (or `AWS_LAMBDA_LOG_LEVEL`) sets the level.
pub fn init_tracing() {
    let level = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL").map(|l| l.to_lowercase()))
        .unwrap_or_else(|_| "info".into());
    // Targets ("info", "gestiona_domain=debug,warn") rather than EnvFilter: the same levels per
    // target, without the span and field matchers that link a regex engine into every function.
    let filter = level.parse::<Targets>().unwrap_or_else(|_| Targets::new().with_default(tracing::Level::INFO));
    let lines = tracing_subscriber::fmt()
        .json()
        .with_target(false)
        .without_time() // CloudWatch stamps every line.
        .with_current_span(false)
        .finish();
    let _ = lines.with(filter).try_init();
}
