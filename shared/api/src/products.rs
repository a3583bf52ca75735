//! `/products`: the catalogue, upserted by the ERP and read by whoever sells.

use gestiona_domain::ids::ProductCode;
use gestiona_domain::messages::{self as msg, Locale};
use gestiona_domain::sales::Product;
use gestiona_domain::sales::product::{ProductFilter, ProductInput};
use gestiona_domain::service::Upserted;
use gestiona_domain::service::products::{
    BatchProduct, GetProductError, MAX_BATCH, ProductBatchResult, SaveProductError,
};
use gestiona_domain::{FieldProblem, ValidationErrors};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::Api;
use crate::edge::{self, ListResponse, QueryParams, Record};
use crate::problem::{Problem, ProblemSchema};

impl From<SaveProductError> for Problem {
    fn from(e: SaveProductError) -> Self {
        match e {
            SaveProductError::Forbidden(f) => f.into(),
            SaveProductError::Invalid(v) => v.into(),
            SaveProductError::Busy => {
                Problem::conflict("conflict", msg::title_concurrent_change()).detail(msg::detail_retry())
            }
            SaveProductError::Store(s) => Problem::store(s),
        }
    }
}

impl From<GetProductError> for Problem {
    fn from(e: GetProductError) -> Self {
        match e {
            GetProductError::Forbidden(f) => f.into(),
            GetProductError::NotFound => Problem::not_found(),
            GetProductError::Store(s) => Problem::store(s),
        }
    }
}

pub(crate) fn product_code(request: &Request, name: &str) -> Result<ProductCode, Problem> {
    let raw = edge::path_param(request, name).ok_or_else(Problem::not_found)?;
    ProductCode::parse(&raw).map_err(|e| ValidationErrors::single(name, e.into()).into())
}

#[utoipa::path(get, path = "/products", tag = "sales",
    description = "The catalogue by code; with `department`, that department's products by group, sub-group and code \
        (`group` narrows it); with `q`, the products with a word (of the name, code, department, groups or variants) starting \
        with each term. Labels compare without accents or case. With filters a page may hold fewer items than the \
        limit; follow nextCursor until it is null.",
    params(("q" = Option<String>, Query), ("department" = Option<String>, Query), ("group" = Option<String>, Query),
           ("active" = Option<bool>, Query), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<Product>>),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let query = QueryParams::of(request);
    let group = query.text("group");
    let department = query.text("department");
    if group.is_some() && department.is_none() && query.text("q").is_none() {
        return Err(ValidationErrors::single("group", msg::needs_field("department")).into());
    }
    let filter = ProductFilter { department, group, active: query.parse("active", msg::true_or_false())? };
    let q = query.text("q");
    let page = api.services.list_products(&actor, q.as_deref(), &filter, &query.page()?).await?;
    Ok(edge::page(&page))
}

#[utoipa::path(get, path = "/products/{code}", tag = "sales", params(("code" = ProductCode, Path)),
    responses((status = 200, description = "`ETag` is the version", body = Record<Product>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let code = product_code(request, "code")?;
    Ok(edge::versioned(StatusCode::OK, &api.services.get_product(&actor, &code).await?))
}

#[utoipa::path(put, path = "/products/{code}", tag = "sales",
    description = "Creates or updates a product as the ERP knows it (idempotent: the same data again writes nothing \
        and answers 200 with the version unchanged).",
    params(("code" = ProductCode, Path)), request_body = ProductInput,
    responses((status = 201, body = Record<Product>), (status = 200, body = Record<Product>),
        (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn put(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let code = product_code(request, "code")?;
    let input: ProductInput = edge::json_body(request)?;
    let (saved, outcome) = api.services.upsert_product(&actor, &code, &input).await?;
    Ok(match outcome {
        Upserted::Created => edge::created(format!("/products/{code}"), &saved),
        Upserted::Updated | Upserted::Unchanged => edge::versioned(StatusCode::OK, &saved),
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductBatchRequest {
    #[schema(min_items = 1, max_items = 100)]
    products: Vec<BatchProduct>,
}

/// The answer to a batch: one line per product, in the order sent.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProductBatchResponse {
    results: Vec<ProductBatchLine>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProductBatchLine {
    code: String,
    /// `created`, `updated`, `unchanged`, `invalid` or `failed` (send the line again).
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldProblem>,
}

impl ProductBatchLine {
    fn of(result: &ProductBatchResult, locale: Locale) -> Self {
        Self {
            code: result.code.clone(),
            outcome: result.outcome,
            version: result.version,
            errors: result.errors.iter().map(|e| e.render(locale)).collect(),
        }
    }
}

#[utoipa::path(post, path = "/product-batches", tag = "sales",
    description = "Upserts up to 100 products (the ERP's sync). Each line is applied on its own and answered with its \
        outcome: created, updated, unchanged, invalid (with its errors) or failed (send it again).",
    request_body = ProductBatchRequest, responses((status = 200, body = ProductBatchResponse),
        (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn batch(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let body: ProductBatchRequest = edge::json_body(request)?;
    if body.products.is_empty() || body.products.len() > MAX_BATCH {
        return Err(ValidationErrors::single("products", msg::between(1, MAX_BATCH)).into());
    }
    let results = api.services.upsert_products(&actor, body.products).await?;
    let locale = edge::locale(request.headers());
    let results = results.iter().map(|r| ProductBatchLine::of(r, locale)).collect();
    Ok(edge::json(StatusCode::OK, &ProductBatchResponse { results }))
}
