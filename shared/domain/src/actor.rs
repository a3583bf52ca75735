//! Who is calling: tenant, user and roles, taken from the verified token's claims.

use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock};

pub use crate::access::Role;
use crate::access::{FieldAccess, Module, Operation, Permission, Profile, Scope, profile_of_role};
use crate::field_access::{Redact, Touches};
use crate::ids::{CaseTypeKey, TenantId, UserId};
use crate::messages::{self as msg, Message};
use crate::organisation::Circle;

/// The authenticated caller of a use case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub tenant: TenantId,
    pub user: UserId,
    pub email: Option<String>,
    /// The highest role the token names, or once the directory was read, the level of the
    /// user's profile: what workflow guards compare against., from: None
    pub role: Role,
    /// The profile the tenant's directory gives the user (read by the edge on each request);
    /// `None`: the seeded profile of `role`.
    pub profile: Option<Arc<Profile>>,
    /// Whose records the team and branch scopes reach, from the tenant's organisation (read by
    /// the edge with the profile); `None`: the actor's own only.
    pub circle: Option<Arc<Circle>>,
    /// Where the request came from (`api 203.0.113.9`, `console …`), for the access log.
    pub from: Option<String>,
    /// How many days the company keeps access-log entries (read by the edge with the profile);
    /// `None`: [`crate::access_log::RETENTION_DAYS`].
    pub log_retention_days: Option<u16>,
}

impl Actor {
    /// The actor of sweeps and workers: the tenant's `system` user.
    pub fn system(tenant: &TenantId) -> Actor {
        Actor {
            tenant: tenant.clone(),
            user: UserId::parse("system").expect("valid"),
            email: None,
            role: Role::Admin,
            profile: None,
            circle: None,
            from: None,
            log_retention_days: None,
        }
    }

    /// An actor working with the seeded profile of `role` (tests, tools, the demo).
    pub fn with_role(tenant: &TenantId, user: &UserId, role: Role) -> Actor {
        Actor {
            tenant: tenant.clone(),
            user: user.clone(),
            email: None,
            role,
            profile: None,
            circle: None,
            from: None,
            log_retention_days: None,
        }
    }

    /// The profile the actor works with.
    pub fn profile(&self) -> &Profile {
        match &self.profile {
            Some(profile) => profile,
            None => seeded_profile_of(self.role),
        }
    }

    /// How many days an access-log entry written for this actor is kept.
    pub fn log_retention_days(&self) -> u16 {
        self.log_retention_days.unwrap_or(crate::access_log::RETENTION_DAYS)
    }

    /// Where the request came from, as the access log writes it.
    pub fn origin(&self) -> &str {
        self.from.as_deref().unwrap_or("-")
    }

    pub fn allows(&self, permission: Permission) -> bool {
        self.profile().allows(permission)
    }

    /// `Ok` when the actor's profile grants `permission`.
    pub fn permit(&self, permission: Permission) -> Result<(), Forbidden> {
        if self.allows(permission) { Ok(()) } else { Err(Forbidden { needed: Needed::Permission(permission) }) }
    }

    /// Whose records of `module` the actor sees: `None` everyone's. Records without an owner
    /// are seen only by a profile that sees all.
    pub fn owners_seen(&self, module: Module) -> Option<BTreeSet<UserId>> {
        let circle = self.circle.as_deref();
        match self.profile().scope(module) {
            Scope::All => None,
            Scope::Own => Some(BTreeSet::from([self.user.clone()])),
            Scope::Team => Some(circle.map_or_else(|| BTreeSet::from([self.user.clone()]), |c| c.team.clone())),
            Scope::Branch => Some(circle.map_or_else(|| BTreeSet::from([self.user.clone()]), |c| c.branch.clone())),
        }
    }

    /// Whether the actor's profile allows `operation` on cases of `case_type`.
    pub fn allows_case(&self, case_type: &CaseTypeKey, operation: Operation) -> bool {
        self.profile().allows_case(case_type, operation)
    }

    /// `Ok` when the actor's profile allows `operation` on cases of `case_type`.
    pub fn permit_case(&self, case_type: &CaseTypeKey, operation: Operation) -> Result<(), Forbidden> {
        if self.allows_case(case_type, operation) {
            Ok(())
        } else {
            Err(Forbidden { needed: Needed::CaseType(case_type.clone(), operation) })
        }
    }

    /// Whether the actor sees `case`: its type readable to their profile, its owner in scope.
    pub fn sees_case(&self, case: &crate::case::Case) -> bool {
        self.allows_case(&case.case_type, Operation::Read) && self.sees(Module::Cases, case.owner.as_ref())
    }

    /// Whether a record of `module` owned by `owner` is within the actor's scope.
    pub fn sees(&self, module: Module, owner: Option<&UserId>) -> bool {
        match self.owners_seen(module) {
            None => true,
            Some(owners) => owner.is_some_and(|o| owners.contains(o)),
        }
    }

    pub fn may(&self, needed: Role) -> bool {
        self.role >= needed
    }

    pub fn field_access(&self, module: Module, field: &str) -> FieldAccess {
        self.profile().field_access(module, field)
    }

    /// Removes from `record` the fields the actor's profile hides.
    pub fn redact<T: Redact>(&self, record: &mut T) {
        if let Some(fields) = self.profile().fields.get(&T::MODULE) {
            for (field, _) in fields.iter().filter(|(_, access)| **access == FieldAccess::Hidden) {
                record.hide(field);
            }
        }
    }

    /// Removes from history events what they tell about fields the actor's profile hides on
    /// any of `modules` (a case's events: the case's fields, and its contact's e-mail).
    pub fn redact_events<'a>(
        &self,
        modules: &[Module],
        events: impl IntoIterator<Item = &'a mut crate::history::HistoryEvent>,
    ) {
        let profile = self.profile();
        let hidden: Vec<&str> = modules
            .iter()
            .filter_map(|module| profile.fields.get(module))
            .flatten()
            .filter(|(_, access)| **access == FieldAccess::Hidden)
            .map(|(field, _)| field.as_str())
            .collect();
        if hidden.is_empty() {
            return;
        }
        for event in events {
            for field in &hidden {
                event.kind.hide(field);
            }
        }
    }

    /// `Ok` when the actor may set every field `input` sets on a record of `module`.
    pub fn permit_fields(&self, module: Module, input: &impl Touches) -> Result<(), Forbidden> {
        let Some(rules) = self.profile().fields.get(&module) else { return Ok(()) };
        let refused: Vec<(String, FieldAccess)> = input
            .touched()
            .into_iter()
            .filter_map(|field| match rules.get(&field).copied().unwrap_or_default() {
                FieldAccess::ReadWrite => None,
                access => Some((field, access)),
            })
            .collect();
        if refused.is_empty() { Ok(()) } else { Err(Forbidden { needed: Needed::Fields(refused) }) }
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
        Ok(Actor {
            tenant,
            user,
            email: claim("email"),
            role,
            profile: None,
            circle: None,
            from: None,
            log_retention_days: None,
        })
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

/// The seeded profiles of the three roles, built once.
fn seeded_profile_of(role: Role) -> &'static Profile {
    static SEEDED: LazyLock<[Profile; 3]> = LazyLock::new(|| {
        [profile_of_role(Role::Agent), profile_of_role(Role::Supervisor), profile_of_role(Role::Admin)]
    });
    match role {
        Role::Agent => &SEEDED[0],
        Role::Supervisor => &SEEDED[1],
        Role::Admin => &SEEDED[2],
    }
}

/// What an operation needed that the caller lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Needed {
    /// A level (workflow guards, reassigning, shared views).
    Role(Role),
    /// A permission of the caller's profile.
    Permission(Permission),
    /// A permission on cases of one type, which the profile keeps fewer of.
    CaseType(CaseTypeKey, Operation),
    /// Write access to these fields, each with the access the profile has.
    Fields(Vec<(String, FieldAccess)>),
}

/// The caller may not do this.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct Forbidden {
    pub needed: Needed,
}

impl Forbidden {
    /// Why, in the reader's language.
    pub fn message(&self) -> Message {
        match &self.needed {
            Needed::Role(role) => msg::detail_role_needed(role.as_str()),
            Needed::Permission(permission) => msg::detail_permission_needed(permission.code()),
            Needed::CaseType(case_type, operation) => msg::detail_case_type_permission_needed(
                Permission::new(Module::Cases, *operation).code(),
                case_type.as_str(),
            ),
            Needed::Fields(_) => msg::detail_fields_not_writable(),
        }
    }

    /// Each field the caller may not set, with why (the API's `errors`, a form's messages under
    /// its inputs); empty when what was needed is not a field.
    pub fn field_errors(&self) -> Vec<crate::validation::FieldError> {
        let Needed::Fields(fields) = &self.needed else { return Vec::new() };
        fields
            .iter()
            .map(|(field, access)| {
                let reason = if *access == FieldAccess::Hidden { msg::field_hidden() } else { msg::field_read_only() };
                crate::validation::FieldError::new(field.clone(), reason)
            })
            .collect()
    }
}

impl Actor {
    pub fn require(&self, needed: Role) -> Result<(), Forbidden> {
        if self.may(needed) { Ok(()) } else { Err(Forbidden { needed: Needed::Role(needed) }) }
    }
}

/// A use case's answer as its caller may see it: what their profile hides removed.
pub trait Redacted {
    fn redacted(self, actor: &Actor) -> Self;
}

impl<T: Redact> Redacted for crate::Versioned<T> {
    fn redacted(mut self, actor: &Actor) -> Self {
        actor.redact(&mut self.value);
        self
    }
}

impl<T: Redacted> Redacted for crate::Page<T> {
    fn redacted(mut self, actor: &Actor) -> Self {
        self.items = self.items.into_iter().map(|item| item.redacted(actor)).collect();
        self
    }
}

impl<T: Redacted, E> Redacted for Result<T, E> {
    fn redacted(self, actor: &Actor) -> Self {
        self.map(|value| value.redacted(actor))
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
            profile: None,
            circle: None,
            from: None,
            log_retention_days: None,
        };
        assert!(actor.require(Role::Agent).is_ok());
        assert!(actor.require(Role::Supervisor).is_ok());
        assert_eq!(actor.require(Role::Admin), Err(Forbidden { needed: Needed::Role(Role::Admin) }));
    }
}
