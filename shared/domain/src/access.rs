//! Profiles: what a staff member may do, per module and operation.
//!
//! A tenant keeps its profiles in one record (a company has a handful), so the edge reads it
//! with the caller's directory entry in one call per request. A tenant that never edited its
//! profiles works with the seeded ones. A user's directory entry names their profile; a user
//! without one works with the seeded profile of the role their token names.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ids::{CaseTypeKey, ProfileId};
use crate::validation::ValidationErrors;

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

/// The parts of Gestiona a profile grants operations on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Module {
    Accounts,
    Contacts,
    Leads,
    Opportunities,
    /// The product catalogue and the price lists.
    Products,
    Cases,
    Documents,
    /// Invoices, payments, credit notes, write-offs and collections [cartera].
    Receivables,
    Reports,
    /// Case types, calendars, SLA policies, forms, the dunning ladder, webhooks, users and
    /// profiles.
    Configuration,
}

impl Module {
    pub const ALL: [Module; 10] = [
        Module::Accounts,
        Module::Contacts,
        Module::Leads,
        Module::Opportunities,
        Module::Products,
        Module::Cases,
        Module::Documents,
        Module::Receivables,
        Module::Reports,
        Module::Configuration,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Module::Accounts => "accounts",
            Module::Contacts => "contacts",
            Module::Leads => "leads",
            Module::Opportunities => "opportunities",
            Module::Products => "products",
            Module::Cases => "cases",
            Module::Documents => "documents",
            Module::Receivables => "receivables",
            Module::Reports => "reports",
            Module::Configuration => "configuration",
        }
    }

    pub fn parse(name: &str) -> Option<Module> {
        Module::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// The modules whose records have an owner, and so take a record scope.
    pub const OWNED: [Module; 3] = [Module::Leads, Module::Opportunities, Module::Cases];

    pub fn is_owned(self) -> bool {
        Module::OWNED.contains(&self)
    }
}

/// Whose records of a module a profile sees (and so may read, list, search, report on,
/// export and change): the user's own, their teams', their branches', or all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Scope {
    Own,
    Team,
    Branch,
    #[default]
    All,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Own, Scope::Team, Scope::Branch, Scope::All];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Own => "own",
            Scope::Team => "team",
            Scope::Branch => "branch",
            Scope::All => "all",
        }
    }

    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// The scope per owned module; a module absent sees all its records.
pub type Scopes = BTreeMap<Module, Scope>;

/// What a profile may do in a module. On receivables, `archive` is settling a debt without
/// money (credit notes and write-offs); `export` is every CSV or spreadsheet download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Operation {
    Create,
    Read,
    Update,
    Archive,
    Export,
}

impl Operation {
    pub const ALL: [Operation; 5] =
        [Operation::Create, Operation::Read, Operation::Update, Operation::Archive, Operation::Export];

    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Read => "read",
            Operation::Update => "update",
            Operation::Archive => "archive",
            Operation::Export => "export",
        }
    }

    pub fn parse(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|o| o.as_str() == name)
    }
}

/// One operation on one module: what a route or a use case needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Permission {
    pub module: Module,
    pub operation: Operation,
}

impl Permission {
    pub const fn new(module: Module, operation: Operation) -> Self {
        Self { module, operation }
    }

    /// `receivables.create`: how messages and the OpenAPI document name it.
    pub fn code(self) -> String {
        format!("{}.{}", self.module.as_str(), self.operation.as_str())
    }
}

/// The operations allowed per module (a module absent allows nothing).
pub type Grants = BTreeMap<Module, BTreeSet<Operation>>;

/// Per case type, the operations a profile keeps on cases of that type: fewer than its
/// grants on the cases module (a type left out: the module's).
pub type CaseTypeGrants = BTreeMap<CaseTypeKey, BTreeSet<Operation>>;

/// The most case types a profile may name.
pub const MAX_CASE_TYPE_GRANTS: usize = 200;

/// What a profile may do with one field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FieldAccess {
    #[default]
    ReadWrite,
    ReadOnly,
    Hidden,
}

impl FieldAccess {
    pub const ALL: [FieldAccess; 3] = [FieldAccess::ReadWrite, FieldAccess::ReadOnly, FieldAccess::Hidden];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldAccess::ReadWrite => "readWrite",
            FieldAccess::ReadOnly => "readOnly",
            FieldAccess::Hidden => "hidden",
        }
    }

    pub fn parse(name: &str) -> Option<FieldAccess> {
        FieldAccess::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// Per module, the fields restricted (a field absent is read-write).
pub type FieldRules = BTreeMap<Module, BTreeMap<String, FieldAccess>>;

/// What `rules` let a user do with `field` of `module` (a field no rule names: read-write).
pub fn field_access_in(rules: &FieldRules, module: Module, field: &str) -> FieldAccess {
    rules.get(&module).and_then(|fields| fields.get(field)).copied().unwrap_or_default()
}

/// How a custom field is named in a rule: `customFields.{key}`.
pub const CUSTOM_FIELD_PREFIX: &str = "customFields.";

/// The standard fields of a module a profile may restrict.
pub fn restrictable(module: Module) -> &'static [&'static str] {
    match module {
        Module::Accounts => &["taxId", "email", "phone", "website", "industry", "branch", "owner"],
        Module::Contacts => &["email", "phone", "title", "locale"],
        Module::Leads => &["email", "phone", "company", "message"],
        Module::Cases => &["description", "amount"],
        _ => &[],
    }
}

/// Whether the module's records carry custom fields a rule may name.
pub fn has_custom_fields(module: Module) -> bool {
    matches!(module, Module::Leads | Module::Cases)
}

/// Whether a rule may name `field` on `module`.
pub fn is_restrictable(module: Module, field: &str) -> bool {
    restrictable(module).contains(&field)
        || (has_custom_fields(module)
            && field.strip_prefix(CUSTOM_FIELD_PREFIX).is_some_and(crate::validation::is_custom_field_key))
}

/// Checks a profile's rules; `readWrite` is what a field left out means, so it is dropped.
pub fn validate_rules(rules: FieldRules, e: &mut ValidationErrors) -> FieldRules {
    for (module, fields) in &rules {
        for field in fields.keys().filter(|f| !is_restrictable(*module, f)) {
            e.add(format!("fields.{}.{field}", module.as_str()), crate::messages::field_not_restrictable());
        }
    }
    rules
        .into_iter()
        .map(|(module, fields)| (module, fields.into_iter().filter(|(_, a)| *a != FieldAccess::ReadWrite).collect()))
        .filter(|(_, fields): &(Module, BTreeMap<String, FieldAccess>)| !fields.is_empty())
        .collect()
}

/// The custom field's key a rule names, if it names one.
pub fn custom_key(field: &str) -> Option<&str> {
    field.strip_prefix(CUSTOM_FIELD_PREFIX)
}

/// A named set of permissions that users are given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    pub id: ProfileId,
    pub name: String,
    /// What workflow guards and supervisor-only steps (reassigning, shared views) compare
    /// against: `agent`, `supervisor` or `admin`.
    pub level: Role,
    /// Per module, the operations allowed.
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<Module, Vec<Operation>>))]
    pub grants: Grants,
    /// Per owned module (leads, opportunities, cases), whose records the profile sees; a
    /// module absent: all of them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<Module, Scope>))]
    pub scopes: Scopes,
    /// Per module, the fields the profile may only read (`readOnly`) or may not see
    /// (`hidden`); a field absent is read-write.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<Module, BTreeMap<String, FieldAccess>>))]
    pub fields: FieldRules,
    /// Per case type, the operations kept on its cases when fewer than on the cases module;
    /// a type absent: the module's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, Vec<Operation>>))]
    pub case_types: CaseTypeGrants,
}

impl Profile {
    pub fn allows(&self, permission: Permission) -> bool {
        self.grants.get(&permission.module).is_some_and(|ops| ops.contains(&permission.operation))
    }

    /// Whether `operation` is allowed on a case of `case_type`: the type's own grants when it
    /// has some, else the cases module's.
    pub fn allows_case(&self, case_type: &CaseTypeKey, operation: Operation) -> bool {
        match self.case_types.get(case_type) {
            Some(ops) => ops.contains(&operation),
            None => self.allows(Permission::new(Module::Cases, operation)),
        }
    }

    pub fn scope(&self, module: Module) -> Scope {
        self.scopes.get(&module).copied().unwrap_or_default()
    }

    pub fn field_access(&self, module: Module, field: &str) -> FieldAccess {
        field_access_in(&self.fields, module, field)
    }

    /// Whether some module's scope is the team's or the branch's, which the organisation
    /// decides.
    pub fn scopes_by_circle(&self) -> bool {
        self.scopes.values().any(|s| matches!(s, Scope::Team | Scope::Branch))
    }
}

/// The profile every tenant has that keeps every permission, so that a tenant can never lock
/// its administrators out.
pub const ADMIN_PROFILE: &str = "admin";

fn grants(of: &[(Module, &[Operation])]) -> Grants {
    of.iter().map(|(module, ops)| (*module, ops.iter().copied().collect())).collect()
}

fn seeded(id: &str, name: &str, level: Role, of: &[(Module, &[Operation])], scopes: &[(Module, Scope)]) -> Profile {
    Profile {
        id: ProfileId::parse(id).expect("a valid seeded id"),
        name: name.to_owned(),
        level,
        grants: grants(of),
        scopes: scopes.iter().copied().collect(),
        fields: FieldRules::new(),
        case_types: CaseTypeGrants::new(),
    }
}

/// The profiles a tenant starts with. They keep what the three roles of the sign-in token
/// allowed, except that an agent no longer records payments, issues invoices or exports (the
/// collections and sales profiles do that work), and sees only their teams' cases and their
/// own leads and opportunities; salespeople see their teams' leads and opportunities.
pub fn seeded_profiles() -> Vec<Profile> {
    use Module::*;
    use Operation::*;
    const ALL: &[Operation] = &Operation::ALL;
    const WORK: &[Operation] = &[Create, Read, Update];
    const READ: &[Operation] = &[Read];
    vec![
        seeded(
            "agent",
            "Agente",
            Role::Agent,
            &[
                (Accounts, WORK),
                (Contacts, WORK),
                (Leads, WORK),
                (Opportunities, WORK),
                (Products, READ),
                (Cases, WORK),
                (Documents, WORK),
                (Receivables, READ),
                (Reports, READ),
            ],
            &[(Cases, Scope::Team), (Leads, Scope::Own), (Opportunities, Scope::Own)],
        ),
        seeded(
            "sales",
            "Ventas",
            Role::Agent,
            &[
                (Accounts, &[Create, Read, Update, Export]),
                (Contacts, &[Create, Read, Update, Export]),
                (Leads, &[Create, Read, Update, Export]),
                (Opportunities, &[Create, Read, Update, Export]),
                (Products, &[Read, Export]),
                (Cases, READ),
                (Documents, WORK),
                (Receivables, READ),
                (Reports, &[Read, Export]),
            ],
            &[(Leads, Scope::Team), (Opportunities, Scope::Team)],
        ),
        seeded(
            "collections",
            "Cobranza",
            Role::Agent,
            &[
                (Accounts, &[Read, Update]),
                (Contacts, &[Read, Update]),
                (Products, READ),
                (Cases, READ),
                (Documents, WORK),
                (Receivables, &[Create, Read, Update, Export]),
                (Reports, &[Read, Export]),
            ],
            &[],
        ),
        seeded(
            "supervisor",
            "Supervisor",
            Role::Supervisor,
            &[
                (Accounts, &[Create, Read, Update, Export]),
                (Contacts, &[Create, Read, Update, Export]),
                (Leads, ALL),
                (Opportunities, ALL),
                (Products, ALL),
                (Cases, ALL),
                (Documents, ALL),
                (Receivables, ALL),
                (Reports, ALL),
                (Configuration, READ),
            ],
            &[],
        ),
        seeded(ADMIN_PROFILE, "Administrador", Role::Admin, &Module::ALL.map(|module| (module, ALL)), &[]),
    ]
}

/// The id of the profile a token's role stands for when the directory names none.
pub fn profile_id_of_role(role: Role) -> &'static str {
    match role {
        Role::Agent => "agent",
        Role::Supervisor => "supervisor",
        Role::Admin => ADMIN_PROFILE,
    }
}

/// The seeded profile a token's role stands for, as it is before a tenant edits it.
pub fn profile_of_role(role: Role) -> Profile {
    let id = profile_id_of_role(role);
    seeded_profiles().into_iter().find(|p| p.id.as_str() == id).expect("every role has a seeded profile")
}

/// A tenant's profiles as stored: the seeded ones until an admin edits them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessPolicy {
    pub profiles: Vec<Profile>,
    /// Days the access log keeps an entry, when the company chose other than
    /// [`crate::access_log::RETENTION_DAYS`]: kept here, read with the profiles on every request,
    /// so writing an entry costs no read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_retention_days: Option<u16>,
}

impl Default for AccessPolicy {
    fn default() -> Self {
        Self { profiles: seeded_profiles(), log_retention_days: None }
    }
}

impl AccessPolicy {
    pub fn profile(&self, id: &ProfileId) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.id == *id)
    }

    /// The profile of users the directory names none for: their token role's, as the tenant
    /// edited it (seeded if it was removed).
    pub fn of_role(&self, role: Role) -> Profile {
        let id = profile_id_of_role(role);
        self.profiles.iter().find(|p| p.id.as_str() == id).cloned().unwrap_or_else(|| profile_of_role(role))
    }
}

/// `PUT /profiles/{id}`: a profile's name, level and grants.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileEntry {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 80))]
    pub name: String,
    pub level: Role,
    /// Per module, the operations allowed; a module left out allows nothing.
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<Module, Vec<Operation>>))]
    pub grants: Grants,
    /// Per owned module (leads, opportunities, cases), whose records the profile sees; a
    /// module left out: all of them.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<Module, Scope>))]
    pub scopes: Scopes,
    /// Per module, the fields the profile may only read or may not see; a field left out is
    /// read-write.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<Module, BTreeMap<String, FieldAccess>>))]
    pub fields: FieldRules,
    /// Per case type, the operations kept on its cases, within those granted on the cases
    /// module; a type left out: the module's.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, Vec<Operation>>))]
    pub case_types: CaseTypeGrants,
}

pub const PROFILE_NAME_MAX: usize = 80;

/// A profile as `PUT /profiles/{id}` takes it back, to change one part and keep the rest.
impl From<Profile> for ProfileEntry {
    fn from(profile: Profile) -> Self {
        ProfileEntry {
            name: profile.name,
            level: profile.level,
            grants: profile.grants,
            scopes: profile.scopes,
            fields: profile.fields,
            case_types: profile.case_types,
        }
    }
}

impl ProfileEntry {
    pub fn validate(self, id: ProfileId) -> Result<Profile, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = e.text("name", &self.name, PROFILE_NAME_MAX, false);
        if id.as_str() == ADMIN_PROFILE {
            let everything: Grants = grants(&Module::ALL.map(|module| (module, &Operation::ALL[..])));
            if self.grants != everything || self.level != Role::Admin {
                e.add("grants", crate::messages::admin_profile_keeps_everything());
            }
            if self.scopes.values().any(|s| *s != Scope::All) {
                e.add("scopes", crate::messages::admin_profile_sees_everything());
            }
        }
        for module in self.scopes.keys().filter(|m| !m.is_owned()) {
            e.add(format!("scopes.{}", module.as_str()), crate::messages::scope_on_unowned_module());
        }
        if id.as_str() == ADMIN_PROFILE && self.fields.values().flatten().any(|(_, a)| *a != FieldAccess::ReadWrite) {
            e.add("fields", crate::messages::admin_profile_sees_everything());
        }
        let fields = validate_rules(self.fields, &mut e);
        let on_cases = self.grants.get(&Module::Cases).cloned().unwrap_or_default();
        if id.as_str() == ADMIN_PROFILE && self.case_types.values().any(|ops| *ops != on_cases) {
            e.add("caseTypes", crate::messages::admin_profile_keeps_everything());
        }
        if self.case_types.len() > MAX_CASE_TYPE_GRANTS {
            e.add("caseTypes", crate::messages::at_most_items(MAX_CASE_TYPE_GRANTS));
        }
        for (case_type, ops) in &self.case_types {
            if !ops.is_subset(&on_cases) {
                e.add(format!("caseTypes.{case_type}"), crate::messages::case_type_grants_within_cases());
            }
        }
        e.finish()?;
        // A type keeping what the module grants is what a type left out means: stored as nothing.
        let case_types = self.case_types.into_iter().filter(|(_, ops)| *ops != on_cases).collect();
        let grants = self.grants.into_iter().filter(|(_, ops)| !ops.is_empty()).collect();
        // "all" is what a module left out means: stored once, one way.
        let scopes = self.scopes.into_iter().filter(|(_, scope)| *scope != Scope::All).collect();
        Ok(Profile { id, name: name.unwrap_or_default(), level: self.level, grants, scopes, fields, case_types })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeded_profiles_keep_what_was_right_and_close_what_was_wrong() {
        let agent = profile_of_role(Role::Agent);
        assert!(agent.allows(Permission::new(Module::Cases, Operation::Create)));
        assert!(agent.allows(Permission::new(Module::Receivables, Operation::Read)));
        assert!(!agent.allows(Permission::new(Module::Receivables, Operation::Create)), "no payments");
        assert!(!agent.allows(Permission::new(Module::Cases, Operation::Export)));
        let collections = seeded_profiles().into_iter().find(|p| p.id.as_str() == "collections").unwrap();
        assert!(collections.allows(Permission::new(Module::Receivables, Operation::Create)));
        assert!(!collections.allows(Permission::new(Module::Receivables, Operation::Archive)), "no write-offs");
        let admin = profile_of_role(Role::Admin);
        assert!(Module::ALL.iter().all(|&m| Operation::ALL.iter().all(|&o| admin.allows(Permission::new(m, o)))));
        let supervisor = profile_of_role(Role::Supervisor);
        assert!(!supervisor.allows(Permission::new(Module::Configuration, Operation::Update)));
        assert_eq!(supervisor.level, Role::Supervisor);
    }

    #[test]
    fn grants_read_and_write_as_lists_per_module() {
        let json = r#"{"name":"Call centre","level":"agent","grants":{"cases":["read","create"],"leads":[]}}"#;
        let entry: ProfileEntry = serde_json::from_str(json).unwrap();
        let profile = entry.validate(ProfileId::parse("call-centre").unwrap()).unwrap();
        assert_eq!(
            serde_json::to_value(&profile.grants).unwrap(),
            serde_json::json!({"cases": ["create", "read"]}),
            "sorted, and an empty module dropped"
        );
        assert!(serde_json::from_str::<ProfileEntry>(r#"{"name":"x","level":"agent","grants":{"sales":[]}}"#).is_err());
    }

    #[test]
    fn scopes_apply_to_owned_modules_and_all_is_stored_as_nothing() {
        let json = r#"{"name":"Zona norte","level":"agent","grants":{},"scopes":{"cases":"branch","leads":"all"}}"#;
        let entry: ProfileEntry = serde_json::from_str(json).unwrap();
        let profile = entry.validate(ProfileId::parse("norte").unwrap()).unwrap();
        assert_eq!(profile.scopes, Scopes::from([(Module::Cases, Scope::Branch)]));
        assert_eq!((profile.scope(Module::Cases), profile.scope(Module::Leads)), (Scope::Branch, Scope::All));
        let json = r#"{"name":"x","level":"agent","grants":{},"scopes":{"accounts":"own"}}"#;
        let refused = serde_json::from_str::<ProfileEntry>(json).unwrap().validate(profile.id).unwrap_err();
        assert_eq!(refused.0[0].field, "scopes.accounts");
        let agent = profile_of_role(Role::Agent);
        assert_eq!((agent.scope(Module::Cases), agent.scope(Module::Leads)), (Scope::Team, Scope::Own));
    }

    #[test]
    fn the_admin_profile_cannot_lose_a_permission() {
        let mut admin = profile_of_role(Role::Admin);
        let entry = |grants: &Grants, scopes: Scopes| ProfileEntry {
            name: "Admin".into(),
            level: Role::Admin,
            grants: grants.clone(),
            scopes,
            fields: FieldRules::new(),
            case_types: CaseTypeGrants::new(),
        };
        assert!(entry(&admin.grants, Scopes::new()).validate(admin.id.clone()).is_ok());
        let narrowed = Scopes::from([(Module::Cases, Scope::Own)]);
        let refused = entry(&admin.grants, narrowed).validate(admin.id.clone()).unwrap_err();
        assert_eq!(refused.0[0].field, "scopes");
        admin.grants.get_mut(&Module::Configuration).unwrap().remove(&Operation::Update);
        let refused = entry(&admin.grants, Scopes::new()).validate(admin.id).unwrap_err();
        assert_eq!(refused.0[0].field, "grants");
    }
}
