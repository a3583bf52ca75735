//! Cases [gestiones, asuntos, casos, PQRS, tickets]: a piece of work for a customer that
//! moves through the states of its case type.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::account::SHORT_TEXT_MAX;
use crate::ids::{CaseTypeKey, EntityId, UserId};
use crate::messages as msg;
use crate::money::Money;
use crate::validation::{ValidationErrors, nullable};

/// How a state behaves for clocks and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum StateClass {
    Open,
    /// Waiting on the customer or a third party: pauses SLA clocks.
    Waiting,
    ClosedSuccess,
    ClosedFailure,
}

impl StateClass {
    pub fn is_closed(self) -> bool {
        matches!(self, Self::ClosedSuccess | Self::ClosedFailure)
    }
}

pub const SUBJECT_MAX: usize = 300;
pub const DESCRIPTION_MAX: usize = 20_000;
pub const CUSTOM_FIELDS_MAX: usize = 100;
pub use crate::validation::CUSTOM_FIELD_KEY_MAX;
pub const CUSTOM_FIELD_TEXT_MAX: usize = 2_000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

/// How the case reached the company [medio del aviso, canal].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Channel {
    Email,
    Phone,
    Web,
    /// In person at a branch [sucursal].
    WalkIn,
    Whatsapp,
    Chat,
    Social,
    #[default]
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Case {
    pub id: EntityId,
    /// The case type's key.
    #[serde(rename = "type")]
    pub case_type: CaseTypeKey,
    /// The definition version the case was opened with.
    pub type_version: u32,
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub state: String,
    pub state_class: StateClass,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    pub channel: Channel,
    pub priority: Priority,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    /// Type-specific data [datos variables].
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub custom_fields: Map<String, Value>,
    pub archived: bool,
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub updated_at: Timestamp,
    pub updated_by: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    /// The last workflow step taken (reports pivot on its result).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_step: Option<LastStep>,
}

/// The last action → result taken on a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LastStep {
    pub action: String,
    pub result: String,
    pub at: Timestamp,
}

/// `POST /cases`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewCase {
    /// The key of one of the tenant's case types.
    #[serde(rename = "type")]
    pub case_type: String,
    pub subject: String,
    pub description: Option<String>,
    pub account_id: Option<EntityId>,
    pub contact_id: Option<EntityId>,
    /// Defaults to the creator.
    pub owner: Option<UserId>,
    pub branch: Option<String>,
    pub channel: Option<Channel>,
    pub priority: Option<Priority>,
    pub amount: Option<Money>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub custom_fields: Option<Map<String, Value>>,
}

/// `PATCH /cases/{id}` (JSON Merge Patch; `customFields` merges key by key, `null` removes a
/// key). The state changes only through transitions.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CasePatch {
    pub subject: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub account_id: Option<Option<EntityId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub contact_id: Option<Option<EntityId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub owner: Option<Option<UserId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub branch: Option<Option<String>>,
    pub channel: Option<Channel>,
    pub priority: Option<Priority>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Money>))]
    pub amount: Option<Option<Money>>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub custom_fields: Option<Map<String, Value>>,
}

/// The validated fields a staff member may set on a case directly.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFields {
    pub subject: String,
    pub description: Option<String>,
    pub account_id: Option<EntityId>,
    pub contact_id: Option<EntityId>,
    pub owner: Option<UserId>,
    pub branch: Option<String>,
    pub channel: Channel,
    pub priority: Priority,
    pub amount: Option<Money>,
    pub custom_fields: Map<String, Value>,
}

impl CaseFields {
    /// Validates the fields of a new case (the type is checked against the store separately).
    pub fn validate(input: &NewCase, creator: &UserId) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let subject = e.text("subject", &input.subject, SUBJECT_MAX, false);
        let description = e.optional_text("description", input.description.as_deref(), DESCRIPTION_MAX, true);
        let branch = e.optional_text("branch", input.branch.as_deref(), SHORT_TEXT_MAX, false);
        if let Some(amount) = &input.amount {
            amount.validate("amount", &mut e);
        }
        let custom_fields = input.custom_fields.clone().unwrap_or_default();
        validate_custom_fields(&custom_fields, &mut e);
        let fields = Self {
            subject: subject.unwrap_or_default(),
            description,
            account_id: input.account_id,
            contact_id: input.contact_id,
            owner: Some(input.owner.clone().unwrap_or_else(|| creator.clone())),
            branch,
            channel: input.channel.unwrap_or_default(),
            priority: input.priority.unwrap_or_default(),
            amount: input.amount.clone(),
            custom_fields,
        };
        e.finish().map(|()| fields)
    }

    pub fn of(case: &Case) -> Self {
        Self {
            subject: case.subject.clone(),
            description: case.description.clone(),
            account_id: case.account_id,
            contact_id: case.contact_id,
            owner: case.owner.clone(),
            branch: case.branch.clone(),
            channel: case.channel,
            priority: case.priority,
            amount: case.amount.clone(),
            custom_fields: case.custom_fields.clone(),
        }
    }

    /// Applies a merge patch and validates the result.
    pub fn patched(&self, patch: &CasePatch) -> Result<Self, ValidationErrors> {
        fn pick<T: Clone>(current: &Option<T>, change: &Option<Option<T>>) -> Option<T> {
            change.clone().unwrap_or_else(|| current.clone())
        }
        let mut e = ValidationErrors::new();
        let subject = match &patch.subject {
            Some(s) => e.text("subject", s, SUBJECT_MAX, false).unwrap_or_default(),
            None => self.subject.clone(),
        };
        let description = match &patch.description {
            Some(d) => e.optional_text("description", d.as_deref(), DESCRIPTION_MAX, true),
            None => self.description.clone(),
        };
        let branch = match &patch.branch {
            Some(b) => e.optional_text("branch", b.as_deref(), SHORT_TEXT_MAX, false),
            None => self.branch.clone(),
        };
        let amount = pick(&self.amount, &patch.amount);
        if let Some(Some(amount)) = &patch.amount {
            amount.validate("amount", &mut e);
        }
        let mut custom_fields = self.custom_fields.clone();
        if let Some(changes) = &patch.custom_fields {
            for (key, value) in changes {
                if value.is_null() {
                    custom_fields.remove(key);
                } else {
                    custom_fields.insert(key.clone(), value.clone());
                }
            }
            validate_custom_fields(&custom_fields, &mut e);
        }
        let fields = Self {
            subject,
            description,
            account_id: pick(&self.account_id, &patch.account_id),
            contact_id: pick(&self.contact_id, &patch.contact_id),
            owner: pick(&self.owner, &patch.owner),
            branch,
            channel: patch.channel.unwrap_or(self.channel),
            priority: patch.priority.unwrap_or(self.priority),
            amount,
            custom_fields,
        };
        e.finish().map(|()| fields)
    }

    /// The fields that differ between `self` (before) and `after`, as history changes.
    pub fn changes_to(&self, after: &Self) -> Vec<crate::history::FieldChange> {
        let before = self.as_json();
        let after = after.as_json();
        before
            .iter()
            .filter(|(name, value)| after.get(*name) != Some(*value))
            .map(|(name, value)| crate::history::FieldChange {
                field: name.clone(),
                from: value.clone(),
                to: after.get(name).cloned().unwrap_or(Value::Null),
            })
            .collect()
    }

    fn as_json(&self) -> Map<String, Value> {
        let mut map = Map::new();
        let mut put = |name: &str, value: Value| {
            map.insert(name.to_owned(), value);
        };
        put("subject", Value::from(self.subject.clone()));
        put("description", self.description.clone().map_or(Value::Null, Value::from));
        put("accountId", self.account_id.map_or(Value::Null, |id| Value::from(id.to_string())));
        put("contactId", self.contact_id.map_or(Value::Null, |id| Value::from(id.to_string())));
        put("owner", self.owner.as_ref().map_or(Value::Null, |o| Value::from(o.as_str())));
        put("branch", self.branch.clone().map_or(Value::Null, Value::from));
        put("channel", serde_json::to_value(self.channel).unwrap_or(Value::Null));
        put("priority", serde_json::to_value(self.priority).unwrap_or(Value::Null));
        put("amount", serde_json::to_value(&self.amount).unwrap_or(Value::Null));
        put("customFields", Value::Object(self.custom_fields.clone()));
        map
    }
}

impl Case {
    pub fn apply(&mut self, fields: CaseFields) {
        let CaseFields {
            subject,
            description,
            account_id,
            contact_id,
            owner,
            branch,
            channel,
            priority,
            amount,
            custom_fields,
        } = fields;
        self.subject = subject;
        self.description = description;
        self.account_id = account_id;
        self.contact_id = contact_id;
        self.owner = owner;
        self.branch = branch;
        self.channel = channel;
        self.priority = priority;
        self.amount = amount;
        self.custom_fields = custom_fields;
    }
}

/// Custom fields are flat: bounded keys, scalar values (the case type's schema refines this).
fn validate_custom_fields(fields: &Map<String, Value>, e: &mut ValidationErrors) {
    if fields.len() > CUSTOM_FIELDS_MAX {
        e.add("customFields", msg::at_most_items(CUSTOM_FIELDS_MAX));
        return;
    }
    for (key, value) in fields {
        let path = format!("customFields.{key}");
        if !crate::validation::is_custom_field_key(key) {
            e.add(path, msg::custom_field_key(CUSTOM_FIELD_KEY_MAX));
            continue;
        }
        match value {
            Value::String(s) if s.chars().count() > CUSTOM_FIELD_TEXT_MAX => {
                e.add(path, msg::at_most_chars(CUSTOM_FIELD_TEXT_MAX))
            }
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {}
            Value::Null => e.add(path, msg::null_on_create()),
            Value::Array(_) | Value::Object(_) => e.add(path, msg::scalar_value()),
        }
    }
}

impl crate::field_access::Redact for Case {
    const MODULE: crate::access::Module = crate::access::Module::Cases;

    fn hide(&mut self, field: &str) {
        match field {
            "description" => self.description = None,
            "amount" => self.amount = None,
            _ => {
                if let Some(key) = crate::field_access::custom_key(field) {
                    self.custom_fields.remove(key);
                }
            }
        }
    }
}

impl crate::field_access::Touches for NewCase {
    fn touched(&self) -> Vec<String> {
        crate::field_access::touched(
            [("description", crate::field_access::filled(&self.description)), ("amount", self.amount.is_some())],
            self.custom_fields.iter().flat_map(|fields| fields.keys()),
        )
    }
}

impl crate::field_access::Touches for CasePatch {
    fn touched(&self) -> Vec<String> {
        crate::field_access::touched(
            [("description", self.description.is_some()), ("amount", self.amount.is_some())],
            self.custom_fields.iter().flat_map(|fields| fields.keys()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ana() -> UserId {
        UserId::parse("ana").unwrap()
    }

    fn new_case(value: Value) -> NewCase {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn defaults_owner_priority_and_channel() {
        let fields = CaseFields::validate(&new_case(json!({"type": "queja", "subject": " Ruido "})), &ana()).unwrap();
        assert_eq!(fields.subject, "Ruido");
        assert_eq!(fields.owner, Some(ana()));
        assert_eq!(fields.priority, Priority::Normal);
        assert_eq!(fields.channel, Channel::Other);
    }

    #[test]
    fn reports_every_invalid_field() {
        let input = new_case(json!({
            "type": "queja",
            "subject": "",
            "amount": {"amountMinor": -5, "currency": "ABC"},
            "customFields": {"ok": 1, "bad key": 2, "nested": {"a": 1}, "long": "x".repeat(2001)}
        }));
        let errors = CaseFields::validate(&input, &ana()).unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "subject",
                "amount.currency",
                "amount.amountMinor",
                "customFields.bad key",
                "customFields.long",
                "customFields.nested"
            ]
        );
    }

    #[test]
    fn patch_merges_custom_fields_and_lists_changes() {
        let before = CaseFields::validate(
            &new_case(json!({"type": "t", "subject": "A", "customFields": {"placa": "ABC123", "km": 10}})),
            &ana(),
        )
        .unwrap();
        let patch: CasePatch =
            serde_json::from_value(json!({"priority": "high", "customFields": {"km": null, "color": "rojo"}})).unwrap();
        let after = before.patched(&patch).unwrap();
        assert_eq!(after.custom_fields, json!({"placa": "ABC123", "color": "rojo"}).as_object().unwrap().clone());
        let changed: Vec<_> = before.changes_to(&after).into_iter().map(|c| c.field).collect();
        assert_eq!(changed, ["customFields", "priority"], "fields in name order");
        assert!(before.changes_to(&before).is_empty());
    }

    #[test]
    fn patch_cannot_set_the_state() {
        let err = serde_json::from_value::<CasePatch>(json!({"state": "cerrado"})).unwrap_err();
        assert!(err.to_string().contains("unknown field `state`"));
    }
}
