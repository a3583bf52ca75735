//! `/opportunities`: possible sales moving through a pipeline's stages.

use gestiona_domain::EntityId;
use gestiona_domain::history::HistoryEvent;
use gestiona_domain::ids::{PipelineKey, StageKey, UserId};
use gestiona_domain::messages as msg;
use gestiona_domain::sales::{NewOpportunity, Opportunity, OpportunityPatch};
use gestiona_domain::service::opportunities::{
    CreateOpportunityError, GetOpportunityError, OpportunityFilter, UpdateOpportunityError,
};
use gestiona_domain::validation::ValidationErrors;
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::Api;
use crate::edge::{self, ListResponse, QueryParams, Record};
use crate::problem::{Problem, ProblemSchema};

impl From<CreateOpportunityError> for Problem {
    fn from(e: CreateOpportunityError) -> Self {
        match e {
            CreateOpportunityError::Invalid(v) => v.into(),
            CreateOpportunityError::Store(s) => Problem::store(s),
        }
    }
}

impl From<GetOpportunityError> for Problem {
    fn from(e: GetOpportunityError) -> Self {
        match e {
            GetOpportunityError::NotFound => Problem::not_found(),
            GetOpportunityError::Store(s) => Problem::store(s),
        }
    }
}

impl From<UpdateOpportunityError> for Problem {
    fn from(e: UpdateOpportunityError) -> Self {
        match e {
            UpdateOpportunityError::NotFound => Problem::not_found(),
            UpdateOpportunityError::Stale { expected } => Problem::stale(expected),
            UpdateOpportunityError::Invalid(v) => v.into(),
            UpdateOpportunityError::Store(s) => Problem::store(s),
        }
    }
}

#[utoipa::path(post, path = "/opportunities", tag = "sales", request_body = NewOpportunity,
    description = "Opens an opportunity in a pipeline (default: the first not retired) at a stage (default: its first \
        open one); the owner defaults to the caller. The probability follows the stage unless given.",
    responses((status = 201, description = "Created; `Location` and `ETag` set", body = Record<Opportunity>),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let input: NewOpportunity = edge::json_body(request)?;
    let opportunity = api.services.create_opportunity(&actor, input).await?;
    Ok(edge::created(format!("/opportunities/{}", opportunity.value.id), &opportunity))
}

#[utoipa::path(get, path = "/opportunities", tag = "sales",
    description = "A pipeline's opportunities within the caller's record scope, by stage and then expected close date \
        (undated last); or, with `accountId`, one account's in every pipeline, oldest first.",
    params(("pipeline" = Option<PipelineKey>, Query, description = "Default: the default pipeline"),
           ("stage" = Option<StageKey>, Query), ("owner" = Option<UserId>, Query), ("accountId" = Option<EntityId>, Query),
           ("open" = Option<bool>, Query, description = "Only open ones (`true`) or only won and lost ones (`false`)"),
           ("closeFrom" = Option<String>, Query, description = "Expected close date on or after (YYYY-MM-DD)"),
           ("closeTo" = Option<String>, Query, description = "Expected close date on or before (YYYY-MM-DD)"),
           ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<Opportunity>>),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let query = QueryParams::of(request);
    let filter = filter_of(&query)?;
    let page = api.services.list_opportunities(&actor, &filter, &query.page()?).await?;
    Ok(edge::page(&page))
}

/// The list's filters, every malformed one reported at once.
fn filter_of(query: &QueryParams<'_>) -> Result<OpportunityFilter, Problem> {
    let mut e = ValidationErrors::new();
    let pipeline =
        query.text("pipeline").and_then(|p| PipelineKey::parse(&p).map_err(|r| e.add("pipeline", r.into())).ok());
    let stage = query.text("stage").and_then(|s| StageKey::parse(&s).map_err(|r| e.add("stage", r.into())).ok());
    let owner = query.text("owner").and_then(|o| UserId::parse(&o).map_err(|r| e.add("owner", r.into())).ok());
    let account =
        query.text("accountId").and_then(|a| a.parse::<EntityId>().map_err(|r| e.add("accountId", r.into())).ok());
    e.finish()?;
    Ok(OpportunityFilter {
        pipeline,
        stage,
        owner,
        account,
        open: query.parse("open", msg::true_or_false())?,
        close_from: query.parse("closeFrom", msg::date_format())?,
        close_to: query.parse("closeTo", msg::date_format())?,
    })
}

#[utoipa::path(get, path = "/opportunities/{id}", tag = "sales", params(("id" = EntityId, Path)),
    responses((status = 200, description = "`ETag` is the version", body = Record<Opportunity>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let (opportunity, ()) =
        tokio::join!(api.services.get_opportunity(&actor, id), api.log_read(&actor, "opportunity", id));
    Ok(edge::versioned(StatusCode::OK, &opportunity?))
}

#[utoipa::path(patch, path = "/opportunities/{id}", tag = "sales",
    description = "Changes the opportunity (a stage move included) at the version read. Entering a stage needs its \
        required fields (a lost one, `lostReason`); the probability follows the stage unless set by hand (`null` \
        makes it follow again). Every change goes into the history with the values before.",
    params(("id" = EntityId, Path), ("If-Match" = String, Header)),
    request_body(content = OpportunityPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, body = Record<Opportunity>), (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 428, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::if_match(request)?;
    let patch: OpportunityPatch = edge::json_body(request)?;
    let opportunity = api.services.update_opportunity(&actor, id, expected, patch).await?;
    Ok(edge::versioned(StatusCode::OK, &opportunity))
}

#[utoipa::path(get, path = "/opportunities/{id}/history", tag = "sales",
    description = "The opportunity's creation and every change, with the values before, oldest first.",
    params(("id" = EntityId, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<HistoryEvent>>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn history(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let page = QueryParams::of(request).page()?;
    api.services.get_opportunity(&actor, id).await?;
    Ok(edge::page(&api.services.opportunity_history(&actor, id, &page).await?))
}

#[utoipa::path(get, path = "/accounts/{id}/opportunities", tag = "sales",
    description = "The account's opportunities in every pipeline within the caller's scope, oldest first.",
    params(("id" = EntityId, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<Opportunity>>),
        (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn account_opportunities(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let page = QueryParams::of(request).page()?;
    api.services.get_account(&actor, id).await?;
    Ok(edge::page(&api.services.account_opportunities(&actor, id, &page).await?))
}
