//! `/cases/{id}/transitions` handlers: the workflow.

use gestiona_domain::EntityId;
use gestiona_domain::Versioned;
use gestiona_domain::case::{Case, StateClass};
use gestiona_domain::messages as msg;
use gestiona_domain::service::transitions::{OfferedTransitionsError, TransitionCaseError};
use gestiona_domain::workflow::{OfferedAction, TransitionError, TransitionRequest};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::Api;
use crate::edge::{self, Record};
use crate::problem::{Problem, ProblemSchema};

impl From<TransitionError> for Problem {
    fn from(e: TransitionError) -> Self {
        let not_allowed = |detail| {
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "transition-not-allowed",
                msg::title_transition_not_allowed(),
            )
            .detail(detail)
        };
        match e {
            TransitionError::ActionNotAvailable { action, state, allowed } => {
                not_allowed(msg::detail_action_not_available(&action, &state, list(&allowed)))
                    .field("action", msg::one_of(list(&allowed)))
                    .with("allowedActions", allowed)
            }
            TransitionError::UnknownResult { action, result, allowed } => {
                not_allowed(msg::detail_unknown_result(&action, &result, list(&allowed)))
                    .field("result", msg::one_of(list(&allowed)))
                    .with("allowedResults", allowed)
            }
            TransitionError::RoleRequired { action, roles } => {
                let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
                Problem::forbidden(msg::detail_action_role(&action, names.join(", "))).with("requiredRoles", names)
            }
            TransitionError::MissingFields { fields } => {
                let mut problem =
                    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "missing-fields", msg::title_missing_fields())
                        .detail(msg::detail_missing_fields());
                for field in fields {
                    problem = problem.field(field, msg::required_before_result());
                }
                problem
            }
            TransitionError::NoteRequired => Problem::validation(vec![gestiona_domain::FieldError {
                field: "note".into(),
                reason: msg::note_required(),
            }]),
            TransitionError::Invalid(v) => v.into(),
        }
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() { "none".into() } else { items.join(", ") }
}

impl From<TransitionCaseError> for Problem {
    fn from(e: TransitionCaseError) -> Self {
        match e {
            TransitionCaseError::Forbidden(f) => f.into(),
            TransitionCaseError::NotFound => Problem::not_found(),
            TransitionCaseError::Stale { expected } => Problem::stale(expected),
            TransitionCaseError::Archived => Problem::conflict("archived", msg::title_case_archived()),
            TransitionCaseError::Rejected(t) => t.into(),
            TransitionCaseError::Store(s) => Problem::store(s),
        }
    }
}

impl From<OfferedTransitionsError> for Problem {
    fn from(e: OfferedTransitionsError) -> Self {
        match e {
            OfferedTransitionsError::NotFound => Problem::not_found(),
            OfferedTransitionsError::Store(s) => Problem::store(s),
        }
    }
}

#[utoipa::path(post, path = "/cases/{id}/transitions", tag = "workflow",
    description = "Takes an action with one of its results, as the case type's table allows. Moves the case, records the step in the history and enqueues the result's effects, atomically.",
    params(("id" = EntityId, Path), ("If-Match" = String, Header)), request_body = TransitionRequest,
    responses((status = 200, description = "The case after the transition; `ETag` is its new version", body = Record<Case>),
              (status = 403, description = "The action needs another role", body = ProblemSchema, content_type = "application/problem+json"),
              (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, description = "Not allowed here (names the allowed actions), or fields/note missing", body = ProblemSchema, content_type = "application/problem+json"),
              (status = 428, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn transition(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::if_match(request)?;
    let input: TransitionRequest = edge::json_body(request)?;
    let outcome = api.services.transition_case(&actor, id, expected, input).await?;
    let mut response = edge::versioned(StatusCode::OK, &outcome.case);
    if let Some(child) = outcome.follow_up {
        let link = http::HeaderValue::from_str(&format!("</cases/{child}>; rel=\"follow-up\"")).expect("ASCII");
        response.headers_mut().insert(http::header::LINK, link);
    }
    Ok(response)
}

/// `GET /cases/{id}/transitions`: the case's state and what the caller may do in it (the
/// response's ETag is the case's version).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfferedTransitions {
    state: String,
    state_class: StateClass,
    actions: Vec<OfferedAction>,
}

#[utoipa::path(get, path = "/cases/{id}/transitions", tag = "workflow",
    description = "What the caller may do with the case now: the actions of its state that the caller's role allows, with their results, next states and missing fields.",
    params(("id" = EntityId, Path)),
    responses((status = 200, body = OfferedTransitions)),
    security(("bearer" = [])))]
pub async fn offered(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let (case, actions): (Versioned<Case>, Vec<OfferedAction>) = api.services.offered_transitions(&actor, id).await?;
    let body = OfferedTransitions { state: case.value.state, state_class: case.value.state_class, actions };
    let mut response = edge::json(StatusCode::OK, &body);
    response.headers_mut().insert(http::header::ETAG, edge::etag(case.version));
    Ok(response)
}
