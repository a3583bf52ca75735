//! Workflow transitions of cases: one Lambda behind API Gateway's HTTP API, serving
//! the routes of `gestiona_api::routes::TRANSITIONS_API`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gestiona_lambda::serve_http(gestiona_api::routes::TRANSITIONS_API).await
}
