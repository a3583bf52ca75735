//! `/orders`: accepted quotes made orders, and orders made invoices in receivables.

use gestiona_domain::EntityId;
use gestiona_domain::ValidationErrors;
use gestiona_domain::messages as msg;
use gestiona_domain::receivables::Invoice;
use gestiona_domain::sales::order::InvoiceOrder;
use gestiona_domain::sales::{Order, OrderStatus};
use gestiona_domain::service::orders::{OrderError, OrderFilter};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use crate::Api;
use crate::edge::{self, ListResponse, QueryParams, Record};
use crate::problem::{Problem, ProblemSchema};

impl From<OrderError> for Problem {
    fn from(e: OrderError) -> Self {
        match e {
            OrderError::Forbidden(f) => f.into(),
            OrderError::NotFound => Problem::not_found(),
            OrderError::Invalid(v) => v.into(),
            OrderError::Stale { expected } => Problem::stale(expected),
            OrderError::Store(s) => Problem::store(s),
        }
    }
}

#[utoipa::path(post, path = "/quotes/{id}/order", tag = "sales",
    description = "Makes the accepted quote (at the version read) an order, copying its lines and totals; a quote \
        becomes one order: asked again, the answer is the same order (200 instead of 201).",
    params(("id" = EntityId, Path), ("If-Match" = String, Header)),
    responses((status = 201, description = "Created; `Location` and `ETag` set", body = Record<Order>),
              (status = 200, body = Record<Order>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn from_quote(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::if_match(request)?;
    let (order, existed) = api.services.order_quote(&actor, id, expected).await?;
    Ok(if existed {
        edge::versioned(StatusCode::OK, &order)
    } else {
        edge::created(format!("/orders/{}", order.value.id), &order)
    })
}

#[utoipa::path(get, path = "/orders", tag = "sales",
    description = "Orders within the caller's record scope, newest first; one account's, or by status (open, invoiced).",
    params(("accountId" = Option<EntityId>, Query), ("status" = Option<String>, Query, pattern = r"^(open|invoiced)$"),
           ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<Order>>),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let query = QueryParams::of(request);
    let mut e = ValidationErrors::new();
    let account =
        query.text("accountId").and_then(|a| a.parse::<EntityId>().map_err(|r| e.add("accountId", r.into())).ok());
    let status = match query.text("status").as_deref() {
        None => None,
        Some("open") => Some(OrderStatus::Open),
        Some("invoiced") => Some(OrderStatus::Invoiced),
        Some(_) => {
            e.add("status", msg::one_of("open, invoiced"));
            None
        }
    };
    e.finish()?;
    let filter = OrderFilter { account, status };
    Ok(edge::page(&api.services.list_orders(&actor, &filter, &query.page()?).await?))
}

#[utoipa::path(get, path = "/orders/{id}", tag = "sales", params(("id" = EntityId, Path)),
    responses((status = 200, description = "`ETag` is the version", body = Record<Order>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let (order, ()) = tokio::join!(api.services.get_order(&actor, id), api.log_read(&actor, "order", id));
    Ok(edge::versioned(StatusCode::OK, &order?))
}

/// An order and the invoice it became.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InvoicedOrder {
    #[schema(value_type = Record<Order>)]
    order: serde_json::Value,
    #[schema(value_type = Record<Invoice>)]
    invoice: serde_json::Value,
}

fn with_version<T: Serialize>(value: &T, version: u64) -> serde_json::Value {
    let mut json = serde_json::to_value(value).expect("API values serialise");
    json["version"] = version.into();
    json
}

#[utoipa::path(post, path = "/orders/{id}/invoice", tag = "sales",
    description = "Makes the order (at the version read) an invoice in receivables, for its total and in its currency, \
        numbered `F-` and the order's number unless given, dated today and due by the account's days of credit unless \
        dated. Needs the permission to record invoices. Asked again, the answer is the same invoice.",
    params(("id" = EntityId, Path), ("If-Match" = String, Header)), request_body = InvoiceOrder,
    responses((status = 200, body = InvoicedOrder),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn invoice(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::if_match(request)?;
    let input: InvoiceOrder = edge::json_body(request)?;
    let (order, invoice) = api.services.invoice_order(&actor, id, expected, &input).await?;
    let body = InvoicedOrder {
        order: with_version(&order.value, order.version),
        invoice: with_version(&invoice.value, invoice.version),
    };
    Ok(edge::json(StatusCode::OK, &body))
}
