//! Case types [tipos de gestión, tipos de asunto]: data, not code. A case keeps the
//! definition version it was opened with.

use serde::{Deserialize, Serialize};

use crate::ids::CaseTypeKey;
use crate::validation::ValidationErrors;

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StateDef {
    pub key: String,
    pub name: String,
    pub class: StateClass,
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
}

impl CaseType {
    pub fn state(&self, key: &str) -> Option<&StateDef> {
        self.states.iter().find(|s| s.key == key)
    }

    /// Structural checks: unique non-empty state keys and an existing initial state.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        e.text("name", &self.name, 200, false);
        if self.states.is_empty() {
            e.add("states", "a case type needs at least one state");
        }
        for (i, state) in self.states.iter().enumerate() {
            if CaseTypeKey::parse(&state.key).is_err() {
                e.add(format!("states[{i}].key"), "1 to 64 lowercase letters, digits, '-' or '_'");
            }
            if self.states[..i].iter().any(|s| s.key == state.key) {
                e.add(format!("states[{i}].key"), format!("duplicate state '{}'", state.key));
            }
            e.text(&format!("states[{i}].name"), &state.name, 200, false);
        }
        match self.state(&self.initial_state) {
            None => e.add("initialState", format!("'{}' is not one of the states", self.initial_state)),
            Some(s) if s.class.is_closed() => e.add("initialState", "the initial state must not be closed"),
            Some(_) => {}
        }
        e.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(key: &str, class: StateClass) -> StateDef {
        StateDef { key: key.into(), name: key.into(), class }
    }

    #[test]
    fn validation_finds_structural_problems() {
        let mut t = CaseType {
            key: CaseTypeKey::parse("queja").unwrap(),
            name: "Queja".into(),
            version: 1,
            description: None,
            initial_state: "nuevo".into(),
            states: vec![state("nuevo", StateClass::Open), state("cerrado", StateClass::ClosedSuccess)],
        };
        assert!(t.validate().is_ok());
        t.states.push(state("nuevo", StateClass::Open));
        t.initial_state = "cerrado".into();
        let fields: Vec<_> = t.validate().unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["states[2].key", "initialState"]);
    }
}
