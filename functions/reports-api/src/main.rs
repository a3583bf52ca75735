//! Reports over cases (JSON or CSV): one Lambda behind API Gateway's HTTP API. The routes it
//! serves are `gestiona_api::ROUTES` entries for `Function::ReportsApi`.

use std::sync::Arc;

use gestiona_api::Function;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gestiona_api::init_tracing();
    let config = gestiona_lambda::HttpConfig::from_env()?;
    let api = Arc::new(gestiona_lambda::http_api(config).await);
    lambda_http::run(lambda_http::service_fn(move |request| {
        let api = Arc::clone(&api);
        async move { Ok::<_, std::convert::Infallible>(api.handle(Function::ReportsApi, request).await) }
    }))
    .await
}
