//! Leads, forms, quarantined submissions, conversion and opportunities: one Lambda behind API
//! Gateway's HTTP API, serving the `gestiona_api::ROUTES` entries of `Function::LeadsApi`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gestiona_lambda::serve_http(gestiona_api::Function::LeadsApi).await
}
