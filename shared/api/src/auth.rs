//! The caller's identity, from the claims API Gateway's JWT authorizer verified. Never from the
//! body or the query string.

use gestiona_domain::messages as msg;
use gestiona_domain::{Actor, Role, TenantId, UserId};
use http::StatusCode;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

use crate::problem::Problem;

/// Which claims carry the tenant and the roles (configurable: identity providers differ).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimNames {
    pub tenant: String,
    pub roles: String,
}

impl Default for ClaimNames {
    fn default() -> Self {
        Self { tenant: "custom:tenant".into(), roles: "cognito:groups".into() }
    }
}

/// Reads the actor from the request's authorizer claims.
pub fn actor(request: &Request, names: &ClaimNames) -> Result<Actor, Problem> {
    let unauthenticated = || {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", msg::title_unauthenticated())
            .detail(msg::detail_bearer_token())
    };
    let claims = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .map(|jwt| &jwt.claims)
            .ok_or_else(unauthenticated)?,
        _ => return Err(unauthenticated()),
    };
    let user = claims.get("sub").and_then(|s| UserId::parse(s).ok()).ok_or_else(unauthenticated)?;
    let tenant = claims
        .get(&names.tenant)
        .and_then(|t| TenantId::parse(t).ok())
        .ok_or_else(|| Problem::forbidden(msg::detail_no_tenant()))?;
    let role = claims
        .get(&names.roles)
        .map(|groups| parse_groups(groups))
        .and_then(|roles| roles.into_iter().max())
        .ok_or_else(|| Problem::forbidden(msg::detail_no_role()))?;
    let email = claims.get("email").cloned();
    Ok(Actor { tenant, user, email, role })
}

/// API Gateway flattens array claims into strings such as `[admin agent]`; a JSON array or a
/// comma-separated list is read too.
fn parse_groups(raw: &str) -> Vec<Role> {
    raw.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(|g| g.trim_matches('"'))
        .filter_map(Role::parse)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_claims_in_every_shape() {
        assert_eq!(parse_groups("[admin agent]"), [Role::Admin, Role::Agent]);
        assert_eq!(parse_groups(r#"["supervisor","x"]"#), [Role::Supervisor]);
        assert_eq!(parse_groups("agent"), [Role::Agent]);
        assert!(parse_groups("[]").is_empty());
    }
}
