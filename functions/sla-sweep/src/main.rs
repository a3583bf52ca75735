//! The SLA sweep: on an EventBridge schedule, applies every warning, breach and escalation that
//! is due, once each, reading only the due index from its watermark's hour to now's.

use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gestiona_lambda::serve_scheduled(gestiona_lambda::permissions::Lambda::SlaSweep, |services| async move {
        let report = services.sweep_sla().await?;
        tracing::info!(
            buckets = report.buckets,
            queries = report.queries,
            read = report.items_read,
            applied = report.applied,
            skipped = report.skipped,
            "swept"
        );
        Ok(json!({ "applied": report.applied, "read": report.items_read, "queries": report.queries }))
    })
    .await
}
