//! Who is calling: tenant, user and roles, taken from the verified token's claims.

use crate::ids::{TenantId, UserId};

/// Staff roles, ordered by what they may do: each role may do everything the one before may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    Agent,
    Supervisor,
    Admin,
}

impl Role {
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "agent" => Some(Self::Agent),
            "supervisor" => Some(Self::Supervisor),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Supervisor => "supervisor",
            Self::Admin => "admin",
        }
    }
}

/// The authenticated caller of a use case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub tenant: TenantId,
    pub user: UserId,
    pub email: Option<String>,
    /// The highest role the user holds; a user without a known role is not an actor.
    pub role: Role,
}

impl Actor {
    /// The actor of sweeps and workers: the tenant's `system` user.
    pub fn system(tenant: &TenantId) -> Actor {
        Actor { tenant: tenant.clone(), user: UserId::parse("system").expect("valid"), email: None, role: Role::Admin }
    }

    pub fn may(&self, needed: Role) -> bool {
        self.role >= needed
    }
}

/// Which claims of a verified token carry the tenant and the roles (configurable: identity
/// providers differ).
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

/// Why a verified token names no actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    #[error("the token names no valid subject")]
    NoSubject,
    #[error("the token names no valid tenant")]
    NoTenant,
    #[error("the token names no known role")]
    NoRole,
}

impl Actor {
    /// The actor a verified token's claims name, `claim` reading one as text: the API's JWT
    /// authorizer and the console's ID tokens both arrive here.
    pub fn from_claims(claim: impl Fn(&str) -> Option<String>, names: &ClaimNames) -> Result<Actor, ClaimsError> {
        let user = claim("sub").and_then(|s| UserId::parse(&s).ok()).ok_or(ClaimsError::NoSubject)?;
        let tenant = claim(&names.tenant).and_then(|t| TenantId::parse(&t).ok()).ok_or(ClaimsError::NoTenant)?;
        let role = claim(&names.roles)
            .and_then(|groups| parse_groups(&groups).into_iter().max())
            .ok_or(ClaimsError::NoRole)?;
        Ok(Actor { tenant, user, email: claim("email"), role })
    }
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

/// The caller lacks the role an operation needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this operation needs the {} role", .needed.as_str())]
pub struct Forbidden {
    pub needed: Role,
}

impl Actor {
    pub fn require(&self, needed: Role) -> Result<(), Forbidden> {
        if self.may(needed) { Ok(()) } else { Err(Forbidden { needed }) }
    }
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

    #[test]
    fn claims_name_the_actor_with_their_highest_role() {
        let claims = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
        };
        let names = ClaimNames::default();
        let actor = Actor::from_claims(
            claims(&[("sub", "ana"), ("custom:tenant", "demo"), ("cognito:groups", "[agent supervisor]")]),
            &names,
        )
        .unwrap();
        assert_eq!((actor.user.as_str(), actor.tenant.as_str(), actor.role), ("ana", "demo", Role::Supervisor));
        assert_eq!(actor.email, None);
        let no_tenant = Actor::from_claims(claims(&[("sub", "ana"), ("cognito:groups", "agent")]), &names);
        assert_eq!(no_tenant, Err(ClaimsError::NoTenant));
        let no_role = Actor::from_claims(claims(&[("sub", "ana"), ("custom:tenant", "demo")]), &names);
        assert_eq!(no_role, Err(ClaimsError::NoRole));
        assert_eq!(Actor::from_claims(claims(&[]), &names), Err(ClaimsError::NoSubject));
    }

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Admin > Role::Supervisor && Role::Supervisor > Role::Agent);
        assert_eq!(Role::parse(" Admin "), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn require_checks_the_role() {
        let actor = Actor {
            tenant: TenantId::parse("acme").unwrap(),
            user: UserId::parse("ana").unwrap(),
            email: None,
            role: Role::Supervisor,
        };
        assert!(actor.require(Role::Agent).is_ok());
        assert!(actor.require(Role::Supervisor).is_ok());
        assert_eq!(actor.require(Role::Admin), Err(Forbidden { needed: Role::Admin }));
    }
}
