//! *Pedidos*: an accepted quote made an order, the orders list, an order's page, and its invoice
//! in receivables.

use askama::Template;
use gestiona_domain::access::{Module, Operation, Permission};
use gestiona_domain::ids::DocumentNumber;
use gestiona_domain::messages as msg;
use gestiona_domain::sales::order::InvoiceOrder;
use gestiona_domain::sales::{Order, OrderStatus};
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::orders::{OrderError, OrderFilter};
use gestiona_domain::{EntityId, ExpectedVersion, Message};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::quote_form::AmountsView;
use super::{Chrome, form_version, page, query_value};
use crate::session::{SignedIn, form_value};
use crate::{Console, response};

fn status_label(status: OrderStatus) -> Message {
    match status {
        OrderStatus::Open => msg::ui_order_open(),
        OrderStatus::Invoiced => msg::ui_order_invoiced(),
    }
}

pub struct OrderRow {
    pub id: String,
    pub number: String,
    pub quote: String,
    pub account_id: String,
    pub account: String,
    pub status: String,
    pub total: String,
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    chrome: Chrome,
    rows: Vec<OrderRow>,
    next_page: Option<String>,
}

fn total(order: &Order, chrome: &Chrome) -> String {
    let money =
        gestiona_domain::money::Money { amount_minor: order.totals.total_minor, currency: order.currency.clone() };
    gestiona_domain::format::money(&money, chrome.locale)
}

/// `GET /app/orders`: newest first, within the user's scope.
pub async fn list(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "quotes");
    let actor = &signed_in.actor;
    let Ok(paging) = PageRequest::new(Some(50), query_value(request, "cursor")) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let Ok(found) = console.services.list_orders(actor, &OrderFilter::default(), &paging).await else {
        return response::unavailable(chrome.locale);
    };
    let ids: Vec<EntityId> = found.items.iter().map(|o| o.value.account_id).collect();
    let Ok(accounts) = console.services.account_names(actor, ids).await else {
        return response::unavailable(chrome.locale);
    };
    let rows = found
        .items
        .iter()
        .map(|o| OrderRow {
            id: o.value.id.to_string(),
            number: o.value.number.clone(),
            quote: o.value.quote_number.clone(),
            account_id: o.value.account_id.to_string(),
            account: accounts.get(&o.value.account_id).cloned().unwrap_or_default(),
            status: chrome.t(status_label(o.value.status)),
            total: total(&o.value, &chrome),
        })
        .collect();
    let next_page = found
        .next_cursor
        .map(|c| format!("/app/orders?cursor={}", form_urlencoded::byte_serialize(c.as_bytes()).collect::<String>()));
    page(StatusCode::OK, &OrdersPage { chrome, rows, next_page })
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    chrome: Chrome,
    order: Order,
    version: u64,
    account: String,
    status: String,
    amounts: AmountsView,
    /// Who may record invoices invoices an open order.
    may_invoice: bool,
    errors: Vec<(String, String)>,
    typed: (String, String, String),
}

impl OrderPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, reason)| reason.as_str())
    }
}

/// `GET /app/orders/{id}`.
pub async fn show(console: &Console, signed_in: &SignedIn, id: &str) -> Response<Body> {
    render(console, signed_in, id, Vec::new(), Default::default(), StatusCode::OK).await
}

async fn render(
    console: &Console,
    signed_in: &SignedIn,
    id: &str,
    errors: Vec<(String, String)>,
    typed: (String, String, String),
    status: StatusCode,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "quotes");
    let Ok(id) = EntityId::parse(id) else { return response::not_found(chrome.locale) };
    let actor = &signed_in.actor;
    let order = match console.services.get_order(actor, id).await {
        Ok(order) => order,
        Err(OrderError::NotFound) => return response::not_found(chrome.locale),
        Err(_) => return response::unavailable(chrome.locale),
    };
    let Ok(account) = console.services.get_account(actor, order.value.account_id).await else {
        return response::unavailable(chrome.locale);
    };
    let o = &order.value;
    let view = OrderPage {
        account: account.value.name,
        status: chrome.t(status_label(o.status)),
        amounts: AmountsView::of(&o.currency, &o.lines, &o.totals, &chrome),
        may_invoice: o.status == OrderStatus::Open
            && actor.allows(Permission::new(Module::Receivables, Operation::Create)),
        version: order.version,
        order: order.value,
        errors,
        typed,
        chrome,
    };
    page(status, &view)
}

/// `POST /app/quotes/{id}/order`: the accepted quote's order (the one it has, if it has one).
pub async fn from_quote(console: &Console, request: &Request, signed_in: &SignedIn, quote: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "quotes");
    let (Ok(quote), Some(version)) = (EntityId::parse(quote), form_version(request)) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    match console.services.order_quote(&signed_in.actor, quote, ExpectedVersion::from(version)).await {
        Ok((order, _)) => response::redirect(&format!("/app/orders/{}", order.value.id)),
        Err(OrderError::Invalid(errors)) => {
            let reason = errors.0.first().map(|e| e.reason.clone()).unwrap_or_else(msg::ui_fix_fields);
            response::message_page(StatusCode::UNPROCESSABLE_ENTITY, chrome.locale, reason)
        }
        Err(OrderError::Stale { .. }) => {
            response::message_page(StatusCode::CONFLICT, chrome.locale, msg::ui_quote_stale())
        }
        Err(OrderError::NotFound) => response::not_found(chrome.locale),
        Err(OrderError::Forbidden(_)) => response::forbidden(signed_in),
        Err(OrderError::Store(_)) => response::unavailable(chrome.locale),
    }
}

/// `POST /app/orders/{id}/invoice`: the order's invoice, then its page in *Cartera*.
pub async fn invoice(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "quotes");
    let (Ok(order), Some(version)) = (EntityId::parse(id), form_version(request)) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let field = |name| form_value(request, name).map(|v| v.trim().to_owned()).unwrap_or_default();
    let typed = (field("number"), field("issued_on"), field("due_on"));
    let mut errors = Vec::new();
    let number = match typed.0.as_str() {
        "" => None,
        text => DocumentNumber::parse(text).map_err(|e| errors.push(("number".to_owned(), chrome.t(e.into())))).ok(),
    };
    let mut date = |name: &str, text: &str| match text {
        "" => None,
        text => text.parse().map_err(|_| errors.push((name.to_owned(), chrome.t(msg::date_format())))).ok(),
    };
    let input = InvoiceOrder { number, issued_on: date("issuedOn", &typed.1), due_on: date("dueOn", &typed.2) };
    if !errors.is_empty() {
        return render(console, signed_in, id, errors, typed, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match console.services.invoice_order(&signed_in.actor, order, ExpectedVersion::from(version), &input).await {
        Ok((_, invoice)) => response::redirect(&format!("/app/receivables/invoices/{}", invoice.value.number)),
        Err(OrderError::Invalid(found)) => {
            let errors = found.0.iter().map(|e| (e.field.clone(), chrome.t(e.reason.clone()))).collect();
            render(console, signed_in, id, errors, typed, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(OrderError::Stale { .. }) => {
            let errors = vec![("version".to_owned(), chrome.t(msg::ui_quote_stale()))];
            render(console, signed_in, id, errors, typed, StatusCode::CONFLICT).await
        }
        Err(OrderError::NotFound) => response::not_found(chrome.locale),
        Err(OrderError::Forbidden(_)) => response::forbidden(signed_in),
        Err(OrderError::Store(_)) => response::unavailable(chrome.locale),
    }
}
