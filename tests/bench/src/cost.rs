//! The cost model: what a month of traffic costs on AWS, from the measured compute time and the
//! metered DynamoDB units and SQS messages of each operation, at list prices (us-east-1, arm64,
//! on-demand, without the free tier), against a typical PHP CRM on a small always-on server.
//!
//! Lambda bills duration, which on AWS is the measured compute plus the wait for DynamoDB:
//! each store call is counted as one sequential round trip of [`DYNAMODB_ROUND_TRIP_MS`].

use crate::sweeps::SweepRun;
use crate::warm::Operation;

pub const LAMBDA_PER_GB_SECOND: f64 = 0.000_013_333_4; // arm64
pub const LAMBDA_PER_REQUEST: f64 = 0.20 / 1e6;
pub const HTTP_API_PER_REQUEST: f64 = 1.00 / 1e6;
pub const DYNAMODB_PER_WRU: f64 = 0.625 / 1e6;
pub const DYNAMODB_PER_RRU: f64 = 0.125 / 1e6;
pub const DYNAMODB_PER_GB_MONTH: f64 = 0.25;
pub const SQS_PER_REQUEST: f64 = 0.40 / 1e6;
pub const SES_PER_EMAIL: f64 = 0.10 / 1e3;
pub const S3_PER_PUT: f64 = 0.005 / 1e3;
pub const S3_PER_GB_MONTH: f64 = 0.023;
pub const LOGS_PER_GB: f64 = 0.50;
/// One request's log lines: the handler's JSON line and Lambda's START/END/REPORT.
pub const LOG_BYTES_PER_INVOCATION: f64 = 600.0;
/// A DynamoDB call from Lambda in the same region (single-digit milliseconds).
pub const DYNAMODB_ROUND_TRIP_MS: f64 = 4.0;
/// The HTTP functions' memory (infra/template.yaml), GB.
pub const HTTP_MEMORY_GB: f64 = 0.25;
pub const DOCUMENTS_MEMORY_GB: f64 = 1.0;
/// The comparison: a 2 vCPU / 4 GiB instance (t4g.medium, $0.0336/h) with a 40 GB disk, the
/// smallest server a PHP CRM with MySQL runs comfortably on, paid whether used or not.
pub const SERVER_PER_MONTH: f64 = 0.0336 * 730.0 + 40.0 * 0.08;
const MINUTES_PER_MONTH: f64 = 43_200.0;

/// The cost of one invocation that computes for `compute_ms` and makes `calls` store calls.
fn lambda(compute_ms: f64, calls: f64, memory_gb: f64) -> f64 {
    let billed_ms = (compute_ms + calls * DYNAMODB_ROUND_TRIP_MS).ceil();
    LAMBDA_PER_REQUEST
        + billed_ms / 1e3 * memory_gb * LAMBDA_PER_GB_SECOND
        + LOG_BYTES_PER_INVOCATION / 1e9 * LOGS_PER_GB
}

/// One API request of `operation`: API Gateway, Lambda, DynamoDB, and its effects' SQS calls
/// (send, receive, delete per message).
fn api_request(operation: &Operation) -> f64 {
    let store = operation.store.unwrap_or_default();
    HTTP_API_PER_REQUEST
        + lambda(operation.latency.p50_ms, store.calls, HTTP_MEMORY_GB)
        + store.write_units * DYNAMODB_PER_WRU
        + store.read_units * DYNAMODB_PER_RRU
        + operation.messages * 3.0 * SQS_PER_REQUEST
}

/// One e-mail: the notifier's invocation (render, two marker reads and one write), SES.
fn email(render_ms: f64) -> f64 {
    lambda(render_ms, 3.0, HTTP_MEMORY_GB) + 2.0 * DYNAMODB_PER_WRU + DYNAMODB_PER_RRU + SES_PER_EMAIL
}

/// One PDF: the documents function (render, three store calls, one S3 PUT), stored a year.
fn document(render_ms: f64) -> f64 {
    lambda(render_ms + 20.0, 3.0, DOCUMENTS_MEMORY_GB)
        + 3.0 * DYNAMODB_PER_WRU
        + S3_PER_PUT
        + 40e3 / 1e9 * S3_PER_GB_MONTH * 12.0
}

pub struct Line {
    pub what: String,
    pub dollars: f64,
    pub basis: String,
}

pub struct CostModel {
    pub per_million_requests: Vec<Line>,
    pub per_hundred_thousand_cases: Vec<Line>,
    pub idle_per_month: f64,
}

/// The share of each operation in "an API request": a staff-heavy day.
pub const REQUEST_MIX: &[(&str, f64)] =
    &[("get case", 0.40), ("list 50 cases", 0.20), ("create case", 0.15), ("transition", 0.15), ("capture lead", 0.10)];

/// A case's life: created, viewed, moved through three states, listed with others.
pub const CASE_LIFE: &[(&str, f64)] =
    &[("create case", 1.0), ("get case", 8.0), ("transition", 3.0), ("list 50 cases", 1.0)];

pub fn model(operations: &[Operation], sweeps: &[SweepRun]) -> CostModel {
    let find = |name: &str| operations.iter().find(|o| o.name == name);
    let render_ms = |name: &str| find(name).map_or(0.0, |o| o.latency.p50_ms);
    let mut per_million_requests = Vec::new();
    let mut total = 0.0;
    for (name, share) in REQUEST_MIX {
        let Some(operation) = find(name) else { continue };
        let dollars = api_request(operation) * share * 1e6;
        total += dollars;
        let store = operation.store.unwrap_or_default();
        per_million_requests.push(Line {
            what: format!("{name} ({:.0} %)", share * 100.0),
            dollars,
            basis: format!(
                "{:.2} ms compute + {:.1} DynamoDB calls, {:.1} WRU, {:.1} RRU, {:.1} SQS messages",
                operation.latency.p50_ms, store.calls, store.write_units, store.read_units, operation.messages
            ),
        });
    }
    per_million_requests.push(Line { what: "**1 million API requests**".into(), dollars: total, basis: String::new() });

    let mut per_hundred_thousand_cases = Vec::new();
    let cases = 100_000.0;
    let mut total = 0.0;
    let mut emails = 0.0;
    for (name, count) in CASE_LIFE {
        let Some(operation) = find(name) else { continue };
        let dollars = api_request(operation) * count * cases;
        emails += operation.messages * count;
        total += dollars;
        per_hundred_thousand_cases.push(Line {
            what: format!("{name} × {count}"),
            dollars,
            basis: "API Gateway, Lambda, DynamoDB, SQS as above".into(),
        });
    }
    let email_dollars = email(render_ms("render e-mail")) * emails * cases;
    per_hundred_thousand_cases.push(Line {
        what: format!("e-mails ({emails:.1} per case, from the effects measured)"),
        dollars: email_dollars,
        basis: "notifier Lambda, 3 DynamoDB calls, SES".into(),
    });
    let document_dollars = document(render_ms("render one-page PDF")) * cases;
    per_hundred_thousand_cases.push(Line {
        what: "one PDF per case".into(),
        dollars: document_dollars,
        basis: "documents Lambda at 1 GB, S3 PUT, 40 KB kept a year".into(),
    });
    let storage = cases * 8e3 / 1e9 * DYNAMODB_PER_GB_MONTH;
    per_hundred_thousand_cases.push(Line {
        what: "DynamoDB storage (8 KB per case with its history, a month)".into(),
        dollars: storage,
        basis: String::new(),
    });
    total += email_dollars + document_dollars + storage;

    let idle_per_month = idle(sweeps);
    per_hundred_thousand_cases.push(Line {
        what: "schedules, idle or not (SLA sweep and outbox relay every minute, daily invoice sweep)".into(),
        dollars: idle_per_month,
        basis: String::new(),
    });
    total += idle_per_month;
    per_hundred_thousand_cases.push(Line {
        what: "**100 000 cases a month**".into(),
        dollars: total,
        basis: String::new(),
    });
    CostModel { per_million_requests, per_hundred_thousand_cases, idle_per_month }
}

/// The month's bill with no traffic: the every-minute SLA sweep (its reads as measured with
/// nothing due) and outbox relay, the queues' long polling (two queues, about 650 000
/// receives each a month), and CloudWatch alarms (free tier aside, $0.10 each, 16).
fn idle(sweeps: &[SweepRun]) -> f64 {
    let sla_calls = sweeps.iter().filter(|s| s.sweep == "SLA").map(|s| s.queries as f64).fold(0.0, f64::max);
    let sweep = lambda(2.0, sla_calls, HTTP_MEMORY_GB) + sla_calls * 0.5 * DYNAMODB_PER_RRU;
    // The relay: one index query per (queue, shard), 2 × 4.
    let relay = lambda(1.0, 8.0, HTTP_MEMORY_GB) + 8.0 * 0.5 * DYNAMODB_PER_RRU;
    (sweep + relay) * MINUTES_PER_MONTH + 2.0 * 650_000.0 * SQS_PER_REQUEST + 16.0 * 0.10
}
