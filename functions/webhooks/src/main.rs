//! The webhooks worker: consumes the webhooks queue, turns each announced event into one signed
//! delivery per subscription and posts it, records every attempt, and schedules the retries;
//! reports partial batch failures.

use aws_lambda_events::event::sqs::SqsEvent;
use gestiona_lambda::permissions::Lambda;
use gestiona_webhook_http::HttpTransport;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gestiona_api::init_tracing();
    let config = gestiona_lambda::HttpConfig::from_env()?;
    let services = gestiona_lambda::services(&gestiona_lambda::aws(), Lambda::Webhooks, config.table, config.queues);
    let transport = HttpTransport::new();
    let (services, transport) = (&services, &transport);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(gestiona_lambda::webhooks_batch(services, transport, event.payload).await)
    }))
    .await
}
