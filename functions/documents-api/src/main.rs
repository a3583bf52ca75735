//! A case's documents (templates, rendering requests, uploads, downloads): one Lambda behind
//! API Gateway's HTTP API, serving the routes of `gestiona_api::routes::DOCUMENTS_API`. The only
//! HTTP function that links the S3 client, for its presigned URLs.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gestiona_lambda::serve_http_with_documents(gestiona_api::routes::DOCUMENTS_API).await
}
