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
