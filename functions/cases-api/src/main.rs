//! Cases, history, comments, case types, SLA settings and the OpenAPI document: one Lambda
//! behind API Gateway's HTTP API, serving the routes of `gestiona_api::routes::CASES_API`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gestiona_lambda::serve_http(gestiona_api::routes::CASES_API).await
}
