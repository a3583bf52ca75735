//! Warm handler latency and memory, in process on the embedded store: each operation through
//! the same `Api::handle` a Lambda function calls, on API Gateway v2 events built from the
//! `events/` fixtures; and the e-mail and PDF renders the workers do. One request at a time,
//! after a warm-up, so the allocation counts belong to the request.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gestiona_api::{Api, ClaimNames, Function};
use gestiona_documents::Renderer;
use gestiona_domain::TenantId;
use gestiona_domain::document::{DocumentTemplate, Locale};
use gestiona_domain::ports::{Store, SystemClock, UlidGenerator};
use gestiona_domain::service::Services;
use gestiona_store_embedded::EmbeddedStore;
use gestiona_tests::fixtures::{bench_form, event, lead_post, staff, with_header};
use gestiona_tests::handlers::{Reply, call};
use gestiona_tests::queue::RecordingQueue;
use serde_json::{Value, json};

use crate::metered::{Metered, MeteredStore};
use crate::stats::{Summary, summarize};

/// One operation's figures.
#[derive(Debug, Clone)]
pub struct Operation {
    pub name: &'static str,
    /// Part of the warm-request budget (p50 ≤ 1 ms, p99 ≤ 5 ms).
    pub budgeted: bool,
    pub latency: Summary,
    pub allocations: f64,
    pub allocated_bytes: f64,
    /// Process peak RSS after this operation's runs, KiB.
    pub peak_rss_kib: u64,
    /// DynamoDB calls and request units per operation (API operations only).
    pub store: Option<Metered>,
    /// Messages the operation published to SQS (effects).
    pub messages: f64,
    /// p50 of the calibration workload timed between this operation's runs, ms.
    pub calibration_ms: f64,
}

/// What the warm phase measured.
pub struct Warm {
    pub operations: Vec<Operation>,
    /// The console's case list (50 rows) as sent, before compression.
    pub console_list_bytes: usize,
}

/// The console pages timed, with their budget (p50 ≤ 3 ms, p99 ≤ 10 ms).
pub const CONSOLE_PAGES: [&str; 2] = ["console: case list, 50 rows", "console: case page"];

struct Bench {
    console: gestiona_console::Console,
    api: Api,
    metered_api: Api,
    metered: Arc<MeteredStore>,
    queue: Arc<RecordingQueue>,
}

impl Bench {
    async fn open(dir: &std::path::Path) -> Result<Self, String> {
        let store: Arc<dyn Store> =
            Arc::new(EmbeddedStore::open(dir.join("bench.redb")).map_err(|e| format!("open the store: {e}"))?);
        let queue = Arc::new(RecordingQueue::default());
        let services = |store: Arc<dyn Store>| {
            Services::new(store, queue.clone(), Arc::new(SystemClock), Arc::new(UlidGenerator::default()))
        };
        let metered = Arc::new(MeteredStore::new(store.clone()));
        let plain = services(store);
        plain.seed_demo(&TenantId::parse("demo").unwrap()).await.map_err(|e| format!("seed: {e}"))?;
        let console = gestiona_console::Console::new(plain.clone(), gestiona_console::SignIn::LocalDemo, false);
        let api = Api::new(plain, ClaimNames::default());
        let metered_api = Api::new(services(metered.clone()), ClaimNames::default());
        let bench = Self { console, api, metered_api, metered, queue };
        let put = staff("PUT", "/forms/{id}", "/forms/bench", &[], Some(bench_form()));
        let form = bench.call(Function::LeadsApi, &put).await;
        if !form.status.is_success() {
            return Err(format!("PUT /forms/bench: {} {}", form.status, form.body));
        }
        Ok(bench)
    }

    async fn call(&self, function: Function, event: &Value) -> Reply {
        call(&self.api, function, event).await
    }

    async fn create_case(&self, api: &Api, n: usize) -> Result<(String, String), String> {
        let mut e = event("apigw/create-case.json");
        e["body"] = json!(
            json!({"type": "queja_calidad", "subject": format!("Bench {n}"), "priority": "high", "channel": "email"})
                .to_string()
        );
        let reply = call(api, Function::CasesApi, &e).await;
        if reply.status != http::StatusCode::CREATED {
            return Err(format!("create case: {} {}", reply.status, reply.body));
        }
        let id = reply.body["id"].as_str().ok_or("no id")?.to_owned();
        let etag = reply.headers.get("etag").and_then(|v| v.to_str().ok()).unwrap_or_default();
        Ok((id, etag.to_owned()))
    }

    /// The first action → result the workflow offers from a new case's state that succeeds.
    async fn transition_for(&self) -> Result<(String, String), String> {
        let (id, _) = self.create_case(&self.api, usize::MAX).await?;
        let offered = self
            .call(
                Function::TransitionsApi,
                &staff("GET", "/cases/{id}/transitions", &format!("/cases/{id}/transitions"), &[], None),
            )
            .await;
        for action in offered.body["actions"].as_array().into_iter().flatten() {
            for result in action["results"].as_array().into_iter().flatten() {
                let pair = (
                    action["key"].as_str().unwrap_or_default().to_owned(),
                    result["key"].as_str().unwrap_or_default().to_owned(),
                );
                let (probe, etag) = self.create_case(&self.api, usize::MAX - 1).await?;
                if self.transition(&self.api, &probe, &etag, &pair).await.is_ok() {
                    return Ok(pair);
                }
            }
        }
        Err(format!("no transition succeeds from a new case: {}", offered.body))
    }

    async fn transition(
        &self,
        api: &Api,
        id: &str,
        etag: &str,
        (action, result): &(String, String),
    ) -> Result<(), String> {
        let body = json!({"action": action, "result": result, "note": "Bench"});
        let e = with_header(
            staff("POST", "/cases/{id}/transitions", &format!("/cases/{id}/transitions"), &[], Some(body)),
            "if-match",
            etag,
        );
        let reply = call(api, Function::TransitionsApi, &e).await;
        if !reply.status.is_success() {
            return Err(format!("transition: {} {}", reply.status, reply.body));
        }
        Ok(())
    }
}

/// A timed block: the operation's latency, its allocations per run, and the calibration
/// workload's p50 timed between its runs (the same load on the machine as the operation saw).
struct Timed {
    latency: Summary,
    allocations: f64,
    allocated_bytes: f64,
    calibration_ms: f64,
}

/// Times `runs` calls of `op(n)` after `warmup` untimed ones, each followed by one timed
/// calibration run; counts the allocations of the operation's runs only.
async fn time<F, Fut>(runs: usize, warmup: usize, mut op: F) -> Result<Timed, String>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    for n in 0..warmup {
        op(n).await?;
    }
    let body = event("apigw/create-case.json").to_string();
    let mut samples = Vec::with_capacity(runs);
    let mut calibrations = Vec::with_capacity(runs);
    let (mut allocations, mut bytes) = (0, 0);
    for n in warmup..warmup + runs {
        let (allocations_before, bytes_before) = crate::alloc::snapshot();
        let started = Instant::now();
        op(n).await?;
        samples.push(started.elapsed());
        let (allocations_after, bytes_after) = crate::alloc::snapshot();
        allocations += allocations_after - allocations_before;
        bytes += bytes_after - bytes_before;
        calibrations.push(calibration_run(&body));
    }
    Ok(Timed {
        latency: summarize(samples),
        allocations: allocations as f64 / runs as f64,
        allocated_bytes: bytes as f64 / runs as f64,
        calibration_ms: summarize(calibrations).p50_ms,
    })
}

/// The calibration workload: a request body parsed, re-serialised and hashed, 20 times.
fn calibration_run(body: &str) -> Duration {
    use sha2::Digest;
    let started = Instant::now();
    for _ in 0..20 {
        let value: Value = serde_json::from_str(body).unwrap();
        let again = serde_json::to_vec(&value).unwrap();
        std::hint::black_box(sha2::Sha256::digest(&again));
    }
    started.elapsed()
}

pub async fn measure(runs: usize) -> Result<Warm, String> {
    let dir = std::env::temp_dir().join(format!("gestiona-bench-warm-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let result = measure_in(&dir, runs).await;
    std::fs::remove_dir_all(&dir).ok();
    result
}

async fn measure_in(dir: &std::path::Path, runs: usize) -> Result<Warm, String> {
    let warmup = (runs / 10).max(5);
    let bench = &Bench::open(dir).await?;
    let transition = bench.transition_for().await?;
    let mut operations = Vec::new();
    let mut record = |name, budgeted, timed: Timed| {
        operations.push(Operation {
            name,
            budgeted,
            latency: timed.latency,
            allocations: timed.allocations,
            allocated_bytes: timed.allocated_bytes,
            peak_rss_kib: crate::alloc::peak_rss_kib("self").unwrap_or(0),
            store: None,
            messages: 0.0,
            calibration_ms: timed.calibration_ms,
        });
    };

    let created = std::sync::Mutex::new(Vec::new());
    record(
        "create case",
        true,
        time(runs, warmup, |n| {
            let created = &created;
            async move {
                let case = bench.create_case(&bench.api, n).await?;
                created.lock().unwrap().push(case);
                Ok(())
            }
        })
        .await?,
    );
    let cases = created.into_inner().unwrap();
    let get = |id: &str| staff("GET", "/cases/{id}", &format!("/cases/{id}"), &[], None);
    record(
        "get case",
        false,
        time(runs, warmup, |n| {
            let e = get(&cases[n % cases.len()].0);
            async move { expect(bench.call(Function::CasesApi, &e).await, 200, "get case") }
        })
        .await?,
    );
    let list = staff("GET", "/cases", "/cases", &[("limit", "50")], None);
    record(
        "list 50 cases",
        false,
        time(runs, warmup, |_| async {
            let reply = bench.call(Function::CasesApi, &list).await;
            let items = reply.body["items"].as_array().map_or(0, Vec::len);
            if items != 50 {
                return Err(format!("list 50 cases: {} items, status {}", items, reply.status));
            }
            Ok(())
        })
        .await?,
    );
    // The console's pages, rendered in process for a supervisor (who sees every case).
    let cookie = console_session(bench).await?;
    let list_bytes = std::sync::atomic::AtomicUsize::new(0);
    record(
        CONSOLE_PAGES[0],
        false,
        time(runs, warmup, |_| {
            let request = console_get("/app/cases", &cookie);
            let list_bytes = &list_bytes;
            async move {
                let page = console_page(bench, request).await?;
                if page.matches("href=\"/app/cases/").count() < 50 {
                    return Err("the console's case list has fewer than 50 rows".into());
                }
                list_bytes.store(page.len(), std::sync::atomic::Ordering::Relaxed);
                Ok(())
            }
        })
        .await?,
    );
    record(
        CONSOLE_PAGES[1],
        false,
        time(runs, warmup, |n| {
            let request = console_get(&format!("/app/cases/{}", cases[n % cases.len()].0), &cookie);
            async move { console_page(bench, request).await.map(drop) }
        })
        .await?,
    );
    record(
        "transition",
        true,
        time(runs, warmup, |n| {
            let (id, etag) = cases[n % cases.len()].clone();
            let transition = transition.clone();
            async move { bench.transition(&bench.api, &id, &etag, &transition).await }
        })
        .await?,
    );
    record(
        "capture lead",
        true,
        time(runs, warmup, |n| {
            let e = lead_post(n);
            async move { expect(bench.call(Function::LeadCapture, &e).await, 201, "capture lead") }
        })
        .await?,
    );
    let templates = gestiona_notify::Templates::shared();
    let data = gestiona_notify::data::fixture("case_assigned");
    record(
        "render e-mail",
        false,
        time(runs, warmup, |n| {
            let result = render_email(templates, &data, n);
            async move { result }
        })
        .await?,
    );
    let at: jiff::Timestamp = "2026-11-22T15:00:00Z".parse().unwrap();
    record(
        "render one-page PDF",
        false,
        time(runs.min(100), 5, |n| {
            let quote =
                gestiona_documents::fixtures::data(DocumentTemplate::Quote, Locale::Es, &format!("Cliente {n} S.A."));
            let result = Renderer::shared().render(&quote, at).map(drop).map_err(|e| e.to_string());
            async move { result }
        })
        .await?,
    );

    meter(bench, &cases, &transition, &mut operations).await?;
    Ok(Warm { operations, console_list_bytes: list_bytes.into_inner() })
}

/// Signs in to the console as the demo supervisor; the session's cookie.
async fn console_session(bench: &Bench) -> Result<String, String> {
    let mut request = lambda_http::Request::new(lambda_http::Body::Text("user=sofia".into()));
    *request.method_mut() = http::Method::POST;
    *request.uri_mut() = "/app/sign-in".parse().unwrap();
    request.headers_mut().insert(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded".parse().unwrap());
    let response = bench.console.handle(request).await;
    let cookie = response.headers().get(http::header::SET_COOKIE).and_then(|v| v.to_str().ok());
    cookie.and_then(|c| c.split(';').next()).map(str::to_owned).ok_or_else(|| "the console's sign-in".into())
}

fn console_get(path: &str, cookie: &str) -> lambda_http::Request {
    let mut request = lambda_http::Request::new(lambda_http::Body::Empty);
    *request.uri_mut() = path.parse().unwrap();
    request.headers_mut().insert(http::header::COOKIE, cookie.parse().unwrap());
    request
}

async fn console_page(bench: &Bench, request: lambda_http::Request) -> Result<String, String> {
    let path = request.uri().path().to_owned();
    let response = bench.console.handle(request).await;
    match (response.status(), response.into_body()) {
        (http::StatusCode::OK, lambda_http::Body::Text(html)) => Ok(html),
        (status, _) => Err(format!("console {path}: {status}")),
    }
}

fn expect(reply: Reply, status: u16, what: &str) -> Result<(), String> {
    if reply.status.as_u16() == status { Ok(()) } else { Err(format!("{what}: {} {}", reply.status, reply.body)) }
}

fn render_email(templates: &gestiona_notify::Templates, data: &Value, n: usize) -> Result<(), String> {
    let rendered = templates.render("case_assigned", "es", data).map_err(|e| e.to_string())?;
    let envelope = gestiona_notify::mime::Envelope {
        from: "Gestiona <no-reply@bench.example>",
        to_name: "Ana Quesada",
        to_address: "ana@demo.example",
        message_id: format!("<bench-{n}@bench.example>"),
        unsubscribe_url: None,
    };
    gestiona_notify::mime::build(&envelope, &rendered, None).map(drop).map_err(|e| e.to_string())
}

/// The DynamoDB calls and units of each API operation, and its SQS messages, averaged over
/// a few runs through the metered store (apart from the timed runs: metering allocates).
async fn meter(
    bench: &Bench,
    cases: &[(String, String)],
    transition: &(String, String),
    operations: &mut [Operation],
) -> Result<(), String> {
    const RUNS: usize = 20;
    let api = &bench.metered_api;
    for operation in operations.iter_mut() {
        bench.metered.take();
        let published = bench.queue.published().len();
        for (n, (case, _)) in cases.iter().enumerate().take(RUNS) {
            let offset = 500_000 + n;
            match operation.name {
                "create case" => drop(bench.create_case(api, offset).await?),
                "get case" => expect(
                    call(api, Function::CasesApi, &staff("GET", "/cases/{id}", &format!("/cases/{case}"), &[], None))
                        .await,
                    200,
                    "get case",
                )?,
                "list 50 cases" => expect(
                    call(api, Function::CasesApi, &staff("GET", "/cases", "/cases", &[("limit", "50")], None)).await,
                    200,
                    "list",
                )?,
                "transition" => {
                    let (id, etag) = bench.create_case(&bench.api, offset).await?;
                    bench.metered.take();
                    let before = bench.queue.published().len();
                    bench.transition(api, &id, &etag, transition).await?;
                    let metered = bench.metered.take();
                    accumulate(operation, metered, (bench.queue.published().len() - before) as f64, RUNS);
                    continue;
                }
                "capture lead" => {
                    expect(call(api, Function::LeadCapture, &lead_post(offset)).await, 201, "capture lead")?
                }
                _ => break,
            }
            let metered = bench.metered.take();
            accumulate(operation, metered, 0.0, RUNS);
        }
        if operation.name != "transition" && operation.store.is_some() {
            operation.messages = (bench.queue.published().len() - published) as f64 / RUNS as f64;
        }
    }
    Ok(())
}

fn accumulate(operation: &mut Operation, metered: Metered, messages: f64, runs: usize) {
    let share = 1.0 / runs as f64;
    let total = operation.store.get_or_insert_with(Metered::default);
    total.calls += metered.calls * share;
    total.writes += metered.writes * share;
    total.read_units += metered.read_units * share;
    total.write_units += metered.write_units * share;
    operation.messages += messages * share;
}
