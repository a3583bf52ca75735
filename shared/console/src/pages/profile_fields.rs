//! The profile page's field table: per module, each field a profile may restrict with a
//! choice of read and change, read only, or hidden. Cases list the custom fields of the
//! tenant's case types too; a rule on a field no longer offered (a custom field of a lead form,
//! a case type removed) still shows, so it can be lifted.

use std::collections::BTreeMap;

use gestiona_domain::access::{Module, Profile};
use gestiona_domain::field_access::{CUSTOM_FIELD_PREFIX, FieldAccess, restrictable};
use gestiona_domain::messages as msg;
use gestiona_domain::service::PageRequest;

use super::{Chrome, labels};
use crate::Console;
use crate::session::SignedIn;

/// The modules whose fields the table offers, in the order it shows them.
const MODULES: [Module; 4] = [Module::Accounts, Module::Contacts, Module::Leads, Module::Cases];

/// One field of the table: a choice named `field.{module}.{field}`.
pub struct FieldRow {
    pub name: String,
    pub module: String,
    pub label: String,
    /// The choice's accessible name (“Access to Tax id”).
    pub aria: String,
    pub selected: &'static str,
}

/// What a profile's page shows of the tenant's case types, read once.
pub struct CaseTypesShown {
    /// The custom fields, as `customFields.{key}` with a label naming the types that have it.
    pub custom: Vec<(String, String)>,
    /// Each type's key and name, for its own permissions.
    pub types: Vec<(String, String)>,
}

/// The tenant's case types as a profile's page shows them. A failed read leaves them out (the
/// modules and standard fields still show).
pub async fn case_types_shown(console: &Console, signed_in: &SignedIn) -> CaseTypesShown {
    let page = PageRequest::new(Some(100), None).expect("a valid page size");
    let types = match console.services.list_case_types(&signed_in.actor, &page).await {
        Ok(found) => found.items,
        Err(error) => {
            tracing::error!(?error, "the case types could not be read for the profile's page");
            Vec::new()
        }
    };
    let names = types.iter().map(|t| (t.value.key.to_string(), t.value.name.clone())).collect();
    CaseTypesShown { custom: case_custom_fields(&types, signed_in), types: names }
}

fn case_custom_fields(
    types: &[gestiona_domain::Versioned<gestiona_domain::case_type::CaseType>],
    signed_in: &SignedIn,
) -> Vec<(String, String)> {
    let mut fields: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for case_type in types {
        for def in &case_type.value.custom_fields {
            let entry = fields.entry(def.key.clone()).or_insert_with(|| (def.label.clone(), Vec::new()));
            entry.1.push(case_type.value.name.clone());
        }
    }
    let locale = signed_in.session.locale;
    let mut named: Vec<(String, String)> = fields
        .into_iter()
        .map(|(key, (label, types))| {
            let label = msg::ui_custom_field_of(&label, types.join(", ")).render(locale);
            (format!("{CUSTOM_FIELD_PREFIX}{key}"), label)
        })
        .collect();
    // As people find them: by what they are called.
    named.sort_by_key(|(_, label)| label.to_lowercase());
    named
}

/// The table's rows for `profile`: standard fields, then the cases' custom fields, then any
/// other field the profile has a rule on.
pub fn rows(profile: &Profile, case_custom: &[(String, String)], chrome: &Chrome) -> Vec<FieldRow> {
    let mut rows = Vec::new();
    for module in MODULES {
        let module_name = chrome.t(labels::module(module));
        let mut fields: Vec<(String, String)> = restrictable(module)
            .iter()
            .map(|f| ((*f).to_owned(), labels::restrictable_field(f).map_or_else(|| (*f).to_owned(), |m| chrome.t(m))))
            .collect();
        if module == Module::Cases {
            fields.extend(case_custom.iter().cloned());
        }
        if let Some(rules) = profile.fields.get(&module) {
            for field in rules.keys() {
                if !fields.iter().any(|(name, _)| name == field) {
                    fields.push((field.clone(), field.clone()));
                }
            }
        }
        rows.extend(fields.into_iter().map(|(field, label)| FieldRow {
            name: format!("field.{}.{field}", module.as_str()),
            module: module_name.clone(),
            aria: chrome.t(msg::ui_access_of(format!("{module_name}: {label}"))),
            label,
            selected: profile.field_access(module, &field).as_str(),
        }));
    }
    rows
}

/// The choices of every row.
pub fn options(chrome: &Chrome) -> Vec<(&'static str, String)> {
    FieldAccess::ALL.into_iter().map(|a| (a.as_str(), chrome.t(labels::field_access(a)))).collect()
}

/// A posted choice `field.{module}.{field}` = access, if it is one.
pub fn parse(name: &str, value: &str) -> Option<(Module, String, FieldAccess)> {
    let (module, field) = name.strip_prefix("field.")?.split_once('.')?;
    Some((Module::parse(module)?, field.to_owned(), FieldAccess::parse(value)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_posted_choice_names_its_module_and_field_even_a_custom_one() {
        assert_eq!(
            parse("field.cases.customFields.lote", "hidden"),
            Some((Module::Cases, "customFields.lote".to_owned(), FieldAccess::Hidden))
        );
        assert_eq!(
            parse("field.accounts.taxId", "readOnly"),
            Some((Module::Accounts, "taxId".into(), FieldAccess::ReadOnly))
        );
        assert_eq!(parse("field.sales.x", "hidden"), None);
        assert_eq!(parse("field.accounts.taxId", "secret"), None);
        assert_eq!(parse("grant", "accounts.read"), None);
    }
}
