//! The data each template reads. Producers that know their subject (cases now; leads, SLA
//! clocks and invoices as they arrive) build it; `fixture` gives a complete example of each, used
//! by the tests to render every template in every locale.
//!
//! Common to all: `tenant.{name, address, logoUrl}`, `recipient.name`, `link` (or null),
//! `unsubscribeUrl` (marketing only, else null).
//!
//! | template | reads |
//! |---|---|
//! | `case_created`, `case_assigned` | `case.{id, subject, typeName, stateName}` |
//! | `case_transitioned` | `case.*`, `actor.name`, `step.{actionName, resultName, fromName, toName, note}` |
//! | `customer_alert` | `case.*`, `step.{resultName, toName}` |
//! | `sla_warning`, `sla_breach`, `sla_escalation` | `case.*`, `sla.{clockName, dueAt, usedPercent, level}` |
//! | `lead_new_assignee`, `lead_welcome` | `lead.{name, email, company, message}` |
//! | `invoice_reminder`, `invoice_final_notice` | `invoice.{number, amount (the balance), total, dueDate, daysPastDue, stepLabel}`, `account.name` |
//! | `document_ready` | `document.name`, `case.*` |
//! | `webhook_disabled` | `webhook.{url, description, failingSince, lastError}` |

use serde_json::{Value, json};

/// A complete example of the data of `template` (customer data with Spanish accents).
pub fn fixture(template: &str) -> Value {
    let mut data = json!({
        "tenant": {"name": "Cooperativa Médica del Norte", "address": "Calle 5, San José", "logoUrl": null},
        "recipient": {"name": "María José Núñez"},
        "link": "https://app.gestiona.example/app/cases/01JD8X3Q9V7M2K4T6W8Y0Z1A2B",
        "unsubscribeUrl": null,
        "case": {"id": "01JD8X3Q9V7M2K4T6W8Y0Z1A2B", "subject": "Solicitud de crédito — garantía solidaria",
                 "typeName": "Solicitud de Crédito", "stateName": "En Estudio"},
        "actor": {"name": "Sofía Jiménez"},
        "step": {"actionName": "Resolver solicitud", "resultName": "Aprobado", "fromName": "En Estudio",
                 "toName": "Aprobado", "note": "Aprobado por el comité del martes"},
        "sla": {"clockName": "resolución", "dueAt": "2026-11-24 17:00 (America/Costa_Rica)", "usedPercent": 75, "level": 1},
        "lead": {"name": "Íñigo Peña", "email": "inigo@example.com", "company": "Café Ñandú", "message": "¿Tienen planes para pymes?"},
        "invoice": {"number": "F-2026-0042", "amount": "₡1.250.000,00", "total": "₡1.500.000,00", "dueDate": "1 de diciembre de 2026", "daysPastDue": -5, "stepLabel": "vence en 5 días"},
        "account": {"name": "Transportes Rápidos S.A."},
        "document": {"name": "Carta de Cobro Aviso Preventivo"},
        "webhook": {"url": "https://erp.example.com/gestiona", "description": "ERP — facturación",
                    "failingSince": "2026-11-30 08:00 UTC", "lastError": "HTTP 503"}
    });
    if gestiona_domain::templates::is_marketing(template) {
        data["unsubscribeUrl"] = json!("https://app.gestiona.example/unsubscribe?t=demo&e=inigo%40example.com");
    }
    data
}
