//! Black-box tests of goals over HTTP against gestiona-local: a month's goals written by an
//! administrator at the version read, refused by field and by role, and their attainment.

mod common;

use common::{Caller, Server};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn an_administrator_sets_a_months_goals_and_sales_read_their_attainment() {
    let server = Server::start_for_tenant("demo");
    let admin = Caller::new(&server, Some(server.token("demo", "admin", "admin")));
    let sofia = Caller::new(&server, Some(server.token("demo", "sofia", "supervisor")));
    let ana = Caller::new(&server, Some(server.token("demo", "ana", "agent")));

    // A month of its own, far from the demo's opportunities.
    let account = admin.get("/accounts").await.body["items"][0]["id"].as_str().unwrap().to_owned();
    for (owner, amount, currency, line) in
        [("ana", 400_000, "CRC", "Equipos"), ("ana", 1_200, "USD", "Equipos"), ("ana", 90_000, "CRC", "Servicio")]
    {
        let opportunity = json!({"name": format!("Meta {line} {currency}"), "accountId": account,
            "amount": {"amountMinor": amount, "currency": currency}, "stage": "won",
            "expectedCloseDate": "2031-03-14", "productLine": line, "owner": owner});
        let created = admin.post("/opportunities", opportunity).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    }

    let empty = sofia.get("/goals/2031-03").await;
    assert_eq!((empty.status, empty.etag().as_str()), (StatusCode::OK, "\"0\""));
    assert_eq!(empty.body["goals"], json!([]));
    assert_eq!(sofia.get("/goals/2031-13").await.status, StatusCode::NOT_FOUND, "no thirteenth month");

    let goals = json!({"localCurrency": "CRC", "secondCurrency": "USD", "goals": [
        {"owner": "ana", "productLine": "Equipos", "success": {"kind": "stage", "pipeline": "sales", "stage": "won"},
         "localTargetMinor": 800_000, "secondTargetMinor": 1_000, "customersTarget": 2, "prospectsTarget": 5}
    ]});
    let refused = sofia.send(Method::PUT, "/goals/2031-03", Some(&goals), Some("\"0\"")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "goals are configuration");
    let saved = admin.send(Method::PUT, "/goals/2031-03", Some(&goals), Some("\"0\"")).await;
    assert_eq!((saved.status, saved.etag().as_str()), (StatusCode::OK, "\"1\""), "{}", saved.body);
    let late = admin.send(Method::PUT, "/goals/2031-03", Some(&goals), Some("\"0\"")).await;
    assert_eq!(late.status, StatusCode::PRECONDITION_FAILED);

    let wrong = json!({"localCurrency": "CRC", "secondCurrency": "CRC", "goals": [
        {"owner": "nadie", "success": {"kind": "stage", "pipeline": "sales", "stage": "won"}},
        {"owner": "ana", "success": {"kind": "caseState", "caseType": "queja_calidad", "state": "registrada"}}
    ]});
    let invalid = admin.send(Method::PUT, "/goals/2031-03", Some(&wrong), Some("\"1\"")).await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.fields(), ["secondCurrency", "goals[1].success.state", "goals[0].owner"], "{}", invalid.body);

    let attainment = ana.get("/goals/2031-03/attainment").await;
    assert_eq!(attainment.status, StatusCode::OK, "{}", attainment.body);
    let row = &attainment.body["rows"][0];
    assert_eq!(row["achieved"]["successes"], 2, "{row}");
    assert_eq!((row["achieved"]["localMinor"].as_i64(), row["localPercent"].as_u64()), (Some(400_000), Some(50)));
    assert_eq!((row["achieved"]["secondMinor"].as_i64(), row["secondPercent"].as_u64()), (Some(1_200), Some(120)));
    let carlos = Caller::new(&server, Some(server.token("demo", "carlos", "agent")));
    let theirs = carlos.get("/goals/2031-03/attainment").await;
    assert_eq!(theirs.body["rows"], json!([]), "an agent sees only their own goals");
}
