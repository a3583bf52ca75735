//! An example for every request body: what a client generator shows, what schemathesis sends
//! first, and what `functions/local/tests/examples.rs` sends to a fresh runner's demo tenant,
//! where each must be accepted. The configuration examples are the demo tenant's own (case
//! types, calendar, SLA policies, form, dunning ladder), so they stay valid as those change.

use gestiona_domain::receivables::DunningLadder;
use gestiona_domain::service::seed;
use serde_json::{Value, json};

/// The account the case and receivables examples name: the test creates one and puts its id
/// in place.
pub const EXAMPLE_ACCOUNT_ID: &str = "01JQ8Z5X3D4K6M7N8P9R0S1T2V";

fn value(of: impl serde::Serialize) -> Value {
    serde_json::to_value(of).expect("an example serialises")
}

fn demo_case_type(key: &str) -> Value {
    let case_type = seed::demo_case_types().into_iter().find(|t| t.key.as_str() == key);
    value(case_type.expect("a demo case type"))
}

fn product() -> Value {
    json!({
        "name": "Tornillo hexagonal 3/8\" galvanizado, caja de 100", "department": "Ferretería", "group": "Tornillería",
        "subgroup": "Hexagonales", "unit": "caja", "taxRateBp": 1300, "warrantyMonths": 12,
        "variants": [{ "code": "TOR-0412-N", "colour": "negro" }]
    })
}

/// The example body of the operation `method` `path` (`"post"`, `"/cases"`).
pub(super) fn request_body(method: &str, path: &str) -> Option<Value> {
    let invoice = json!({
        "accountId": EXAMPLE_ACCOUNT_ID, "currency": "CRC", "issuedOn": "2026-11-02", "dueOn": "2026-12-02",
        "totalMinor": 113_000_000, "description": "Factura electrónica FE-0001234"
    });
    Some(match (method, path) {
        ("post", "/accounts") => json!({
            "name": "Ferretería El Clavo S.A.", "taxId": "3-101-456789", "industry": "Ferretería",
            "email": "compras@elclavo.example", "phone": "+506 2222 3344", "website": "https://elclavo.example"
        }),
        ("patch", "/accounts/{id}") => json!({ "phone": "+506 2222 3355", "website": null }),
        ("put", "/accounts/{id}/collections") => json!({
            "creditDays": 30, "creditLimitMinor": 500_000_000, "creditCurrency": "CRC", "dunningPaused": false
        }),
        ("put", "/calendars/{key}") => value(seed::demo_calendar()),
        ("post", "/case-types") => {
            let mut case_type = demo_case_type("devolucion");
            case_type["key"] = json!("devolucion_tienda");
            case_type["name"] = json!("Devolución en tienda");
            case_type
        }
        ("put", "/case-types/{key}") => demo_case_type("devolucion"),
        ("post", "/cases") => json!({
            "type": "devolucion", "subject": "Cafetera dañada en la entrega", "accountId": EXAMPLE_ACCOUNT_ID,
            "priority": "high", "channel": "phone",
            "description": "La cafetera llegó con el depósito roto.",
            "amount": { "amountMinor": 4_500_000, "currency": "CRC" }
        }),
        ("patch", "/cases/{id}") => json!({ "priority": "urgent", "description": "El cliente envió fotos del daño." }),
        ("post", "/cases/{id}/comments") => {
            json!({ "body": "Llamé al cliente; enviará las fotos hoy.", "internal": true })
        }
        ("post", "/cases/{id}/documents") => json!({
            "template": "case_letter", "locale": "es",
            "fields": { "body": "Estimado cliente:\n\nRecibimos su solicitud y la estamos revisando." }
        }),
        ("post", "/cases/{id}/transitions") => json!({ "action": "revisar", "result": "en_revision" }),
        ("post", "/cases/{id}/uploads") => {
            json!({ "fileName": "foto-dano.jpg", "contentType": "image/jpeg", "size": 245_760 })
        }
        ("post", "/contacts") => json!({
            "firstName": "José", "lastName": "Mora", "email": "jose.mora@elclavo.example", "phone": "+506 8888 1234",
            "title": "Jefe de compras", "locale": "es"
        }),
        ("patch", "/contacts/{id}") => json!({ "title": "Gerente de compras" }),
        ("put", "/dunning-ladder") => value(DunningLadder::default()),
        ("put", "/forms/{id}") => value(seed::demo_form()),
        ("post", "/invoice-batches") => json!({ "invoices": [{ "number": "FE-0001235", "invoice": invoice }] }),
        ("patch", "/invoices/{number}") => json!({ "promisedOn": "2026-12-15", "stopDunning": false }),
        ("put", "/invoices/{number}") => invoice,
        ("put", "/invoices/{number}/credit-notes/{noteNumber}") => json!({
            "amountMinor": 1_300_000, "issuedOn": "2026-11-10", "reason": "Descuento por daño en la entrega"
        }),
        ("put", "/invoices/{number}/payments/{paymentId}") => json!({
            "amountMinor": 50_000_000, "paidOn": "2026-11-20", "method": "transferencia", "note": "Abono parcial"
        }),
        ("post", "/invoices/{number}/write-off") => json!({ "reason": "Cliente en quiebra; saldo incobrable" }),
        ("post", "/leads") => json!({
            "name": "Laura Jiménez", "company": "Hotel Las Palmas", "email": "laura@laspalmas.example",
            "phone": "8888 4321", "country": "CR", "message": "Cotización de 20 cafeteras", "campaign": "feria-2026"
        }),
        ("patch", "/leads/{id}") => json!({ "status": "working" }),
        ("post", "/leads/{id}/convert") => json!({
            "accountName": "Hotel Las Palmas S.A.",
            "opportunity": { "name": "20 cafeteras", "amount": { "amountMinor": 900_000_000, "currency": "CRC" },
                "expectedCloseDate": "2027-01-29" }
        }),
        ("post", "/opportunities") => json!({
            "name": "Flota de reparto 2027", "accountId": EXAMPLE_ACCOUNT_ID,
            "amount": { "amountMinor": 4_500_000_000i64, "currency": "CRC" }, "expectedCloseDate": "2027-02-26",
            "productLine": "Flotas", "competitors": ["Autos del Valle"], "source": "feria", "campaign": "feria-2026"
        }),
        ("patch", "/opportunities/{id}") => {
            json!({ "stage": "proposal", "probability": null, "expectedCloseDate": "2027-03-31" })
        }
        ("put", "/pipelines") => value(gestiona_domain::sales::Pipelines::default()),
        ("put", "/goals/{month}") => json!({
            "localCurrency": "CRC", "secondCurrency": "USD",
            "goals": [
                { "owner": "sofia", "productLine": "Equipos",
                  "success": { "kind": "stage", "pipeline": "sales", "stage": "won" },
                  "localTargetMinor": 1_500_000_000, "secondTargetMinor": 2_500_000,
                  "customersTarget": 3, "prospectsTarget": 12 },
                { "owner": "ana", "success": { "kind": "caseState", "caseType": "queja_calidad", "state": "resuelta" },
                  "localTargetMinor": 50_000_000 }
            ]
        }),
        ("put", "/products/{code}") => product(),
        ("post", "/product-batches") => json!({ "products": [
            { "code": "TOR-0413", "product": product() },
            { "code": "PIN-0100", "product": {
                "name": "Pintura de látex blanco mate, galón", "department": "Pinturas", "group": "Látex",
                "unit": "galón", "taxRateBp": 1300, "warrantyMonths": 0,
                "variants": [{ "code": "PIN-0100-B", "colour": "blanco" }, { "code": "PIN-0100-H", "colour": "hueso" }]
            }}
        ]}),
        ("put", "/price-lists/{key}") => json!({ "name": "Mayorista", "currency": "CRC", "default": false }),
        ("post", "/price-lists/{key}/prices") => json!({
            "rows": [
                { "product": "TOR-0412", "prices": [
                    { "minQuantity": 0, "unitPriceMinor": 1_250_000 },
                    { "minQuantity": 10, "unitPriceMinor": 1_150_000 },
                    { "minQuantity": 10, "unitPriceMinor": 990_000, "validFrom": "2026-12-01", "validTo": "2026-12-31" }
                ]},
                { "product": "PIN-0100", "prices": [{ "minQuantity": 0, "unitPriceMinor": 2_400_000 }] }
            ],
            "remove": ["TOR-0399"]
        }),
        ("post", "/quotes") | ("put", "/quotes/{id}") => json!({
            "accountId": EXAMPLE_ACCOUNT_ID, "validUntil": "2027-01-15",
            "lines": [
                { "product": "TOR-0412", "quantity": 12, "discountBp": 500 },
                { "description": "Instalación en sitio", "quantity": 1, "unitPriceMinor": 4_500_000, "taxRateBp": 1300 }
            ],
            "notes": "Precios sujetos a existencias."
        }),
        ("post", "/quotes/{id}/decision") => {
            json!({ "accepted": false, "reason": "Eligieron a otro proveedor por plazo de entrega" })
        }
        ("post", "/orders/{id}/invoice") => json!({ "issuedOn": "2026-12-01", "dueOn": "2026-12-31" }),
        ("put", "/accounts/{id}/price-list") => json!({ "priceList": "mayorista" }),
        ("post", "/pricing") => json!({
            "accountId": EXAMPLE_ACCOUNT_ID, "date": "2026-12-15",
            "lines": [{ "product": "TOR-0412", "quantity": 12 }, { "product": "PIN-0100", "quantity": 2.5 }]
        }),
        ("post", "/opt-outs") => json!({ "email": "no-escribir@cliente.example" }),
        ("put", "/sla-policies/{caseType}") => {
            let policies = seed::demo_sla_policies();
            value(policies.into_iter().find(|p| p.case_type.as_str() == "devolucion").expect("a demo policy"))
        }
        ("post", "/webhooks") => json!({
            "url": "https://erp.example/hooks/gestiona", "events": ["case.created", "invoice.paid"],
            "description": "ERP de la tienda"
        }),
        ("put", "/webhooks/{id}") => json!({
            "url": "https://erp.example/hooks/gestiona", "events": ["case.created", "case.closed", "invoice.paid"],
            "description": "ERP de la tienda", "status": "active"
        }),
        ("put", "/users/{id}") => {
            json!({ "name": "Ana Rodríguez", "email": "ana@demo.example", "locale": "es", "profile": "agent" })
        }
        ("post", "/users/{id}/hand-over") => json!({ "to": "sofia" }),
        ("post", "/users") => {
            json!({ "name": "Marta Vidal", "email": "marta.vidal@demo.example", "locale": "es", "profile": "sales" })
        }
        ("put", "/tenant") => json!({
            "name": "Demo Gestiona", "legalId": "3-101-000000", "locale": "es", "currency": "CRC",
            "timeZone": "America/Costa_Rica", "sender": "Demo Gestiona <avisos@demo.gestiona.example>",
            "address": "Avenida Central 100, San José, Costa Rica", "appUrl": "http://127.0.0.1:3000"
        }),
        ("put", "/access-log/retention") => json!({ "days": 730 }),
        ("put", "/profiles/{id}") => json!({
            "name": "Centro de llamadas", "level": "agent",
            "grants": { "cases": ["create", "read", "update"], "contacts": ["read"], "accounts": ["read"] },
            "scopes": { "cases": "team", "leads": "own" }
        }),
        ("put", "/organisation") => json!({
            "branches": [{ "id": "san-jose", "name": "San José", "region": "Central", "zone": "Centro" }],
            "teams": [{ "id": "servicio", "name": "Servicio al cliente", "branch": "san-jose",
                "members": ["ana", "carlos"], "supervisors": ["sofia"] }]
        }),
        _ => return None,
    })
}

/// Sets the example of every JSON request body in the document.
pub(super) fn add(doc: &mut Value) {
    let Some(paths) = doc["paths"].as_object_mut() else { return };
    for (path, item) in paths {
        let Some(operations) = item.as_object_mut() else { continue };
        for (method, operation) in operations {
            let Some(example) = request_body(method, path) else { continue };
            let Some(content) = operation["requestBody"]["content"].as_object_mut() else { continue };
            for (media_type, body) in content {
                if media_type.contains("json") {
                    body["example"] = example.clone();
                }
            }
        }
    }
}
