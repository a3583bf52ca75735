//! The staff console: the pages staff work in all day, rendered in Rust from the askama
//! templates in `templates/console/` and progressively enhanced with htmx. Every control is a
//! real link or form first; htmx swaps fragments when it is there.
//!
//! The console calls the use cases in process with the signed-in user as the [`Actor`], so it
//! has exactly the API's authorization. It answers API Gateway (payload v2) requests like the
//! API's functions, and the local runner serves it at `/`.
//!
//! [`Actor`]: gestiona_domain::Actor

mod assets;
pub mod cognito;
mod fresh;
mod pages;
mod response;
mod session;

use gestiona_domain::access::{Module, Operation, Permission};
use gestiona_domain::service::Services;
use gestiona_domain::{TenantId, UserId};
use http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

pub use assets::{asset_path, htmx_path, stylesheet_path};
use session::SignedIn;

/// A page's answer, being computed.
type PageFuture<'a> = std::pin::Pin<Box<dyn Future<Output = Response<Body>> + Send + 'a>>;

/// How this deployment signs staff in.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// A page listing the demo users: the local runner only, never on AWS.
    LocalDemo,
    /// Cognito's managed login, authorization code with PKCE.
    Cognito(std::sync::Arc<cognito::Cognito>),
    /// A deployment whose app client has no callback address yet: nobody can sign in, and
    /// the sign-in page says so.
    Unconfigured,
}

/// The HTTP API's routes to the console function (`infra/template.yaml`), none behind the JWT
/// authorizer: the console signs its users in itself.
pub const GATEWAY_ROUTES: [&str; 5] =
    ["GET /", "GET /app", "GET /app/{proxy+}", "POST /app/{proxy+}", "GET /assets/{name}"];

#[derive(Clone)]
pub struct Console {
    services: Services,
    /// The navigation's counts, per user, for a minute.
    counts: std::sync::Arc<fresh::Fresh<(TenantId, UserId), pages::counts::NavCounts>>,
    /// The names of each tenant's case types and states, for a minute.
    type_names: std::sync::Arc<fresh::Fresh<TenantId, std::sync::Arc<pages::cases::TypeNames>>>,
    /// The documents bucket: download links, upload links and checking what arrived. Without
    /// it downloads and uploads say so.
    files: Option<std::sync::Arc<dyn gestiona_domain::ports::BlobStore>>,
    /// Where browsers send uploads when that is another origin (S3), for the page's policy.
    upload_origin: Option<String>,
    sign_in: SignIn,
    /// The company the local sign-in page signs into (the demo company when `None`).
    local_tenant: Option<TenantId>,
    /// `Secure` on the session cookie: on for HTTPS deployments, off for the local runner's
    /// plain-HTTP loopback.
    secure_cookies: bool,
}

/// The pages and actions, each with its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    Work,
    Cases,
    Accounts,
    Account,
    AccountNew,
    AccountEdit,
    AccountContactNew,
    ContactEdit,
    Contacts,
    Case,
    Comment,
    Leads,
    Lead,
    LeadStatus,
    LeadConversion,
    LeadReview,
    WebForms,
    Opportunities,
    OpportunityList,
    OpportunityExport,
    OpportunityForecast,
    Goals,
    GoalsEdit,
    GoalsExport,
    OpportunityNew,
    Opportunity,
    OpportunityStage,
    Products,
    ProductExport,
    Product,
    PriceLists,
    PriceList,
    AccountPriceList,
    Quotes,
    QuoteNew,
    QuotePreview,
    Quote,
    QuoteSend,
    QuoteDecision,
    QuoteOrder,
    QuoteExport,
    PriceListExport,
    Orders,
    Order,
    OrderInvoice,
    LeadDecision,
    Search,
    Contact,
    Receivables,
    Invoice,
    InvoicePayments,
    InvoiceCollections,
    InvoiceWriteOff,
    Transition,
    CaseFields,
    CaseDocuments,
    CaseDocument,
    CaseUploads,
    CaseUploadAnnounce,
    CaseUploadComplete,
    CaseExport,
    CaseNew,
    CaseBulk,
    Counts,
    Webhooks,
    Webhook,
    WebhookStatus,
    WebhookRotation,
    WebhookDeletion,
    WebhookReplay,
    Settings,
    Company,
    AccessLog,
    Profiles,
    Profile,
    Organisation,
    Users,
    User,
    UserHandOver,
    Views,
    ViewDelete,
    SignIn,
    SignInCallback,
    SignOut,
    Asset,
}

impl Page {
    /// What the user's profile must grant to open the page or send its form (`None`: any
    /// signed-in user). The use cases check again what they guard themselves.
    fn needs(self, method: &Method) -> Option<Permission> {
        use Module::*;
        use Operation::*;
        let post = *method == Method::POST;
        let (module, operation) = match self {
            Page::Work | Page::Case | Page::Views | Page::ViewDelete => (Cases, Read),
            Page::Cases if post => (Cases, Create),
            Page::Cases => (Cases, Read),
            Page::CaseNew => (Cases, Create),
            Page::CaseExport => (Cases, Export),
            Page::CaseBulk | Page::Comment | Page::Transition | Page::CaseFields => (Cases, Update),
            Page::CaseDocuments if post => (Documents, Create),
            Page::CaseDocuments | Page::CaseDocument => (Documents, Read),
            Page::CaseUploads | Page::CaseUploadAnnounce | Page::CaseUploadComplete => (Documents, Create),
            Page::Accounts if post => (Accounts, Create),
            Page::Account if post => (Accounts, Update),
            Page::Accounts | Page::Account => (Accounts, Read),
            Page::AccountNew => (Accounts, Create),
            Page::AccountEdit => (Accounts, Update),
            Page::AccountContactNew => (Contacts, Create),
            Page::Contacts if post => (Contacts, Create),
            Page::Contact if post => (Contacts, Update),
            Page::Contacts | Page::Contact => (Contacts, Read),
            Page::ContactEdit => (Contacts, Update),
            Page::Receivables | Page::Invoice => (Receivables, Read),
            Page::InvoicePayments => (Receivables, Create),
            Page::InvoiceCollections => (Receivables, Update),
            Page::InvoiceWriteOff => (Receivables, Archive),
            Page::Leads | Page::Lead | Page::LeadReview | Page::WebForms => (Leads, Read),
            Page::LeadStatus | Page::LeadConversion | Page::LeadDecision => (Leads, Update),
            Page::Opportunities if post => (Opportunities, Create),
            Page::Opportunity if post => (Opportunities, Update),
            Page::Opportunities | Page::OpportunityList | Page::OpportunityForecast | Page::Opportunity => {
                (Opportunities, Read)
            }
            Page::OpportunityNew => (Opportunities, Create),
            Page::Goals if post => (Configuration, Update),
            Page::Goals => (Opportunities, Read),
            Page::GoalsEdit => (Configuration, Update),
            Page::GoalsExport => (Opportunities, Export),
            Page::OpportunityExport => (Opportunities, Export),
            Page::OpportunityStage => (Opportunities, Update),
            Page::PriceLists | Page::PriceList if post => (Products, Update),
            Page::Products | Page::Product | Page::PriceLists | Page::PriceList => (Products, Read),
            Page::ProductExport => (Products, Export),
            Page::AccountPriceList => (Accounts, Update),
            Page::Quotes if post => (Opportunities, Create),
            Page::Quote if post => (Opportunities, Update),
            Page::Quotes | Page::Quote | Page::QuotePreview => (Opportunities, Read),
            Page::QuoteNew => (Opportunities, Create),
            Page::QuoteSend | Page::QuoteDecision | Page::QuoteOrder => (Opportunities, Update),
            Page::Orders | Page::Order => (Opportunities, Read),
            Page::QuoteExport => (Opportunities, Export),
            Page::PriceListExport => (Products, Export),
            Page::OrderInvoice => (Receivables, Create),
            Page::Webhooks
            | Page::Webhook
            | Page::Settings
            | Page::Company
            | Page::Profiles
            | Page::Profile
            | Page::Organisation
            | Page::Users
            | Page::User
                if !post =>
            {
                (Configuration, Read)
            }
            Page::Webhooks
            | Page::Webhook
            | Page::WebhookStatus
            | Page::WebhookRotation
            | Page::WebhookDeletion
            | Page::WebhookReplay
            | Page::Settings
            | Page::AccessLog
            | Page::Company
            | Page::Profiles
            | Page::Profile
            | Page::Organisation
            | Page::Users
            | Page::User
            | Page::UserHandOver => (Configuration, Update),
            Page::Search | Page::Counts | Page::SignIn | Page::SignInCallback | Page::SignOut | Page::Asset => {
                return None;
            }
        };
        Some(Permission::new(module, operation))
    }
}

fn router() -> &'static matchit::Router<Page> {
    static ROUTER: std::sync::OnceLock<matchit::Router<Page>> = std::sync::OnceLock::new();
    ROUTER.get_or_init(|| {
        let mut router = matchit::Router::new();
        for (path, page) in [
            ("/app/", Page::Work),
            ("/app/cases", Page::Cases),
            ("/app/accounts", Page::Accounts),
            ("/app/accounts/{id}", Page::Account),
            ("/app/accounts/new", Page::AccountNew),
            ("/app/accounts/{id}/edit", Page::AccountEdit),
            ("/app/accounts/{id}/contacts/new", Page::AccountContactNew),
            ("/app/contacts/{id}/edit", Page::ContactEdit),
            ("/app/contacts", Page::Contacts),
            ("/app/contacts/{id}", Page::Contact),
            ("/app/search", Page::Search),
            ("/app/receivables", Page::Receivables),
            ("/app/receivables/invoices/{id}", Page::Invoice),
            ("/app/receivables/invoices/{id}/payments", Page::InvoicePayments),
            ("/app/receivables/invoices/{id}/collections", Page::InvoiceCollections),
            ("/app/receivables/invoices/{id}/write-off", Page::InvoiceWriteOff),
            ("/app/cases/{id}", Page::Case),
            ("/app/cases/{id}/comments", Page::Comment),
            ("/app/cases/{id}/transitions", Page::Transition),
            ("/app/cases/{id}/fields", Page::CaseFields),
            ("/app/cases/{id}/documents", Page::CaseDocuments),
            ("/app/cases/{id}/documents/{document}", Page::CaseDocument),
            ("/app/cases/{id}/uploads", Page::CaseUploads),
            ("/app/cases/{id}/uploads/direct", Page::CaseUploadAnnounce),
            ("/app/cases/{id}/uploads/{document}/complete", Page::CaseUploadComplete),
            ("/app/cases/export", Page::CaseExport),
            ("/app/cases/new", Page::CaseNew),
            ("/app/cases/bulk", Page::CaseBulk),
            ("/app/counts", Page::Counts),
            ("/app/views", Page::Views),
            ("/app/views/{id}/delete", Page::ViewDelete),
            ("/app/leads", Page::Leads),
            ("/app/leads/review", Page::LeadReview),
            ("/app/leads/forms", Page::WebForms),
            ("/app/leads/review/{id}", Page::LeadDecision),
            ("/app/opportunities", Page::Opportunities),
            ("/app/opportunities/list", Page::OpportunityList),
            ("/app/opportunities/export", Page::OpportunityExport),
            ("/app/opportunities/forecast", Page::OpportunityForecast),
            ("/app/opportunities/goals", Page::Goals),
            ("/app/opportunities/goals/edit", Page::GoalsEdit),
            ("/app/opportunities/goals/export", Page::GoalsExport),
            ("/app/opportunities/new", Page::OpportunityNew),
            ("/app/opportunities/{id}", Page::Opportunity),
            ("/app/opportunities/{id}/stage", Page::OpportunityStage),
            ("/app/products", Page::Products),
            ("/app/products/export", Page::ProductExport),
            ("/app/products/{id}", Page::Product),
            ("/app/price-lists", Page::PriceLists),
            ("/app/price-lists/{id}", Page::PriceList),
            ("/app/accounts/{id}/price-list", Page::AccountPriceList),
            ("/app/quotes", Page::Quotes),
            ("/app/quotes/new", Page::QuoteNew),
            ("/app/quotes/preview", Page::QuotePreview),
            ("/app/quotes/export", Page::QuoteExport),
            ("/app/price-lists/{id}/export", Page::PriceListExport),
            ("/app/quotes/{id}", Page::Quote),
            ("/app/quotes/{id}/send", Page::QuoteSend),
            ("/app/quotes/{id}/decision", Page::QuoteDecision),
            ("/app/quotes/{id}/order", Page::QuoteOrder),
            ("/app/orders", Page::Orders),
            ("/app/orders/{id}", Page::Order),
            ("/app/orders/{id}/invoice", Page::OrderInvoice),
            ("/app/settings/webhooks", Page::Webhooks),
            ("/app/settings/webhooks/{id}", Page::Webhook),
            ("/app/settings/webhooks/{id}/status", Page::WebhookStatus),
            ("/app/settings/webhooks/{id}/rotate", Page::WebhookRotation),
            ("/app/settings/webhooks/{id}/delete", Page::WebhookDeletion),
            ("/app/settings/webhooks/{id}/deliveries/{delivery}/replay", Page::WebhookReplay),
            ("/app/settings", Page::Settings),
            ("/app/settings/company", Page::Company),
            ("/app/settings/access-log", Page::AccessLog),
            ("/app/settings/profiles", Page::Profiles),
            ("/app/settings/profiles/{id}", Page::Profile),
            ("/app/settings/organisation", Page::Organisation),
            ("/app/settings/users", Page::Users),
            ("/app/settings/users/{id}", Page::User),
            ("/app/settings/users/{id}/hand-over", Page::UserHandOver),
            ("/app/leads/{id}", Page::Lead),
            ("/app/leads/{id}/status", Page::LeadStatus),
            ("/app/leads/{id}/convert", Page::LeadConversion),
            ("/app/sign-in", Page::SignIn),
            (cognito::CALLBACK_PATH, Page::SignInCallback),
            ("/app/sign-out", Page::SignOut),
            ("/assets/{name}", Page::Asset),
        ] {
            router.insert(path, page).expect("distinct console paths");
        }
        router
    })
}

impl Console {
    pub fn new(services: Services, sign_in: SignIn, secure_cookies: bool) -> Self {
        Self {
            services,
            counts: std::sync::Arc::new(fresh::Fresh::new(pages::counts::FRESH_FOR)),
            type_names: std::sync::Arc::new(fresh::Fresh::new(pages::cases::TypeNames::FRESH_FOR)),
            files: None,
            upload_origin: None,
            sign_in,
            local_tenant: None,
            secure_cookies,
        }
    }

    /// Lets staff download and upload a case's documents through `files`, whose presigned
    /// uploads go to `upload_origin` when that is not the console's own.
    pub fn with_files(
        mut self,
        files: std::sync::Arc<dyn gestiona_domain::ports::BlobStore>,
        upload_origin: Option<String>,
    ) -> Self {
        self.files = Some(files);
        self.upload_origin = upload_origin;
        self
    }

    /// On the local runner serving one company (`serve --tenant`): the sign-in page lists that
    /// company's staff instead of the demo users.
    pub fn signing_in_to(mut self, tenant: Option<TenantId>) -> Self {
        self.local_tenant = tenant;
        self
    }

    /// Whether the console answers `path` (the local runner sends it these).
    pub fn serves(path: &str) -> bool {
        path == "/" || path.starts_with("/app/") || path == "/app" || path.starts_with("/assets/")
    }

    /// Answers one request. Never fails: errors are pages.
    pub async fn handle(&self, request: Request) -> Response<Body> {
        let mut response = self.route(request).await;
        if let SignIn::Cognito(cognito) = &self.sign_in {
            response::allow_form_target(&mut response, cognito.origin());
        }
        if let Some(origin) = &self.upload_origin {
            response::allow_upload_target(&mut response, origin);
        }
        response
    }

    async fn route(&self, request: Request) -> Response<Body> {
        let path = request.uri().path().to_owned();
        if path == "/" || path == "/app" {
            return response::redirect("/app/");
        }
        let Ok(matched) = router().at(&path) else {
            return response::not_found(session::locale_of(&request));
        };
        let page = *matched.value;
        let id = matched.params.get("id").map(str::to_owned);
        let name = matched.params.get("name").map(str::to_owned);
        let document = matched.params.get("document").map(str::to_owned);
        let delivery = matched.params.get("delivery").map(str::to_owned);
        match (page, request.method()) {
            (Page::Asset, &Method::GET) => assets::serve(name.as_deref().unwrap_or_default()),
            (Page::SignIn, &Method::GET) => pages::sign_in::form(self, &request).await,
            (Page::SignIn, &Method::POST) => pages::sign_in::submit(self, &request).await,
            (Page::SignInCallback, &Method::GET) => pages::sign_in::callback(self, &request).await,
            (Page::SignOut, &Method::POST) => match self.signed_in(&request).await {
                Ok(signed_in) => pages::sign_in::sign_out(self, &request, &signed_in).await,
                Err(response) => response,
            },
            (page, method) => {
                let signed_in = match self.signed_in(&request).await {
                    Ok(signed_in) => signed_in,
                    Err(response) => return response,
                };
                if *method == Method::POST {
                    // The upload form's token travels inside its multipart body: checked there.
                    if page != Page::CaseUploads && !signed_in.csrf_ok(&request) {
                        return response::forbidden(&signed_in);
                    }
                    // The user changes something: their counts are recomputed on the next page.
                    self.counts.forget(&(signed_in.session.tenant.clone(), signed_in.session.user.clone()));
                }
                if let Some(needed) = page.needs(method)
                    && let Err(refused) = signed_in.actor.permit(needed)
                {
                    return response::not_permitted(signed_in.session.locale, refused.message());
                }
                let id = id.as_deref().unwrap_or_default();
                // Each page's future is boxed: inlined, they made one state machine as large as
                // all of them together, in code and in the memory every request reserves.
                let page: PageFuture<'_> = match (page, method) {
                    (Page::Work, &Method::GET) => Box::pin(pages::cases::work(self, &request, &signed_in)),
                    (Page::Cases, &Method::GET) => Box::pin(pages::case_list::list(self, &request, &signed_in)),
                    (Page::Cases, &Method::POST) => Box::pin(pages::case::create(self, &request, &signed_in)),
                    (Page::CaseNew, &Method::GET) => Box::pin(pages::case::new_form(self, &request, &signed_in)),
                    (Page::CaseExport, &Method::GET) => Box::pin(pages::case_list::export(self, &request, &signed_in)),
                    (Page::CaseBulk, &Method::POST) => Box::pin(pages::case_list::bulk(self, &request, &signed_in)),
                    (Page::Counts, &Method::GET) => Box::pin(pages::counts::nav(self, &signed_in)),
                    (Page::Views, &Method::POST) => Box::pin(pages::case_list::save_view(self, &request, &signed_in)),
                    (Page::ViewDelete, &Method::POST) => Box::pin(pages::case_list::delete_view(self, &signed_in, id)),
                    (Page::Accounts, &Method::GET) => Box::pin(pages::accounts::list(self, &request, &signed_in)),
                    (Page::Accounts, &Method::POST) => {
                        Box::pin(pages::records::create_account(self, &request, &signed_in))
                    }
                    (Page::Account, &Method::GET) => Box::pin(pages::accounts::show(self, &signed_in, id)),
                    (Page::Account, &Method::POST) => {
                        Box::pin(pages::records::update_account(self, &request, &signed_in, id))
                    }
                    (Page::AccountNew, &Method::GET) => Box::pin(pages::records::new_account(&signed_in)),
                    (Page::AccountEdit, &Method::GET) => Box::pin(pages::records::edit_account(self, &signed_in, id)),
                    (Page::AccountContactNew, &Method::GET) => {
                        Box::pin(pages::records::new_contact(self, &signed_in, id))
                    }
                    (Page::Contacts, &Method::POST) => {
                        Box::pin(pages::records::create_contact(self, &request, &signed_in))
                    }
                    (Page::ContactEdit, &Method::GET) => Box::pin(pages::records::edit_contact(self, &signed_in, id)),
                    (Page::Contact, &Method::POST) => {
                        Box::pin(pages::records::update_contact(self, &request, &signed_in, id))
                    }
                    (Page::Contacts, &Method::GET) => Box::pin(pages::accounts::contacts(self, &request, &signed_in)),
                    (Page::Case, &Method::GET) => Box::pin(pages::case::show(self, &request, &signed_in, id)),
                    (Page::Comment, &Method::POST) => Box::pin(pages::case::comment(self, &request, &signed_in, id)),
                    (Page::Transition, &Method::POST) => {
                        Box::pin(pages::case::transition(self, &request, &signed_in, id))
                    }
                    (Page::CaseFields, &Method::POST) => Box::pin(pages::case::save(self, &request, &signed_in, id)),
                    (Page::CaseDocuments, &Method::POST) => {
                        Box::pin(pages::case::generate_document(self, &request, &signed_in, id))
                    }
                    (Page::CaseDocuments, &Method::GET) => {
                        Box::pin(pages::case::documents_section(self, &signed_in, id))
                    }
                    (Page::CaseDocument, &Method::GET) => Box::pin(pages::case::download_document(
                        self,
                        &signed_in,
                        id,
                        document.as_deref().unwrap_or_default(),
                    )),
                    (Page::CaseUploads, &Method::POST) => {
                        Box::pin(pages::case::form_upload(self, &request, &signed_in, id))
                    }
                    (Page::CaseUploadAnnounce, &Method::POST) => {
                        Box::pin(pages::case::announce_upload(self, &request, &signed_in, id))
                    }
                    (Page::CaseUploadComplete, &Method::POST) => Box::pin(pages::case::complete_upload(
                        self,
                        &request,
                        &signed_in,
                        id,
                        document.as_deref().unwrap_or_default(),
                    )),
                    (Page::Search, &Method::GET) => Box::pin(pages::search::results(self, &request, &signed_in)),
                    (Page::Contact, &Method::GET) => Box::pin(pages::search::contact(self, &signed_in, id)),
                    (Page::Receivables, &Method::GET) => {
                        Box::pin(pages::receivables::list::list(self, &request, &signed_in))
                    }
                    (Page::Invoice, &Method::GET) => Box::pin(pages::receivables::invoice::show(self, &signed_in, id)),
                    (Page::InvoicePayments, &Method::POST) => {
                        Box::pin(pages::receivables::invoice::record_payment(self, &request, &signed_in, id))
                    }
                    (Page::InvoiceCollections, &Method::POST) => {
                        Box::pin(pages::receivables::invoice::save_collections(self, &request, &signed_in, id))
                    }
                    (Page::InvoiceWriteOff, &Method::POST) => {
                        Box::pin(pages::receivables::invoice::write_off(self, &request, &signed_in, id))
                    }
                    (Page::Leads, &Method::GET) => Box::pin(pages::leads::list(self, &request, &signed_in)),
                    (Page::Lead, &Method::GET) => Box::pin(pages::leads::show(self, &signed_in, id)),
                    (Page::Opportunities, &Method::GET) => {
                        Box::pin(pages::opportunities::board(self, &request, &signed_in))
                    }
                    (Page::Opportunities, &Method::POST) => {
                        Box::pin(pages::opportunities::create(self, &request, &signed_in))
                    }
                    (Page::OpportunityList, &Method::GET) => {
                        Box::pin(pages::opportunities::list(self, &request, &signed_in))
                    }
                    (Page::OpportunityForecast, &Method::GET) => {
                        Box::pin(pages::forecast::show(self, &request, &signed_in))
                    }
                    (Page::Goals, &Method::GET) => Box::pin(pages::goals::show(self, &request, &signed_in)),
                    (Page::Goals, &Method::POST) => Box::pin(pages::goals::save(self, &request, &signed_in)),
                    (Page::GoalsEdit, &Method::GET) => Box::pin(pages::goals::edit(self, &request, &signed_in)),
                    (Page::GoalsExport, &Method::GET) => Box::pin(pages::goals::export(self, &request, &signed_in)),
                    (Page::OpportunityExport, &Method::GET) => {
                        Box::pin(pages::opportunities::export(self, &request, &signed_in))
                    }
                    (Page::OpportunityNew, &Method::GET) => {
                        Box::pin(pages::opportunities::new_form(self, &request, &signed_in))
                    }
                    (Page::Opportunity, &Method::GET) => Box::pin(pages::opportunity::show(self, &signed_in, id)),
                    (Page::Opportunity, &Method::POST) => {
                        Box::pin(pages::opportunity::save(self, &request, &signed_in, id))
                    }
                    (Page::OpportunityStage, &Method::POST) => {
                        Box::pin(pages::opportunities::move_card(self, &request, &signed_in, id))
                    }
                    (Page::Products, &Method::GET) => Box::pin(pages::products::list(self, &request, &signed_in)),
                    (Page::ProductExport, &Method::GET) => {
                        Box::pin(pages::products::export(self, &request, &signed_in))
                    }
                    (Page::Product, &Method::GET) => Box::pin(pages::products::show(self, &signed_in, id)),
                    (Page::PriceLists, &Method::GET) => Box::pin(pages::price_lists::list(self, &signed_in)),
                    (Page::PriceLists, &Method::POST) => {
                        Box::pin(pages::price_lists::create(self, &request, &signed_in))
                    }
                    (Page::PriceList, &Method::GET) => {
                        Box::pin(pages::price_lists::show(self, &request, &signed_in, id))
                    }
                    (Page::PriceList, &Method::POST) => {
                        Box::pin(pages::price_lists::save(self, &request, &signed_in, id))
                    }
                    (Page::AccountPriceList, &Method::POST) => {
                        Box::pin(pages::price_lists::assign(self, &request, &signed_in, id))
                    }
                    (Page::Quotes, &Method::GET) => Box::pin(pages::quotes::list(self, &request, &signed_in)),
                    (Page::Quotes, &Method::POST) => Box::pin(pages::quotes::create(self, &request, &signed_in)),
                    (Page::QuoteNew, &Method::GET) => Box::pin(pages::quotes::new_form(self, &request, &signed_in)),
                    (Page::QuotePreview, &Method::POST) => Box::pin(pages::quotes::preview(self, &request, &signed_in)),
                    (Page::Quote, &Method::GET) => Box::pin(pages::quotes::show(self, &request, &signed_in, id)),
                    (Page::Quote, &Method::POST) => Box::pin(pages::quotes::save(self, &request, &signed_in, id)),
                    (Page::QuoteSend, &Method::POST) => Box::pin(pages::quotes::send(self, &request, &signed_in, id)),
                    (Page::QuoteDecision, &Method::POST) => {
                        Box::pin(pages::quotes::decide(self, &request, &signed_in, id))
                    }
                    (Page::QuoteOrder, &Method::POST) => {
                        Box::pin(pages::orders::from_quote(self, &request, &signed_in, id))
                    }
                    (Page::QuoteExport, &Method::GET) => Box::pin(pages::quotes::export(self, &request, &signed_in)),
                    (Page::PriceListExport, &Method::GET) => {
                        Box::pin(pages::price_lists::export(self, &request, &signed_in, id))
                    }
                    (Page::Orders, &Method::GET) => Box::pin(pages::orders::list(self, &request, &signed_in)),
                    (Page::Order, &Method::GET) => Box::pin(pages::orders::show(self, &signed_in, id)),
                    (Page::OrderInvoice, &Method::POST) => {
                        Box::pin(pages::orders::invoice(self, &request, &signed_in, id))
                    }
                    (Page::LeadStatus, &Method::POST) => {
                        Box::pin(pages::leads::set_status(self, &request, &signed_in, id))
                    }
                    (Page::LeadConversion, &Method::POST) => {
                        Box::pin(pages::leads::convert(self, &request, &signed_in, id))
                    }
                    (Page::LeadReview, &Method::GET) => {
                        Box::pin(pages::lead_review::review(self, &request, &signed_in))
                    }
                    (Page::WebForms, &Method::GET) => Box::pin(pages::web_forms::list(self, &request, &signed_in)),
                    (Page::Webhooks, &Method::GET) => Box::pin(pages::webhooks::list(self, &signed_in)),
                    (Page::Webhooks, &Method::POST) => Box::pin(pages::webhooks::create(self, &request, &signed_in)),
                    (Page::Webhook, &Method::GET) => Box::pin(pages::webhooks::show(self, &request, &signed_in, id)),
                    (Page::Webhook, &Method::POST) => Box::pin(pages::webhooks::update(self, &request, &signed_in, id)),
                    (Page::WebhookStatus, &Method::POST) => {
                        Box::pin(pages::webhooks::set_status(self, &request, &signed_in, id))
                    }
                    (Page::WebhookRotation, &Method::POST) => {
                        Box::pin(pages::webhooks::rotate(self, &request, &signed_in, id))
                    }
                    (Page::WebhookDeletion, &Method::POST) => {
                        Box::pin(pages::webhooks::delete(self, &request, &signed_in, id))
                    }
                    (Page::WebhookReplay, &Method::POST) => Box::pin(pages::webhooks::replay(
                        self,
                        &request,
                        &signed_in,
                        id,
                        delivery.as_deref().unwrap_or_default(),
                    )),
                    (Page::Settings, &Method::GET) => Box::pin(pages::settings::index(&signed_in)),
                    (Page::AccessLog, &Method::GET) => Box::pin(pages::access_log::list(self, &request, &signed_in)),
                    (Page::AccessLog, &Method::POST) => {
                        Box::pin(pages::access_log::save_retention(self, &request, &signed_in))
                    }
                    (Page::Company, &Method::GET) => Box::pin(pages::company::show(self, &signed_in)),
                    (Page::Company, &Method::POST) => Box::pin(pages::company::save(self, &request, &signed_in)),
                    (Page::Profiles, &Method::GET) => Box::pin(pages::profiles::list(self, &signed_in)),
                    (Page::Profiles, &Method::POST) => Box::pin(pages::profiles::create(self, &request, &signed_in)),
                    (Page::Profile, &Method::GET) => Box::pin(pages::profiles::show(self, &signed_in, id)),
                    (Page::Profile, &Method::POST) => Box::pin(pages::profiles::save(self, &request, &signed_in, id)),
                    (Page::Organisation, &Method::GET) => Box::pin(pages::organisation::show(self, &signed_in)),
                    (Page::Organisation, &Method::POST) => {
                        Box::pin(pages::organisation::save(self, &request, &signed_in))
                    }
                    (Page::Users, &Method::GET) => Box::pin(pages::users::list(self, &signed_in)),
                    (Page::Users, &Method::POST) => Box::pin(pages::users::invite(self, &request, &signed_in)),
                    (Page::User, &Method::GET) => Box::pin(pages::users::show(self, &signed_in, id)),
                    (Page::User, &Method::POST) => Box::pin(pages::users::save(self, &request, &signed_in, id)),
                    (Page::UserHandOver, &Method::POST) => {
                        Box::pin(pages::users::hand_over(self, &request, &signed_in, id))
                    }
                    (Page::LeadDecision, &Method::POST) => {
                        Box::pin(pages::lead_review::decide(self, &request, &signed_in, id))
                    }
                    _ => return response::status_page(StatusCode::METHOD_NOT_ALLOWED, signed_in.session.locale),
                };
                page.await
            }
        }
    }

    /// The session of the request, or the answer that sends the user to sign in (and back).
    async fn signed_in(&self, request: &Request) -> Result<SignedIn, Response<Body>> {
        session::signed_in(&self.services, request).await
    }
}
