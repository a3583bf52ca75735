//! *Cartera*: what the company is owed by age, grouped by account or by collections agent,
//! and the invoices behind it with filters (status, age, agent, account, due dates).

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use gestiona_domain::messages as msg;
use gestiona_domain::receivables::{AgingBucket, InvoiceStatus, InvoiceView};
use gestiona_domain::service::receivables::{AccountAging, AgingGroup, AgingReport, InvoiceFilter};
use gestiona_domain::service::{ListError, PageRequest};
use gestiona_domain::{EntityId, Message, UserId};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::{AgingLine, AgingTable, InvoiceLine, bucket_key, bucket_label, status_name};
use crate::pages::case_list::Choice;
use crate::pages::params::Params;
use crate::pages::{Chrome, page};
use crate::session::SignedIn;
use crate::{Console, response};

/// The list's query parameters, in the order its links keep them.
const PARAMS: [&str; 7] = ["group", "status", "bucket", "agent", "account", "dueFrom", "dueTo"];
const PAGE_ROWS: u32 = 50;
/// The status filter's value for "still owed, whatever its state".
const OWED: &str = "owed";
const STATUSES: [InvoiceStatus; 5] = [
    InvoiceStatus::Open,
    InvoiceStatus::PartiallyPaid,
    InvoiceStatus::Overdue,
    InvoiceStatus::Paid,
    InvoiceStatus::WrittenOff,
];

fn status_key(status: InvoiceStatus) -> String {
    serde_json::to_value(status).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The filters as typed (to show them again) and as read.
struct Filters {
    params: Params,
    filter: InvoiceFilter,
    by_agent: bool,
    errors: Vec<String>,
}

impl Filters {
    fn read(query: &str, chrome: &Chrome) -> Self {
        let params = Params::read(query, &PARAMS);
        let text = |name: &str| params.get(name);
        let mut errors = Vec::new();
        let mut bad =
            |label: Message, reason: Message| errors.push(format!("{}: {}", chrome.t(label), chrome.t(reason)));
        let mut filter = InvoiceFilter::default();
        match text("status").as_deref() {
            None => {}
            Some(OWED) => filter.owed = true,
            Some(raw) => match InvoiceStatus::parse(raw) {
                Some(status) => filter.status = Some(status),
                None => bad(msg::ui_status(), msg::invoice_status()),
            },
        }
        if let Some(raw) = text("bucket") {
            match AgingBucket::parse(&raw) {
                Some(bucket) => filter.bucket = Some(bucket),
                None => bad(msg::ui_aging_bucket(), msg::one_of(AgingBucket::ALL.map(bucket_key).join(", "))),
            }
        }
        if let Some(raw) = text("agent") {
            match UserId::parse(&raw) {
                Ok(agent) => filter.agent = Some(agent),
                Err(e) => bad(msg::ui_collections_agent(), e.into()),
            }
        }
        if let Some(raw) = text("account") {
            match EntityId::parse(&raw) {
                Ok(account) => filter.account_id = Some(account),
                Err(_) => bad(msg::ui_account(), msg::ulid_rule()),
            }
        }
        for (name, label) in [("dueFrom", msg::ui_due_from()), ("dueTo", msg::ui_due_to())] {
            let Some(raw) = text(name) else { continue };
            match raw.parse::<jiff::civil::Date>() {
                Ok(day) if name == "dueFrom" => filter.due_from = Some(day),
                Ok(day) => filter.due_to = Some(day),
                Err(_) => bad(label, msg::date_format()),
            }
        }
        let by_agent = text("group").as_deref() == Some("agent");
        Self { params, filter, by_agent, errors }
    }
}

#[derive(Template)]
#[template(path = "receivables.html")]
struct ReceivablesPage {
    chrome: Chrome,
    filters: BTreeMap<&'static str, String>,
    filter_errors: Vec<String>,
    /// Whether any filter narrows the list (the grouping does not).
    filtered: bool,
    statuses: Vec<Choice>,
    buckets: Vec<Choice>,
    agents: Vec<Choice>,
    /// The account the list is narrowed to: its id and name.
    account: Option<(String, String)>,
    by_agent: bool,
    /// The summary's tabs' addresses.
    by_account_href: String,
    by_agent_href: String,
    aging: AgingTable,
    invoices: Vec<InvoiceLine>,
    next_page: Option<String>,
}

/// `GET /app/receivables`: the aging summary over the invoices the filters select.
pub async fn list(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "receivables");
    let locale = chrome.locale;
    let filters = Filters::read(request.uri().query().unwrap_or_default(), &chrome);
    let Ok(paging) = PageRequest::new(Some(PAGE_ROWS), super::super::query_value(request, "cursor")) else {
        return response::status_page(StatusCode::BAD_REQUEST, locale);
    };
    let actor = signed_in.actor.clone();
    let everyone = PageRequest::new(Some(100), None).expect("a valid page size");
    let filter = &filters.filter;
    let group = if filters.by_agent { AgingGroup::Agent } else { AgingGroup::Account };
    let listing = async {
        if filters.errors.is_empty() {
            console.services.list_invoices(&actor, filter, &paging).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (users, report, account_aging, invoices) = tokio::join!(
        console.services.list_users(&actor, &everyone),
        async {
            match filter.account_id {
                Some(_) => Ok(None),
                None => console.services.aging_report(&actor, group, filter.agent.as_ref()).await.map(Some),
            }
        },
        async {
            match filter.account_id {
                Some(account) => console.services.account_aging(&actor, account).await.map(Some),
                None => Ok(None),
            }
        },
        listing,
    );
    let (users, report, account_aging, invoices) = match (users, report, account_aging, invoices) {
        (Ok(users), Ok(report), Ok(account_aging), Ok(invoices)) => (users, report, account_aging, invoices),
        (users, report, account_aging, invoices) => {
            let unknown_account =
                matches!(account_aging, Err(gestiona_domain::service::receivables::GetInvoiceError::NotFound));
            if unknown_account {
                return response::not_found(locale);
            }
            tracing::error!(
                users = ?users.err(), report = ?report.err(), aging = ?account_aging.err(),
                invoices = ?invoices.err().map(|e: ListError| e.to_string()),
                "the receivables could not be read"
            );
            return response::unavailable(locale);
        }
    };
    let users: Vec<(String, String)> =
        users.items.into_iter().map(|u| (u.value.id.to_string(), u.value.name)).collect();
    let user_name = |id: &str| users.iter().find(|(u, _)| u == id).map_or_else(|| id.to_owned(), |(_, n)| n.clone());

    let (account, aging) = match (&account_aging, &report) {
        (Some(aging), _) => {
            let names = console.services.account_names(&actor, [aging.account_id]).await.unwrap_or_default();
            let name = names.get(&aging.account_id).cloned().unwrap_or_default();
            (Some((aging.account_id.to_string(), name)), account_summary(aging, &filters, &chrome))
        }
        (None, Some(report)) => (None, report_summary(report, group, &filters, &user_name, &chrome)),
        (None, None) => (None, AgingTable { first_column: String::new(), lines: Vec::new(), totals: Vec::new() }),
    };
    let (rows, next_page) = match invoices {
        Some(found) => {
            let ids = found.items.iter().map(|i| i.value.invoice.account_id);
            let names = match console.services.account_names(&actor, ids).await {
                Ok(names) => names,
                Err(error) => {
                    tracing::error!(%error, "the invoices' accounts could not be read");
                    return response::unavailable(locale);
                }
            };
            let rows = found.items.iter().map(|i| invoice_line(&i.value, &names, &user_name, &chrome)).collect();
            let next = found.next_cursor.map(|cursor| {
                let query = filters.params.query_with(&[("cursor", Some(cursor.as_str()))]);
                format!("/app/receivables?{query}")
            });
            (rows, next)
        }
        None => (Vec::new(), None),
    };
    let choose = |options: Vec<(String, String)>, current: &str| -> Vec<Choice> {
        options.into_iter().map(|(value, label)| Choice { selected: value == current, value, label }).collect()
    };
    let statuses = std::iter::once((OWED.to_owned(), chrome.t(msg::ui_open_any())))
        .chain(STATUSES.into_iter().map(|s| (status_key(s), chrome.t(status_name(s)))))
        .collect();
    let buckets = AgingBucket::ALL.into_iter().map(|b| (bucket_key(b), chrome.t(bucket_label(b)))).collect();
    let page_data = ReceivablesPage {
        statuses: choose(statuses, &filters.params.value("status")),
        buckets: choose(buckets, &filters.params.value("bucket")),
        agents: choose(users, &filters.params.value("agent")),
        by_account_href: format!("/app/receivables?{}", filters.params.query_with(&[("group", None)])),
        by_agent_href: format!("/app/receivables?{}", filters.params.query_with(&[("group", Some("agent"))])),
        by_agent: filters.by_agent,
        filter_errors: filters.errors.clone(),
        filtered: filters.params.values().keys().any(|name| *name != "group"),
        filters: filters.params.values().clone(),
        account,
        aging,
        invoices: rows,
        next_page,
        chrome,
    };
    let status = if filters.errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    page(status, &page_data)
}

/// One account's aging by currency, each figure linking to its invoices.
fn account_summary(aging: &AccountAging, filters: &Filters, chrome: &Chrome) -> AgingTable {
    let link = |bucket: Option<AgingBucket>| {
        let bucket = bucket.map(bucket_key);
        format!(
            "/app/receivables?{}",
            filters.params.query_with(&[("status", Some(OWED)), ("bucket", bucket.as_deref())])
        )
    };
    let lines = aging.totals.iter().map(|t| AgingLine::of(t.currency.clone(), t, chrome.locale, Some(&link))).collect();
    AgingTable { first_column: chrome.t(msg::ui_currency()), lines, totals: Vec::new() }
}

/// The company's aging by account or agent and currency, with the totals per currency; each
/// group's figures link to its invoices (nobody's invoices have no filter to link to).
fn report_summary(
    report: &AgingReport,
    group: AgingGroup,
    filters: &Filters,
    user_name: &dyn Fn(&str) -> String,
    chrome: &Chrome,
) -> AgingTable {
    let locale = chrome.locale;
    let lines = report
        .rows
        .iter()
        .map(|row| {
            let (param, label) = match group {
                AgingGroup::Account => (Some("account"), row.name.clone().unwrap_or_else(|| row.group.clone())),
                AgingGroup::Agent if row.group == "unassigned" => (None, chrome.t(msg::ui_unassigned())),
                AgingGroup::Agent => (Some("agent"), user_name(&row.group)),
            };
            let link = |bucket: Option<AgingBucket>| {
                let bucket = bucket.map(bucket_key);
                let narrowed = filters.params.query_with(&[
                    (param.unwrap_or_default(), Some(row.group.as_str())),
                    ("status", Some(OWED)),
                    ("bucket", bucket.as_deref()),
                ]);
                format!("/app/receivables?{narrowed}")
            };
            let label = format!("{label} · {}", row.totals.currency);
            AgingLine::of(label, &row.totals, locale, param.map(|_| &link as &dyn Fn(_) -> _))
        })
        .collect();
    let totals = report
        .totals
        .iter()
        .map(|t| AgingLine::of(format!("{} · {}", chrome.t(msg::ui_total()), t.currency), t, locale, None))
        .collect();
    let column = match group {
        AgingGroup::Account => msg::ui_account(),
        AgingGroup::Agent => msg::ui_collections_agent(),
    };
    AgingTable { first_column: chrome.t(column), lines, totals }
}

/// An invoice of the list, with its account's and agent's names.
fn invoice_line(
    view: &InvoiceView,
    names: &HashMap<EntityId, String>,
    user_name: &dyn Fn(&str) -> String,
    chrome: &Chrome,
) -> InvoiceLine {
    let mut line = InvoiceLine::of(view, Some(names), chrome);
    if !line.agent.is_empty() {
        line.agent = user_name(&line.agent);
    }
    line
}
