//! `/pipelines`: the company's sales pipelines and their kanban boards.

use gestiona_domain::FieldError;
use gestiona_domain::ids::{PipelineKey, UserId};
use gestiona_domain::sales::{Opportunity, Pipeline, Pipelines, Stage};
use gestiona_domain::service::opportunities::Board;
use gestiona_domain::service::pipelines::PipelinesError;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use crate::Api;
use crate::edge::{self, ListResponse, Listing, QueryParams, Record};
use crate::problem::{Problem, ProblemSchema};

impl From<PipelinesError> for Problem {
    fn from(e: PipelinesError) -> Self {
        match e {
            PipelinesError::Forbidden(f) => f.into(),
            PipelinesError::Invalid(v) => v.into(),
            PipelinesError::Stale(version) => Problem::stale(version),
            PipelinesError::Store(s) => Problem::store(s),
        }
    }
}

#[utoipa::path(get, path = "/pipelines", tag = "sales",
    description = "The company's sales pipelines, each an ordered list of stages with a default probability, a \
        forecast category and the fields an opportunity needs to enter it. The first pipeline not retired is the \
        default. Version 0 until first saved (the seeded pipeline).",
    responses((status = 200, body = Record<Pipelines>)),
    security(("bearer" = [])))]
pub async fn get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.pipelines(&actor).await?))
}

#[utoipa::path(put, path = "/pipelines", tag = "sales",
    description = "Replaces the pipelines; with If-Match, only over that version (\"0\" before the first save). A \
        pipeline or stage saved before may be renamed, reordered or retired, never removed: opportunities name it.",
    params(("If-Match" = Option<String>, Header)), request_body = Pipelines,
    responses((status = 200, body = Record<Pipelines>), (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn save(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let expected = edge::optional_if_match(request)?;
    let entry: Pipelines = edge::json_body(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.save_pipelines(&actor, entry, expected).await?))
}

/// A pipeline's kanban.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BoardResponse<'a> {
    pipeline: &'a Pipeline,
    /// One per stage not retired, in the pipeline's order.
    columns: Vec<BoardColumnResponse<'a>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BoardColumnResponse<'a> {
    stage: &'a Stage,
    /// The stage's first opportunities by expected close date; the rest through
    /// `GET /opportunities?pipeline=…&stage=…&cursor=…`.
    #[schema(value_type = ListResponse<Record<Opportunity>>)]
    cards: Listing<'a, Opportunity>,
}

impl<'a> BoardResponse<'a> {
    fn of(board: &'a Board) -> Self {
        let columns = board
            .columns
            .iter()
            .map(|column| BoardColumnResponse { stage: &column.stage, cards: Listing::of(&column.cards) })
            .collect();
        BoardResponse { pipeline: &board.pipeline, columns }
    }
}

#[utoipa::path(get, path = "/pipelines/{key}/board", tag = "sales",
    description = "The pipeline's kanban within the caller's record scope: each active stage's first opportunities.",
    params(("key" = PipelineKey, Path), ("owner" = Option<UserId>, Query)),
    responses((status = 200, body = BoardResponse), (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn board(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let key =
        edge::path_param(request, "key").and_then(|k| PipelineKey::parse(&k).ok()).ok_or_else(Problem::not_found)?;
    let owner = match QueryParams::of(request).text("owner") {
        Some(o) => Some(UserId::parse(&o).map_err(|e| Problem::validation(vec![FieldError::new("owner", e.into())]))?),
        None => None,
    };
    let board =
        api.services.opportunity_board(&actor, Some(&key), owner.as_ref()).await?.ok_or_else(Problem::not_found)?;
    Ok(edge::json(StatusCode::OK, &BoardResponse::of(&board)))
}
