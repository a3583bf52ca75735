//! The call guard as the functions wire it: clients built by `gestiona_lambda` for one function
//! refuse the AWS calls that function's permissions do not declare, naming both, before the
//! request leaves (moto would accept it: it enforces no IAM).

use std::collections::HashMap;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::{Credentials, SharedCredentialsProvider};
use gestiona_api::Function;
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::case_list::CaseFilter;
use gestiona_domain::{Actor, Role, TenantId, UserId};
use gestiona_lambda::permissions::Lambda;
use gestiona_tests::moto;

fn aws() -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(moto::endpoint())
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new("testing", "testing", None, None, "t")))
        .http_client(gestiona_lambda::http_client())
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the AWS emulator: tests/run provides it"]
async fn a_function_cannot_make_a_call_its_permissions_do_not_declare() {
    let table = format!("gestiona-guard-{}", ulid::Ulid::generate().to_string().to_lowercase());
    gestiona_store_dynamo::create_table(&moto::dynamodb(), &table).await.unwrap();
    let tenant = TenantId::parse("demo").unwrap();
    let actor = Actor::with_role(&tenant, &UserId::parse("sofia").unwrap(), Role::Supervisor);
    let on =
        |function: Function| gestiona_lambda::services(&aws(), Lambda::from(function), table.clone(), HashMap::new());

    // The cases API may write and read.
    let cases = on(Function::CasesApi);
    cases.seed_demo(&tenant).await.expect("cases-api writes its tenant's items");
    let page = PageRequest::new(Some(10), None).unwrap();
    let listed = cases.list_cases(&actor, &CaseFilter::default(), &page).await.expect("and reads them");
    assert!(!listed.items.is_empty());

    // The reports API reads, and cannot write.
    let reports = on(Function::ReportsApi);
    reports.list_cases(&actor, &CaseFilter::default(), &page).await.expect("reports-api reads");
    let input =
        serde_json::from_value(serde_json::json!({"type": "devolucion", "subject": "No debe escribirse"})).unwrap();
    let refused = format!("{:?}", reports.create_case(&actor, input).await.expect_err("reports-api cannot write"));
    assert!(refused.contains("reports-api") && refused.contains("dynamodb:PutItem"), "{refused}");

    // The public form function cannot list the table.
    let capture = on(Function::LeadCapture);
    let refused =
        format!("{:?}", capture.list_cases(&actor, &CaseFilter::default(), &page).await.expect_err("no listing"));
    assert!(refused.contains("lead-capture") && refused.contains("dynamodb:Query"), "{refused}");
    let still = cases.list_cases(&actor, &CaseFilter::default(), &page).await.unwrap();
    assert_eq!(still.items.len(), listed.items.len(), "nothing was written by the refused call");
}
