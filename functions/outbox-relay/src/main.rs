//! The outbox relay: on an EventBridge schedule, publishes every effect still in the outbox
//! (because a function could not reach its queue, or stopped between commit and publish) and
//! clears what the queue accepted. It reads only pending entries, never the table.

use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gestiona_lambda::serve_scheduled(gestiona_lambda::permissions::Lambda::OutboxRelay, |services| async move {
        let report = services.relay_outbox().await?;
        tracing::info!(published = report.published, failed = report.failed, "outbox relayed");
        if report.failed > 0 {
            // Failing the invocation makes the outage visible (metrics, alarms); entries stay.
            return Err(format!("{} effects could not be published", report.failed).into());
        }
        Ok(json!({ "published": report.published }))
    })
    .await
}
