//! The staff console: one Lambda behind the HTTP API's `/`, `/app/…` and `/assets/…` routes,
//! which carry no JWT authorizer because the console keeps its own sessions and signs staff in
//! through Cognito's managed login (see `gestiona_console::cognito`).

use std::sync::Arc;

use gestiona_console::cognito::{Cognito, CognitoConfig};
use gestiona_console::{Console, SignIn};
use gestiona_lambda::HttpConfig;
use gestiona_lambda::permissions::Lambda;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gestiona_lambda::init_tracing();
    let config = HttpConfig::from_env()?;
    let sign_in = match CognitoConfig::from_lookup(|name| std::env::var(name).ok(), config.claims.clone()) {
        Some(cognito) => SignIn::Cognito(Arc::new(Cognito::new(cognito))),
        None => {
            tracing::warn!(
                "the console's sign-in is not configured: deploy with ConsoleCallbackUrl and ConsoleSignOutUrl"
            );
            SignIn::Unconfigured
        }
    };
    let aws = gestiona_lambda::aws();
    let services = gestiona_lambda::services(&aws, Lambda::Console, config.table, config.queues)
        .with_identity(gestiona_lambda::identity(&aws, Lambda::Console));
    let mut console = Console::new(services, sign_in, true);
    match gestiona_lambda::presigned_blobs(&aws) {
        Some(files) => {
            let origin = files.origin().to_owned();
            console = console.with_files(files, Some(origin));
        }
        None => tracing::warn!("no documents bucket configured: the console cannot hand out downloads or uploads"),
    }
    let console = Arc::new(console);
    lambda_http::run(lambda_http::service_fn(move |request| {
        let console = Arc::clone(&console);
        async move { Ok::<_, std::convert::Infallible>(console.handle(request).await) }
    }))
    .await
}
