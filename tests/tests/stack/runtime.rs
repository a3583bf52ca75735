//! The function binaries under cargo-lambda's Lambda runtime emulator: each one started as
//! Lambda starts a `provided.al2023` bootstrap (the Runtime API in `AWS_LAMBDA_RUNTIME_API`,
//! the environment the deployed function has), then invoked with `cargo lambda invoke
//! --data-file` on the `events/` fixtures. They run against the table, queues and bucket the
//! template created in moto, with their call guards on: a call the code makes that the
//! permissions do not declare fails the invocation.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gestiona_api::Function;
use gestiona_console::cognito::{SIGN_IN_CLIENT_VARIABLE, SIGN_IN_ISSUER_VARIABLE, SIGN_IN_URL_VARIABLE};
use gestiona_domain::history::EventKind;
use gestiona_domain::ports::{SystemClock, UlidGenerator};
use gestiona_domain::service::Services;
use gestiona_domain::{Actor, Role, TenantId, UserId};
use gestiona_lambda::permissions::Lambda;
use gestiona_tests::fixtures::{PLACEHOLDER_ID, event, with_id};
use gestiona_tests::{moto, queue::RecordingQueue, scenes};
use serde_json::{Value, json};

use crate::deploy::{Stack, stack, venv};

fn urlencoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The binaries `cargo build --workspace --bins` wrote beside this test's own.
fn binary(lambda: Lambda) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let profile = exe.parent().and_then(Path::parent).expect("target/<profile>/deps");
    let path = profile.join(lambda.binary());
    assert!(
        path.is_file(),
        "{} is missing: the test command `tests/run` builds the function binaries (cargo build --workspace --bins)",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One function under its own emulator; both processes end when this is dropped.
struct Emulated {
    lambda: Lambda,
    port: u16,
    emulator: Child,
    function: Child,
    scratch: PathBuf,
}

impl Emulated {
    fn start(stack: &Stack, lambda: Lambda) -> Self {
        Self::start_with(stack, lambda, &[])
    }

    /// [`Emulated::start`] with some variables set to stand-ins: moto's CloudFormation
    /// creates no Cognito resource, so the values the template derives from the user pool
    /// are never deployed.
    fn start_with(stack: &Stack, lambda: Lambda, stand_ins: &[(&str, &str)]) -> Self {
        let port = free_port();
        let scratch = std::env::temp_dir().join(format!("gestiona-runtime-{}-{port}", lambda.binary()));
        std::fs::create_dir_all(&scratch).unwrap();
        let emulator = Command::new(format!("{}/bin/cargo-lambda", venv()))
            .args(["lambda", "watch", "--only-lambda-apis", "--invoke-address", "127.0.0.1"])
            .args(["--invoke-port", &port.to_string()])
            // An invocation the function never answers fails instead of hanging the test.
            .args(["--timeout", "60"])
            .current_dir(workspace())
            // The emulator stops when its standard input closes: hold it open.
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(scratch.join("emulator.log")).unwrap())
            .spawn()
            .expect("cargo-lambda runs (installed by tests/run)");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "cargo lambda watch did not listen on {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        let (_, deployed) = stack.function(lambda);
        let mut command = Command::new(binary(lambda));
        for (name, value) in deployed["environment"].as_object().expect("an environment") {
            command.env(name, value.as_str().expect("a string"));
        }
        for (name, value) in stand_ins {
            command.env(name, value);
        }
        let log = std::fs::File::create(scratch.join("function.log")).unwrap();
        let function = command
            .env("AWS_LAMBDA_RUNTIME_API", format!("http://127.0.0.1:{port}/.rt"))
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", deployed["memorySize"].to_string())
            .env("AWS_ENDPOINT_URL", moto::stack_endpoint())
            .env("AWS_REGION", "us-east-1")
            .env("RUST_LOG", "info")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("the function binary starts");
        Emulated { lambda, port, emulator, function, scratch }
    }

    /// `cargo lambda invoke --data-file` with `payload`; the function's JSON answer.
    fn invoke(&mut self, payload: &Value) -> Value {
        if let Ok(Some(status)) = self.function.try_wait() {
            let log = std::fs::read_to_string(self.scratch.join("function.log")).unwrap_or_default();
            panic!("{} exited ({status}) before its invocation; its log:\n{log}", self.lambda.binary());
        }
        let file = self.scratch.join(format!("event-{}.json", ulid::Ulid::generate()));
        std::fs::write(&file, payload.to_string()).unwrap();
        let output = Command::new(format!("{}/bin/cargo-lambda", venv()))
            .args(["lambda", "invoke", "--invoke-address", "127.0.0.1", "--invoke-port", &self.port.to_string()])
            .args(["--output-format", "json", "--data-file"])
            .arg(&file)
            .arg("_")
            .current_dir(workspace())
            .output()
            .expect("cargo lambda invoke runs");
        let log = std::fs::read_to_string(self.scratch.join("function.log")).unwrap_or_default();
        assert!(
            output.status.success(),
            "{} did not answer: {}\n{}\nits log:\n{log}",
            self.lambda.binary(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!log.contains("refused an undeclared AWS call"), "{}: {log}", self.lambda.binary());
        serde_json::from_slice(&output.stdout).expect("the answer is JSON")
    }

    /// An HTTP function's answer: status and JSON body.
    fn request(&mut self, event: &Value) -> (u64, Value) {
        let answer = self.invoke(event);
        let status = answer["statusCode"].as_u64().expect("an HTTP answer");
        let body =
            answer["body"].as_str().map(|b| serde_json::from_str(b).unwrap_or(Value::from(b))).unwrap_or(Value::Null);
        (status, body)
    }
}

impl Drop for Emulated {
    fn drop(&mut self) {
        let _ = self.function.kill();
        let _ = self.function.wait();
        let _ = self.emulator.kill();
        let _ = self.emulator.wait();
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// The use cases over the stack's table, to set the scene and read back.
fn services(stack: &Stack, queue: Arc<RecordingQueue>) -> Services {
    let store = gestiona_store_dynamo::DynamoStore::new(moto::dynamodb_at(&moto::stack_endpoint()), stack.table());
    Services::new(Arc::new(store), queue, Arc::new(SystemClock), Arc::new(UlidGenerator::default()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the template deployed into the AWS emulator: tests/run provides it"]
async fn the_deployed_binaries_answer_the_fixtures_under_the_lambda_runtime_emulator() {
    let stack = stack();
    let queue = Arc::new(RecordingQueue::default());
    let services = services(stack, queue.clone());
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.expect("seed the demo tenant in the stack's table");

    // The cases API: create, read, list; bad input is a problem, not a crash.
    let mut cases = Emulated::start(stack, Function::CasesApi.into());
    let (status, created) = cases.request(&event("apigw/create-case.json"));
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["subject"], "Sacos húmedos en la entrega 2026-41");
    let id = created["id"].as_str().expect("an id").to_owned();
    let (status, read) = cases.request(&with_id(event("apigw/get-case.json"), &id));
    assert_eq!((status, &read["id"]), (200, &Value::from(id.clone())));
    let (status, listed) = cases.request(&event("apigw/list-cases.json"));
    assert_eq!(status, 200, "{listed}");
    assert!(listed["items"].as_array().unwrap().iter().any(|c| c["id"] == id.as_str()), "{listed}");
    let mut invalid = event("apigw/create-case.json");
    invalid["body"] = Value::from(json!({"type": "queja_calidad"}).to_string());
    let (status, problem) = cases.request(&invalid);
    assert_eq!(status, 422, "{problem}");
    assert!(problem["errors"].as_array().unwrap().iter().any(|e| e["field"] == "subject"), "{problem}");
    let (status, _) = cases.request(&with_id(event("apigw/get-case.json"), &PLACEHOLDER_ID.to_lowercase()));
    assert!(status == 404 || status == 400, "an unknown case is not a crash");
    drop(cases);

    // The public form: a browser's urlencoded post, held for review (no signed token), then
    // seen by staff through the leads function.
    let mut capture = Emulated::start(stack, Function::LeadCapture.into());
    let answer = capture.invoke(&event("apigw/post-lead-form.json"));
    assert_eq!(answer["statusCode"], 303, "{answer}");
    assert_eq!(answer["headers"]["location"], "/f/demo/contacto?sent=1");
    drop(capture);
    let mut leads = Emulated::start(stack, Function::LeadsApi.into());
    let review = gestiona_tests::fixtures::lead_submissions();
    let (status, held) = leads.request(&review);
    assert_eq!(status, 200, "{held}");
    let items = held["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{held}");
    assert_eq!(items[0]["fields"]["name"], "Lucía Ramírez");
    assert_eq!(items[0]["reasons"], json!(["tokenMissing"]));
    drop(leads);

    // The console: a browser without a session is sent to the pool's managed login, PKCE and
    // all, and the assets come with a year's caching.
    let pool = [
        (SIGN_IN_URL_VARIABLE, "https://gestiona-dev-123456789012.auth.us-east-1.amazoncognito.com"),
        (SIGN_IN_ISSUER_VARIABLE, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example"),
        (SIGN_IN_CLIENT_VARIABLE, "console-client-id"),
    ];
    let mut console = Emulated::start_with(stack, Lambda::Console, &pool);
    let answer = console.invoke(&event("apigw/console-sign-in.json"));
    assert_eq!(answer["statusCode"], 303, "{answer}");
    let location = answer["headers"]["location"].as_str().unwrap_or_default();
    assert!(location.contains(".auth.us-east-1.amazoncognito.com/oauth2/authorize?"), "{location}");
    let callback = format!("redirect_uri={}", urlencoded(&format!("{}/app/auth/callback", crate::deploy::CONSOLE)));
    assert!(location.contains(&callback) && location.contains("code_challenge_method=S256"), "{location}");
    let mut cases = event("apigw/console-sign-in.json");
    cases["rawPath"] = json!("/app/cases");
    cases["requestContext"]["http"]["path"] = json!("/app/cases");
    cases["rawQueryString"] = json!("");
    cases["queryStringParameters"] = json!({});
    let answer = console.invoke(&cases);
    assert_eq!(answer["statusCode"], 303, "{answer}");
    assert_eq!(answer["headers"]["location"], "/app/sign-in?next=%2Fapp%2Fcases");
    let mut asset = event("apigw/console-sign-in.json");
    let htmx = gestiona_console::htmx_path();
    asset["rawPath"] = json!(htmx);
    asset["requestContext"]["http"]["path"] = json!(htmx);
    asset["rawQueryString"] = json!("");
    asset["queryStringParameters"] = json!({});
    let answer = console.invoke(&asset);
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert!(answer["headers"]["cache-control"].as_str().unwrap_or_default().contains("immutable"), "{answer}");
    drop(console);

    // The scheduled functions, on what EventBridge Scheduler sends them.
    for (lambda, key) in
        [(Lambda::SlaSweep, "applied"), (Lambda::InvoiceSweep, "sent"), (Lambda::OutboxRelay, "published")]
    {
        let mut scheduled = Emulated::start(stack, lambda);
        let answer = scheduled.invoke(&event(&format!("scheduler/{}.json", lambda.binary())));
        assert!(answer[key].is_u64(), "{}: {answer}", lambda.binary());
    }

    // The notifier, an SQS consumer: a customer alert delivered twice in one batch, and the
    // batch again, is one e-mail through SES.
    let actor = Actor::with_role(&tenant, &UserId::parse("sofia").unwrap(), Role::Supervisor);
    let alert = scenes::customer_alert(&services, &queue, &actor).await;
    let ses = moto::sesv2_at(&moto::stack_endpoint());
    for identity in ["demo.gestiona.example", "example.com"] {
        ses.create_email_identity().email_identity(identity).send().await.expect("verify a sender in moto");
    }
    let batch = scenes::redelivered_batch(&alert.message);

    let mut notifier = Emulated::start(stack, Lambda::Notifier);
    let answer = notifier.invoke(&batch);
    assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
    let again = notifier.invoke(&batch);
    assert_eq!(again["batchItemFailures"], json!([]), "{again}");
    drop(notifier);
    // SES accepted it (the notifier reports a refused send as a batch failure), and the case
    // records one sending, with SES's message id.
    let history = services.case_history(&actor, alert.case_id, &Default::default()).await.unwrap();
    let sent: Vec<(String, Vec<String>, String)> = history
        .items
        .into_iter()
        .filter_map(|event| match event.value.kind {
            EventKind::Notified { effect_id, to, message_id, .. } if effect_id == alert.message.effect_id => {
                Some((effect_id, to, message_id))
            }
            _ => None,
        })
        .collect();
    assert_eq!(sent.len(), 1, "one e-mail for an alert delivered four times: {sent:?}");
    assert_eq!(sent[0].1, vec![alert.customer.clone()]);
    assert!(!sent[0].2.is_empty(), "SES's message id");
}
