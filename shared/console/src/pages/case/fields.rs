//! A case's fields as form inputs, and posted forms read back into values. The edit form shows
//! every field staff may change; a step's form only the fields its result requires.
//!
//! Each input is named after what it sets: `cf.{key}` for a custom field, the case's own field
//! otherwise (`amount`, `description`, `branch`, `priority`, `account`, `contact`). Values are
//! shown and read in the user's language (`1.250.000,50` in Spanish).

use std::collections::BTreeMap;

use gestiona_domain::access::Module;
use gestiona_domain::case::{Case, Priority};
use gestiona_domain::case_type::{CaseType, CustomFieldDef, FieldKind};
use gestiona_domain::field_access::{CUSTOM_FIELD_PREFIX, FieldAccess};
use gestiona_domain::format;
use gestiona_domain::messages as msg;
use gestiona_domain::money::Money;
use gestiona_domain::{Locale, Message};
use serde_json::Value;

pub use crate::pages::form::{Control, FieldInput};
use crate::pages::input::{parse_amount, parse_number};
use crate::pages::labels::{self, PRIORITIES, parse_priority, priority_key};

/// Prefix of a custom field's input name.
pub const CUSTOM: &str = "cf.";

/// What the inputs are built from: the case (none for a new one), its type, and how to show
/// figures.
pub struct FieldSource<'a> {
    pub case: Option<&'a Case>,
    pub definition: &'a CaseType,
    pub locale: Locale,
    /// The currency of the case's amount, or the tenant's when it has none.
    pub currency: &'a str,
    /// The case fields the user's profile restricts, by the domain's names (`amount`,
    /// `customFields.lote`): hidden ones get no input, read-only ones a locked one.
    pub restricted: Option<&'a BTreeMap<String, FieldAccess>>,
}

/// The case fields `actor`'s profile restricts, for [`FieldSource::restricted`].
pub fn restricted_of(actor: &gestiona_domain::Actor) -> Option<&BTreeMap<String, FieldAccess>> {
    actor.profile().fields.get(&Module::Cases)
}

impl FieldSource<'_> {
    /// What the user may do with a field, by the domain's name.
    pub fn access(&self, field: &str) -> FieldAccess {
        self.restricted.and_then(|r| r.get(field)).copied().unwrap_or_default()
    }

    /// Whether the user may set what the input `name` sets (`cf.{key}`, or a case field).
    pub fn writable_input(&self, name: &str) -> bool {
        let field = match name.strip_prefix(CUSTOM) {
            Some(key) => format!("{CUSTOM_FIELD_PREFIX}{key}"),
            None => name.to_owned(),
        };
        self.access(&field) == FieldAccess::ReadWrite
    }

    /// A field's input as the profile allows it: none when hidden, locked when read-only.
    fn allowed(&self, field: &str, input: FieldInput) -> Option<FieldInput> {
        match self.access(field) {
            FieldAccess::Hidden => None,
            FieldAccess::ReadOnly => Some(FieldInput { read_only: true, ..input }),
            FieldAccess::ReadWrite => Some(input),
        }
    }

    fn custom(&self, def: &CustomFieldDef, dom_prefix: &str) -> FieldInput {
        let current = self.case.and_then(|c| c.custom_fields.get(&def.key)).filter(|v| !v.is_null());
        let value = current.map(|v| show_custom(def.kind, v, self.currency, self.locale)).unwrap_or_default();
        let (control, options) = match def.kind {
            FieldKind::Text => (Control::Text, Vec::new()),
            FieldKind::Number => (Control::Number, Vec::new()),
            FieldKind::Money => (Control::Money, Vec::new()),
            FieldKind::Date => (Control::Date, Vec::new()),
            FieldKind::Boolean => (Control::Checkbox, Vec::new()),
            FieldKind::Choice => (Control::Choice, def.options.iter().map(|o| (o.clone(), o.clone())).collect()),
        };
        let label = match def.kind {
            FieldKind::Money => format!("{} ({})", def.label, self.currency),
            _ => def.label.clone(),
        };
        FieldInput {
            name: format!("{CUSTOM}{}", def.key),
            dom_id: format!("{dom_prefix}-cf-{}", def.key),
            label,
            control,
            value,
            options,
            required: def.required,
            read_only: false,
            error: None,
        }
    }

    /// The input for one of the case's own fields, if staff can set it in a form.
    fn own(&self, name: &str, dom_prefix: &str) -> Option<FieldInput> {
        let t = |m: Message| m.render(self.locale);
        let case = self.case;
        let text = |value: Option<&String>| value.cloned().unwrap_or_default();
        let (label, control, value, options) = match name {
            "amount" => (
                format!("{} ({})", t(msg::ui_amount()), self.currency),
                Control::Money,
                case.and_then(|c| c.amount.as_ref()).map(|a| format::number(a, self.locale)).unwrap_or_default(),
                Vec::new(),
            ),
            "description" => {
                let description = text(case.and_then(|c| c.description.as_ref()));
                (t(msg::ui_description()), Control::LongText, description, Vec::new())
            }
            "branch" => (t(msg::ui_branch()), Control::Text, text(case.and_then(|c| c.branch.as_ref())), Vec::new()),
            "priority" => (
                t(msg::ui_priority()),
                Control::Choice,
                priority_key(case.map_or_else(Priority::default, |c| c.priority)).to_owned(),
                PRIORITIES.iter().map(|p| (priority_key(*p).to_owned(), labels::priority(*p, self.locale))).collect(),
            ),
            // Only offered while empty (a step that requires them); the user names the record.
            "account" => (t(msg::ui_account_by_name()), Control::Text, String::new(), Vec::new()),
            "contact" => (t(msg::ui_contact_by_name()), Control::Text, String::new(), Vec::new()),
            _ => return None,
        };
        Some(FieldInput {
            name: name.to_owned(),
            dom_id: format!("{dom_prefix}-{name}"),
            label,
            control,
            value,
            options,
            required: name == "priority",
            read_only: false,
            error: None,
        })
    }

    /// The data form (editing a case, or opening one): priority, branch, amount, description,
    /// then the type's custom fields.
    pub fn data_inputs(&self, dom_prefix: &str) -> Vec<FieldInput> {
        let own = ["priority", "branch", "amount", "description"]
            .into_iter()
            .filter_map(|n| self.own(n, dom_prefix).and_then(|input| self.allowed(n, input)));
        let custom =
            self.definition.custom_fields.iter().filter_map(|def| {
                self.allowed(&format!("{CUSTOM_FIELD_PREFIX}{}", def.key), self.custom(def, dom_prefix))
            });
        own.chain(custom).collect()
    }

    /// The inputs for a result's missing fields (`customFields.plazoMeses`, `amount`, …), or
    /// `None` if one of them cannot be given in a form (the owner, set by assignment; a field
    /// the user's profile may not change).
    pub fn step_inputs(&self, missing: &[String], dom_prefix: &str) -> Option<Vec<FieldInput>> {
        missing
            .iter()
            .map(|path| {
                if self.access(path) != FieldAccess::ReadWrite {
                    return None;
                }
                let input = match path.strip_prefix("customFields.") {
                    Some(key) => self.definition.custom_field(key).map(|def| self.custom(def, dom_prefix)),
                    None => self.own(input_name_of(path), dom_prefix),
                };
                input.map(|input| FieldInput { required: true, ..input })
            })
            .collect()
    }
}

/// The input that sets a field the domain names (`accountId` → `account`).
fn input_name_of(path: &str) -> &str {
    match path {
        "accountId" => "account",
        "contactId" => "contact",
        other => other,
    }
}

/// The input a validation error of the domain belongs to: `fields.x`, `customFields.x` and
/// `caseFields.accountId` become `cf.x`, `cf.x` and `account`.
pub fn input_of_error(field: &str) -> String {
    let field = field.strip_prefix("caseFields.").unwrap_or(field);
    match field.strip_prefix("fields.").or_else(|| field.strip_prefix("customFields.")) {
        Some(key) => format!("{CUSTOM}{}", key.split(['.', '[']).next().unwrap_or(key)),
        None => input_name_of(field).to_owned(),
    }
}

/// A custom field's value as its input shows it.
pub fn show_custom(kind: FieldKind, value: &Value, currency: &str, locale: Locale) -> String {
    match (kind, value) {
        (FieldKind::Money, Value::Number(n)) => n
            .as_i64()
            .map(|minor| format::number(&Money { amount_minor: minor, currency: currency.to_owned() }, locale))
            .unwrap_or_else(|| n.to_string()),
        (FieldKind::Number, Value::Number(n)) if locale == Locale::Es => n.to_string().replace('.', ","),
        (FieldKind::Boolean, Value::Bool(b)) => if *b { "true" } else { "" }.to_owned(),
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// A custom field's posted text as its JSON value; empty is `null` (no value).
pub fn read_custom(def: &CustomFieldDef, text: &str, currency: &str) -> Result<Value, Message> {
    let text = text.trim();
    if def.kind == FieldKind::Boolean {
        return Ok(Value::Bool(text == "true"));
    }
    if text.is_empty() {
        return Ok(Value::Null);
    }
    Ok(match def.kind {
        FieldKind::Number => Value::Number(parse_number(text).ok_or_else(msg::must_be_a_number)?),
        FieldKind::Money => {
            Value::from(parse_amount(text, format::exponent(currency)).ok_or_else(msg::ui_amount_format)?)
        }
        _ => Value::String(text.to_owned()),
    })
}

/// The case's own fields as posted, read and checked for form: the domain validates the rest.
#[derive(Debug, Default)]
pub struct OwnValues {
    pub amount: Option<Option<Money>>,
    pub description: Option<Option<String>>,
    pub branch: Option<Option<String>>,
    pub priority: Option<Priority>,
    /// What the user typed to name an account or contact (resolved by the caller).
    pub account: Option<String>,
    pub contact: Option<String>,
}

/// What a posted form says, field by field, and what could not be read.
#[derive(Debug, Default)]
pub struct Posted {
    pub custom: serde_json::Map<String, Value>,
    pub own: OwnValues,
    pub errors: BTreeMap<String, String>,
}

/// Reads the inputs named in `names` from the posted `values` (absent checkbox: unticked).
pub fn read_posted(
    names: &[String],
    values: &BTreeMap<String, String>,
    definition: &CaseType,
    currency: &str,
    locale: Locale,
) -> Posted {
    let mut posted = Posted::default();
    for name in names {
        let text = values.get(name).map(String::as_str).unwrap_or_default();
        let optional = || Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        if let Some(key) = name.strip_prefix(CUSTOM) {
            let Some(def) = definition.custom_field(key) else { continue };
            match read_custom(def, text, currency) {
                Ok(value) => {
                    posted.custom.insert(key.to_owned(), value);
                }
                Err(reason) => {
                    posted.errors.insert(name.clone(), reason.render(locale));
                }
            }
            continue;
        }
        match name.as_str() {
            "amount" => match optional() {
                None => posted.own.amount = Some(None),
                Some(text) => match parse_amount(&text, format::exponent(currency)) {
                    Some(minor) => {
                        posted.own.amount = Some(Some(Money { amount_minor: minor, currency: currency.to_owned() }));
                    }
                    None => {
                        posted.errors.insert(name.clone(), msg::ui_amount_format().render(locale));
                    }
                },
            },
            "description" => posted.own.description = Some(optional()),
            "branch" => posted.own.branch = Some(optional()),
            "priority" => match parse_priority(text) {
                Some(priority) => posted.own.priority = Some(priority),
                None => {
                    let options: Vec<&str> = PRIORITIES.iter().map(|p| priority_key(*p)).collect();
                    posted.errors.insert(name.clone(), msg::one_of(options.join(", ")).render(locale));
                }
            },
            "account" => posted.own.account = optional(),
            "contact" => posted.own.contact = optional(),
            _ => {}
        }
    }
    posted
}

/// Every field of an `application/x-www-form-urlencoded` body (the last value of a repeated name).
pub fn form_fields(body: &[u8]) -> BTreeMap<String, String> {
    form_urlencoded::parse(body).map(|(n, v)| (n.into_owned(), v.into_owned())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_errors_land_on_their_inputs() {
        assert_eq!(input_of_error("fields.plazoMeses"), "cf.plazoMeses");
        assert_eq!(input_of_error("customFields.lote"), "cf.lote");
        assert_eq!(input_of_error("caseFields.amount"), "amount");
        assert_eq!(input_of_error("caseFields.accountId"), "account");
        assert_eq!(input_of_error("description"), "description");
    }

    #[test]
    fn figures_round_trip_in_the_users_language() {
        let money = CustomFieldDef {
            key: "presupuesto".into(),
            label: "Presupuesto".into(),
            kind: FieldKind::Money,
            required: false,
            options: Vec::new(),
        };
        let shown = show_custom(FieldKind::Money, &Value::from(125_000_050), "CRC", Locale::Es);
        assert_eq!(shown, "1.250.000,50");
        assert_eq!(read_custom(&money, &shown, "CRC"), Ok(Value::from(125_000_050)));
        let shown = show_custom(FieldKind::Number, &serde_json::json!(12.5), "CRC", Locale::Es);
        assert_eq!(shown, "12,5");
        let number = CustomFieldDef { kind: FieldKind::Number, ..money.clone() };
        assert_eq!(read_custom(&number, &shown, "CRC"), Ok(serde_json::json!(12.5)));
        assert_eq!(read_custom(&number, "  ", "CRC"), Ok(Value::Null), "an emptied field has no value");
        assert!(read_custom(&number, "doce", "CRC").is_err());
        let flag = CustomFieldDef { kind: FieldKind::Boolean, ..money };
        assert_eq!(read_custom(&flag, "", "CRC"), Ok(Value::Bool(false)), "an unticked box is false");
    }
}
