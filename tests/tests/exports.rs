//! Exports are safe to open in a spreadsheet: a value a user typed that a spreadsheet would run
//! as a formula arrives as text. Through the real handlers, on the in-memory store.

use std::sync::Arc;

use gestiona_api::Function;
use gestiona_domain::testing::MemoryStore;
use gestiona_tests::fixtures::staff;
use gestiona_tests::handlers::{api_on, call};
use serde_json::json;

#[tokio::test]
async fn a_formula_typed_as_an_account_name_is_text_in_the_aging_export() {
    let api = api_on(Arc::new(MemoryStore::new())).await;
    let name = "=HYPERLINK(\"http://attacker.example\",\"Ver\")";
    let account =
        call(&api, Function::AccountsApi, &staff("POST", "/accounts", "/accounts", &[], Some(json!({"name": name}))))
            .await;
    assert_eq!(account.status, 201, "{}", account.body);
    let invoice = json!({"accountId": account.body["id"], "currency": "CRC", "issuedOn": "2026-10-01", "dueOn": "2026-10-31", "totalMinor": 12_500_000});
    let put = staff("PUT", "/invoices/{number}", "/invoices/F-77", &[], Some(invoice));
    let saved = call(&api, Function::ReceivablesApi, &put).await;
    assert!(saved.status.is_success(), "{} {}", saved.status, saved.body);

    let export = staff("GET", "/reports/aging", "/reports/aging", &[("format", "csv")], None);
    let reply = call(&api, Function::ReportsApi, &export).await;
    assert_eq!(reply.status, 200);
    let text = reply.body.as_str().map(str::to_owned).unwrap_or_else(|| reply.body.to_string());
    let line = text.lines().find(|l| l.contains("HYPERLINK")).unwrap_or_else(|| panic!("the account's row: {text}"));
    let cells: Vec<&str> = line.splitn(3, ',').collect();
    assert!(cells[1].starts_with("\"'=HYPERLINK"), "the name is text, not a formula: {line}");
}
