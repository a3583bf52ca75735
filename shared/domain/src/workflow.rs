//! The workflow engine: given a case, its type's definition and the caller, plans what a
//! transition does — next state, field changes, assignment, effects — or says precisely why it
//! may not happen. Pure: the service writes the plan atomically.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::actor::{Actor, Role};
use crate::case::{Case, CaseFields, CasePatch};
use crate::case_type::{ActionDef, AgentPool, CaseType, Effect, Recipient, ResultDef, StateClass};
use crate::ids::{EntityId, UserId};
use crate::messages as msg;
use crate::money::Money;
use crate::validation::ValidationErrors;

pub const NOTE_MAX: usize = 20_000;
/// The e-mail the "Alerta Cliente" flag sends.
pub const CUSTOMER_ALERT_TEMPLATE: &str = "customer_alert";

/// `POST /cases/{id}/transitions`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransitionRequest {
    pub action: String,
    pub result: String,
    pub note: Option<String>,
    /// Custom fields to set with the transition (e.g. those the result requires).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub fields: Option<Map<String, Value>>,
    /// The case's own fields to set with the transition, for results that require them.
    pub case_fields: Option<StepCaseFields>,
}

/// The case's own fields a step may set. A result may require the amount or the account, and
/// without these the user would have to edit the case first and come back to take the step.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StepCaseFields {
    pub description: Option<String>,
    pub account_id: Option<EntityId>,
    pub contact_id: Option<EntityId>,
    pub branch: Option<String>,
    pub amount: Option<Money>,
}

impl crate::field_access::Touches for TransitionRequest {
    fn touched(&self) -> Vec<String> {
        let step = self.case_fields.as_ref();
        crate::field_access::touched(
            [
                ("description", step.is_some_and(|s| crate::field_access::filled(&s.description))),
                ("amount", step.is_some_and(|s| s.amount.is_some())),
            ],
            self.fields.iter().flat_map(|fields| fields.keys()),
        )
    }
}

impl StepCaseFields {
    /// `fields` with these set, validated; errors name the request's `caseFields.*`.
    fn applied_to(&self, fields: &CaseFields) -> Result<CaseFields, ValidationErrors> {
        let patch = CasePatch {
            description: self.description.clone().map(Some),
            account_id: self.account_id.map(Some),
            contact_id: self.contact_id.map(Some),
            branch: self.branch.clone().map(Some),
            amount: self.amount.clone().map(Some),
            ..Default::default()
        };
        fields.patched(&patch).map_err(in_case_fields)
    }
}

/// Errors about the case's fields, named as the request's `caseFields.*`.
pub(crate) fn in_case_fields(errors: ValidationErrors) -> ValidationErrors {
    let named = |mut e: crate::validation::FieldError| {
        e.field = format!("caseFields.{}", e.field);
        e
    };
    ValidationErrors(errors.0.into_iter().map(named).collect())
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransitionError {
    #[error("action '{action}' is not available in state '{state}'")]
    ActionNotAvailable { action: String, state: String, allowed: Vec<String> },
    #[error("action '{action}' has no result '{result}'")]
    UnknownResult { action: String, result: String, allowed: Vec<String> },
    #[error("action '{action}' needs one of the roles {roles:?}")]
    RoleRequired { action: String, roles: Vec<Role> },
    #[error("fields required before this result: {fields:?}")]
    MissingFields { fields: Vec<String> },
    #[error("this transition needs a note")]
    NoteRequired,
    #[error(transparent)]
    Invalid(ValidationErrors),
}

impl TransitionError {
    /// Why the transition was refused, in a person's words (the console shows it as is).
    pub fn messages(&self) -> Vec<crate::Message> {
        let list = |items: &[String]| items.join(", ");
        match self {
            Self::ActionNotAvailable { action, state, allowed } => {
                vec![msg::detail_action_not_available(action, state, list(allowed))]
            }
            Self::UnknownResult { action, result, allowed } => {
                vec![msg::detail_unknown_result(action, result, list(allowed))]
            }
            Self::RoleRequired { action, roles } => {
                let names: Vec<String> = roles.iter().map(|r| r.as_str().to_owned()).collect();
                vec![msg::detail_action_role(action, list(&names))]
            }
            Self::MissingFields { fields } => vec![msg::ui_needs_fields(list(fields))],
            Self::NoteRequired => vec![msg::note_required()],
            Self::Invalid(errors) => errors.0.iter().map(|e| e.reason.clone()).collect(),
        }
    }
}

/// Who gets the case after the transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignment {
    User(UserId),
    /// From a pool; `pool_id` names the pool's round-robin counter.
    Pool {
        pool: AgentPool,
        pool_id: String,
    },
}

/// What a transition does, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub action: String,
    pub result: String,
    pub from: String,
    pub to: String,
    pub to_class: StateClass,
    pub note: Option<String>,
    /// The case's fields after the transition (its owner aside: see `assignment`).
    pub fields: CaseFields,
    pub assignment: Option<Assignment>,
    /// Effects to enqueue (notifications, documents) or to write with the case (follow-ups).
    pub effects: Vec<Effect>,
}

fn role_allows(action: &ActionDef, actor: &Actor) -> bool {
    action.roles.is_empty() || action.roles.iter().any(|r| actor.role >= *r)
}

/// The required fields of `result` that have no value in `case`.
fn missing_fields(result: &ResultDef, case: &CaseFields) -> Vec<String> {
    result
        .required_fields
        .iter()
        .filter(|field| {
            let present = match field.strip_prefix("customFields.") {
                Some(key) => case.custom_fields.get(key).is_some_and(|v| !v.is_null() && v != ""),
                None => match field.as_str() {
                    "description" => case.description.is_some(),
                    "accountId" => case.account_id.is_some(),
                    "contactId" => case.contact_id.is_some(),
                    "owner" => case.owner.is_some(),
                    "branch" => case.branch.is_some(),
                    "amount" => case.amount.is_some(),
                    _ => false,
                },
            };
            !present
        })
        .cloned()
        .collect()
}

/// Plans a transition, or says why it may not happen.
pub fn plan(
    definition: &CaseType,
    case: &Case,
    actor: &Actor,
    request: &TransitionRequest,
) -> Result<Plan, TransitionError> {
    let offered: Vec<&ActionDef> = definition.actions_in(&case.state).collect();
    let Some(action) = offered.iter().find(|a| a.key == request.action) else {
        return Err(TransitionError::ActionNotAvailable {
            action: request.action.clone(),
            state: case.state.clone(),
            allowed: offered.iter().filter(|a| role_allows(a, actor)).map(|a| a.key.clone()).collect(),
        });
    };
    let Some(result) = action.results.iter().find(|r| r.key == request.result) else {
        return Err(TransitionError::UnknownResult {
            action: action.key.clone(),
            result: request.result.clone(),
            allowed: action.results.iter().map(|r| r.key.clone()).collect(),
        });
    };
    if !role_allows(action, actor) {
        return Err(TransitionError::RoleRequired { action: action.key.clone(), roles: action.roles.clone() });
    }
    let mut errors = ValidationErrors::new();
    let note = errors.optional_text("note", request.note.as_deref(), NOTE_MAX, true);
    if !errors.is_empty() {
        return Err(TransitionError::Invalid(errors));
    }
    if (action.requires_note || result.requires_note) && note.is_none() {
        return Err(TransitionError::NoteRequired);
    }
    let mut after = CaseFields::of(case);
    if let Some(step) = &request.case_fields {
        after = step.applied_to(&after).map_err(TransitionError::Invalid)?;
    }
    if let Some(fields) = &request.fields {
        let mut errors = ValidationErrors::new();
        for (key, value) in fields {
            match definition.custom_field(key) {
                None => errors.add(format!("fields.{key}"), msg::type_has_no_field(&definition.key, key)),
                Some(def) => match def.check(value) {
                    Ok(()) => {
                        after.custom_fields.insert(key.clone(), value.clone());
                    }
                    Err(reason) => errors.add(format!("fields.{key}"), reason),
                },
            }
        }
        errors.finish().map_err(TransitionError::Invalid)?;
    }
    let missing = missing_fields(result, &after);
    if !missing.is_empty() {
        return Err(TransitionError::MissingFields { fields: missing });
    }
    let to = result.next.clone().unwrap_or_else(|| case.state.clone());
    let to_state = definition.state(&to).expect("validated definitions name existing states");
    let mut assignment = None;
    let mut effects = Vec::new();
    for effect in &result.effects {
        match effect {
            Effect::SetFields { fields } => after.custom_fields.extend(fields.clone()),
            Effect::Assign { to: target } => {
                assignment = match (&target.user, &target.pool) {
                    (Some(user), _) => Some(Assignment::User(user.clone())),
                    (None, Some(pool)) => Some(Assignment::Pool {
                        pool: pool.clone(),
                        pool_id: format!("{}#{}#{}", definition.key, action.key, result.key),
                    }),
                    (None, None) => None,
                };
            }
            other => effects.push(other.clone()),
        }
    }
    if assignment.is_none()
        && to != case.state
        && let Some(pool) = to_state.pool.as_ref().filter(|p| p.strategy != crate::case_type::Distribution::Manual)
    {
        assignment = Some(Assignment::Pool { pool: pool.clone(), pool_id: format!("{}#{}", definition.key, to) });
    }
    if result.alert_customer {
        effects.push(Effect::Notify { to: Recipient::Customer, template: CUSTOMER_ALERT_TEMPLATE.into() });
    }
    Ok(Plan {
        action: action.key.clone(),
        result: result.key.clone(),
        from: case.state.clone(),
        to,
        to_class: to_state.class,
        note,
        fields: after,
        assignment,
        effects,
    })
}

/// One result as `GET /cases/{id}/transitions` offers it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfferedResult {
    pub key: String,
    pub name: String,
    /// The state the case moves to (`null`: it stays).
    pub next: Option<String>,
    pub requires_note: bool,
    /// Required fields the case does not have yet (send them in `fields`).
    pub missing_fields: Vec<String>,
}

/// One action the caller may take now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfferedAction {
    pub key: String,
    pub name: String,
    pub results: Vec<OfferedResult>,
}

/// What the caller may do with the case now, for a UI's buttons.
pub fn offered(definition: &CaseType, case: &Case, actor: &Actor) -> Vec<OfferedAction> {
    // Nothing on an archived case, nor on one whose type the profile keeps read only.
    if case.archived || !actor.allows_case(&case.case_type, crate::access::Operation::Update) {
        return Vec::new();
    }
    let fields = CaseFields::of(case);
    definition
        .actions_in(&case.state)
        .filter(|a| role_allows(a, actor))
        .map(|action| OfferedAction {
            key: action.key.clone(),
            name: action.name.clone(),
            results: action
                .results
                .iter()
                .map(|r| OfferedResult {
                    key: r.key.clone(),
                    name: r.name.clone(),
                    next: r.next.clone(),
                    requires_note: r.requires_note || action.requires_note,
                    missing_fields: missing_fields(r, &fields),
                })
                .collect(),
        })
        .collect()
}
