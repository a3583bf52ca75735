//! Accounts, contacts, the staff directory and webhook subscriptions: one Lambda behind API
//! Gateway's HTTP API, serving the routes of `gestiona_api::routes::ACCOUNTS_API`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gestiona_lambda::serve_http_with_identity(gestiona_api::routes::ACCOUNTS_API).await
}
