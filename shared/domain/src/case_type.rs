//! Case types [tipos de gestión, tipos de asunto]: data, not code. A definition holds the
//! states (each with a class), the transition table of action → result → next state with its
//! guards and effects (EasyCRM's "Acción → Resultado → Estado / Cambia Estado / Alerta
//! Cliente"), per-state time limits, supervisors and agent pools, and the custom-field schema.
//! Definitions are validated as a whole on save and versioned; a case keeps the version it was
//! opened with.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

pub use crate::case::StateClass;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::actor::Role;
use crate::document::DocumentTemplate;
use crate::document_sources::{self, FieldFacts, FieldSource, StepGuarantees};
use crate::ids::{CaseTypeKey, UnitId, UserId};
use crate::messages::{self as msg, Message};
use crate::templates;
use crate::validation::ValidationErrors;

pub const MAX_STATES: usize = 50;
pub const MAX_ACTIONS: usize = 100;
pub const MAX_RESULTS: usize = 30;
pub const MAX_EFFECTS: usize = 10;
pub const MAX_CUSTOM_FIELDS: usize = 100;
pub const MAX_POOL_AGENTS: usize = 200;
/// Teams one pool may draw from.
pub const MAX_POOL_TEAMS: usize = 20;
const NAME_MAX: usize = 200;

/// How a pool hands out cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Distribution {
    /// In turn, fair under concurrency (an atomic counter per pool).
    RoundRobin,
    /// To the agent with the fewest open cases (ties in pool order).
    LeastOpen,
    /// Nobody automatically: a supervisor assigns.
    Manual,
}

/// Agents who take cases in a state [gestores por estado], and how they are chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentPool {
    /// Agents named one by one, first in the turn.
    #[serde(default)]
    pub agents: Vec<UserId>,
    /// Teams of the organisation whose members join the pool as they are when a case or lead
    /// is assigned, after the named agents: moving someone between teams needs no new version
    /// of the case type or form.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<UnitId>,
    pub strategy: Distribution,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StateDef {
    pub key: String,
    pub name: String,
    pub class: StateClass,
    /// Business minutes a case may stay in this state [control de tiempos por estado].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit_minutes: Option<u32>,
    /// Supervisors of cases in this state, besides the type's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supervisors: Vec<UserId>,
    /// Entering this state assigns the case from this pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<AgentPool>,
}

/// Who a notification goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Recipient {
    Owner,
    Supervisor,
    Customer,
}

/// Where a reassignment goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignTarget {
    /// A named user…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserId>,
    /// …or a pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<AgentPool>,
}

/// What a result sets off. Effects are enqueued with deterministic ids, never performed inline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
// Fields renamed per variant: see `history::EventKind`.
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Effect {
    /// An e-mail from the template catalogue.
    #[serde(rename_all = "camelCase")]
    Notify { to: Recipient, template: String },
    /// A document from the template catalogue, filed on the case.
    #[serde(rename_all = "camelCase")]
    Document {
        template: String,
        #[serde(default)]
        send_to_customer: bool,
        /// Where each template field comes from; a field without a source is read from the
        /// custom field of the same name.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        fields: BTreeMap<String, FieldSource>,
    },
    /// Reassigns the case.
    #[serde(rename_all = "camelCase")]
    Assign { to: AssignTarget },
    /// Opens a follow-up case of another type [servicios lanzados automáticamente].
    #[serde(rename_all = "camelCase")]
    FollowUp { case_type: CaseTypeKey, subject: String },
    /// Sets custom fields.
    SetFields {
        #[cfg_attr(feature = "openapi", schema(value_type = Object))]
        fields: Map<String, Value>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResultDef {
    pub key: String,
    pub name: String,
    /// The next state; absent keeps the case where it is ("Cambia Estado: N").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Fields that must have a value before this result applies: built-in (`amount`,
    /// `accountId`, …) or `customFields.{key}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_fields: Vec<String>,
    #[serde(default)]
    pub requires_note: bool,
    /// "Alerta Cliente": tell the customer (the `customer_alert` e-mail).
    #[serde(default)]
    pub alert_customer: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<Effect>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionDef {
    pub key: String,
    pub name: String,
    /// States in which the action is offered; empty means every state that is not closed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub from: Vec<String>,
    /// Roles allowed to take it (a higher role may too); empty means everyone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub requires_note: bool,
    pub results: Vec<ResultDef>,
}

/// The type of a custom field [datos variables].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FieldKind {
    Text,
    Number,
    /// Integer minor units (the case's currency).
    Money,
    /// A calendar day, `YYYY-MM-DD`.
    Date,
    Boolean,
    Choice,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomFieldDef {
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    /// The allowed values of a `choice` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseType {
    pub key: CaseTypeKey,
    pub name: String,
    /// The definition version. Not stored in the body: it is the version of the `#CURRENT`
    /// item, which advances exactly once per saved definition.
    #[serde(skip)]
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub initial_state: String,
    pub states: Vec<StateDef>,
    #[serde(default)]
    pub actions: Vec<ActionDef>,
    #[serde(default)]
    pub custom_fields: Vec<CustomFieldDef>,
    /// Supervisors of every case of this type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supervisors: Vec<UserId>,
}

/// Built-in case fields a result may require.
pub const BUILT_IN_FIELDS: &[&str] = &["description", "accountId", "contactId", "owner", "branch", "amount"];

impl CaseType {
    pub fn state(&self, key: &str) -> Option<&StateDef> {
        self.states.iter().find(|s| s.key == key)
    }

    pub fn action(&self, key: &str) -> Option<&ActionDef> {
        self.actions.iter().find(|a| a.key == key)
    }

    /// Every pool the definition names, with the path of its field: the states' and the
    /// assignment effects'.
    pub fn pools(&self) -> Vec<(String, &AgentPool)> {
        let mut pools: Vec<(String, &AgentPool)> = self
            .states
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.pool.as_ref().map(|p| (format!("states[{i}].pool"), p)))
            .collect();
        for (i, action) in self.actions.iter().enumerate() {
            for (j, result) in action.results.iter().enumerate() {
                for (k, effect) in result.effects.iter().enumerate() {
                    if let Effect::Assign { to: AssignTarget { pool: Some(pool), .. } } = effect {
                        pools.push((format!("actions[{i}].results[{j}].effects[{k}].to.pool"), pool));
                    }
                }
            }
        }
        pools
    }

    /// Supervisors of a case in `state`: the state's, then the type's, without repeats.
    pub fn supervisors_of(&self, state: &str) -> Vec<UserId> {
        let mut all: Vec<UserId> = self.state(state).map(|s| s.supervisors.clone()).unwrap_or_default();
        for supervisor in &self.supervisors {
            if !all.contains(supervisor) {
                all.push(supervisor.clone());
            }
        }
        all
    }

    pub fn custom_field(&self, key: &str) -> Option<&CustomFieldDef> {
        self.custom_fields.iter().find(|f| f.key == key)
    }

    /// The actions offered in `state`, in definition order.
    pub fn actions_in<'a>(&'a self, state: &'a str) -> impl Iterator<Item = &'a ActionDef> + 'a {
        let closed = self.state(state).is_some_and(|s| s.class.is_closed());
        self.actions.iter().filter(move |a| if a.from.is_empty() { !closed } else { a.from.iter().any(|f| f == state) })
    }

    /// The case types a definition's follow-up effects name (checked against the store on save).
    pub fn follow_up_types(&self) -> BTreeSet<&CaseTypeKey> {
        self.actions
            .iter()
            .flat_map(|a| &a.results)
            .flat_map(|r| &r.effects)
            .filter_map(|e| match e {
                Effect::FollowUp { case_type, .. } => Some(case_type),
                _ => None,
            })
            .collect()
    }

    /// Checks the whole definition and reports every problem, located by its JSON path.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        e.text("name", &self.name, NAME_MAX, false);
        if let Some(description) = &self.description {
            e.optional_text("description", Some(description), 2_000, true);
        }
        self.validate_custom_fields(&mut e);
        self.validate_states(&mut e);
        self.validate_actions(&mut e);
        if e.is_empty() {
            self.validate_graph(&mut e);
        }
        e.finish()
    }

    fn validate_states(&self, e: &mut ValidationErrors) {
        if self.states.is_empty() {
            e.add("states", msg::needs_a_state());
        }
        if self.states.len() > MAX_STATES {
            e.add("states", msg::at_most_items(MAX_STATES));
        }
        if !self.states.iter().any(|s| s.class.is_closed()) && !self.states.is_empty() {
            e.add("states", msg::needs_closed_state());
        }
        let mut seen = HashSet::new();
        for (i, state) in self.states.iter().enumerate() {
            let path = format!("states[{i}]");
            if CaseTypeKey::parse(&state.key).is_err() {
                e.add(format!("{path}.key"), msg::key_format());
            } else if !seen.insert(state.key.as_str()) {
                e.add(format!("{path}.key"), msg::duplicate(&state.key));
            }
            e.text(&format!("{path}.name"), &state.name, NAME_MAX, false);
            if state.time_limit_minutes == Some(0) {
                e.add(format!("{path}.timeLimitMinutes"), msg::at_least_one_minute());
            }
            if let Some(pool) = &state.pool {
                validate_pool(pool, &format!("{path}.pool"), e);
            }
        }
        match self.state(&self.initial_state) {
            None => e.add("initialState", msg::not_a_state(&self.initial_state)),
            Some(s) if s.class.is_closed() => e.add("initialState", msg::initial_not_closed()),
            Some(_) => {}
        }
    }

    fn validate_actions(&self, e: &mut ValidationErrors) {
        if self.actions.len() > MAX_ACTIONS {
            e.add("actions", msg::at_most_items(MAX_ACTIONS));
        }
        let mut seen = HashSet::new();
        for (i, action) in self.actions.iter().enumerate() {
            let path = format!("actions[{i}]");
            if CaseTypeKey::parse(&action.key).is_err() {
                e.add(format!("{path}.key"), msg::key_format());
            } else if !seen.insert(action.key.as_str()) {
                e.add(format!("{path}.key"), msg::duplicate(&action.key));
            }
            e.text(&format!("{path}.name"), &action.name, NAME_MAX, false);
            for (j, from) in action.from.iter().enumerate() {
                if self.state(from).is_none() {
                    e.add(format!("{path}.from[{j}]"), msg::unknown_state(from));
                }
            }
            if action.results.is_empty() {
                e.add(format!("{path}.results"), msg::action_needs_result());
            }
            if action.results.len() > MAX_RESULTS {
                e.add(format!("{path}.results"), msg::at_most_items(MAX_RESULTS));
            }
            let mut results = HashSet::new();
            for (j, result) in action.results.iter().enumerate() {
                let rpath = format!("{path}.results[{j}]");
                if CaseTypeKey::parse(&result.key).is_err() {
                    e.add(format!("{rpath}.key"), msg::key_format());
                } else if !results.insert(result.key.as_str()) {
                    e.add(format!("{rpath}.key"), msg::duplicate(&result.key));
                }
                e.text(&format!("{rpath}.name"), &result.name, NAME_MAX, false);
                if let Some(next) = &result.next
                    && self.state(next).is_none()
                {
                    e.add(format!("{rpath}.next"), msg::unknown_state(next));
                }
                for (k, field) in result.required_fields.iter().enumerate() {
                    if !self.is_known_field(field) {
                        e.add(format!("{rpath}.requiredFields[{k}]"), msg::unknown_field(field));
                    }
                }
                if result.effects.len() > MAX_EFFECTS {
                    e.add(format!("{rpath}.effects"), msg::at_most_items(MAX_EFFECTS));
                }
                let facts = |path: &str| self.field_facts(result, path);
                let step =
                    StepGuarantees { field: &facts, note_required: action.requires_note || result.requires_note };
                for (k, effect) in result.effects.iter().enumerate() {
                    self.validate_effect(effect, &format!("{rpath}.effects[{k}]"), &step, e);
                }
            }
        }
    }

    fn validate_effect(&self, effect: &Effect, path: &str, step: &StepGuarantees<'_>, e: &mut ValidationErrors) {
        match effect {
            Effect::Notify { template, .. } if !templates::is_email_template(template) => {
                e.add(format!("{path}.template"), msg::no_email_template(template))
            }
            Effect::Document { template, fields, .. } => match DocumentTemplate::parse(template) {
                Some(template) => document_sources::check(template, fields, step, path, e),
                None => e.add(format!("{path}.template"), msg::no_document_template(template)),
            },
            Effect::Assign { to } => match (&to.user, &to.pool) {
                (Some(_), None) => {}
                (None, Some(pool)) => validate_pool(pool, &format!("{path}.to.pool"), e),
                _ => e.add(format!("{path}.to"), msg::user_or_pool()),
            },
            Effect::FollowUp { subject, .. } => {
                e.text(&format!("{path}.subject"), subject, crate::case::SUBJECT_MAX, false);
            }
            Effect::SetFields { fields } => {
                for (key, value) in fields {
                    match self.custom_field(key) {
                        None => e.add(format!("{path}.fields.{key}"), msg::no_custom_field(key)),
                        Some(def) => {
                            if let Err(reason) = def.check(value) {
                                e.add(format!("{path}.fields.{key}"), reason);
                            }
                        }
                    }
                }
            }
            Effect::Notify { .. } => {}
        }
    }

    fn validate_custom_fields(&self, e: &mut ValidationErrors) {
        if self.custom_fields.len() > MAX_CUSTOM_FIELDS {
            e.add("customFields", msg::at_most_items(MAX_CUSTOM_FIELDS));
        }
        let mut seen = HashSet::new();
        for (i, field) in self.custom_fields.iter().enumerate() {
            let path = format!("customFields[{i}]");
            if !crate::validation::is_custom_field_key(&field.key) {
                e.add(format!("{path}.key"), msg::custom_field_name());
            } else if !seen.insert(field.key.as_str()) {
                e.add(format!("{path}.key"), msg::duplicate(&field.key));
            }
            e.text(&format!("{path}.label"), &field.label, NAME_MAX, false);
            match field.kind {
                FieldKind::Choice if field.options.is_empty() => {
                    e.add(format!("{path}.options"), msg::choice_needs_options())
                }
                FieldKind::Choice => {
                    let unique: HashSet<_> = field.options.iter().collect();
                    if unique.len() != field.options.len() {
                        e.add(format!("{path}.options"), msg::options_unique());
                    }
                }
                _ if !field.options.is_empty() => e.add(format!("{path}.options"), msg::only_choice_options()),
                _ => {}
            }
        }
    }

    /// Reachability: every state is reachable from the initial state, and a closed state is
    /// reachable from every state that is not closed.
    fn validate_graph(&self, e: &mut ValidationErrors) {
        let mut edges: HashMap<&str, BTreeSet<&str>> = HashMap::new();
        for state in &self.states {
            let targets = edges.entry(state.key.as_str()).or_default();
            for action in self.actions_in(&state.key) {
                for result in &action.results {
                    targets.insert(result.next.as_deref().unwrap_or(state.key.as_str()));
                }
            }
        }
        let reachable = reach(&edges, [self.initial_state.as_str()]);
        let mut reverse: HashMap<&str, BTreeSet<&str>> = HashMap::new();
        for (from, targets) in &edges {
            for to in targets {
                reverse.entry(to).or_default().insert(from);
            }
        }
        let closed = self.states.iter().filter(|s| s.class.is_closed()).map(|s| s.key.as_str());
        let can_close = reach(&reverse, closed);
        for (i, state) in self.states.iter().enumerate() {
            if !reachable.contains(state.key.as_str()) {
                e.add(format!("states[{i}]"), msg::unreachable_state(&state.key, &self.initial_state));
            }
            if !state.class.is_closed() && !can_close.contains(state.key.as_str()) {
                e.add(format!("states[{i}]"), msg::cannot_close_from(&state.key));
            }
        }
    }

    /// What the case's field `path` is when `result`'s step is taken (`None`: no such field).
    fn field_facts(&self, result: &ResultDef, path: &str) -> Option<FieldFacts> {
        let listed = result.required_fields.iter().any(|f| f == path);
        match path.strip_prefix("customFields.") {
            Some(key) => self
                .custom_field(key)
                .map(|def| FieldFacts { always: listed || def.required, money: def.kind == FieldKind::Money }),
            None if path == "subject" => Some(FieldFacts { always: true, money: false }),
            None if document_sources::CASE_FIELDS.contains(&path) => {
                Some(FieldFacts { always: listed, money: path == "amount" })
            }
            None => None,
        }
    }

    fn is_known_field(&self, field: &str) -> bool {
        match field.strip_prefix("customFields.") {
            Some(key) => self.custom_field(key).is_some(),
            None => BUILT_IN_FIELDS.contains(&field),
        }
    }

    /// Validates a case's custom fields against the schema: types, choices, required fields.
    pub fn check_custom_fields(&self, fields: &Map<String, Value>, errors: &mut ValidationErrors) {
        for (key, value) in fields {
            match self.custom_field(key) {
                None => errors.add(format!("customFields.{key}"), msg::type_has_no_field(&self.key, key)),
                Some(def) => {
                    if let Err(reason) = def.check(value) {
                        errors.add(format!("customFields.{key}"), reason);
                    }
                }
            }
        }
        for def in self.custom_fields.iter().filter(|d| d.required) {
            if !fields.contains_key(&def.key) {
                errors.add(format!("customFields.{}", def.key), msg::required());
            }
        }
    }
}

pub(crate) fn validate_pool(pool: &AgentPool, path: &str, e: &mut ValidationErrors) {
    if pool.agents.is_empty() && pool.teams.is_empty() {
        e.add(format!("{path}.agents"), msg::pool_needs_agent());
    }
    if pool.teams.len() > MAX_POOL_TEAMS {
        e.add(format!("{path}.teams"), msg::at_most_teams(MAX_POOL_TEAMS));
    }
    if pool.teams.iter().collect::<HashSet<_>>().len() != pool.teams.len() {
        e.add(format!("{path}.teams"), msg::teams_unique());
    }
    if pool.agents.len() > MAX_POOL_AGENTS {
        e.add(format!("{path}.agents"), msg::at_most_agents(MAX_POOL_AGENTS));
    }
    let unique: HashSet<_> = pool.agents.iter().collect();
    if unique.len() != pool.agents.len() {
        e.add(format!("{path}.agents"), msg::agents_unique());
    }
}

fn reach<'a>(
    edges: &HashMap<&'a str, BTreeSet<&'a str>>,
    start: impl IntoIterator<Item = &'a str>,
) -> HashSet<&'a str> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut queue: VecDeque<&str> = start.into_iter().collect();
    while let Some(state) = queue.pop_front() {
        if seen.insert(state) {
            queue.extend(edges.get(state).into_iter().flatten().copied());
        }
    }
    seen
}

impl CustomFieldDef {
    /// Checks one value against the field's type.
    pub fn check(&self, value: &Value) -> Result<(), Message> {
        let ok = match (self.kind, value) {
            (FieldKind::Text, Value::String(s)) => {
                if s.chars().count() > crate::case::CUSTOM_FIELD_TEXT_MAX {
                    return Err(msg::at_most_chars(crate::case::CUSTOM_FIELD_TEXT_MAX));
                }
                true
            }
            (FieldKind::Number, Value::Number(_)) => true,
            (FieldKind::Money, Value::Number(n)) => n.as_i64().is_some_and(|v| v >= 0),
            (FieldKind::Date, Value::String(s)) => s.parse::<jiff::civil::Date>().is_ok() && s.len() == 10,
            (FieldKind::Boolean, Value::Bool(_)) => true,
            (FieldKind::Choice, Value::String(s)) => {
                if !self.options.contains(s) {
                    return Err(msg::one_of(self.options.join(", ")));
                }
                true
            }
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(match self.kind {
                FieldKind::Text => msg::must_be_text(),
                FieldKind::Number => msg::must_be_a_number(),
                FieldKind::Money => msg::money_value(),
                FieldKind::Date => msg::date_like(),
                FieldKind::Boolean => msg::true_or_false(),
                FieldKind::Choice => msg::one_of(self.options.join(", ")),
            })
        }
    }
}
