//! Receivables [cartera]: invoices synchronised from the ERP, payments, credit notes, write-offs,
//! aging and the dunning ladder. One Lambda behind API Gateway's HTTP API, serving
//! the routes of `gestiona_api::routes::RECEIVABLES_API`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gestiona_lambda::serve_http(gestiona_api::routes::RECEIVABLES_API).await
}
