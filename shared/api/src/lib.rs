//! Gestiona's staff HTTP API at the Lambda edge.
//!
//! Every function is an API Gateway HTTP API (payload v2) handler. API Gateway matches the
//! route and verifies the JWT; the handler dispatches on the request's `routeKey`, reads the
//! caller from the authorizer claims, calls one use case and maps its error enum to a
//! problem+json response. The local runner builds the same v2 events and calls the same
//! handlers, so both paths run this code.

pub mod auth;
pub mod edge;
pub mod openapi;
pub mod problem;

mod accounts;
mod capture;
mod case_types;
mod cases;
mod contacts;
mod directory;
mod documents;
mod leads;
mod receivables;
mod reports;
mod sla;
mod transitions;

use std::sync::Arc;
use std::time::Instant;

use gestiona_domain::Actor;
use gestiona_domain::ports::BlobStore;
use gestiona_domain::service::Services;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

pub use auth::ClaimNames;
use problem::Problem;

/// The Lambda functions that serve the HTTP API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// Accounts and contacts.
    AccountsApi,
    /// Cases, their history and comments, case types, and the OpenAPI document.
    CasesApi,
    /// Workflow transitions of cases.
    TransitionsApi,
    /// Reports over a tenant's cases (JSON or CSV).
    ReportsApi,
    /// Leads, forms, quarantined submissions, conversion and opportunities (staff).
    LeadsApi,
    /// The public form endpoint `/f/{tenant}/{form}`: no token, the smallest role.
    LeadCapture,
    /// Invoices, payments, credit notes, aging and the dunning ladder [cartera].
    ReceivablesApi,
}

impl Function {
    pub const ALL: [Function; 7] = [
        Function::AccountsApi,
        Function::CasesApi,
        Function::TransitionsApi,
        Function::ReportsApi,
        Function::LeadsApi,
        Function::LeadCapture,
        Function::ReceivablesApi,
    ];

    /// The function's name in the SAM template and its binary name.
    pub fn name(self) -> &'static str {
        match self {
            Function::AccountsApi => "accounts-api",
            Function::CasesApi => "cases-api",
            Function::TransitionsApi => "transitions-api",
            Function::ReportsApi => "reports-api",
            Function::LeadsApi => "leads-api",
            Function::LeadCapture => "lead-capture",
            Function::ReceivablesApi => "receivables-api",
        }
    }
}

/// One route of the HTTP API, as declared in the SAM template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub function: Function,
    pub method: &'static str,
    /// API Gateway path template (`{id}` parameters).
    pub path: &'static str,
    /// Served without the JWT authorizer.
    pub public: bool,
}

impl Route {
    /// The API Gateway route key, e.g. `GET /cases/{id}`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

const fn route(function: Function, method: &'static str, path: &'static str) -> Route {
    Route { function, method, path, public: false }
}

const fn public(function: Function, method: &'static str, path: &'static str) -> Route {
    Route { function, method, path, public: true }
}

use Function::{AccountsApi, CasesApi, LeadCapture, LeadsApi, ReceivablesApi, ReportsApi, TransitionsApi};

/// Every HTTP route and the function that serves it.
pub const ROUTES: &[Route] = &[
    route(AccountsApi, "POST", "/accounts"),
    route(AccountsApi, "GET", "/accounts"),
    route(AccountsApi, "GET", "/accounts/{id}"),
    route(AccountsApi, "PATCH", "/accounts/{id}"),
    route(AccountsApi, "DELETE", "/accounts/{id}"),
    route(AccountsApi, "POST", "/contacts"),
    route(AccountsApi, "GET", "/contacts"),
    route(AccountsApi, "GET", "/contacts/{id}"),
    route(AccountsApi, "PATCH", "/contacts/{id}"),
    route(AccountsApi, "DELETE", "/contacts/{id}"),
    route(AccountsApi, "GET", "/users"),
    route(AccountsApi, "PUT", "/users/{id}"),
    route(AccountsApi, "POST", "/opt-outs"),
    route(CasesApi, "POST", "/cases"),
    route(CasesApi, "GET", "/cases"),
    route(CasesApi, "GET", "/cases/{id}"),
    route(CasesApi, "PATCH", "/cases/{id}"),
    route(CasesApi, "DELETE", "/cases/{id}"),
    route(CasesApi, "GET", "/cases/{id}/history"),
    route(CasesApi, "POST", "/cases/{id}/comments"),
    route(CasesApi, "GET", "/cases/{id}/comments"),
    route(CasesApi, "GET", "/case-types"),
    route(CasesApi, "POST", "/case-types"),
    route(CasesApi, "GET", "/case-types/{key}"),
    route(CasesApi, "PUT", "/case-types/{key}"),
    route(CasesApi, "GET", "/cases/{id}/sla"),
    route(CasesApi, "GET", "/calendars"),
    route(CasesApi, "GET", "/calendars/{key}"),
    route(CasesApi, "PUT", "/calendars/{key}"),
    route(CasesApi, "GET", "/sla-policies/{caseType}"),
    route(CasesApi, "PUT", "/sla-policies/{caseType}"),
    route(CasesApi, "GET", "/document-templates"),
    route(CasesApi, "POST", "/cases/{id}/documents"),
    route(CasesApi, "GET", "/cases/{id}/documents"),
    route(CasesApi, "GET", "/cases/{id}/documents/{docId}"),
    route(CasesApi, "POST", "/cases/{id}/uploads"),
    route(CasesApi, "POST", "/cases/{id}/documents/{docId}/complete"),
    route(TransitionsApi, "POST", "/cases/{id}/transitions"),
    route(TransitionsApi, "GET", "/cases/{id}/transitions"),
    route(ReportsApi, "GET", "/reports/cases-by-state"),
    route(ReportsApi, "GET", "/reports/rejections"),
    route(ReportsApi, "GET", "/reports/workload"),
    route(ReportsApi, "GET", "/reports/sla"),
    route(LeadsApi, "POST", "/leads"),
    route(LeadsApi, "GET", "/leads"),
    route(LeadsApi, "GET", "/leads/{id}"),
    route(LeadsApi, "PATCH", "/leads/{id}"),
    route(LeadsApi, "GET", "/leads/{id}/history"),
    route(LeadsApi, "POST", "/leads/{id}/convert"),
    route(LeadsApi, "GET", "/opportunities/{id}"),
    route(LeadsApi, "GET", "/contacts/{id}/activities"),
    route(LeadsApi, "GET", "/forms"),
    route(LeadsApi, "GET", "/forms/{id}"),
    route(LeadsApi, "PUT", "/forms/{id}"),
    route(LeadsApi, "GET", "/lead-submissions"),
    route(LeadsApi, "GET", "/lead-submissions/{id}"),
    route(LeadsApi, "POST", "/lead-submissions/{id}/release"),
    route(LeadsApi, "POST", "/lead-submissions/{id}/discard"),
    route(ReportsApi, "GET", "/reports/aging"),
    route(ReceivablesApi, "PUT", "/invoices/{number}"),
    route(ReceivablesApi, "GET", "/invoices/{number}"),
    route(ReceivablesApi, "PATCH", "/invoices/{number}"),
    route(ReceivablesApi, "GET", "/invoices"),
    route(ReceivablesApi, "POST", "/invoice-batches"),
    route(ReceivablesApi, "GET", "/invoices/{number}/history"),
    route(ReceivablesApi, "GET", "/invoices/{number}/payments"),
    route(ReceivablesApi, "PUT", "/invoices/{number}/payments/{paymentId}"),
    route(ReceivablesApi, "PUT", "/invoices/{number}/credit-notes/{noteNumber}"),
    route(ReceivablesApi, "POST", "/invoices/{number}/write-off"),
    route(ReceivablesApi, "GET", "/dunning-ladder"),
    route(ReceivablesApi, "PUT", "/dunning-ladder"),
    route(ReceivablesApi, "GET", "/accounts/{id}/collections"),
    route(ReceivablesApi, "PUT", "/accounts/{id}/collections"),
    route(ReceivablesApi, "GET", "/accounts/{id}/aging"),
    public(LeadCapture, "GET", "/f/{tenant}/{form}"),
    public(LeadCapture, "POST", "/f/{tenant}/{form}"),
    public(CasesApi, "GET", "/openapi.json"),
];

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

    /// Handles one API Gateway v2 request for `function`. Never fails: every error is a
    /// problem+json response.
    pub async fn handle(&self, function: Function, request: Request) -> Response<Body> {
        let started = Instant::now();
        let route_key = match request.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(context)) => context.route_key.clone().unwrap_or_default(),
            _ => String::new(),
        };
        let served = ROUTES.iter().any(|r| r.function == function && r.key() == route_key);
        let response = if served {
            self.dispatch(&route_key, &request).await.unwrap_or_else(Problem::into_response)
        } else {
            Problem::not_found().detail(format!("no route {route_key:?} in {}", function.name())).into_response()
        };
        tracing::info!(
            route = %route_key,
            status = response.status().as_u16(),
            micros = started.elapsed().as_micros() as u64,
            "request"
        );
        response
    }

    fn actor(&self, request: &Request) -> Result<Actor, Problem> {
        auth::actor(request, &self.claims)
    }

    async fn dispatch(&self, route_key: &str, request: &Request) -> Result<Response<Body>, Problem> {
        match route_key {
            "POST /accounts" => accounts::create(self, request).await,
            "GET /accounts" => accounts::list(self, request).await,
            "GET /accounts/{id}" => accounts::get(self, request).await,
            "PATCH /accounts/{id}" => accounts::update(self, request).await,
            "DELETE /accounts/{id}" => accounts::archive(self, request).await,
            "POST /contacts" => contacts::create(self, request).await,
            "GET /contacts" => contacts::list(self, request).await,
            "GET /contacts/{id}" => contacts::get(self, request).await,
            "PATCH /contacts/{id}" => contacts::update(self, request).await,
            "DELETE /contacts/{id}" => contacts::archive(self, request).await,
            "GET /users" => directory::list(self, request).await,
            "PUT /users/{id}" => directory::save(self, request).await,
            "POST /opt-outs" => directory::opt_out(self, request).await,
            "POST /cases" => cases::create(self, request).await,
            "GET /cases" => cases::list(self, request).await,
            "GET /cases/{id}" => cases::get(self, request).await,
            "PATCH /cases/{id}" => cases::update(self, request).await,
            "DELETE /cases/{id}" => cases::archive(self, request).await,
            "GET /cases/{id}/history" => cases::history(self, request).await,
            "POST /cases/{id}/comments" => cases::add_comment(self, request).await,
            "GET /cases/{id}/comments" => cases::list_comments(self, request).await,
            "GET /case-types" => case_types::list(self, request).await,
            "POST /case-types" => case_types::create(self, request).await,
            "GET /case-types/{key}" => case_types::get(self, request).await,
            "PUT /case-types/{key}" => case_types::update(self, request).await,
            "GET /cases/{id}/sla" => sla::case_sla(self, request).await,
            "GET /calendars" => sla::list_calendars(self, request).await,
            "GET /calendars/{key}" => sla::get_calendar(self, request).await,
            "PUT /calendars/{key}" => sla::put_calendar(self, request).await,
            "GET /sla-policies/{caseType}" => sla::get_policy(self, request).await,
            "PUT /sla-policies/{caseType}" => sla::put_policy(self, request).await,
            "GET /document-templates" => documents::templates(self, request).await,
            "POST /cases/{id}/documents" => documents::request(self, request).await,
            "GET /cases/{id}/documents" => documents::list(self, request).await,
            "GET /cases/{id}/documents/{docId}" => documents::download(self, request).await,
            "POST /cases/{id}/uploads" => documents::begin_upload(self, request).await,
            "POST /cases/{id}/documents/{docId}/complete" => documents::complete_upload(self, request).await,
            "POST /cases/{id}/transitions" => transitions::transition(self, request).await,
            "GET /cases/{id}/transitions" => transitions::offered(self, request).await,
            "GET /reports/cases-by-state" => reports::cases_by_state(self, request).await,
            "GET /reports/rejections" => reports::rejections(self, request).await,
            "GET /reports/workload" => reports::workload(self, request).await,
            "GET /reports/sla" => reports::sla(self, request).await,
            "POST /leads" => leads::create(self, request).await,
            "GET /leads" => leads::list(self, request).await,
            "GET /leads/{id}" => leads::get(self, request).await,
            "PATCH /leads/{id}" => leads::update(self, request).await,
            "GET /leads/{id}/history" => leads::history(self, request).await,
            "POST /leads/{id}/convert" => leads::convert(self, request).await,
            "GET /opportunities/{id}" => leads::get_opportunity(self, request).await,
            "GET /contacts/{id}/activities" => leads::contact_activities(self, request).await,
            "GET /forms" => leads::list_forms(self, request).await,
            "GET /forms/{id}" => leads::get_form(self, request).await,
            "PUT /forms/{id}" => leads::put_form(self, request).await,
            "GET /lead-submissions" => leads::list_submissions(self, request).await,
            "GET /lead-submissions/{id}" => leads::get_submission(self, request).await,
            "POST /lead-submissions/{id}/release" => leads::release_submission(self, request).await,
            "POST /lead-submissions/{id}/discard" => leads::discard_submission(self, request).await,
            "GET /reports/aging" => receivables::aging_report(self, request).await,
            "PUT /invoices/{number}" => receivables::put_invoice(self, request).await,
            "GET /invoices/{number}" => receivables::get_invoice(self, request).await,
            "PATCH /invoices/{number}" => receivables::patch_invoice(self, request).await,
            "GET /invoices" => receivables::list_invoices(self, request).await,
            "POST /invoice-batches" => receivables::batch(self, request).await,
            "GET /invoices/{number}/history" => receivables::history(self, request).await,
            "GET /invoices/{number}/payments" => receivables::movements(self, request).await,
            "PUT /invoices/{number}/payments/{paymentId}" => receivables::put_payment(self, request).await,
            "PUT /invoices/{number}/credit-notes/{noteNumber}" => receivables::put_credit_note(self, request).await,
            "POST /invoices/{number}/write-off" => receivables::write_off(self, request).await,
            "GET /dunning-ladder" => receivables::get_ladder(self, request).await,
            "PUT /dunning-ladder" => receivables::put_ladder(self, request).await,
            "GET /accounts/{id}/collections" => receivables::get_profile(self, request).await,
            "PUT /accounts/{id}/collections" => receivables::put_profile(self, request).await,
            "GET /accounts/{id}/aging" => receivables::account_aging(self, request).await,
            "GET /f/{tenant}/{form}" => capture::page(self, request).await,
            "POST /f/{tenant}/{form}" => capture::submit(self, request).await,
            "GET /openapi.json" => Ok(openapi::serve()),
            _ => Err(Problem::not_found()),
        }
    }
}

/// Logs as JSON lines for CloudWatch; `RUST_LOG` (or `AWS_LAMBDA_LOG_LEVEL`) sets the level.
pub fn init_tracing() {
    let level = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL").map(|l| l.to_lowercase()))
        .unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .with_target(false)
        .without_time() // CloudWatch stamps every line.
        .with_current_span(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_dispatched_and_unique() {
        let keys: std::collections::HashSet<_> = ROUTES.iter().map(Route::key).collect();
        assert_eq!(keys.len(), ROUTES.len(), "route keys are unique");
        let source = include_str!("lib.rs");
        for route in ROUTES {
            assert!(source.contains(&format!("\"{}\" =>", route.key())), "{} is not dispatched", route.key());
        }
    }
}
