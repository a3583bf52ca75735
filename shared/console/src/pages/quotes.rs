//! *Cotizaciones*: the list, the editor with live totals (a new quote from an account, a draft
//! changed in place, a sent one revised), and a quote's page with its lines, totals, revisions
//! and the customer's answer.

use askama::Template;
use gestiona_domain::access::{Module, Operation, Permission};
use gestiona_domain::messages as msg;
use gestiona_domain::sales::quote::DecisionInput;
use gestiona_domain::sales::{Quote, QuoteStatus};
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::accounts::AccountFilter;
use gestiona_domain::service::quotes::{QuoteError, QuoteFilter};
use gestiona_domain::{EntityId, ExpectedVersion, Message};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::quote_form::{AmountsView, BLANK_ROWS, LineDraft, QuoteDraft};
use super::{Chrome, form_version, from_htmx, page, query_value};
use crate::session::{SignedIn, form_value};
use crate::{Console, response};

fn status_label(status: QuoteStatus) -> Message {
    match status {
        QuoteStatus::Draft => msg::ui_quote_draft(),
        QuoteStatus::Sent => msg::ui_quote_sent(),
        QuoteStatus::Accepted => msg::ui_quote_accepted(),
        QuoteStatus::Rejected => msg::ui_quote_rejected(),
    }
}

pub struct QuoteRow {
    pub id: String,
    pub number: String,
    pub account_id: String,
    pub account: String,
    pub status: String,
    pub expired: bool,
    pub total: String,
    pub valid_until: String,
    pub owner: String,
}

#[derive(Template)]
#[template(path = "quotes.html")]
struct QuotesPage {
    chrome: Chrome,
    status: String,
    rows: Vec<QuoteRow>,
    next_page: Option<String>,
    may_create: bool,
    may_export: bool,
}

/// `GET /app/quotes?status=`: newest first, within the user's scope.
pub async fn list(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "quotes");
    let actor = &signed_in.actor;
    let status = query_value(request, "status").unwrap_or_default();
    let filter = QuoteFilter { status: QuoteStatus::parse(&status), ..Default::default() };
    let Ok(paging) = PageRequest::new(Some(50), query_value(request, "cursor")) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let (found, today) = futures::join!(
        console.services.list_quotes(actor, &filter, &paging),
        console.services.tenant_today(&actor.tenant)
    );
    let (Ok(found), Ok(today)) = (found, today) else { return response::unavailable(chrome.locale) };
    let ids: Vec<EntityId> = found.items.iter().map(|q| q.value.account_id).collect();
    let Ok(accounts) = console.services.account_names(actor, ids).await else {
        return response::unavailable(chrome.locale);
    };
    let rows = found
        .items
        .iter()
        .map(|q| {
            let q = &q.value;
            QuoteRow {
                id: q.id.to_string(),
                number: q.number.clone(),
                account_id: q.account_id.to_string(),
                account: accounts.get(&q.account_id).cloned().unwrap_or_default(),
                status: chrome.t(status_label(q.status)),
                expired: q.is_expired(today),
                total: gestiona_domain::format::money(
                    &gestiona_domain::money::Money { amount_minor: q.totals.total_minor, currency: q.currency.clone() },
                    chrome.locale,
                ),
                valid_until: gestiona_domain::format::date(q.valid_until, chrome.locale),
                owner: q.owner.to_string(),
            }
        })
        .collect();
    let next_page = found.next_cursor.map(|c| {
        let cursor: String = form_urlencoded::byte_serialize(c.as_bytes()).collect();
        format!("/app/quotes?status={status}&cursor={cursor}")
    });
    let may_create = actor.allows(Permission::new(Module::Opportunities, Operation::Create));
    let may_export = actor.allows(Permission::new(Module::Opportunities, Operation::Export));
    page(StatusCode::OK, &QuotesPage { chrome, status, rows, next_page, may_create, may_export })
}

/// Where the editor sends the quote: a new one (with the form's id, so sending it twice writes
/// one), or an existing one at the version shown.
#[derive(Debug, Clone)]
pub enum Editing {
    New { form_id: String },
    Existing { id: String, version: u64 },
}

#[derive(Template)]
#[template(path = "quote_new.html")]
struct NewQuotePage {
    chrome: Chrome,
    /// The account chosen, or the accounts found by `words`.
    account: Option<(String, String)>,
    words: String,
    found: Vec<(String, String)>,
    editor: Editor,
}

/// The editor: the form, its errors and the preview of what it comes to.
pub struct Editor {
    pub editing: Editing,
    pub draft: QuoteDraft,
    pub rows: Vec<LineDraft>,
    pub errors: Vec<(String, String)>,
    /// The errors as sentences naming their line and column, above the totals.
    pub problems: Vec<String>,
    pub preview: Option<AmountsView>,
}

/// "Línea 3 · Cantidad: …": an error of the editor in words.
fn problem(field: &str, reason: &str, chrome: &Chrome) -> String {
    let column = |name: &str| match name {
        "product" => chrome.t(msg::ui_product()),
        "description" => chrome.t(msg::ui_description()),
        "quantity" => chrome.t(msg::ui_quantity()),
        "unitPriceMinor" => chrome.t(msg::ui_unit_price()),
        "discountBp" => chrome.t(msg::ui_discount()),
        "taxRateBp" => chrome.t(msg::ui_tax_rate()),
        "currency" => chrome.t(msg::ui_currency()),
        "validUntil" => chrome.t(msg::ui_valid_until()),
        "accountId" => chrome.t(msg::ui_account()),
        "lines" => chrome.t(msg::ui_quote_lines()),
        other => other.to_owned(),
    };
    let line = field
        .strip_prefix("lines[")
        .and_then(|rest| rest.split_once("]."))
        .and_then(|(n, name)| n.parse::<usize>().ok().map(|n| chrome.t(msg::ui_line_column(n + 1, column(name)))));
    format!("{}: {reason}", line.unwrap_or_else(|| column(field)))
}

impl Editor {
    fn refuse(&mut self, errors: Vec<(String, String)>, chrome: &Chrome) {
        self.problems = errors.iter().map(|(field, reason)| problem(field, reason, chrome)).collect();
        self.errors = errors;
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, reason)| reason.as_str())
    }

    /// The error of one cell of row `i` (`quantity`, `unitPriceMinor`, …).
    pub fn cell_error(&self, i: &usize, name: &str) -> Option<&str> {
        self.error(&format!("lines[{i}].{name}"))
    }

    pub fn action(&self) -> String {
        match &self.editing {
            Editing::New { .. } => "/app/quotes".into(),
            Editing::Existing { id, .. } => format!("/app/quotes/{id}"),
        }
    }
}

/// `GET /app/quotes/new?account=&q=` (an account found by words, then the editor), or
/// `?opportunity=` (a quote for that opportunity, of its account).
pub async fn new_form(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let mut draft = QuoteDraft { account: query_value(request, "account").unwrap_or_default(), ..Default::default() };
    if let Some(opportunity) = query_value(request, "opportunity") {
        let found = match EntityId::parse(&opportunity) {
            Ok(id) => console.services.get_opportunity(&signed_in.actor, id).await.ok(),
            Err(_) => None,
        };
        let Some(found) = found else { return response::not_found(signed_in.session.locale) };
        draft.account = found.value.account_id.to_string();
        draft.opportunity = found.value.id.to_string();
    }
    let form_id = console.services.new_id().to_string();
    let editor = Editor {
        editing: Editing::New { form_id },
        rows: draft.rows(BLANK_ROWS + 2),
        draft,
        errors: Vec::new(),
        problems: Vec::new(),
        preview: None,
    };
    let words = query_value(request, "q").unwrap_or_default();
    render_new(console, signed_in, &words, editor, StatusCode::OK).await
}

async fn render_new(
    console: &Console,
    signed_in: &SignedIn,
    words: &str,
    editor: Editor,
    status: StatusCode,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "quotes");
    let actor = &signed_in.actor;
    let account = match EntityId::parse(&editor.draft.account) {
        Ok(id) => match console.services.get_account(actor, id).await {
            Ok(a) if !a.value.archived => Some((a.value.id.to_string(), a.value.name)),
            _ => return response::not_found(chrome.locale),
        },
        Err(_) => None,
    };
    let mut found = Vec::new();
    if account.is_none() && words.trim().chars().count() >= 2 {
        let filter = AccountFilter { words: Some(words.to_owned()), include_archived: false };
        match console.services.list_accounts(actor, &filter, &PageRequest::default()).await {
            Ok(page) => found = page.items.into_iter().map(|a| (a.value.id.to_string(), a.value.name)).collect(),
            Err(_) => return response::unavailable(chrome.locale),
        }
    }
    page(status, &NewQuotePage { chrome, account, words: words.to_owned(), found, editor })
}

/// The editor as it was sent back: what was typed, how many rows, and who it was for.
fn editor_of(request: &Request, draft: QuoteDraft) -> Editor {
    let editing = match (form_value(request, "quote"), form_version(request)) {
        (Some(id), Some(version)) if !id.is_empty() => Editing::Existing { id, version },
        _ => Editing::New { form_id: form_value(request, "form_id").unwrap_or_default() },
    };
    let more = form_value(request, "more").and_then(|m| m.parse::<usize>().ok()).unwrap_or(0).min(20);
    Editor {
        editing,
        rows: draft.rows(BLANK_ROWS + more),
        draft,
        errors: Vec::new(),
        problems: Vec::new(),
        preview: None,
    }
}

#[derive(Template)]
#[template(path = "quote_preview.html")]
struct PreviewFragment {
    chrome: Chrome,
    editor: Editor,
}

/// `POST /app/quotes/preview`: what the form comes to. From htmx, the totals region alone (the
/// editor's live totals); otherwise the whole editor again (its *Calcular* and *Más líneas*).
pub async fn preview(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "quotes");
    let draft = QuoteDraft::of(request);
    let mut editor = editor_of(request, draft);
    match editor.draft.input() {
        Ok(input) => match console.services.preview_quote(&signed_in.actor, &input).await {
            Ok(preview) => {
                editor.preview = Some(AmountsView::of(&preview.currency, &preview.lines, &preview.totals, &chrome));
            }
            Err(QuoteError::Invalid(errors)) => {
                editor
                    .refuse(errors.0.iter().map(|e| (e.field.clone(), chrome.t(e.reason.clone()))).collect(), &chrome);
            }
            Err(_) => return response::unavailable(chrome.locale),
        },
        Err(errors) => editor.refuse(errors.into_iter().map(|(f, m)| (f, chrome.t(m))).collect(), &chrome),
    }
    if from_htmx(request) {
        return page(StatusCode::OK, &PreviewFragment { chrome, editor });
    }
    match &editor.editing {
        Editing::New { .. } => render_new(console, signed_in, "", editor, StatusCode::OK).await,
        Editing::Existing { id, .. } => {
            let id = id.clone();
            render_quote(console, signed_in, &id, Some(editor), (None, None), StatusCode::OK).await
        }
    }
}

/// `POST /app/quotes`: the quote the form describes, once per form.
pub async fn create(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "quotes");
    let Some(form_id) = form_value(request, "form_id").and_then(|f| EntityId::parse(&f).ok()) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let mut editor = editor_of(request, QuoteDraft::of(request));
    let refused = match editor.draft.input() {
        Ok(input) => match console.services.create_quote_once(&signed_in.actor, &input, form_id).await {
            Ok((quote, _)) => return response::redirect(&format!("/app/quotes/{}", quote.value.id)),
            Err(QuoteError::Invalid(errors)) => {
                errors.0.iter().map(|e| (e.field.clone(), chrome.t(e.reason.clone()))).collect()
            }
            Err(QuoteError::Forbidden(_)) => return response::forbidden(signed_in),
            Err(_) => return response::unavailable(chrome.locale),
        },
        Err(errors) => errors.into_iter().map(|(f, m)| (f, chrome.t(m))).collect(),
    };
    editor.refuse(refused, &chrome);
    render_new(console, signed_in, "", editor, StatusCode::UNPROCESSABLE_ENTITY).await
}

pub struct RevisionRow {
    pub revision: u32,
    pub sent: String,
    pub total: String,
}

#[derive(Template)]
#[template(path = "quote.html")]
struct QuotePage {
    chrome: Chrome,
    quote: Quote,
    version: u64,
    account: String,
    status: String,
    expired: bool,
    amounts: AmountsView,
    valid_until: String,
    decided_by: Option<String>,
    revisions: Vec<RevisionRow>,
    may_change: bool,
    /// An accepted quote without an order yet, for who may change quotes.
    may_order: bool,
    editor: Option<Editor>,
    notice: Option<String>,
    alert: Option<String>,
}

/// `GET /app/quotes/{id}`.
pub async fn show(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "quotes");
    let notice = query_value(request, "done").map(|done| {
        chrome.t(match done.as_str() {
            "sent" => msg::ui_quote_marked_sent(),
            "decided" => msg::ui_quote_answer_kept(),
            _ => msg::ui_saved(),
        })
    });
    render_quote(console, signed_in, id, None, (notice, None), StatusCode::OK).await
}

async fn render_quote(
    console: &Console,
    signed_in: &SignedIn,
    id: &str,
    editor: Option<Editor>,
    (notice, alert): (Option<String>, Option<String>),
    status: StatusCode,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "quotes");
    let Ok(id) = EntityId::parse(id) else { return response::not_found(chrome.locale) };
    let actor = &signed_in.actor;
    let (quote, revisions, today) = futures::join!(
        console.services.get_quote(actor, id),
        console.services.quote_revisions(actor, id),
        console.services.tenant_today(&actor.tenant)
    );
    let quote = match quote {
        Ok(quote) => quote,
        Err(QuoteError::NotFound) => return response::not_found(chrome.locale),
        Err(_) => return response::unavailable(chrome.locale),
    };
    let (Ok(revisions), Ok(today)) = (revisions, today) else { return response::unavailable(chrome.locale) };
    let Ok(account) = console.services.get_account(actor, quote.value.account_id).await else {
        return response::unavailable(chrome.locale);
    };
    let q = &quote.value;
    let may_change = !q.status.is_decided() && actor.allows(Permission::new(Module::Opportunities, Operation::Update));
    let editor = match editor {
        Some(editor) => Some(editor),
        None if may_change => {
            let draft = QuoteDraft::of_quote(q, chrome.locale);
            Some(Editor {
                editing: Editing::Existing { id: q.id.to_string(), version: quote.version },
                rows: draft.rows(BLANK_ROWS),
                draft,
                errors: Vec::new(),
                problems: Vec::new(),
                preview: None,
            })
        }
        None => None,
    };
    let money = |amount_minor: i64| {
        gestiona_domain::format::money(
            &gestiona_domain::money::Money { amount_minor, currency: q.currency.clone() },
            chrome.locale,
        )
    };
    let view = QuotePage {
        account: account.value.name,
        status: chrome.t(status_label(q.status)),
        expired: q.is_expired(today),
        amounts: AmountsView::of(&q.currency, &q.lines, &q.totals, &chrome),
        valid_until: gestiona_domain::format::date(q.valid_until, chrome.locale),
        decided_by: q.decision.as_ref().map(|d| format!("{} · {}", chrome.when(d.at), d.by)),
        revisions: revisions
            .iter()
            .map(|r| RevisionRow {
                revision: r.revision,
                sent: r.sent_at.map(|at| chrome.when(at)).unwrap_or_default(),
                total: money(r.totals.total_minor),
            })
            .collect(),
        version: quote.version,
        may_order: q.status == QuoteStatus::Accepted
            && q.order_id.is_none()
            && actor.allows(Permission::new(Module::Opportunities, Operation::Update)),
        quote: quote.value.clone(),
        may_change,
        editor,
        notice,
        alert,
        chrome,
    };
    page(status, &view)
}

/// What a refused change says, on the quote's page.
async fn refused(
    console: &Console,
    signed_in: &SignedIn,
    id: &str,
    error: QuoteError,
    editor: Option<Editor>,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "quotes");
    match error {
        QuoteError::Invalid(errors) => match editor {
            Some(mut editor) => {
                editor
                    .refuse(errors.0.iter().map(|e| (e.field.clone(), chrome.t(e.reason.clone()))).collect(), &chrome);
                render_quote(console, signed_in, id, Some(editor), (None, None), StatusCode::UNPROCESSABLE_ENTITY).await
            }
            None => {
                let alert = errors.0.iter().map(|e| chrome.t(e.reason.clone())).collect::<Vec<_>>().join(" ");
                render_quote(console, signed_in, id, None, (None, Some(alert)), StatusCode::UNPROCESSABLE_ENTITY).await
            }
        },
        QuoteError::Stale { .. } => {
            let alert = Some(chrome.t(msg::ui_quote_stale()));
            render_quote(console, signed_in, id, None, (None, alert), StatusCode::CONFLICT).await
        }
        QuoteError::Decided(_) => {
            let alert = Some(chrome.t(msg::title_quote_decided()));
            render_quote(console, signed_in, id, None, (None, alert), StatusCode::CONFLICT).await
        }
        QuoteError::NotFound => response::not_found(chrome.locale),
        QuoteError::Forbidden(_) => response::forbidden(signed_in),
        QuoteError::Store(_) => response::unavailable(chrome.locale),
    }
}

fn expected(request: &Request) -> Option<ExpectedVersion> {
    form_version(request).map(ExpectedVersion::from)
}

/// `POST /app/quotes/{id}`: the editor's quote, at the version it was shown.
pub async fn save(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "quotes");
    let (Ok(quote), Some(expected)) = (EntityId::parse(id), expected(request)) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let mut editor = editor_of(request, QuoteDraft::of(request));
    match editor.draft.input() {
        Ok(input) => match console.services.update_quote(&signed_in.actor, quote, expected, &input).await {
            Ok(_) => response::redirect(&format!("/app/quotes/{quote}?done=saved")),
            Err(error) => refused(console, signed_in, id, error, Some(editor)).await,
        },
        Err(errors) => {
            editor.refuse(errors.into_iter().map(|(f, m)| (f, chrome.t(m))).collect(), &chrome);
            render_quote(console, signed_in, id, Some(editor), (None, None), StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// `POST /app/quotes/{id}/send`.
pub async fn send(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "quotes");
    let (Ok(quote), Some(expected)) = (EntityId::parse(id), expected(request)) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    match console.services.send_quote(&signed_in.actor, quote, expected).await {
        Ok(_) => response::redirect(&format!("/app/quotes/{quote}?done=sent")),
        Err(error) => refused(console, signed_in, id, error, None).await,
    }
}

/// `POST /app/quotes/{id}/decision`: accepted, or rejected and why.
pub async fn decide(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "quotes");
    let (Ok(quote), Some(expected)) = (EntityId::parse(id), expected(request)) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let input = DecisionInput {
        accepted: form_value(request, "accepted").as_deref() == Some("true"),
        reason: form_value(request, "reason").filter(|r| !r.trim().is_empty()),
    };
    match console.services.decide_quote(&signed_in.actor, quote, expected, &input).await {
        Ok(_) => response::redirect(&format!("/app/quotes/{quote}?done=decided")),
        Err(error) => refused(console, signed_in, id, error, None).await,
    }
}

/// The most rows an export holds (the status narrows it).
const EXPORT_MAX: usize = 5_000;

/// `GET /app/quotes/export?status=`: the list as CSV safe to open in a spreadsheet.
pub async fn export(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    use gestiona_domain::access_log::{AccessAction, RecordRef};
    let chrome = Chrome::of(signed_in, "quotes");
    let actor = &signed_in.actor;
    let filter = QuoteFilter {
        status: query_value(request, "status").as_deref().and_then(QuoteStatus::parse),
        ..Default::default()
    };
    let t = |m: Message| chrome.t(m);
    let mut rows = vec![vec![
        t(msg::ui_quote_number()),
        t(msg::ui_revision()),
        t(msg::ui_account()),
        t(msg::ui_status()),
        t(msg::ui_currency()),
        t(msg::ui_net()),
        t(msg::ui_tax_rate()),
        t(msg::ui_total()),
        t(msg::ui_valid_until()),
        t(msg::ui_owner()),
        t(msg::ui_created()),
    ]];
    let mut cursor = None;
    loop {
        let paging = PageRequest::new(Some(100), cursor).expect("a valid page size");
        let Ok(found) = console.services.list_quotes(actor, &filter, &paging).await else {
            return response::unavailable(chrome.locale);
        };
        let ids: Vec<EntityId> = found.items.iter().map(|q| q.value.account_id).collect();
        let Ok(accounts) = console.services.account_names(actor, ids).await else {
            return response::unavailable(chrome.locale);
        };
        rows.extend(found.items.iter().map(|q| {
            let q = &q.value;
            let amount = |amount_minor| {
                gestiona_domain::money::Money { amount_minor, currency: q.currency.clone() }.decimal_string()
            };
            vec![
                q.number.clone(),
                q.revision.to_string(),
                accounts.get(&q.account_id).cloned().unwrap_or_default(),
                t(status_label(q.status)),
                q.currency.clone(),
                amount(q.totals.net_minor),
                amount(q.totals.tax_minor),
                amount(q.totals.total_minor),
                q.valid_until.to_string(),
                q.owner.to_string(),
                q.created_at.to_string(),
            ]
        }));
        match found.next_cursor {
            Some(next) if rows.len() <= EXPORT_MAX => cursor = Some(next),
            _ => break,
        }
    }
    rows.truncate(EXPORT_MAX + 1);
    let name = if chrome.locale == gestiona_domain::Locale::Es { "cotizaciones.csv" } else { "quotes.csv" };
    let what = format!("quotes?{}", request.uri().query().unwrap_or_default());
    console.services.log_access(actor, AccessAction::Exported, Some(RecordRef::new("report", what))).await;
    response::download(name, "text/csv; charset=utf-8", gestiona_domain::export::csv(&rows))
}
