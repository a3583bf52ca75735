//! The invoice-due sweep: on a daily schedule, takes each dunning step that is due once —
//! the reminder e-mail, a collections case, a collection letter — reading only the due index
//! from its watermark's day to today's, so missed days catch up without stale reminders — and
//! announces `invoice.overdue` to the webhooks that want it, once per due date.

use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gestiona_lambda::serve_scheduled(gestiona_lambda::permissions::Lambda::InvoiceSweep, |services| async move {
        let report = services.sweep_invoices().await?;
        tracing::info!(
            days = report.days,
            queries = report.queries,
            read = report.items_read,
            sent = report.sent,
            skipped = report.skipped_steps,
            lost_races = report.lost_races,
            announced_overdue = report.announced_overdue,
            "swept"
        );
        Ok(json!({ "sent": report.sent, "read": report.items_read, "queries": report.queries }))
    })
    .await
}
