//! Black-box tests of receivables over HTTP against gestiona-local: the ERP's idempotent
//! upserts and payments, problems for bad input, aging (JSON and CSV), and the invoice sweep
//! on the runner's timer sending a reminder once and never after the invoice is paid.

mod common;

use std::time::Duration;

use common::{Caller, Server, all_items};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A calendar day `days` after the runner's (UTC) date.
async fn runner_day(caller: &Caller<'_>, days: i64) -> String {
    let now = caller.get("/_local/clock").await.body["now"].as_str().unwrap().to_owned();
    let date: Vec<i64> = now[..10].split('-').map(|p| p.parse().unwrap()).collect();
    // Days from civil (Howard Hinnant's algorithm), to add days without a date crate.
    let (y, m, d) = (date[0] - i64::from(date[1] <= 2), date[1], date[2]);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let z = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy + days;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

async fn history_of(caller: &Caller<'_>, number: &str) -> Vec<Value> {
    all_items(caller, &format!("/invoices/{number}/history")).await
}

#[tokio::test]
async fn erp_sync_payments_aging_and_one_reminder_through_the_sweep() {
    let server = Server::start_for_tenant("demo");
    let admin = Caller::new(&server, Some(server.token("demo", "admin", "admin")));
    let email = format!("cxp{}@ferreteria.example", common::unique());
    let account = admin.post("/accounts", json!({"name": "Ferretería El Clavo", "email": email})).await;
    let account_id = account.body["id"].as_str().unwrap().to_owned();
    let profile =
        json!({"creditLimitMinor": 50_000_000, "creditCurrency": "CRC", "creditDays": 30, "collectionsAgent": "ana"});
    let saved = admin.send(Method::PUT, &format!("/accounts/{account_id}/collections"), Some(&profile), None).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);

    // Due in three days: the "due in 5 days" step is current, so the sweep sends it now.
    let due = runner_day(&admin, 3).await;
    let invoice = json!({"accountId": account_id, "currency": "CRC", "issuedOn": "2026-01-02", "dueOn": due, "totalMinor": 125_000_000});
    let created = admin.send(Method::PUT, "/invoices/F-9001", Some(&invoice), None).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.headers["location"], "/invoices/F-9001");
    assert_eq!(
        (created.body["status"].as_str(), created.body["balanceMinor"].as_i64()),
        (Some("open"), Some(125_000_000))
    );
    let again = admin.send(Method::PUT, "/invoices/F-9001", Some(&invoice), None).await;
    assert_eq!((again.status, again.etag()), (StatusCode::OK, created.etag()), "the same data writes nothing");

    // Bad input is a problem naming the fields, never a half-written invoice.
    let bad = json!({"accountId": account_id, "currency": "pesos", "issuedOn": "2026-01-02", "dueOn": "2025-01-01", "totalMinor": -5});
    let refused = admin.send(Method::PUT, "/invoices/F-9002", Some(&bad), None).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.fields(), ["currency", "totalMinor", "dueOn"]);
    assert_eq!(admin.get("/invoices/F-9002").await.status, StatusCode::NOT_FOUND);
    let bad_number = admin.send(Method::PUT, "/invoices/F%209002", Some(&invoice), None).await;
    assert_eq!(bad_number.fields(), ["number"]);
    let ladder = json!({"steps": [{"key": "x", "offsetDays": 0, "template": "case_created", "channel": "sms"}]});
    let bad_ladder = admin.send(Method::PUT, "/dunning-ladder", Some(&ladder), None).await;
    assert_eq!(bad_ladder.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad_ladder.body);
    assert_eq!(bad_ladder.fields(), ["steps[0].channel"]);
    let ladder = json!({"steps": [{"key": "x", "offsetDays": 0, "template": "case_created"}]});
    let bad_template = admin.send(Method::PUT, "/dunning-ladder", Some(&ladder), None).await;
    assert_eq!(bad_template.fields(), ["steps[0].template"]);

    // A batch from the ERP: lines are answered one by one.
    let lines = json!({"invoices": [
        {"number": "F-9003", "invoice": {"accountId": account_id, "currency": "USD", "issuedOn": "2026-01-02", "totalMinor": 50_000}},
        {"number": "F 9004", "invoice": {"accountId": account_id, "currency": "USD", "issuedOn": "2026-01-02", "totalMinor": 1}},
        {"number": "F-9001", "invoice": invoice},
    ]});
    let batch = admin.post("/invoice-batches", lines).await;
    assert_eq!(batch.status, StatusCode::OK, "{}", batch.body);
    let outcomes: Vec<&str> =
        batch.body["results"].as_array().unwrap().iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["created", "invalid", "unchanged"]);
    let f3 = admin.get("/invoices/F-9003").await;
    assert_eq!(f3.body["dueOn"], "2026-02-01", "due date from the account's 30 days of credit");

    // The sweep (the runner's timer) sends the reminder to the account's billing address, once.
    // A day on, so the step's send hour (08:00 in San José) has passed whatever the time now.
    let moved = admin.post("/_local/clock", json!({"advanceMinutes": 24 * 60})).await;
    assert_eq!(moved.status, StatusCode::OK);
    let mut queued = Vec::new();
    for _ in 0..60 {
        let history = history_of(&admin, "F-9001").await;
        queued = history.into_iter().filter(|e| e["type"] == "notified").collect();
        if !queued.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(queued.len(), 1, "one reminder e-mail");
    assert_eq!(queued[0]["template"], "invoice_reminder");
    assert_eq!(queued[0]["to"][0], email.as_str());
    let outbox = server.data_dir.join("outbox");
    let sent: Vec<String> = std::fs::read_dir(&outbox)
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter(|text| text.contains(&email))
        .collect();
    assert!(!sent.is_empty(), "the reminder is in the runner's outbox folder");

    // Payments: applied once, replayed, over-payment refused.
    let pay = json!({"amountMinor": 100_000_000, "paidOn": due, "method": "transferencia"});
    let paid = admin.send(Method::PUT, "/invoices/F-9001/payments/TRX-1", Some(&pay), None).await;
    assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.body);
    assert_eq!(paid.body["status"], "partiallyPaid");
    let replay = admin.send(Method::PUT, "/invoices/F-9001/payments/TRX-1", Some(&pay), None).await;
    assert_eq!(replay.status, StatusCode::OK);
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    let over = json!({"amountMinor": 25_000_001, "paidOn": due});
    let refused = admin.send(Method::PUT, "/invoices/F-9001/payments/TRX-2", Some(&over), None).await;
    assert_eq!((refused.status, refused.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["amountMinor".to_owned()]));
    let other = json!({"amountMinor": 1, "paidOn": due});
    let conflict = admin.send(Method::PUT, "/invoices/F-9001/payments/TRX-1", Some(&other), None).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);

    // Aging: the account's and the report's, JSON and CSV.
    let aging = admin.get(&format!("/accounts/{account_id}/aging")).await;
    assert_eq!(aging.status, StatusCode::OK, "{}", aging.body);
    let crc = aging.body["totals"].as_array().unwrap().iter().find(|t| t["currency"] == "CRC").unwrap().clone();
    assert_eq!((crc["current"].as_i64(), crc["total"].as_i64()), (Some(25_000_000), Some(25_000_000)));
    assert_eq!(aging.body["availableCreditMinor"], 25_000_000);
    let report = admin.get("/reports/aging?groupBy=agent&agent=ana").await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert!(report.body["rows"].as_array().unwrap().iter().all(|r| r["group"] == "ana"));
    let csv = reqwest::Client::new()
        .get(format!("{}/reports/aging?format=csv", server.base))
        .bearer_auth(server.token("demo", "admin", "admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    assert!(text.starts_with("group,name,currency,current,1-30,31-60,61-90,>90,total,invoices"), "{text}");
    assert!(
        text.contains(&format!("{account_id},Ferretería El Clavo,CRC,250000.00,0.00,0.00,0.00,0.00,250000.00,1")),
        "{text}"
    );

    // Paid in full: out of the due index. Ten days later (the +5 step's day) nothing is sent.
    let rest = json!({"amountMinor": 25_000_000, "paidOn": due});
    let settled = admin.send(Method::PUT, "/invoices/F-9001/payments/TRX-3", Some(&rest), None).await;
    assert_eq!(settled.body["status"], "paid", "{}", settled.body);
    let moved = admin.post("/_local/clock", json!({"advanceMinutes": 10 * 24 * 60})).await;
    assert_eq!(moved.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let history = history_of(&admin, "F-9001").await;
    let reminders = history.iter().filter(|e| e["type"] == "reminderQueued").count();
    assert_eq!(reminders, 1, "{history:?}");
    let kinds: Vec<&str> = history.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "paymentRecorded").count(), 2, "{kinds:?}");
    let open = all_items(&admin, "/invoices?status=overdue").await;
    assert!(open.iter().all(|i| i["number"] != "F-9001"));
}
