//! The caller's identity, from the claims API Gateway's JWT authorizer verified. Never from the
//! body or the query string.

use gestiona_domain::messages as msg;
use gestiona_domain::{Actor, ClaimNames, ClaimsError};
use http::StatusCode;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

use crate::problem::Problem;

pub(crate) fn unauthenticated() -> Problem {
    Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", msg::title_unauthenticated())
        .detail(msg::detail_bearer_token())
}

/// Whether the authorizer verified a token for this request (public routes have none).
pub(crate) fn has_claims(request: &Request) -> bool {
    matches!(request.request_context_ref(),
        Some(RequestContext::ApiGatewayV2(context)) if context.authorizer.as_ref().is_some_and(|a| a.jwt.is_some()))
}

/// The client's address as API Gateway saw it.
pub(crate) fn client_address(request: &Request) -> Option<String> {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
        _ => None,
    }
}

/// Reads the actor from the request's authorizer claims.
pub fn actor(request: &Request, names: &ClaimNames) -> Result<Actor, Problem> {
    let claims = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .map(|jwt| &jwt.claims)
            .ok_or_else(unauthenticated)?,
        _ => return Err(unauthenticated()),
    };
    Actor::from_claims(|name| claims.get(name).cloned(), names).map_err(|error| match error {
        ClaimsError::NoSubject => unauthenticated(),
        ClaimsError::NoTenant => Problem::forbidden(msg::detail_no_tenant()),
        ClaimsError::NoRole => Problem::forbidden(msg::detail_no_role()),
    })
}
