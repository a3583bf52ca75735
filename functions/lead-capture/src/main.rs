//! The public web-form endpoint `/f/{tenant}/{form}`: the only route without the JWT
//! authorizer, with the smallest IAM role in the system (see `infra/template.yaml`).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gestiona_lambda::serve_http(gestiona_api::routes::LEAD_CAPTURE).await
}
