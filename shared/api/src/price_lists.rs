//! `/price-lists` and `/pricing`: the lists, the versions the ERP writes into them, each
//! account's list, and pricing lines from them.

use gestiona_domain::EntityId;
use gestiona_domain::ValidationErrors;
use gestiona_domain::ids::PriceListKey;
use gestiona_domain::messages as msg;
use gestiona_domain::sales::PriceRow;
use gestiona_domain::sales::price_list::{PriceListInput, PriceListVersion, PriceSync};
use gestiona_domain::sales::pricing::PricingRequest;
use gestiona_domain::service::price_lists::{PriceListError, PriceListView, SyncOutcome};
use gestiona_domain::service::pricing::PricingAnswer;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::Api;
use crate::edge::{self, ListResponse, QueryParams, Record};
use crate::problem::{Problem, ProblemSchema};

impl From<PriceListError> for Problem {
    fn from(e: PriceListError) -> Self {
        match e {
            PriceListError::Forbidden(f) => f.into(),
            PriceListError::NotFound => Problem::not_found(),
            PriceListError::Invalid(v) => v.into(),
            PriceListError::Stale(version) => Problem::stale(version),
            PriceListError::DraftOpen { open } => Problem::conflict("draft-open", msg::title_draft_open())
                .detail(msg::detail_draft_open(open))
                .with("openVersion", open),
            PriceListError::Store(s) => Problem::store(s),
        }
    }
}

fn list_key(request: &Request) -> Result<PriceListKey, Problem> {
    let raw = edge::path_param(request, "key").ok_or_else(Problem::not_found)?;
    PriceListKey::parse(&raw).map_err(|e| ValidationErrors::single("key", e.into()).into())
}

#[utoipa::path(get, path = "/price-lists", tag = "sales",
    description = "The company's price lists by key, each with its published version, its rows and whether it is the \
        default (the list an account without one, or a product missing from its list, is priced from).",
    params(("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<PriceListView>>),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let query = QueryParams::of(request);
    Ok(edge::page(&api.services.price_lists(&actor, &query.page()?).await?))
}

#[utoipa::path(get, path = "/price-lists/{key}", tag = "sales", params(("key" = PriceListKey, Path)),
    responses((status = 200, description = "`ETag` is the version", body = Record<PriceListView>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let key = list_key(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.get_price_list(&actor, &key).await?))
}

#[utoipa::path(put, path = "/price-lists/{key}", tag = "sales",
    description = "Creates a price list or changes its name, currency (until a version is published) and active flag; \
        `default: true` makes it the company's default. With If-Match, only over that version.",
    params(("key" = PriceListKey, Path), ("If-Match" = Option<String>, Header)), request_body = PriceListInput,
    responses((status = 201, body = Record<PriceListView>), (status = 200, body = Record<PriceListView>),
              (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn put(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let key = list_key(request)?;
    let expected = edge::optional_if_match(request)?;
    let input: PriceListInput = edge::json_body(request)?;
    let saved = api.services.save_price_list(&actor, &key, &input, expected).await?;
    Ok(if saved.version == 1 {
        edge::created(format!("/price-lists/{key}"), &saved)
    } else {
        edge::versioned(StatusCode::OK, &saved)
    })
}

#[utoipa::path(get, path = "/price-lists/{key}/prices", tag = "sales",
    description = "The published version's rows by product code: each product's prices by minimum quantity and date \
        window. While a version is being written a page may hold fewer rows than the limit; follow nextCursor.",
    params(("key" = PriceListKey, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<PriceRow>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn prices(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let key = list_key(request)?;
    let query = QueryParams::of(request);
    let page = api.services.price_rows(&actor, &key, &query.page()?).await?;
    Ok(edge::json(StatusCode::OK, &ListResponse { items: page.items, next_cursor: page.next_cursor }))
}

#[utoipa::path(post, path = "/price-lists/{key}/prices", tag = "sales",
    description = "Writes rows (up to 2,000 with removals) into the list's next version and publishes it, unless \
        `publish` is false: then the answer's `version` is the draft, which later requests continue by naming it \
        and the last one publishes. Readers see the published version until then. Only rows that differ are \
        written. 409 `draft-open` when another version is being written (its number in `openVersion`).",
    params(("key" = PriceListKey, Path)), request_body = PriceSync,
    responses((status = 200, body = SyncOutcome),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 409, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn sync(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let key = list_key(request)?;
    let sync: PriceSync = edge::json_body(request)?;
    Ok(edge::json(StatusCode::OK, &api.services.sync_prices(&actor, &key, &sync).await?))
}

#[utoipa::path(get, path = "/price-lists/{key}/versions", tag = "sales",
    description = "The published versions, newest first: what each added, changed and removed.",
    params(("key" = PriceListKey, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<PriceListVersion>>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn versions(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let key = list_key(request)?;
    let query = QueryParams::of(request);
    Ok(edge::page(&api.services.price_list_versions(&actor, &key, &query.page()?).await?))
}

/// The list an account is priced from.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountPriceList {
    /// `null`: the company's default list.
    price_list: Option<PriceListKey>,
}

#[utoipa::path(get, path = "/accounts/{id}/price-list", tag = "sales", params(("id" = EntityId, Path)),
    responses((status = 200, body = AccountPriceList),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn account_get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let price_list = api.services.account_price_list(&actor, id).await?;
    Ok(edge::json(StatusCode::OK, &AccountPriceList { price_list }))
}

#[utoipa::path(put, path = "/accounts/{id}/price-list", tag = "sales",
    description = "Sets the active list the account is priced from, or with `null` makes it priced from the default.",
    params(("id" = EntityId, Path)), request_body = AccountPriceList,
    responses((status = 200, body = AccountPriceList),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn account_put(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let body: AccountPriceList = edge::json_body(request)?;
    let price_list = api.services.set_account_price_list(&actor, id, body.price_list.as_ref()).await?;
    Ok(edge::json(StatusCode::OK, &AccountPriceList { price_list }))
}

#[utoipa::path(post, path = "/pricing", tag = "sales",
    description = "Prices up to 200 lines on a day (default: today) from a list named outright, or from the account's \
        list and then, line by line, the default list when it is in the same currency. Each line answers its \
        product's name, unit and tax rate and its price (list, version, break applied, net amount rounded half up), \
        or why it has none: notInCatalogue, inactive or notInPriceList.",
    request_body = PricingRequest,
    responses((status = 200, body = PricingAnswer),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn price(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let body: PricingRequest = edge::json_body(request)?;
    Ok(edge::json(StatusCode::OK, &api.services.price_lines(&actor, &body).await?))
}
