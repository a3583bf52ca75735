//! `/quotes`: quotes written and priced, revised once sent, sent, and decided.

use gestiona_domain::EntityId;
use gestiona_domain::ValidationErrors;
use gestiona_domain::ids::UserId;
use gestiona_domain::messages as msg;
use gestiona_domain::sales::quote::{DecisionInput, QuoteInput};
use gestiona_domain::sales::{Quote, QuoteStatus};
use gestiona_domain::service::quotes::{QuoteError, QuoteFilter};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::Api;
use crate::edge::{self, ListResponse, QueryParams, Record, Rows};
use crate::problem::{Problem, ProblemSchema};

impl From<QuoteError> for Problem {
    fn from(e: QuoteError) -> Self {
        match e {
            QuoteError::Forbidden(f) => f.into(),
            QuoteError::NotFound => Problem::not_found(),
            QuoteError::Invalid(v) => v.into(),
            QuoteError::Stale { expected } => Problem::stale(expected),
            QuoteError::Decided(status) => Problem::conflict("quote-decided", msg::title_quote_decided())
                .detail(msg::detail_quote_decided())
                .with("quoteStatus", status.as_str()),
            QuoteError::Store(s) => Problem::store(s),
        }
    }
}

#[utoipa::path(post, path = "/quotes", tag = "sales",
    description = "Writes a quote for an account: lines of the catalogue priced from the account's list (then the \
        default; a line may give its own price), and lines typed by hand with a description and a price; a discount \
        and a tax rate per line (default: the product's). Each line keeps the list and version it was priced from; \
        amounts are rounded half up per line and the totals are their sums. Valid 30 days unless `validUntil` says.",
    request_body = QuoteInput,
    responses((status = 201, description = "Created; `Location` and `ETag` set", body = Record<Quote>),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let input: QuoteInput = edge::json_body(request)?;
    let quote = api.services.create_quote(&actor, &input).await?;
    Ok(edge::created(format!("/quotes/{}", quote.value.id), &quote))
}

#[utoipa::path(get, path = "/quotes", tag = "sales",
    description = "Quotes within the caller's record scope, newest first; one account's, one owner's, or of one status \
        (draft, sent, accepted, rejected).",
    params(("accountId" = Option<EntityId>, Query), ("owner" = Option<UserId>, Query),
           ("status" = Option<String>, Query, pattern = r"^(draft|sent|accepted|rejected)$"),
           ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<Quote>>),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let query = QueryParams::of(request);
    let mut e = ValidationErrors::new();
    let account =
        query.text("accountId").and_then(|a| a.parse::<EntityId>().map_err(|r| e.add("accountId", r.into())).ok());
    let owner = query.text("owner").and_then(|o| UserId::parse(&o).map_err(|r| e.add("owner", r.into())).ok());
    let status = query.text("status").and_then(|s| {
        QuoteStatus::parse(&s).or_else(|| {
            e.add("status", msg::one_of("draft, sent, accepted, rejected"));
            None
        })
    });
    e.finish()?;
    let filter = QuoteFilter { account, status, owner };
    Ok(edge::page(&api.services.list_quotes(&actor, &filter, &query.page()?).await?))
}

#[utoipa::path(get, path = "/quotes/{id}", tag = "sales", params(("id" = EntityId, Path)),
    responses((status = 200, description = "`ETag` is the version", body = Record<Quote>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let (quote, ()) = tokio::join!(api.services.get_quote(&actor, id), api.log_read(&actor, "quote", id));
    Ok(edge::versioned(StatusCode::OK, &quote?))
}

#[utoipa::path(put, path = "/quotes/{id}", tag = "sales",
    description = "Rewrites the quote at the version read, priced again. A draft changes in place; a sent quote \
        becomes its next revision (a draft again), and the revision sent is kept. 409 `quote-decided` once accepted \
        or rejected.",
    params(("id" = EntityId, Path), ("If-Match" = String, Header)), request_body = QuoteInput,
    responses((status = 200, body = Record<Quote>),
              (status = 409, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::if_match(request)?;
    let input: QuoteInput = edge::json_body(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.update_quote(&actor, id, expected, &input).await?))
}

#[utoipa::path(post, path = "/quotes/{id}/send", tag = "sales",
    description = "Marks the quote sent to the customer (again, if it was), at the version read. An expired quote is \
        revised with a new validity date first.",
    params(("id" = EntityId, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = Record<Quote>),
              (status = 409, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn send(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::if_match(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.send_quote(&actor, id, expected).await?))
}

#[utoipa::path(post, path = "/quotes/{id}/decision", tag = "sales",
    description = "Records the customer's answer at the version read: accepted (not once expired), or rejected with \
        its reason.",
    params(("id" = EntityId, Path), ("If-Match" = String, Header)), request_body = DecisionInput,
    responses((status = 200, body = Record<Quote>),
              (status = 409, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn decide(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::if_match(request)?;
    let input: DecisionInput = edge::json_body(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.decide_quote(&actor, id, expected, &input).await?))
}

#[utoipa::path(get, path = "/quotes/{id}/revisions", tag = "sales",
    description = "The revisions sent before the current one, oldest first, each as it was sent.",
    params(("id" = EntityId, Path)),
    responses((status = 200, body = Rows<Quote>), (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn revisions(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let items = api.services.quote_revisions(&actor, id).await?;
    Ok(edge::json(StatusCode::OK, &Rows { items }))
}
