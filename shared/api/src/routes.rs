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

use gestiona_domain::FieldError;
use gestiona_domain::access::{self, Module, Permission};
use gestiona_domain::messages as msg;
use lambda_http::{Body, Request, RequestExt, Response};
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{RefOr, schema::Schema};

use crate::problem::Problem;
use crate::{
    Api, access_log, accounts, capture, case_types, cases, contacts, directory, documents, forecast, goals, leads,
    openapi, opportunities, orders, organisation, pipelines, price_lists, products, profiles, quotes, receivables,
    reports, sla, tenant, transitions, webhooks,
};

/// The Lambda functions that serve the HTTP API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// Accounts, contacts, the staff directory, profiles, the company's settings and webhook
    /// subscriptions.
    AccountsApi,
    /// Cases, their history and comments, case types, and the OpenAPI document.
    CasesApi,
    /// Workflow transitions of cases.
    TransitionsApi,
    /// Reports over a tenant's cases (JSON or CSV).
    ReportsApi,
    /// Leads, forms, quarantined submissions and conversion (staff).
    LeadsApi,
    /// Sales: pipelines, opportunities, their kanban and the forecast, the product catalogue,
    /// price lists, pricing, quotes and orders.
    SalesApi,
    /// The public form endpoint `/f/{tenant}/{form}`: no token, the smallest role.
    LeadCapture,
    /// Invoices, payments, credit notes, aging and the dunning ladder [cartera].
    ReceivablesApi,
    DocumentsApi,
}

impl Function {
    pub const ALL: [Function; 9] = [
        Function::AccountsApi,
        Function::CasesApi,
        Function::TransitionsApi,
        Function::ReportsApi,
        Function::LeadsApi,
        Function::SalesApi,
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
            Function::SalesApi => "sales-api",
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
            Function::SalesApi => SALES_API,
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
            Function::SalesApi => SALES_API_DOCS,
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
    /// The permission the caller's profile must grant, checked before the request is read
    /// (`None`: any member of the tenant, or public).
    permission: Option<Permission>,
    /// The query parameters it takes; any other is refused.
    query: &'static [&'static str],
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
    permission: Option<Permission>,
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
        if let Some(permission) = self.permission {
            // OpenAPI 3.1 lets a bearer requirement list what it needs.
            let code = permission.code();
            operation.security = Some(vec![SecurityRequirement::new("bearer", [code.as_str()])]);
            let needs = format!("Needs the permission {code} in the caller's profile.");
            operation.description = Some(match operation.description.take() {
                Some(said) => format!("{said} {needs}"),
                None => needs,
            });
        }
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

    /// The permission it needs (`None`: any member of the tenant, or public).
    pub fn permission(&self) -> Option<Permission> {
        self.permission
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

    /// Calls the handler once the request may reach it: the caller's profile grants the
    /// route's permission (403 before anything else is read, so a refusal tells nothing of the
    /// body's validity) and the request names no query parameter the route does not take (422).
    pub(crate) async fn call(&self, api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
        if let Some(permission) = self.permission {
            api.actor(request)?.permit(permission)?;
        }
        let unknown: Vec<&str> = request
            .query_string_parameters_ref()
            .filter(|_| !self.query.contains(&"*"))
            .map(|query| query.iter().map(|(name, _)| name).filter(|name| !self.query.contains(name)).collect())
            .unwrap_or_default();
        if !unknown.is_empty() {
            let takes = if self.query.is_empty() { "-".to_owned() } else { self.query.join(", ") };
            let errors = unknown.into_iter().map(|name| FieldError::new(name, msg::unknown_query_parameter(&takes)));
            return Err(Problem::validation(errors.collect()));
        }
        (self.handler)(api, request).await
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

/// The permission a table entry names, if it names one.
const fn declared(named: &[Permission]) -> Option<Permission> {
    match named {
        [permission] => Some(*permission),
        _ => None,
    }
}

/// One table per function: `module::handler` names an async handler annotated with
/// `#[utoipa::path]`, then optionally the permission it needs (`@ Cases.Create`: module and
/// operation), checked before anything of the request is read, and the query parameters it takes (`["limit", "cursor"]`),
/// the only ones accepted (`"*"`: any other is ignored). Declares `$name` (what the function serves) and `${name}_DOCS` (the
/// same routes' OpenAPI declarations, in the same order).
macro_rules! table {
    ($name:ident = $function:ident: $($module:ident :: $handler:ident $(@ $area:ident . $op:ident)? $([$($query:literal),*])?),+ $(,)?) => {
        pub static $name: &[Route] = &[$(paste::paste! {{
            fn handle<'a>(api: &'a Api, request: &'a Request) -> HandlerFuture<'a> {
                Box::pin($module::$handler(api, request))
            }
            Route {
                function: Function::$function,
                handler: handle,
                path: <$module::[<__path_ $handler>] as utoipa::Path>::path,
                methods: <$module::[<__path_ $handler>] as utoipa::Path>::methods,
                permission: declared(&[$(Permission::new(Module::$area, access::Operation::$op))?]),
                query: &[$($($query),*)?],
            }
        }}),+];
        paste::paste! {
            static [<$name _DOCS>]: &[RouteDoc] = &[$(RouteDoc {
                operation_id: concat!(stringify!($module), "_", stringify!($handler)),
                path: <$module::[<__path_ $handler>] as utoipa::Path>::path,
                methods: <$module::[<__path_ $handler>] as utoipa::Path>::methods,
                operation: <$module::[<__path_ $handler>] as utoipa::Path>::operation,
                schemas: <$module::[<__path_ $handler>] as utoipa::__dev::SchemaReferences>::schemas,
                permission: declared(&[$(Permission::new(Module::$area, access::Operation::$op))?]),
            }),+];
        }
    };
}

table!(ACCOUNTS_API = AccountsApi:
    accounts::create @ Accounts.Create, accounts::list @ Accounts.Read ["q", "includeArchived", "limit", "cursor"],
    accounts::get @ Accounts.Read, accounts::update @ Accounts.Update, accounts::archive @ Accounts.Archive,
    contacts::create @ Contacts.Create,
    contacts::list @ Contacts.Read ["accountId", "email", "q", "includeArchived", "limit", "cursor"],
    contacts::get @ Contacts.Read, contacts::update @ Contacts.Update, contacts::archive @ Contacts.Archive,
    directory::list ["limit", "cursor"], directory::invite @ Configuration.Update, directory::save @ Configuration.Update,
    directory::hand_over @ Configuration.Update, directory::opt_out @ Contacts.Update,
    profiles::list @ Configuration.Read, profiles::get @ Configuration.Read, profiles::save @ Configuration.Update,
    tenant::get @ Configuration.Read, tenant::save @ Configuration.Update,
    organisation::get @ Configuration.Read, organisation::save @ Configuration.Update,
    access_log::list @ Configuration.Update ["user", "recordType", "recordId", "limit", "cursor"],
    access_log::retention @ Configuration.Read, access_log::save_retention @ Configuration.Update,
    webhooks::list @ Configuration.Read, webhooks::create @ Configuration.Update, webhooks::get @ Configuration.Read,
    webhooks::update @ Configuration.Update, webhooks::delete @ Configuration.Update,
    webhooks::rotate_secret @ Configuration.Update, webhooks::deliveries @ Configuration.Read ["limit", "cursor"],
    webhooks::get_delivery @ Configuration.Read, webhooks::replay @ Configuration.Update,
);

table!(CASES_API = CasesApi:
    cases::create @ Cases.Create,
    cases::list @ Cases.Read ["state", "owner", "type", "accountId", "archived", "open", "q", "branch", "priority",
        "channel", "createdFrom", "createdTo", "sort", "limit", "cursor"],
    cases::get @ Cases.Read, cases::update @ Cases.Update, cases::archive @ Cases.Archive,
    cases::history @ Cases.Read ["limit", "cursor"], cases::add_comment @ Cases.Update,
    cases::list_comments @ Cases.Read ["limit", "cursor"],
    case_types::list @ Cases.Read ["limit", "cursor"], case_types::create @ Configuration.Update,
    case_types::get @ Cases.Read, case_types::update @ Configuration.Update,
    sla::case_sla @ Cases.Read, sla::list_calendars @ Configuration.Read ["limit", "cursor"],
    sla::get_calendar @ Configuration.Read, sla::put_calendar @ Configuration.Update,
    sla::get_policy @ Configuration.Read, sla::put_policy @ Configuration.Update,
    openapi::serve,
);

// A case's documents: the only HTTP function that links the S3 client (presigned URLs).
table!(DOCUMENTS_API = DocumentsApi:
    documents::templates @ Documents.Read, documents::request @ Documents.Create, documents::list @ Documents.Read,
    documents::download @ Documents.Read, documents::begin_upload @ Documents.Create,
    documents::complete_upload @ Documents.Create,
);

table!(TRANSITIONS_API = TransitionsApi: transitions::transition @ Cases.Update, transitions::offered @ Cases.Read);

// CSV answers also need reports.export (checked where the format is read).
table!(REPORTS_API = ReportsApi:
    reports::cases_by_state @ Reports.Read ["type", "format"], reports::rejections @ Reports.Read ["type", "format"],
    reports::workload @ Reports.Read ["from", "to", "format"], reports::sla @ Reports.Read ["from", "to", "format"],
    receivables::aging_report @ Reports.Read ["groupBy", "agent", "format"],
);

table!(LEADS_API = LeadsApi:
    leads::create @ Leads.Create,
    leads::list @ Leads.Read ["status", "owner", "channel", "formId", "campaign", "q", "createdFrom", "createdTo",
        "period", "limit", "cursor"],
    leads::get @ Leads.Read, leads::update @ Leads.Update, leads::history @ Leads.Read ["limit", "cursor"],
    leads::convert @ Leads.Update,
    leads::account_leads @ Leads.Read ["limit", "cursor"], leads::contact_activities @ Contacts.Read ["limit", "cursor"],
    leads::list_forms @ Leads.Read ["limit", "cursor"], leads::get_form @ Leads.Read,
    leads::put_form @ Configuration.Update, leads::list_submissions @ Leads.Read ["status", "limit", "cursor"],
    leads::get_submission @ Leads.Read, leads::release_submission @ Leads.Update,
    leads::discard_submission @ Leads.Update,
);

table!(SALES_API = SalesApi:
    pipelines::get @ Opportunities.Read, pipelines::save @ Configuration.Update,
    pipelines::board @ Opportunities.Read ["owner"],
    opportunities::create @ Opportunities.Create,
    opportunities::list @ Opportunities.Read ["pipeline", "stage", "owner", "accountId", "open", "closeFrom", "closeTo",
        "limit", "cursor"],
    opportunities::get @ Opportunities.Read, opportunities::update @ Opportunities.Update,
    opportunities::history @ Opportunities.Read ["limit", "cursor"],
    opportunities::account_opportunities @ Opportunities.Read ["limit", "cursor"],
    forecast::get @ Opportunities.Read ["period", "date", "groupBy", "pipeline", "asOf"],
    forecast::movement @ Opportunities.Read ["period", "date", "pipeline", "from", "to"],
    goals::get @ Opportunities.Read, goals::save @ Configuration.Update, goals::attainment @ Opportunities.Read,
    products::list @ Products.Read ["q", "department", "group", "active", "limit", "cursor"],
    products::get @ Products.Read, products::put @ Products.Create, products::batch @ Products.Create,
    price_lists::list @ Products.Read ["limit", "cursor"], price_lists::get @ Products.Read,
    price_lists::put @ Products.Update, price_lists::prices @ Products.Read ["limit", "cursor"],
    price_lists::sync @ Products.Update, price_lists::versions @ Products.Read ["limit", "cursor"],
    price_lists::account_get @ Products.Read, price_lists::account_put @ Accounts.Update,
    price_lists::price @ Products.Read,
    quotes::create @ Opportunities.Create, quotes::list @ Opportunities.Read ["accountId", "owner", "status", "limit",
        "cursor"],
    quotes::get @ Opportunities.Read, quotes::update @ Opportunities.Update, quotes::send @ Opportunities.Update,
    quotes::decide @ Opportunities.Update, quotes::revisions @ Opportunities.Read,
    orders::from_quote @ Opportunities.Update, orders::list @ Opportunities.Read ["accountId", "status", "limit", "cursor"],
    orders::get @ Opportunities.Read, orders::invoice @ Receivables.Create,
);

// A link to the public page may carry whatever a campaign or an ad network adds (`utm_source`,
// `gclid`): "*" lets it through unread.
table!(LEAD_CAPTURE = LeadCapture: capture::page ["sent", "*"], capture::submit);

table!(RECEIVABLES_API = ReceivablesApi:
    receivables::put_invoice @ Receivables.Create, receivables::get_invoice @ Receivables.Read,
    receivables::patch_invoice @ Receivables.Update,
    receivables::list_invoices @ Receivables.Read ["account", "status", "bucket", "agent", "owed", "dueFrom", "dueTo",
        "limit", "cursor"],
    receivables::batch @ Receivables.Create, receivables::history @ Receivables.Read,
    receivables::movements @ Receivables.Read, receivables::put_payment @ Receivables.Create,
    receivables::put_credit_note @ Receivables.Archive, receivables::write_off @ Receivables.Archive,
    receivables::get_ladder @ Receivables.Read, receivables::put_ladder @ Configuration.Update,
    receivables::get_profile @ Receivables.Read, receivables::put_profile @ Receivables.Update,
    receivables::account_aging @ Receivables.Read,
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
    fn each_route_takes_the_query_parameters_it_declares() {
        for function in Function::ALL {
            for (route, doc) in function.routes().iter().zip(function.docs()) {
                let declared: Vec<String> = (doc.operation)()
                    .parameters
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|p| match p {
                        RefOr::T(p) if matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query) => {
                            Some(p.name)
                        }
                        _ => None,
                    })
                    .collect();
                let taken: Vec<&str> = route.query.iter().copied().filter(|name| *name != "*").collect();
                assert_eq!(taken, declared, "{}", route.key());
            }
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
