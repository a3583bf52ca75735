//! Field-level validation errors, collected so a client sees every problem at once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::messages::{self as msg, Locale, Message};

/// One invalid field: a JSON-pointer-like path in the API's camelCase names, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: Message,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: Message) -> Self {
        Self { field: field.into(), reason }
    }

    pub fn render(&self, locale: Locale) -> FieldProblem {
        FieldProblem {
            field: self.field.clone(),
            code: self.reason.code().into(),
            reason: self.reason.render(locale),
            args: BTreeMap::new(),
        }
    }

    /// As a record keeps it: the English wording, and the code and arguments that word it
    /// again in the reader's language ([`FieldProblem::reason_in`]).
    pub fn record(&self) -> FieldProblem {
        FieldProblem { args: self.reason.args(), ..self.render(Locale::En) }
    }
}

/// A field error in one language: what a response carries, and what a record keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldProblem {
    pub field: String,
    /// The catalogue code of the reason: stable, unlike its wording.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub code: String,
    pub reason: String,
    /// The reason's arguments, kept by records so the reason can be worded in any language.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
}

impl FieldProblem {
    /// The reason as the catalogue words it again, or as it was kept when it cannot.
    pub fn message(&self) -> Message {
        Message::from_record(&self.code, &self.args).unwrap_or_else(|| msg::recorded(&self.reason))
    }

    /// The reason in `locale` (see [`FieldProblem::message`]).
    pub fn reason_in(&self, locale: Locale) -> String {
        self.message().render(locale)
    }

    /// "field: reason" in `locale`, as a record's page lists its problems.
    pub fn line_in(&self, locale: Locale) -> String {
        format!("{}: {}", self.field, self.reason_in(locale))
    }
}

/// Every problem found in one input.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", self.summary())]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: impl Into<String>, reason: Message) -> Self {
        let mut errors = Self::new();
        errors.add(field, reason);
        errors
    }

    pub fn add(&mut self, field: impl Into<String>, reason: Message) {
        self.0.push(FieldError::new(field, reason));
    }

    pub fn render(&self, locale: Locale) -> Vec<FieldProblem> {
        self.0.iter().map(|e| e.render(locale)).collect()
    }

    /// As a record keeps them (see [`FieldError::record`]).
    pub fn record(&self) -> Vec<FieldProblem> {
        self.0.iter().map(FieldError::record).collect()
    }

    /// Every problem on one line, in English: `field: reason; field: reason`.
    pub fn summary(&self) -> String {
        self.0.iter().map(|e| format!("{}: {}", e.field, e.reason)).collect::<Vec<_>>().join("; ")
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was found, so validators can end with `errors.finish()?`.
    pub fn finish(self) -> Result<(), Self> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    /// Checks a required text: trimmed, non-empty, at most `max` characters, no control
    /// characters except newlines and tabs where `multiline`. Returns the trimmed text.
    pub fn text(&mut self, field: &str, value: &str, max: usize, multiline: bool) -> Option<String> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            self.add(field, msg::not_empty());
            return None;
        }
        self.check_text(field, trimmed, max, multiline).then(|| trimmed.to_owned())
    }

    /// Like [`Self::text`] for an optional field: blank means absent.
    pub fn optional_text(&mut self, field: &str, value: Option<&str>, max: usize, multiline: bool) -> Option<String> {
        let trimmed = value.map(str::trim).filter(|v| !v.is_empty())?;
        self.check_text(field, trimmed, max, multiline).then(|| trimmed.to_owned())
    }

    fn check_text(&mut self, field: &str, value: &str, max: usize, multiline: bool) -> bool {
        let count = value.chars().count();
        if count > max {
            self.add(field, msg::too_long(max, count));
            return false;
        }
        let allowed = |c: char| !c.is_control() || (multiline && (c == '\n' || c == '\t' || c == '\r'));
        if !value.chars().all(allowed) {
            self.add(field, msg::no_control_characters());
            return false;
        }
        true
    }

    /// Checks and normalises an e-mail address (lower-cased; the domain must have a dot).
    pub fn email(&mut self, field: &str, value: &str) -> Option<String> {
        let email = value.trim().to_lowercase();
        if email.chars().count() > 254 {
            self.add(field, msg::at_most_chars(254));
            return None;
        }
        if !is_plausible_email(&email) {
            self.add(field, msg::email_address());
            return None;
        }
        Some(email)
    }
}

/// Syntax check only; delivery proves the rest. Rejects what breaks headers or keys.
fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// Deserialises a JSON Merge Patch field: absent → `None`, `null` → `Some(None)` (clear),
/// a value → `Some(Some(v))`. Use with `#[serde(default, deserialize_with = "nullable")]`.
/// The longest key a custom field may have.
pub const CUSTOM_FIELD_KEY_MAX: usize = 64;

/// Whether `key` can name a custom field: 1 to 64 ASCII letters, digits or `_`.
pub fn is_custom_field_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= CUSTOM_FIELD_KEY_MAX && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        let mut e = ValidationErrors::new();
        assert_eq!(e.text("name", "  Acme  ", 10, false), Some("Acme".into()));
        assert_eq!(e.text("name", "   ", 10, false), None);
        assert_eq!(e.text("name", "ñandú ñandú", 5, false), None);
        assert_eq!(e.text("name", "a\u{0}b", 5, false), None);
        assert_eq!(e.text("note", "a\nb", 5, true), Some("a\nb".into()));
        let fields: Vec<_> = e.0.iter().map(|f| f.reason.to_string()).collect();
        assert_eq!(fields.len(), 3);
        assert!(fields[1].contains("at most 5"));
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        let mut e = ValidationErrors::new();
        assert_eq!(e.email("email", " Ana.Perez@Example.COM "), Some("ana.perez@example.com".into()));
        assert_eq!(e.email("email", "josé@correo.es"), None, "non-ascii local part");
        assert_eq!(e.email("email", "ana@correo-ñ.es"), Some("ana@correo-ñ.es".into()));
        for bad in [
            "",
            "ana",
            "ana@",
            "@x.com",
            "ana@localhost",
            "a..b@x.com",
            "ana@x..com",
            "a b@x.com",
            "ana@x.com\r\nBcc: y@z.com",
        ] {
            assert_eq!(e.email("email", bad), None, "{bad:?} accepted");
        }
    }

    #[test]
    fn finish_reports_every_error() {
        let mut e = ValidationErrors::new();
        e.add("a", msg::required());
        e.add("b", msg::not_empty());
        let err = e.finish().unwrap_err();
        assert_eq!(err.0.len(), 2);
        assert_eq!(err.to_string(), "invalid input: a: is required; b: must not be empty");
        let spanish = err.render(Locale::Es);
        assert_eq!((spanish[1].field.as_str(), spanish[1].code.as_str()), ("b", "not_empty"));
        assert_eq!(spanish[1].reason, "no puede estar vacío");
    }
}
