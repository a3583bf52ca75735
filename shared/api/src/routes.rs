//! Every HTTP route, declared once.
//!
//! A route is its handler's `#[utoipa::path]` attribute (method, path, parameters, bodies,
//! answers and security) plus one entry in its function's table below. Everything else is
//! derived from that: the dispatch of each function, the OpenAPI document, whether the route
//! is public (an operation without a security requirement), the local runner's router and
//! the routes the SAM template must declare (the drift tests in `tests/`).
//!
//! Each function's `main` passes only its own table to [`Routes::of`], so a release build links
//! that function's handlers and no other's.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use lambda_http::{Body, Request, Response};
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::{RefOr, schema::Schema};

use crate::problem::Problem;
use crate::{
    Api, accounts, capture, case_types, cases, contacts, directory, documents, leads, openapi, receivables, reports,
    sla, transitions,
};

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
    DocumentsApi,
}

impl Function {
    pub const ALL: [Function; 8] = [
        Function::AccountsApi,
        Function::CasesApi,
        Function::TransitionsApi,
        Function::ReportsApi,
        Function::LeadsApi,
        Function::LeadCapture,
        Function::ReceivablesApi,
        Function::DocumentsApi,
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
            Function::DocumentsApi => "documents-api",
        }
    }

    /// The function's route table. Referencing it links every handler of the function: the
    /// function binaries name their own table (`routes::CASES_API`) instead.
    pub fn routes(self) -> &'static [Route] {
        match self {
            Function::AccountsApi => ACCOUNTS_API,
            Function::CasesApi => CASES_API,
            Function::TransitionsApi => TRANSITIONS_API,
            Function::ReportsApi => REPORTS_API,
            Function::LeadsApi => LEADS_API,
            Function::LeadCapture => LEAD_CAPTURE,
            Function::ReceivablesApi => RECEIVABLES_API,
            Function::DocumentsApi => DOCUMENTS_API,
        }
    }

    /// The OpenAPI declarations of the function's routes (what [`Function::routes`] serves).
    fn docs(self) -> &'static [RouteDoc] {
        match self {
            Function::AccountsApi => ACCOUNTS_API_DOCS,
            Function::CasesApi => CASES_API_DOCS,
            Function::TransitionsApi => TRANSITIONS_API_DOCS,
            Function::ReportsApi => REPORTS_API_DOCS,
            Function::LeadsApi => LEADS_API_DOCS,
            Function::LeadCapture => LEAD_CAPTURE_DOCS,
            Function::ReceivablesApi => RECEIVABLES_API_DOCS,
            Function::DocumentsApi => DOCUMENTS_API_DOCS,
        }
    }
}

/// What a handler returns: a response, or a problem the edge turns into problem+json.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<Response<Body>, Problem>> + Send + 'a>>;
type Handler = for<'a> fn(&'a Api, &'a Request) -> HandlerFuture<'a>;
type Schemas = Vec<(String, RefOr<Schema>)>;

/// One route as a function serves it: the function, the handler, the method and path.
pub struct Route {
    pub function: Function,
    handler: Handler,
    path: fn() -> String,
    methods: fn() -> Vec<HttpMethod>,
}

/// One route's OpenAPI declaration (its operation and the schemas it refers to), declared by
/// the same table entry as its [`Route`] but kept in a table of its own: the functions never
/// reach it, so their release binaries do not carry the OpenAPI builders.
pub struct RouteDoc {
    /// `module_handler`: unique, as the handler's path is.
    operation_id: &'static str,
    path: fn() -> String,
    methods: fn() -> Vec<HttpMethod>,
    operation: fn() -> Operation,
    schemas: fn(&mut Schemas),
}

impl RouteDoc {
    fn key(&self) -> String {
        format!("{} {}", method_name(&(self.methods)()), (self.path)())
    }

    /// Served without the JWT authorizer: the operation declares no security requirement.
    fn public(&self) -> bool {
        (self.operation)().security.is_none_or(|requirements| requirements.is_empty())
    }

    /// Adds the route's operation and the schemas it refers to to `document`.
    pub(crate) fn document_into(&self, paths: &mut utoipa::openapi::Paths, schemas: &mut Schemas) {
        let mut operation = (self.operation)();
        operation.operation_id = Some(lower_camel(self.operation_id));
        paths.add_path_operation((self.path)(), (self.methods)(), operation);
        (self.schemas)(schemas);
    }
}

/// `cases_add_comment` → `casesAddComment`.
fn lower_camel(snake: &str) -> String {
    let mut words = snake.split('_');
    let mut name = words.next().unwrap_or_default().to_owned();
    for word in words {
        let mut chars = word.chars();
        name.extend(chars.next().map(|c| c.to_ascii_uppercase()));
        name.push_str(chars.as_str());
    }
    name
}

/// The upper-case name of a route's one method.
fn method_name(methods: &[HttpMethod]) -> &'static str {
    match methods {
        [HttpMethod::Get] => "GET",
        [HttpMethod::Post] => "POST",
        [HttpMethod::Put] => "PUT",
        [HttpMethod::Patch] => "PATCH",
        [HttpMethod::Delete] => "DELETE",
        [HttpMethod::Head] => "HEAD",
        [HttpMethod::Options] => "OPTIONS",
        [HttpMethod::Trace] => "TRACE",
        _ => panic!("a route declares exactly one method"),
    }
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route").field("function", &self.function).field("key", &self.key()).finish()
    }
}

impl Route {
    /// The HTTP method, upper case.
    pub fn method(&self) -> &'static str {
        method_name(&(self.methods)())
    }

    /// The API Gateway path template (`{id}` parameters).
    pub fn path(&self) -> String {
        (self.path)()
    }

    /// The API Gateway route key, e.g. `GET /cases/{id}`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method(), self.path())
    }

    /// Served without the JWT authorizer: its operation declares no security requirement (read
    /// from the route's declaration; for the local runner and the tests, not the functions).
    pub fn public(&self) -> bool {
        let key = self.key();
        self.function.docs().iter().find(|doc| doc.key() == key).is_some_and(RouteDoc::public)
    }

    pub(crate) fn call<'a>(&self, api: &'a Api, request: &'a Request) -> HandlerFuture<'a> {
        (self.handler)(api, request)
    }
}

/// Every route of every function, for the local runner and the tests.
pub fn all() -> impl Iterator<Item = &'static Route> {
    Function::ALL.into_iter().flat_map(Function::routes)
}

/// Every route's OpenAPI declaration, for the document.
pub(crate) fn all_docs() -> impl Iterator<Item = &'static RouteDoc> {
    Function::ALL.into_iter().flat_map(Function::docs)
}

/// The routes one process serves, by API Gateway route key; built once per cold start.
pub struct Routes {
    by_key: HashMap<String, &'static Route>,
}

impl Routes {
    /// The routes of one table (a function binary).
    pub fn of(table: &'static [Route]) -> Self {
        Self::from_iter(table)
    }

    /// Every route of every function (the local runner).
    pub fn all() -> Self {
        Self::from_iter(all())
    }

    fn from_iter(routes: impl IntoIterator<Item = &'static Route>) -> Self {
        let by_key: HashMap<_, _> = routes.into_iter().map(|route| (route.key(), route)).collect();
        Self { by_key }
    }

    /// The route served under `key` (`POST /cases`), if this process serves it.
    pub fn get(&self, key: &str) -> Option<&'static Route> {
        self.by_key.get(key).copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = &'static Route> + '_ {
        self.by_key.values().copied()
    }
}

/// One table per function: `module::handler` names an async handler annotated with
/// `#[utoipa::path]`. Declares `$name` (what the function serves) and `${name}_DOCS` (the same
/// routes' OpenAPI declarations, in the same order).
macro_rules! table {
    ($name:ident = $function:ident: $($module:ident :: $handler:ident),+ $(,)?) => {
        pub static $name: &[Route] = &[$(paste::paste! {{
            fn handle<'a>(api: &'a Api, request: &'a Request) -> HandlerFuture<'a> {
                Box::pin($module::$handler(api, request))
            }
            Route {
                function: Function::$function,
                handler: handle,
                path: <$module::[<__path_ $handler>] as utoipa::Path>::path,
                methods: <$module::[<__path_ $handler>] as utoipa::Path>::methods,
            }
        }}),+];
        paste::paste! {
            static [<$name _DOCS>]: &[RouteDoc] = &[$(RouteDoc {
                operation_id: concat!(stringify!($module), "_", stringify!($handler)),
                path: <$module::[<__path_ $handler>] as utoipa::Path>::path,
                methods: <$module::[<__path_ $handler>] as utoipa::Path>::methods,
                operation: <$module::[<__path_ $handler>] as utoipa::Path>::operation,
                schemas: <$module::[<__path_ $handler>] as utoipa::__dev::SchemaReferences>::schemas,
            }),+];
        }
    };
}

table!(ACCOUNTS_API = AccountsApi:
    accounts::create, accounts::list, accounts::get, accounts::update, accounts::archive,
    contacts::create, contacts::list, contacts::get, contacts::update, contacts::archive,
    directory::list, directory::save, directory::opt_out,
);

table!(CASES_API = CasesApi:
    cases::create, cases::list, cases::get, cases::update, cases::archive, cases::history,
    cases::add_comment, cases::list_comments,
    case_types::list, case_types::create, case_types::get, case_types::update,
    sla::case_sla, sla::list_calendars, sla::get_calendar, sla::put_calendar, sla::get_policy, sla::put_policy,
    openapi::serve,
);

// A case's documents: the only HTTP function that links the S3 client (presigned URLs).
table!(DOCUMENTS_API = DocumentsApi:
    documents::templates, documents::request, documents::list, documents::download, documents::begin_upload,
    documents::complete_upload,
);

table!(TRANSITIONS_API = TransitionsApi: transitions::transition, transitions::offered);

table!(REPORTS_API = ReportsApi:
    reports::cases_by_state, reports::rejections, reports::workload, reports::sla, receivables::aging_report,
);

table!(LEADS_API = LeadsApi:
    leads::create, leads::list, leads::get, leads::update, leads::history, leads::convert, leads::get_opportunity,
    leads::account_opportunities, leads::account_leads,
    leads::contact_activities, leads::list_forms, leads::get_form, leads::put_form, leads::list_submissions,
    leads::get_submission, leads::release_submission, leads::discard_submission,
);

table!(LEAD_CAPTURE = LeadCapture: capture::page, capture::submit);

table!(RECEIVABLES_API = ReceivablesApi:
    receivables::put_invoice, receivables::get_invoice, receivables::patch_invoice, receivables::list_invoices,
    receivables::batch, receivables::history, receivables::movements, receivables::put_payment,
    receivables::put_credit_note, receivables::write_off, receivables::get_ladder, receivables::put_ladder,
    receivables::get_profile, receivables::put_profile, receivables::account_aging,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_keys_are_unique_across_functions() {
        let mut seen = std::collections::HashSet::new();
        for route in all() {
            assert!(seen.insert(route.key()), "{} is declared twice", route.key());
        }
        assert_eq!(Routes::all().iter().count(), seen.len());
    }

    #[test]
    fn each_table_holds_its_own_functions_routes() {
        for function in Function::ALL {
            assert!(!function.routes().is_empty(), "{} serves nothing", function.name());
            assert!(function.routes().iter().all(|r| r.function == function), "{}", function.name());
        }
    }

    #[test]
    fn each_route_has_its_declaration_in_the_same_place() {
        for function in Function::ALL {
            let served: Vec<String> = function.routes().iter().map(Route::key).collect();
            let declared: Vec<String> = function.docs().iter().map(RouteDoc::key).collect();
            assert_eq!(served, declared, "{}", function.name());
        }
    }

    #[test]
    fn only_the_form_and_the_document_are_public() {
        let public: Vec<String> = all().filter(|r| r.public()).map(Route::key).collect();
        assert_eq!(public, ["GET /openapi.json", "GET /f/{tenant}/{form}", "POST /f/{tenant}/{form}"]);
    }

    #[test]
    fn a_table_dispatches_only_its_own_routes() {
        let routes = Routes::of(TRANSITIONS_API);
        assert!(routes.get("POST /cases/{id}/transitions").is_some());
        assert!(routes.get("POST /cases").is_none());
        assert_eq!(Routes::all().get("POST /cases").map(|r| r.function), Some(Function::CasesApi));
    }
}
