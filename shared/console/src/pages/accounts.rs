//! *Cuentas* and *Contactos*: lists with a name search, and the customer file of an account
//! (its data, contacts and cases on one page).

use askama::Template;
use gestiona_domain::access_log::{AccessAction, RecordRef};
use gestiona_domain::account::Account;
use gestiona_domain::contact::Contact;
use gestiona_domain::lead::Lead;
use gestiona_domain::messages as msg;
use gestiona_domain::sales::{Opportunity, Pipelines};
use gestiona_domain::service::accounts::{AccountFilter, GetAccountError};
use gestiona_domain::service::case_list::CaseFilter;
use gestiona_domain::service::contacts::ContactFilter;
use gestiona_domain::service::customer_file::RECENT_CASES;
use gestiona_domain::service::{ListError, PageRequest};
use gestiona_domain::{EntityId, Page, Versioned};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::cases::{CaseRow, TypeNames, rows_with_deadlines};
use super::customer_file::CustomerActivity;
use super::leads::LeadRow;
use super::receivables::Receivables;
use super::{Chrome, page, query_value};
use crate::session::SignedIn;
use crate::{Console, response};

pub struct AccountRow {
    pub id: String,
    pub name: String,
    pub tax_id: String,
    pub email: String,
    pub phone: String,
    pub branch: String,
}

impl AccountRow {
    fn of(account: &Account) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            id: account.id.to_string(),
            name: account.name.clone(),
            tax_id: text(&account.tax_id),
            email: text(&account.email),
            phone: text(&account.phone),
            branch: text(&account.branch),
        }
    }
}

/// An opportunity on the customer file, with the lead it came from (if it did).
pub struct OpportunityRow {
    pub id: String,
    pub name: String,
    pub stage: String,
    pub amount: String,
    pub owner: String,
    pub created: String,
    pub lead_id: Option<String>,
}

impl OpportunityRow {
    fn of(opportunity: &Opportunity, pipelines: &Pipelines, chrome: &Chrome) -> Self {
        let stage =
            opportunity.stage_in(pipelines).map_or_else(|| opportunity.stage.to_string(), |(_, s)| s.name.clone());
        Self {
            id: opportunity.id.to_string(),
            name: opportunity.name.clone(),
            stage,
            amount: gestiona_domain::format::money(&opportunity.amount, chrome.locale),
            owner: opportunity.owner.as_ref().map(ToString::to_string).unwrap_or_default(),
            created: chrome.when(opportunity.created_at),
            lead_id: opportunity.lead_id.map(|id| id.to_string()),
        }
    }
}

/// A lead converted into the account, and whether the conversion opened an opportunity.
pub struct ConvertedLeadRow {
    pub lead: LeadRow,
    pub converted: String,
    pub opportunity: bool,
}

impl ConvertedLeadRow {
    fn of(lead: &Lead, chrome: &Chrome) -> Self {
        let conversion = lead.converted.as_ref();
        Self {
            lead: LeadRow::of(lead, chrome),
            converted: conversion.map(|c| chrome.when(c.at)).unwrap_or_default(),
            opportunity: conversion.is_some_and(|c| c.opportunity_id.is_some()),
        }
    }
}

pub struct ContactRow {
    pub id: String,
    pub name: String,
    pub title: String,
    pub email: String,
    pub phone: String,
    /// The account's id, when the contact belongs to one.
    pub account: Option<String>,
}

impl ContactRow {
    fn of(contact: &Contact) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let name = contact.full_name();
        Self {
            id: contact.id.to_string(),
            name,
            title: text(&contact.title),
            email: text(&contact.email),
            phone: text(&contact.phone),
            account: contact.account_id.map(|id| id.to_string()),
        }
    }
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    search: String,
    search_error: Option<String>,
    rows: Vec<AccountRow>,
    next_page: Option<String>,
}

#[derive(Template)]
#[template(path = "contacts.html")]
struct ContactsPage {
    chrome: Chrome,
    search: String,
    search_error: Option<String>,
    rows: Vec<ContactRow>,
    next_page: Option<String>,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    account: AccountRow,
    website: String,
    industry: String,
    contacts: Vec<ContactRow>,
    cases: Vec<CaseRow>,
    /// The case rows' paging link: the file shows the first page of the account's cases.
    next_page: Option<String>,
    /// Case rows here carry no checkbox: bulk actions live on the case list.
    selectable: bool,
    show_due: bool,
    receivables: Receivables,
    opportunities: Vec<OpportunityRow>,
    converted_leads: Vec<ConvertedLeadRow>,
    /// The documents and latest activity of the account's cases changed last.
    recent: CustomerActivity,
    recent_cases: usize,
    /// The list the account is priced from, for those who read products.
    price_list: Option<AccountPriceList>,
}

/// The account's price list and the lists it may take.
pub struct AccountPriceList {
    /// `None`: the company's default.
    pub current: Option<String>,
    /// `(key, name)` of the active lists.
    pub choices: Vec<(String, String)>,
    pub may_change: bool,
}

impl AccountPriceList {
    async fn load(console: &Console, actor: &gestiona_domain::Actor, account: EntityId) -> Option<Self> {
        use gestiona_domain::access::{Module, Operation, Permission};
        if !actor.allows(Permission::new(Module::Products, Operation::Read)) {
            return None;
        }
        let paging = PageRequest::new(Some(100), None).expect("a valid page size");
        let (current, lists) = tokio::join!(
            console.services.account_price_list(actor, account),
            console.services.price_lists(actor, &paging)
        );
        let (Ok(current), Ok(lists)) = (current, lists) else { return None };
        let choices = lists
            .items
            .iter()
            .filter(|l| l.value.list.active)
            .map(|l| (l.value.list.key.to_string(), l.value.list.name.clone()))
            .collect();
        Some(AccountPriceList {
            current: current.map(|k| k.to_string()),
            choices,
            may_change: actor.allows(Permission::new(Module::Accounts, Operation::Update)),
        })
    }

    fn is(&self, key: &str) -> bool {
        self.current.as_deref() == Some(key)
    }
}

/// The link to the next page of a list, keeping its search.
fn next_link(path: &str, search: &str, cursor: Option<String>) -> Option<String> {
    let encode = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    cursor.map(|c| format!("{path}?q={}&cursor={}", encode(search), encode(&c)))
}

fn paging(request: &Request) -> Option<PageRequest> {
    PageRequest::new(Some(50), query_value(request, "cursor")).ok()
}

/// A list the page needs, or `None` (logged) when the store could not answer.
fn listed<T>(found: Result<Page<Versioned<T>>, impl std::fmt::Debug>) -> Option<Page<Versioned<T>>> {
    found.map_err(|error| tracing::error!(?error, "a console list could not be read")).ok()
}

/// A searched list: its page, or an empty one with the reason the search was refused (too
/// short), shown beside the box; `None` (logged) when the store could not answer.
fn searched<T>(
    found: Result<Page<Versioned<T>>, ListError>,
    chrome: &Chrome,
) -> Option<(Page<Versioned<T>>, Option<String>)> {
    match found {
        Ok(page) => Some((page, None)),
        Err(ListError::Invalid(errors)) => {
            let reason = errors.0.first().map(|e| chrome.t(e.reason.clone()));
            Some((Page { items: Vec::new(), next_cursor: None }, reason))
        }
        Err(error) => listed::<T>(Err(error)).map(|page| (page, None)),
    }
}

/// `GET /app/accounts?q=`: the accounts, or those found by the words of the search.
pub async fn list(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "accounts");
    let Some(paging) = paging(request) else { return response::status_page(StatusCode::BAD_REQUEST, chrome.locale) };
    let search = query_value(request, "q").unwrap_or_default().trim().to_owned();
    let filter = AccountFilter { words: Some(search.clone()).filter(|s| !s.is_empty()), include_archived: false };
    let found = searched(console.services.list_accounts(&signed_in.actor, &filter, &paging).await, &chrome);
    let Some((found, search_error)) = found else { return response::unavailable(chrome.locale) };
    let rows = found.items.iter().map(|a| AccountRow::of(&a.value)).collect();
    let next_page = next_link("/app/accounts", &search, found.next_cursor);
    page(StatusCode::OK, &AccountsPage { chrome, search, search_error, rows, next_page })
}

/// `GET /app/contacts?q=`: the contacts, or those found by the words of the search.
pub async fn contacts(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "contacts");
    let Some(paging) = paging(request) else { return response::status_page(StatusCode::BAD_REQUEST, chrome.locale) };
    let search = query_value(request, "q").unwrap_or_default().trim().to_owned();
    let filter = ContactFilter { words: Some(search.clone()).filter(|s| !s.is_empty()), ..Default::default() };
    let found = searched(console.services.list_contacts(&signed_in.actor, &filter, &paging).await, &chrome);
    let Some((found, search_error)) = found else { return response::unavailable(chrome.locale) };
    let rows = found.items.iter().map(|c| ContactRow::of(&c.value)).collect();
    let next_page = next_link("/app/contacts", &search, found.next_cursor);
    page(StatusCode::OK, &ContactsPage { chrome, search, search_error, rows, next_page })
}

/// `GET /app/accounts/{id}`: the customer file.
pub async fn show(console: &Console, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "accounts");
    let Ok(id) = EntityId::parse(id) else { return response::not_found(chrome.locale) };
    let actor = signed_in.actor.clone();
    let account = match console.services.get_account(&actor, id).await {
        Ok(account) => {
            console.services.log_access(&actor, AccessAction::Read, Some(RecordRef::new("account", id))).await;
            account.value
        }
        Err(GetAccountError::NotFound) => return response::not_found(chrome.locale),
        Err(GetAccountError::Store(error)) => {
            tracing::error!(%error, "the account could not be read");
            return response::unavailable(chrome.locale);
        }
    };
    let first_page = PageRequest::new(Some(50), None).expect("a valid page size");
    let contact_filter = ContactFilter { account_id: Some(id), ..Default::default() };
    let contacts = listed(console.services.list_contacts(&actor, &contact_filter, &first_page).await);
    let Some(contacts) = contacts else { return response::unavailable(chrome.locale) };
    let contacts = contacts.items.iter().map(|c| ContactRow::of(&c.value)).collect();
    let case_filter = CaseFilter { account_id: Some(id), ..Default::default() };
    let listed_cases = listed(console.services.list_cases(&actor, &case_filter, &first_page).await);
    let Some(listed_cases) = listed_cases else { return response::unavailable(chrome.locale) };
    let names = match TypeNames::load(console, signed_in).await {
        Ok(names) => names,
        Err(response) => return response,
    };
    let cases = match rows_with_deadlines(console, signed_in, &listed_cases.items, &names, &chrome).await {
        Ok(rows) => rows,
        Err(response) => return response,
    };
    let (aging, opportunities, leads, recent, pipelines, price_list) = tokio::join!(
        console.services.account_aging(&actor, id),
        console.services.account_opportunities(&actor, id, &first_page),
        console.services.account_leads(&actor, id, &first_page),
        console.services.customer_activity(&actor, id, &listed_cases.items),
        console.services.pipelines_of(&actor.tenant),
        AccountPriceList::load(console, &actor, id),
    );
    let recent = match recent {
        Ok(recent) => CustomerActivity::of(console, &actor, &recent, &chrome).await.map_err(ListError::from),
        Err(error) => Err(error),
    };
    let recent = match recent {
        Ok(recent) => recent,
        Err(error) => {
            tracing::error!(?error, "the account's documents and activity could not be read");
            return response::unavailable(chrome.locale);
        }
    };
    let receivables = match aging {
        Ok(aging) => Receivables::of(&aging, &chrome),
        Err(error) => {
            tracing::error!(?error, "the account's receivables could not be read");
            return response::unavailable(chrome.locale);
        }
    };
    let Some(opportunities) = listed(opportunities) else { return response::unavailable(chrome.locale) };
    let Ok(pipelines) = pipelines else { return response::unavailable(chrome.locale) };
    let opportunities =
        opportunities.items.iter().map(|o| OpportunityRow::of(&o.value, &pipelines.value, &chrome)).collect();
    let Some(leads) = listed(leads) else { return response::unavailable(chrome.locale) };
    let converted_leads = leads.items.iter().map(|l| ConvertedLeadRow::of(&l.value, &chrome)).collect();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let (website, industry) = (text(&account.website), text(&account.industry));
    page(
        StatusCode::OK,
        &AccountPage {
            chrome,
            account: AccountRow::of(&account),
            website,
            industry,
            contacts,
            cases,
            next_page: None,
            selectable: false,
            show_due: true,
            receivables,
            opportunities,
            converted_leads,
            recent,
            recent_cases: RECENT_CASES,
            price_list,
        },
    )
}
