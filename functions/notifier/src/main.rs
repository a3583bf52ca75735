//! The notifier: consumes the notifications queue, renders each e-mail in its recipient's
//! language and sends it through SES v2, exactly once per recipient, reporting partial batch
//! failures.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gestiona_api::init_tracing();
    let notifier = gestiona_lambda::notifier().await?;
    let notifier = &notifier;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(gestiona_lambda::notifier_batch(notifier, event.payload).await)
    }))
    .await
}
