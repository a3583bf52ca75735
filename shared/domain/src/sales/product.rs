//! The product catalogue [catálogo de productos] as the ERP keeps it: code, name, its place in
//! the department → group → sub-group tree, unit, tax rate [IVA], warranty and colour
//! variants. The ERP is the source: it upserts products by code, and sending the same product
//! again changes nothing.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::{ProductCode, UserId};
use crate::messages as msg;
use crate::validation::ValidationErrors;

pub const NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 2000;
pub const LABEL_MAX: usize = 80;
pub const UNIT_MAX: usize = 20;
pub const MAX_VARIANTS: usize = 50;
/// 100 % in hundredths of a percent.
pub const MAX_TAX_RATE_BP: u16 = 10_000;
pub const MAX_WARRANTY_MONTHS: u16 = 600;
/// The unit of a product sent without one.
pub const DEFAULT_UNIT: &str = "unidad";

/// What the catalogue says about a product: everything but its code and who changed it when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductDetails {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subgroup: Option<String>,
    /// The unit it is sold by (`unidad`, `kg`, `caja`).
    pub unit: String,
    /// The tax rate [IVA] in hundredths of a percent: `1300` is 13 %.
    pub tax_rate_bp: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warranty_months: Option<u16>,
    /// Inactive products stay on the quotes that have them but are not offered for new ones.
    pub active: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<ProductVariant>,
}

/// A colour [color] the product comes in, with the code the ERP gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductVariant {
    pub code: ProductCode,
    pub colour: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Product {
    pub code: ProductCode,
    #[serde(flatten)]
    pub details: ProductDetails,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub updated_by: UserId,
}

/// `PUT /products/{code}`: the product as the ERP knows it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductInput {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub subgroup: Option<String>,
    /// Default: `unidad`.
    #[serde(default)]
    pub unit: Option<String>,
    /// Hundredths of a percent (`1300` is 13 %); default 0.
    #[serde(default)]
    pub tax_rate_bp: Option<u16>,
    #[serde(default)]
    pub warranty_months: Option<u16>,
    /// Default: active.
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub variants: Vec<ProductVariant>,
}

impl ProductInput {
    /// The checked, trimmed details, every problem reported at once.
    pub fn validate(&self) -> Result<ProductDetails, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = e.text("name", &self.name, NAME_MAX, false).unwrap_or_default();
        let description = e.optional_text("description", self.description.as_deref(), DESCRIPTION_MAX, true);
        let department = e.optional_text("department", self.department.as_deref(), LABEL_MAX, false);
        let group = e.optional_text("group", self.group.as_deref(), LABEL_MAX, false);
        let subgroup = e.optional_text("subgroup", self.subgroup.as_deref(), LABEL_MAX, false);
        if subgroup.is_some() && group.is_none() {
            e.add("subgroup", msg::needs_field("group"));
        }
        let unit = match self.unit.as_deref() {
            None => Some(DEFAULT_UNIT.to_owned()),
            Some(unit) => e.text("unit", unit, UNIT_MAX, false),
        };
        let tax_rate_bp = self.tax_rate_bp.unwrap_or(0);
        if tax_rate_bp > MAX_TAX_RATE_BP {
            e.add("taxRateBp", msg::between(0, MAX_TAX_RATE_BP));
        }
        if self.warranty_months.is_some_and(|m| m > MAX_WARRANTY_MONTHS) {
            e.add("warrantyMonths", msg::between(0, MAX_WARRANTY_MONTHS));
        }
        if self.variants.len() > MAX_VARIANTS {
            e.add("variants", msg::at_most_items(MAX_VARIANTS));
        }
        let mut variants = Vec::with_capacity(self.variants.len());
        let mut codes = std::collections::HashSet::new();
        for (i, variant) in self.variants.iter().enumerate() {
            if !codes.insert(variant.code.clone()) {
                e.add(format!("variants[{i}].code"), msg::duplicate(variant.code.as_str()));
            }
            if let Some(colour) = e.text(&format!("variants[{i}].colour"), &variant.colour, LABEL_MAX, false) {
                variants.push(ProductVariant { code: variant.code.clone(), colour });
            }
        }
        e.finish()?;
        Ok(ProductDetails {
            name,
            description,
            department,
            group,
            subgroup,
            unit: unit.unwrap_or_default(),
            tax_rate_bp,
            warranty_months: self.warranty_months,
            active: self.active.unwrap_or(true),
            variants,
        })
    }
}

/// A filter of the catalogue's list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductFilter {
    pub department: Option<String>,
    pub group: Option<String>,
    pub active: Option<bool>,
}

impl ProductFilter {
    /// Labels compare as staff type them: accents and case aside.
    pub fn admits(&self, product: &Product) -> bool {
        let same = |wanted: &Option<String>, actual: &Option<String>| {
            wanted
                .as_ref()
                .is_none_or(|w| actual.as_ref().is_some_and(|a| crate::search::fold(a) == crate::search::fold(w)))
        };
        same(&self.department, &product.details.department)
            && same(&self.group, &product.details.group)
            && self.active.is_none_or(|a| a == product.details.active)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: serde_json::Value) -> ProductInput {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_product_takes_its_defaults_and_trims_its_texts() {
        let details = input(serde_json::json!({"name": "  Tornillo 3/8  ", "group": "Ferretería"})).validate().unwrap();
        assert_eq!(details.name, "Tornillo 3/8");
        assert_eq!(details.unit, DEFAULT_UNIT);
        assert_eq!(details.tax_rate_bp, 0);
        assert!(details.active);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let errors = input(serde_json::json!({
            "name": " ", "subgroup": "Tuercas", "taxRateBp": 10_001, "warrantyMonths": 601, "unit": "",
            "variants": [{"code": "A-1", "colour": "rojo"}, {"code": "A-1", "colour": ""}]
        }))
        .validate()
        .unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "subgroup", "unit", "taxRateBp", "warrantyMonths", "variants[1].code", "variants[1].colour"]
        );
    }

    #[test]
    fn filters_compare_labels_without_accents_or_case() {
        let details = input(serde_json::json!({"name": "Tornillo", "department": "Ferretería"})).validate().unwrap();
        let now = Timestamp::UNIX_EPOCH;
        let product = Product {
            code: ProductCode::parse("T-1").unwrap(),
            details,
            created_at: now,
            updated_at: now,
            updated_by: UserId::parse("erp").unwrap(),
        };
        let filter =
            |department: &str, active| ProductFilter { department: Some(department.into()), group: None, active };
        assert!(filter("ferreteria", None).admits(&product));
        assert!(filter("FERRETERÍA", Some(true)).admits(&product));
        assert!(!filter("ferreteria", Some(false)).admits(&product));
        assert!(!filter("pinturas", None).admits(&product));
    }
}
