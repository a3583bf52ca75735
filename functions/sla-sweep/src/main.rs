//! The SLA sweep: on an EventBridge schedule, applies every warning, breach and escalation that
//! is due, once each, reading only the due index from its watermark's hour to now's.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gestiona_api::init_tracing();
    let config = gestiona_lambda::HttpConfig::from_env()?;
    let services = gestiona_lambda::services(config.table, config.queues).await;
    let services = &services;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| async move {
        let report = services.sweep_sla().await?;
        tracing::info!(
            buckets = report.buckets,
            queries = report.queries,
            read = report.items_read,
            applied = report.applied,
            skipped = report.skipped,
            "swept"
        );
        Ok::<_, lambda_runtime::Error>(
            json!({ "applied": report.applied, "read": report.items_read, "queries": report.queries }),
        )
    }))
    .await
}
