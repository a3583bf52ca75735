//! `/invoices`, `/invoice-batches`, `/dunning-ladder`, `/accounts/{id}/collections`,
//! `/accounts/{id}/aging` and `/reports/aging`.

use gestiona_domain::EntityId;
use gestiona_domain::history::HistoryEvent;
use gestiona_domain::messages as msg;
use gestiona_domain::receivables::{
    AgingBucket, CollectionsProfile, CreditNoteInput, DunningLadder, InvoiceInput, InvoicePatch, InvoiceStatus,
    InvoiceView, PaymentInput,
};
use gestiona_domain::service::receivables::{
    AccountAging, AgingGroup, AgingReport, BatchInvoice, BatchResult, CollectionsSettingsError, GetInvoiceError,
    InvoiceChangeError, InvoiceFilter, InvoiceMovements, MAX_BATCH, SaveInvoiceError, Upserted,
};
use gestiona_domain::{DocumentNumber, UserId, ValidationErrors, Versioned};
use gestiona_domain::{FieldProblem, Locale};
use http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::Api;
use crate::edge::{self, ListResponse, QueryParams, Record};
use crate::problem::{Problem, ProblemSchema};
use crate::reports::{csv_response, wants_csv};

impl From<SaveInvoiceError> for Problem {
    fn from(e: SaveInvoiceError) -> Self {
        match e {
            SaveInvoiceError::Forbidden(f) => f.into(),
            SaveInvoiceError::Invalid(v) => v.into(),
            SaveInvoiceError::Busy => busy(),
            SaveInvoiceError::Store(s) => Problem::store(s),
        }
    }
}

impl From<GetInvoiceError> for Problem {
    fn from(e: GetInvoiceError) -> Self {
        match e {
            GetInvoiceError::NotFound => Problem::not_found(),
            GetInvoiceError::Store(s) => Problem::store(s),
        }
    }
}

impl From<InvoiceChangeError> for Problem {
    fn from(e: InvoiceChangeError) -> Self {
        match e {
            InvoiceChangeError::NotFound => Problem::not_found(),
            InvoiceChangeError::Forbidden(f) => f.into(),
            InvoiceChangeError::Invalid(v) => v.into(),
            InvoiceChangeError::Duplicate(what) => {
                Problem::conflict("duplicate", msg::title_exists_other_data()).detail(what)
            }
            InvoiceChangeError::Closed(status) => Problem::conflict("invoice-closed", msg::title_invoice_closed())
                .detail(msg::detail_invoice_closed(status_name(status))),
            InvoiceChangeError::Stale(v) => Problem::stale(v),
            InvoiceChangeError::Busy => busy(),
            InvoiceChangeError::Store(s) => Problem::store(s),
        }
    }
}

impl From<CollectionsSettingsError> for Problem {
    fn from(e: CollectionsSettingsError) -> Self {
        match e {
            CollectionsSettingsError::NotFound => Problem::not_found(),
            CollectionsSettingsError::Forbidden(f) => f.into(),
            CollectionsSettingsError::Invalid(v) => v.into(),
            CollectionsSettingsError::Stale { expected: Some(v) } => Problem::stale(v),
            CollectionsSettingsError::Stale { expected: None } => {
                Problem::conflict("duplicate", msg::title_exists()).detail(msg::detail_update_with_put())
            }
            CollectionsSettingsError::Store(s) => Problem::store(s),
        }
    }
}

fn busy() -> Problem {
    Problem::conflict("concurrent-change", msg::title_invoice_concurrent()).detail(msg::detail_nothing_applied())
}

fn status_name(status: InvoiceStatus) -> String {
    serde_json::to_value(status).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn invoice_number(request: &Request, name: &str) -> Result<DocumentNumber, Problem> {
    let raw = edge::path_param(request, name).ok_or_else(Problem::not_found)?;
    DocumentNumber::parse(&raw).map_err(|e| ValidationErrors::single(name, e.into()).into())
}

fn with_view(
    today: jiff::civil::Date,
    invoice: &Versioned<gestiona_domain::receivables::Invoice>,
) -> Versioned<InvoiceView> {
    Versioned { value: invoice.value.view(today), version: invoice.version }
}

#[utoipa::path(put, path = "/invoices/{number}", tag = "receivables",
    description = "Creates or updates an invoice as the ERP knows it (idempotent: the same data again writes nothing). \
        Payments and credit notes already applied stay; without dueOn, the account's days of credit decide it.",
    params(("number" = DocumentNumber, Path)), request_body = InvoiceInput,
    responses((status = 201, body = Record<InvoiceView>), (status = 200, body = Record<InvoiceView>),
        (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn put_invoice(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let number = invoice_number(request, "number")?;
    let input: InvoiceInput = edge::json_body(request)?;
    let (saved, outcome) = api.services.upsert_invoice(&actor, &number, &input).await?;
    let today = api.services.tenant_today(&actor.tenant).await.map_err(Problem::store)?;
    let view = with_view(today, &saved);
    Ok(match outcome {
        Upserted::Created => edge::created(format!("/invoices/{number}"), &view),
        Upserted::Updated | Upserted::Unchanged => edge::versioned(StatusCode::OK, &view),
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    #[schema(min_items = 1, max_items = 100)]
    invoices: Vec<BatchInvoice>,
}

/// The answer to a batch: one line per invoice, in the order sent.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchResponse {
    results: Vec<BatchLine>,
}

/// The outcome of one line of a batch, its errors in the caller's language.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchLine {
    number: String,
    /// `created`, `updated`, `unchanged`, `invalid` or `failed` (retry the line).
    outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldProblem>,
}

impl BatchLine {
    fn of(result: &BatchResult, locale: Locale) -> Self {
        Self {
            number: result.number.clone(),
            outcome: result.outcome.clone(),
            version: result.version,
            errors: result.errors.iter().map(|e| e.render(locale)).collect(),
        }
    }
}

#[utoipa::path(post, path = "/invoice-batches", tag = "receivables",
    description = "Upserts up to 100 invoices (ERP sync). Each line is applied on its own and answered with its \
        outcome: created, updated, unchanged, invalid (with its errors) or failed (retry it).",
    request_body = BatchRequest, responses((status = 200, body = BatchResponse)), security(("bearer" = [])))]
pub async fn batch(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let body: BatchRequest = edge::json_body(request)?;
    if body.invoices.is_empty() || body.invoices.len() > MAX_BATCH {
        return Err(ValidationErrors::single("invoices", msg::batch_size(MAX_BATCH)).into());
    }
    let results = api.services.upsert_invoices(&actor, body.invoices).await?;
    let locale = edge::locale(request.headers());
    let results = results.iter().map(|r| BatchLine::of(r, locale)).collect();
    Ok(edge::json(StatusCode::OK, &BatchResponse { results }))
}

#[utoipa::path(get, path = "/invoices/{number}", tag = "receivables", params(("number" = DocumentNumber, Path)),
    responses((status = 200, body = Record<InvoiceView>), (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_invoice(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let number = invoice_number(request, "number")?;
    let (invoice, ()) =
        tokio::join!(api.services.get_invoice(&actor, &number), api.log_read(&actor, "invoice", &number));
    let invoice = invoice?;
    let today = api.services.tenant_today(&actor.tenant).await.map_err(Problem::store)?;
    Ok(edge::versioned(StatusCode::OK, &with_view(today, &invoice)))
}

#[utoipa::path(get, path = "/invoices", tag = "receivables",
    description = "Invoices by due date. Filters: account, status (open, partiallyPaid, overdue, paid, writtenOff), \
        bucket (an open invoice's age: current, days1To30, days31To60, days61To90, over90), agent (the collections \
        agent named on the invoice or else on its account), owed=true (only what is still owed), dueFrom and dueTo (inclusive dates). With filters a page \
        may hold fewer items than the limit; follow nextCursor until it is null.",
    params(("account" = Option<EntityId>, Query), ("status" = Option<String>, Query), ("bucket" = Option<String>, Query, pattern = r"^(current|days1To30|days31To60|days61To90|over90)$"),
        ("agent" = Option<UserId>, Query), ("owed" = Option<bool>, Query), ("dueFrom" = Option<String>, Query, format = Date),
        ("dueTo" = Option<String>, Query, format = Date), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<InvoiceView>>)), security(("bearer" = [])))]
pub async fn list_invoices(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let params = QueryParams::of(request);
    let status = match params.text("status") {
        Some(s) => {
            Some(InvoiceStatus::parse(&s).ok_or_else(|| ValidationErrors::single("status", msg::invoice_status()))?)
        }
        None => None,
    };
    let filter = InvoiceFilter {
        account_id: params.parse("account", msg::ulid_rule())?,
        status,
        bucket: params.wire_name("bucket", "current, days1To30, days31To60, days61To90, over90")?,
        agent: params.parse("agent", msg::user_id_rule())?,
        owed: params.flag("owed")?,
        due_from: params.parse("dueFrom", msg::date_format())?,
        due_to: params.parse("dueTo", msg::date_format())?,
    };
    let page = params.page()?;
    Ok(edge::page(&api.services.list_invoices(&actor, &filter, &page).await?))
}

#[utoipa::path(patch, path = "/invoices/{number}", tag = "receivables",
    description = "The collections fields: promisedOn (reminders wait until the day after it), stopDunning, collectionsAgent.",
    params(("number" = DocumentNumber, Path), ("If-Match" = String, Header)), request_body = InvoicePatch,
    responses((status = 200, body = Record<InvoiceView>), (status = 412, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn patch_invoice(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let number = invoice_number(request, "number")?;
    let expected = edge::if_match(request)?;
    let patch: InvoicePatch = edge::json_body(request)?;
    let saved = api.services.patch_invoice(&actor, &number, &patch, expected).await?;
    let today = api.services.tenant_today(&actor.tenant).await.map_err(Problem::store)?;
    Ok(edge::versioned(StatusCode::OK, &with_view(today, &saved)))
}

#[utoipa::path(get, path = "/invoices/{number}/history", tag = "receivables", params(("number" = DocumentNumber, Path)),
    description = "Recorded, updated, payments, credit notes, write-off, reminders queued and skipped (with why), e-mails sent.",
    responses((status = 200, body = edge::ListResponse<HistoryEvent>)), security(("bearer" = [])))]
pub async fn history(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let number = invoice_number(request, "number")?;
    let events = api.services.invoice_history(&actor, &number).await?;
    Ok(edge::json(StatusCode::OK, &edge::ListResponse { items: events, next_cursor: None }))
}

#[utoipa::path(get, path = "/invoices/{number}/payments", tag = "receivables", params(("number" = DocumentNumber, Path)),
    responses((status = 200, body = InvoiceMovements)), security(("bearer" = [])))]
pub async fn movements(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let number = invoice_number(request, "number")?;
    Ok(edge::json(StatusCode::OK, &api.services.invoice_movements(&actor, &number).await?))
}

fn replayed(mut response: Response<Body>, applied: bool) -> Response<Body> {
    if !applied {
        response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

#[utoipa::path(put, path = "/invoices/{number}/payments/{paymentId}", tag = "receivables",
    description = "Applies a payment once: the payment id is the ERP's reference. The same payment again answers 200 \
        with Idempotent-Replayed; another amount under the same id is 409; more than the balance is 422.",
    params(("number" = DocumentNumber, Path), ("paymentId" = DocumentNumber, Path)), request_body = PaymentInput,
    responses((status = 201, body = Record<InvoiceView>), (status = 200, body = Record<InvoiceView>),
        (status = 409, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn put_payment(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let number = invoice_number(request, "number")?;
    let payment = invoice_number(request, "paymentId")?;
    let input: PaymentInput = edge::json_body(request)?;
    let (saved, applied) = api.services.record_payment(&actor, &number, &payment, input).await?;
    let today = api.services.tenant_today(&actor.tenant).await.map_err(Problem::store)?;
    let status = if applied { StatusCode::CREATED } else { StatusCode::OK };
    Ok(replayed(edge::versioned(status, &with_view(today, &saved)), applied))
}

#[utoipa::path(put, path = "/invoices/{number}/credit-notes/{noteNumber}", tag = "receivables",
    description = "Applies a credit note once (supervisors); like a payment.",
    params(("number" = DocumentNumber, Path), ("noteNumber" = DocumentNumber, Path)), request_body = CreditNoteInput,
    responses((status = 201, body = Record<InvoiceView>), (status = 200, body = Record<InvoiceView>)), security(("bearer" = [])))]
pub async fn put_credit_note(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let number = invoice_number(request, "number")?;
    let note = invoice_number(request, "noteNumber")?;
    let input: CreditNoteInput = edge::json_body(request)?;
    let (saved, applied) = api.services.issue_credit_note(&actor, &number, &note, input).await?;
    let today = api.services.tenant_today(&actor.tenant).await.map_err(Problem::store)?;
    let status = if applied { StatusCode::CREATED } else { StatusCode::OK };
    Ok(replayed(edge::versioned(status, &with_view(today, &saved)), applied))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteOffRequest {
    reason: String,
}

#[utoipa::path(post, path = "/invoices/{number}/write-off", tag = "receivables",
    description = "Writes the balance off (supervisors); reminders stop.",
    params(("number" = DocumentNumber, Path), ("If-Match" = String, Header)), request_body = WriteOffRequest,
    responses((status = 200, body = Record<InvoiceView>), (status = 409, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn write_off(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let number = invoice_number(request, "number")?;
    let expected = edge::if_match(request)?;
    let body: WriteOffRequest = edge::json_body(request)?;
    let saved = api.services.write_off_invoice(&actor, &number, &body.reason, expected).await?;
    let today = api.services.tenant_today(&actor.tenant).await.map_err(Problem::store)?;
    Ok(edge::versioned(StatusCode::OK, &with_view(today, &saved)))
}

#[utoipa::path(get, path = "/dunning-ladder", tag = "receivables",
    description = "The tenant's reminder steps (the default ladder until one is saved, with ETag 0).",
    responses((status = 200, body = Record<DunningLadder>)), security(("bearer" = [])))]
pub async fn get_ladder(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let ladder = api.services.dunning_ladder(&actor.tenant).await.map_err(Problem::store)?;
    Ok(edge::versioned(StatusCode::OK, &ladder))
}

#[utoipa::path(put, path = "/dunning-ladder", tag = "receivables",
    description = "Sets the reminder steps (admins): offsetDays from the due date (negative before), channel, template, \
        collectionLetter, task. With If-Match, saves the next version.",
    params(("If-Match" = Option<String>, Header)), request_body = DunningLadder,
    responses((status = 200, body = Record<DunningLadder>), (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn put_ladder(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let expected = edge::optional_if_match(request)?;
    let ladder: DunningLadder = edge::json_body(request)?;
    let saved = api.services.save_dunning_ladder(&actor, ladder, expected).await?;
    Ok(edge::versioned(StatusCode::OK, &saved))
}

#[utoipa::path(get, path = "/accounts/{id}/collections", tag = "receivables", params(("id" = EntityId, Path)),
    responses((status = 200, body = Record<CollectionsProfile>)), security(("bearer" = [])))]
pub async fn get_profile(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let profile = api.services.account_collections_profile(&actor, id).await?;
    Ok(edge::versioned(StatusCode::OK, &profile))
}

#[utoipa::path(put, path = "/accounts/{id}/collections", tag = "receivables",
    description = "Credit limit and days of credit, collections agent, paused reminders, an account ladder (supervisors). \
        The account's open invoices are re-armed to match.",
    params(("id" = EntityId, Path), ("If-Match" = Option<String>, Header)), request_body = CollectionsProfile,
    responses((status = 200, body = Record<CollectionsProfile>), (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn put_profile(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::optional_if_match(request)?;
    let profile: CollectionsProfile = edge::json_body(request)?;
    let saved = api.services.save_collections_profile(&actor, id, profile, expected).await?;
    Ok(edge::versioned(StatusCode::OK, &saved))
}

#[utoipa::path(get, path = "/accounts/{id}/aging", tag = "receivables",
    description = "The account's open invoices by aging bucket and currency, with its credit terms and the credit left.",
    params(("id" = EntityId, Path)), responses((status = 200, body = AccountAging)), security(("bearer" = [])))]
pub async fn account_aging(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    Ok(edge::json(StatusCode::OK, &api.services.account_aging(&actor, id).await?))
}

#[utoipa::path(get, path = "/reports/aging", tag = "reports",
    description = "Receivables aging [cartera por edades]: current, 1-30, 31-60, 61-90 and over 90 days, per account or \
        per collections agent and currency. CSV with format=csv.",
    params(("groupBy" = Option<String>, Query, pattern = r"^(account|agent)$", description = "account (default) or agent"), ("agent" = Option<UserId>, Query),
        ("format" = Option<String>, Query, description = "json (default) or csv")),
    responses((status = 200, body = AgingReport)), security(("bearer" = [])))]
pub async fn aging_report(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let params = QueryParams::of(request);
    let csv = wants_csv(api, request).await?;
    let group = match params.text("groupBy").as_deref() {
        None | Some("account") => AgingGroup::Account,
        Some("agent") => AgingGroup::Agent,
        Some(_) => return Err(ValidationErrors::single("groupBy", msg::account_or_agent()).into()),
    };
    let agent: Option<UserId> = params.parse("agent", msg::user_id_rule())?;
    let report = api.services.aging_report(&actor, group, agent.as_ref()).await.map_err(Problem::store)?;
    if !csv {
        return Ok(edge::json(StatusCode::OK, &report));
    }
    let mut table = vec![
        ["group", "name", "currency"]
            .into_iter()
            .map(String::from)
            .chain(AgingBucket::ALL.iter().map(|b| b.label().to_owned()))
            .chain(["total".to_owned(), "invoices".to_owned()])
            .collect::<Vec<_>>(),
    ];
    for row in &report.rows {
        let money = |minor: i64| {
            gestiona_domain::money::Money { amount_minor: minor, currency: row.totals.currency.clone() }
                .decimal_string()
        };
        let mut line = vec![row.group.clone(), row.name.clone().unwrap_or_default(), row.totals.currency.clone()];
        line.extend(AgingBucket::ALL.iter().map(|b| money(row.totals.bucket(*b))));
        line.push(money(row.totals.total));
        line.push(row.totals.invoices.to_string());
        table.push(line);
    }
    csv_response("aging", table)
}
