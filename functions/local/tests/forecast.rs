//! Black-box tests of the forecast's history over HTTP against gestiona-local: the forecast as
//! of a past day, a period's movement, and their problems.

mod common;

use common::{Caller, Server};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_forecast_is_read_as_of_a_past_day_and_a_periods_movement_is_told() {
    let server = Server::start_for_tenant("demo");
    let sofia = Caller::new(&server, Some(server.token("demo", "sofia", "supervisor")));
    let account = sofia.get("/accounts").await.body["items"][0]["id"].as_str().unwrap().to_owned();
    // A quarter of its own, far from the demo's opportunities.
    let created = sofia
        .post(
            "/opportunities",
            json!({"name": "Flota 2031", "accountId": account, "amount": {"amountMinor": 900_000, "currency": "CRC"},
                   "stage": "proposal", "expectedCloseDate": "2031-02-14", "owner": "sofia"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let path = format!("/opportunities/{}", created.body["id"].as_str().unwrap());
    let pushed = sofia.patch(&path, json!({"expectedCloseDate": "2031-05-02"}), "\"1\"").await;
    assert_eq!(pushed.status, StatusCode::OK, "{}", pushed.body);

    let now = sofia.get("/forecast?period=quarter&date=2031-02-01").await;
    assert_eq!(now.body["lines"], json!([]), "pushed out of the quarter");
    let before = sofia.get("/forecast?period=quarter&date=2031-02-01&asOf=2020-01-01").await;
    assert_eq!((before.status, before.body["asOf"].as_str()), (StatusCode::OK, Some("2020-01-01")));
    assert_eq!(before.body["lines"], json!([]), "before it was written");

    let since = "2026-01-01";
    let moved = sofia.get(&format!("/forecast/movement?period=quarter&date=2031-02-01&from={since}")).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!((moved.body["periodFrom"].as_str(), moved.body["from"].as_str()), (Some("2031-01-01"), Some(since)));
    let kinds: Vec<(&str, i64)> = moved.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["kind"].as_str().unwrap(), l["amountMinor"].as_i64().unwrap()))
        .collect();
    assert_eq!(kinds, [("new", 900_000), ("pushedOut", 900_000)]);

    let backwards = sofia.get("/forecast/movement?from=2027-02-01&to=2027-01-01").await;
    assert_eq!((backwards.status, backwards.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["to".into()]));
    let not_a_day = sofia.get("/forecast?asOf=ayer").await;
    assert_eq!((not_a_day.status, not_a_day.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["asOf".into()]));
}
