//! Where the template fields of a workflow document come from. A case type's `document` effect
//! names a source for each field of the template's contract: a field of the case (as
//! `requiredFields` names them), the note written with the step, a fixed value, a date some days
//! after the document is issued, or a one-line price list. The validator refuses a step whose
//! document could come out without a required field ([`check`]); the documents worker resolves
//! the sources against the case as it is when it renders ([`resolve`]).

use std::collections::BTreeMap;

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::case::Case;
use crate::document::DocumentTemplate;
use crate::messages as msg;
use crate::validation::ValidationErrors;

/// The fields of the case a source may read, besides `customFields.{key}`.
pub const CASE_FIELDS: &[&str] = &["subject", "description", "branch", "amount"];

/// Most days a date may be set after the issue date (about ten years).
pub const MAX_DAYS_AFTER: u16 = 3_660;

/// One template field's source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "camelCase", rename_all_fields = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FieldSource {
    /// A field of the case: `subject`, `description`, `branch`, `amount` (minor units) or
    /// `customFields.{key}`.
    Case { field: String },
    /// The note written with the step.
    Note,
    /// A fixed value, as the template's contract describes the field.
    Value {
        // Any JSON value: the template's contract says which.
        #[cfg_attr(feature = "openapi", schema(value_type = Value))]
        value: Value,
    },
    /// The issue date plus `days` calendar days (a quote's `validUntil`, a due date).
    DaysAfterIssue { days: u16 },
    /// A price list of one line, quantity 1, priced by a money field of the case.
    Line { description: String, price: String },
}

/// What a case type says of one of the case's fields at one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldFacts {
    /// The field has a value whenever the step is taken (always set, or required by it).
    pub always: bool,
    /// The field is an amount of money (minor units).
    pub money: bool,
}

/// What a step guarantees about the case when its document is rendered.
pub struct StepGuarantees<'a> {
    /// The facts of the field a path names (`amount`, `customFields.plazo`); `None` if the
    /// case type has no such field.
    pub field: &'a dyn Fn(&str) -> Option<FieldFacts>,
    /// The action or the result requires a note.
    pub note_required: bool,
}

/// Checks a document effect's sources against its template and the step that sets it off.
/// Every required template field must be filled whenever the step is taken: from a declared
/// source the step guarantees, or (for definitions written before sources) from a custom field
/// of the same name.
pub fn check(
    template: DocumentTemplate,
    sources: &BTreeMap<String, FieldSource>,
    step: &StepGuarantees<'_>,
    path: &str,
    e: &mut ValidationErrors,
) {
    let contract = template.contract();
    for (name, source) in sources {
        let at = format!("{path}.fields.{name}");
        if !contract.iter().any(|(field, _, _)| field == name) {
            e.add(at, msg::not_a_template_field(template.key()));
            continue;
        }
        match source {
            FieldSource::Case { field } => {
                if (step.field)(field).is_none() {
                    e.add(format!("{at}.field"), msg::unknown_field(field));
                }
            }
            FieldSource::Line { description, price } => {
                e.text(&format!("{at}.description"), description, 200, false);
                match (step.field)(price) {
                    None => e.add(format!("{at}.price"), msg::unknown_field(price)),
                    Some(facts) if !facts.money => e.add(format!("{at}.price"), msg::source_not_money(price)),
                    Some(_) => {}
                }
            }
            FieldSource::DaysAfterIssue { days } if *days > MAX_DAYS_AFTER => {
                e.add(format!("{at}.days"), msg::between(0, MAX_DAYS_AFTER));
            }
            FieldSource::Value { value } if value.is_null() => e.add(format!("{at}.value"), msg::required()),
            FieldSource::Note | FieldSource::Value { .. } | FieldSource::DaysAfterIssue { .. } => {}
        }
    }
    for (name, _, required) in contract {
        if !required {
            continue;
        }
        let filled = match sources.get(*name) {
            Some(FieldSource::Case { field } | FieldSource::Line { price: field, .. }) => {
                (step.field)(field).is_none_or(|facts| facts.always)
            }
            Some(FieldSource::Note) => step.note_required,
            Some(FieldSource::Value { .. } | FieldSource::DaysAfterIssue { .. }) => true,
            None => (step.field)(&format!("customFields.{name}")).is_some_and(|facts| facts.always),
        };
        if !filled {
            e.add(format!("{path}.fields.{name}"), msg::template_field_unfilled(*name));
        }
    }
}

/// The fields to render a workflow document with: each declared source read from `case` (with
/// the step's `note`, issued on `issued_on`), and any other contract field from the custom
/// field of the same name. A money field also brings its currency unless the effect sets one.
pub fn resolve(
    template: DocumentTemplate,
    sources: &BTreeMap<String, FieldSource>,
    case: &Case,
    note: Option<&str>,
    issued_on: Date,
) -> Map<String, Value> {
    let mut fields = Map::new();
    let mut uses_money = false;
    for (name, _, _) in template.contract() {
        let value = match sources.get(*name) {
            Some(FieldSource::Case { field }) => {
                uses_money |= field == "amount";
                case_value(case, field)
            }
            Some(FieldSource::Note) => note.filter(|n| !n.trim().is_empty()).map(Value::from),
            Some(FieldSource::Value { value }) => Some(value.clone()),
            Some(FieldSource::DaysAfterIssue { days }) => {
                issued_on.checked_add(i64::from(*days).days()).ok().map(|d| Value::from(d.to_string()))
            }
            Some(FieldSource::Line { description, price }) => {
                uses_money = true;
                case_value(case, price)
                    .map(|price| json!([{"description": description, "quantity": 1, "unitPriceMinor": price}]))
            }
            None => case.custom_fields.get(*name).cloned(),
        };
        if let Some(value) = value.filter(|v| !v.is_null()) {
            fields.insert((*name).to_owned(), value);
        }
    }
    let takes_currency = template.contract().iter().any(|(name, _, _)| *name == "currency");
    if takes_currency
        && uses_money
        && !fields.contains_key("currency")
        && let Some(amount) = &case.amount
    {
        fields.insert("currency".into(), Value::from(amount.currency.clone()));
    }
    fields
}

fn case_value(case: &Case, path: &str) -> Option<Value> {
    if let Some(key) = path.strip_prefix("customFields.") {
        return case.custom_fields.get(key).cloned();
    }
    match path {
        "subject" => Some(Value::from(case.subject.clone())),
        "description" => case.description.clone().map(Value::from),
        "branch" => case.branch.clone().map(Value::from),
        "amount" => case.amount.as_ref().map(|m| Value::from(m.amount_minor)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::seed::demo_case_types;

    /// The credit type's fields at a step that requires only the amount.
    fn credit_step(path: &str) -> Option<FieldFacts> {
        let (always, money) = match path {
            "subject" => (true, false),
            "amount" => (true, true),
            "description" | "branch" => (false, false),
            "customFields.plazoMeses" | "customFields.fechaVencimiento" | "customFields.tasaAnual" => (false, false),
            _ => return None,
        };
        Some(FieldFacts { always, money })
    }

    fn case(custom: Value) -> Case {
        serde_json::from_value(json!({
            "id": "01JD8X3Q9V7M2K4T6W8Y0Z1A2B", "type": "solicitud_credito", "typeVersion": 1,
            "subject": "Crédito de capital de trabajo", "state": "aprobado", "stateClass": "closed_success",
            "channel": "phone", "priority": "normal", "archived": false,
            "amount": {"amountMinor": 250_000_000, "currency": "USD"}, "customFields": custom,
            "createdAt": "2026-11-30T15:00:00Z", "createdBy": "sofia",
            "updatedAt": "2026-11-30T15:00:00Z", "updatedBy": "sofia"
        }))
        .expect("a case")
    }

    fn fields(errors: &ValidationErrors) -> Vec<&str> {
        errors.0.iter().map(|e| e.field.as_str()).collect()
    }

    fn sources(value: Value) -> BTreeMap<String, FieldSource> {
        serde_json::from_value(value).expect("sources")
    }

    #[test]
    fn every_seeded_document_step_is_filled_whenever_it_is_taken() {
        for definition in demo_case_types() {
            assert_eq!(definition.validate(), Ok(()), "{}", definition.key);
        }
    }

    #[test]
    fn a_required_field_nothing_guarantees_is_refused_at_its_place() {
        let step = StepGuarantees { field: &credit_step, note_required: false };
        let mut e = ValidationErrors::new();
        // The due date from an optional custom field the step does not require, the place from
        // a note the step does not ask for: both could be missing.
        let declared = sources(json!({
            "principalMinor": {"from": "case", "field": "amount"},
            "dueDate": {"from": "case", "field": "customFields.fechaVencimiento"},
            "place": {"from": "note"},
        }));
        check(DocumentTemplate::Contract, &declared, &step, "p", &mut e);
        assert_eq!(fields(&e), ["p.fields.dueDate", "p.fields.place"]);

        let mut e = ValidationErrors::new();
        check(DocumentTemplate::Contract, &BTreeMap::new(), &step, "p", &mut e);
        assert_eq!(fields(&e), ["p.fields.principalMinor", "p.fields.dueDate", "p.fields.place"], "no source at all");
    }

    #[test]
    fn sources_that_name_nothing_are_refused() {
        let step = StepGuarantees { field: &credit_step, note_required: true };
        let mut e = ValidationErrors::new();
        let declared = sources(json!({
            "principalMinor": {"from": "line", "description": "x", "price": "customFields.plazoMeses"},
            "dueDate": {"from": "daysAfterIssue", "days": 4000},
            "place": {"from": "value", "value": null},
            "colour": {"from": "note"},
            "annualInterestPercent": {"from": "case", "field": "customFields.nada"},
        }));
        check(DocumentTemplate::Contract, &declared, &step, "p", &mut e);
        assert_eq!(
            fields(&e),
            [
                "p.fields.annualInterestPercent.field",
                "p.fields.colour",
                "p.fields.dueDate.days",
                "p.fields.place.value",
                "p.fields.principalMinor.price",
                "p.fields.principalMinor",
            ]
        );
    }

    #[test]
    fn sources_resolve_against_the_case_the_note_and_the_issue_date() {
        let issued = Date::constant(2026, 12, 1);
        let case = case(json!({"presupuesto": 4_500_000, "fechaVencimiento": "2027-06-30", "place": "Heredia"}));
        let declared = sources(json!({
            "principalMinor": {"from": "case", "field": "amount"},
            "dueDate": {"from": "case", "field": "customFields.fechaVencimiento"},
        }));
        let contract = resolve(DocumentTemplate::Contract, &declared, &case, None, issued);
        assert_eq!(
            Value::Object(contract),
            json!({"principalMinor": 250_000_000, "currency": "USD", "dueDate": "2027-06-30", "place": "Heredia"}),
            "undeclared fields fall back to the custom field of the same name; money brings its currency"
        );

        let quote = sources(json!({
            "validUntil": {"from": "daysAfterIssue", "days": 31},
            "lines": {"from": "line", "description": "Reparación", "price": "customFields.presupuesto"},
            "notes": {"from": "note"},
            "currency": {"from": "value", "value": "CRC"},
        }));
        let resolved = resolve(DocumentTemplate::Quote, &quote, &case, Some("Incluye repuestos"), issued);
        assert_eq!(
            Value::Object(resolved),
            json!({"validUntil": "2027-01-01", "currency": "CRC", "notes": "Incluye repuestos",
                   "lines": [{"description": "Reparación", "quantity": 1, "unitPriceMinor": 4_500_000}]})
        );

        let letter = sources(json!({"body": {"from": "note"}, "subject": {"from": "case", "field": "subject"}}));
        let resolved = resolve(DocumentTemplate::CaseLetter, &letter, &case, Some("  "), issued);
        assert_eq!(
            Value::Object(resolved),
            json!({"subject": "Crédito de capital de trabajo"}),
            "a blank note is no body"
        );
    }
}
