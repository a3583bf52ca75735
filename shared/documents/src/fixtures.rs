//! Example data for every template (Spanish accents, CRC amounts), shared by the render tests
//! and the render benchmark.

use gestiona_domain::EntityId;
use gestiona_domain::document::{CaseRef, DocumentContext, DocumentData, DocumentTemplate, Locale, Party};
use serde_json::{Map, Value, json};

/// Issuer, customer (named `customer_name`, with a tax id) and case, issued on 2026-11-22.
pub fn context(locale: Locale, customer_name: &str) -> DocumentContext {
    DocumentContext {
        locale,
        issued_on: jiff::civil::date(2026, 11, 22),
        default_currency: "CRC".into(),
        issuer: Party {
            name: "Cooperativa Médica del Norte".into(),
            tax_id: None,
            address: Some("Avenida 2, San José".into()),
            email: None,
            phone: None,
            attention: None,
        },
        customer: Some(Party {
            name: customer_name.into(),
            tax_id: Some("3-101-654321".into()),
            address: None,
            email: Some("cobros@nunez.example".into()),
            phone: Some("+50622223333".into()),
            attention: Some("María José Núñez Peña".into()),
        }),
        case: CaseRef {
            id: EntityId::parse("01JD8X3Q9V7M2K4T6W8Y0Z1A2B").expect("a ULID"),
            subject: "Renovación de línea de crédito".into(),
            case_type: "credito".into(),
        },
        document_id: EntityId::parse("01JD8X3Q9V7M2K4T6W8Y0Z1A2C").expect("a ULID"),
    }
}

/// Complete fields for `template`; the invoice has 20 lines, the letter's body `letter_tail`
/// as its last paragraph.
pub fn fields(template: DocumentTemplate, letter_tail: &str) -> Map<String, Value> {
    let value = match template {
        DocumentTemplate::Quote => json!({
            "number": "COT-2026-118", "validUntil": "2026-12-22", "taxRatePercent": 13,
            "lines": [
                {"description": "Póliza colectiva — año 1", "quantity": 1, "unitPriceMinor": 100_000_000},
                {"description": "Gestión de trámite", "quantity": 2, "unitPriceMinor": 12_500_000}
            ],
            "notes": "Precios sujetos a aprobación crediticia."
        }),
        DocumentTemplate::Invoice => json!({
            "number": "F-2026-0042", "dueDate": "2026-12-22", "taxRatePercent": 13,
            "lines": (1..=20).map(|i| json!({"description": format!("Servicio de mantenimiento nº {i}"), "quantity": i, "unitPriceMinor": 1_250_000})).collect::<Vec<_>>()
        }),
        DocumentTemplate::CollectionLetter => json!({
            "reference": "F-2026-0042", "amountDueMinor": 125_000_000, "dueDate": "2026-11-27"
        }),
        DocumentTemplate::CaseLetter => json!({
            "subject": "Respuesta a su solicitud",
            "body": format!("Estimada señora Núñez:\n\nHemos revisado su solicitud.\n\n{letter_tail}")
        }),
        DocumentTemplate::Contract => json!({
            "principalMinor": 125_000_000, "dueDate": "2027-11-22", "place": "San José",
            "annualInterestPercent": 12.5, "lateInterestPercent": 2
        }),
    };
    value.as_object().cloned().unwrap_or_default()
}

/// The checked data of `template` for `customer_name`.
pub fn data(template: DocumentTemplate, locale: Locale, customer_name: &str) -> DocumentData {
    DocumentData::assemble(template, context(locale, customer_name), &fields(template, "Atentamente."))
        .expect("the fixtures meet every contract")
}
