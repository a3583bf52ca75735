//! Field-level access in records: how a record drops the fields a reader may not see, and
//! what a create or update sets, for checking against the rules of the writer's profile (the
//! rules themselves are part of a profile: see `access`).
//!
//! A field is named as the API names it (`taxId`, `customFields.monto_aprobado`). A hidden
//! field is removed from the record before it leaves a use case (responses, console pages,
//! exports, e-mails to staff); a read-only or hidden field may not be set on create or update.

use crate::access::Module;
pub use crate::access::{CUSTOM_FIELD_PREFIX, FieldAccess, FieldRules, custom_key, restrictable};

/// A record whose restrictable fields can be removed for a reader who may not see them.
pub trait Redact {
    /// The module whose rules apply.
    const MODULE: Module;
    /// Removes one field (a name [`is_restrictable`] accepts); an unknown name does nothing.
    fn hide(&mut self, field: &str);
}

/// What a create or update sets, by the API's field names, for checking against the rules.
pub trait Touches {
    /// The restrictable fields the input sets or clears.
    fn touched(&self) -> Vec<String>;
}

/// The names in `present` paired with whether each is set, plus a custom-field map's keys.
pub(crate) fn touched<'a>(
    present: impl IntoIterator<Item = (&'static str, bool)>,
    custom: impl IntoIterator<Item = &'a String>,
) -> Vec<String> {
    present
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| name.to_owned())
        .chain(custom.into_iter().map(|key| format!("{CUSTOM_FIELD_PREFIX}{key}")))
        .collect()
}

/// Whether a create sets a text field: a blank one sets nothing.
pub(crate) fn filled(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_restrictable_fields_are_kept_and_read_write_is_stored_as_nothing() {
        use crate::access::validate_rules;
        use crate::validation::ValidationErrors;
        let rules: FieldRules = serde_json::from_str(
            r#"{"accounts":{"taxId":"hidden","email":"readWrite"},"cases":{"customFields.monto":"readOnly"},"leads":{"email":"readWrite"}}"#,
        )
        .unwrap();
        let mut e = ValidationErrors::new();
        let kept = validate_rules(rules, &mut e);
        assert!(e.0.is_empty());
        assert_eq!(
            serde_json::to_value(&kept).unwrap(),
            serde_json::json!({"accounts": {"taxId": "hidden"}, "cases": {"customFields.monto": "readOnly"}})
        );

        let refused: FieldRules = serde_json::from_str(
            r#"{"accounts":{"name":"hidden","customFields.x":"hidden"},"cases":{"customFields.a-b":"hidden"}}"#,
        )
        .unwrap();
        let mut e = ValidationErrors::new();
        validate_rules(refused, &mut e);
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["fields.accounts.customFields.x", "fields.accounts.name", "fields.cases.customFields.a-b"]);
    }

    #[test]
    fn touched_names_the_set_fields_and_each_custom_key() {
        let custom = [String::from("monto")];
        assert_eq!(touched([("email", true), ("phone", false)], &custom), ["email", "customFields.monto"]);
    }
}
