//! Sales: pipelines, opportunities and their kanban. One Lambda behind API Gateway's HTTP API,
//! serving the routes of `gestiona_api::routes::SALES_API`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gestiona_lambda::serve_http(gestiona_api::routes::SALES_API).await
}
