//! Local runner throughput: `gestiona-local serve` on a fresh data directory, loaded by `wrk`
//! (a second process) over loopback, one scenario after another.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

/// wrk's figures for one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadRun {
    pub scenario: &'static str,
    pub requests: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Non-2xx/3xx responses plus socket errors.
    pub errors: u64,
}

pub struct LoadFigures {
    pub runs: Vec<LoadRun>,
    pub connections: usize,
    pub seconds: u64,
    /// The runner's peak RSS after the load, KiB.
    pub server_rss_kib: u64,
    /// The same load on a runner whose store already holds [`LARGE_STORE_CASES`] cases.
    pub large: Option<LargeStore>,
}

/// Cases (each with its history) in the store of the large-store run.
pub const LARGE_STORE_CASES: usize = 100_000;

/// The runner's memory with a large store: it must stay bounded by its caches, not grow with
/// the file.
#[derive(Debug, Clone, PartialEq)]
pub struct LargeStore {
    pub cases: usize,
    pub items: usize,
    pub file_mib: f64,
    pub runs: Vec<LoadRun>,
    /// Peak RSS after the load, KiB.
    pub server_rss_kib: u64,
}

struct Server {
    child: Child,
    base: String,
    tokens: HashMap<String, String>,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only the runner this bench started, by its handle.
        self.child.kill().ok();
        self.child.wait().ok();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

fn fresh_dir() -> PathBuf {
    std::env::temp_dir().join(format!("gestiona-bench-load-{}", ulid::Ulid::generate()))
}

/// Starts the runner on `dir` (created if need be; removed when the server is dropped).
fn start_runner(dir: PathBuf) -> Result<Server, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let binary = me.with_file_name("gestiona-local");
    if !binary.exists() {
        return Err(format!("{} is not built", binary.display()));
    }
    let mut child = Command::new(&binary)
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(&dir)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut base = None;
    let mut tokens = HashMap::new();
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.map_err(|e| e.to_string())?;
        if let Some(rest) = line.strip_prefix("Gestiona is running on ") {
            base = rest.split_whitespace().next().map(str::to_owned);
        }
        if let Some((name, token)) = line.trim().strip_prefix("export TOKEN_").and_then(|r| r.split_once('=')) {
            let token = token.split_whitespace().next().unwrap_or_default();
            tokens.insert(name.to_lowercase(), token.to_owned());
        }
        if line.starts_with("Ctrl-C stops it") {
            break;
        }
    }
    // Keep reading what the runner prints, so its writes never meet a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let base = base.ok_or("the runner printed no address")?;
    Ok(Server { child, base, tokens, dir })
}

/// Runs wrk with `script` against `url`; its summary.
fn wrk(scenario: &'static str, url: &str, script: &Path, connections: usize, seconds: u64) -> Result<LoadRun, String> {
    let output = Command::new("wrk")
        .args(["-t1", "-c", &connections.to_string(), "-d", &format!("{seconds}s"), "--latency", "-s"])
        .arg(script)
        .arg(url)
        .output()
        .map_err(|e| format!("wrk: {e} (install it: apt-get install wrk)"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!("wrk failed: {text}{}", String::from_utf8_lossy(&output.stderr)));
    }
    parse_wrk(scenario, &text).ok_or_else(|| format!("cannot read wrk's output:\n{text}"))
}

fn duration_ms(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => value / 1e3,
        "ms" => value,
        "s" => value * 1e3,
        "m" => value * 60e3,
        _ => return None,
    })
}

pub fn parse_wrk(scenario: &'static str, text: &str) -> Option<LoadRun> {
    let mut run = LoadRun { scenario, requests: 0, per_second: 0.0, p50_ms: 0.0, p99_ms: 0.0, errors: 0 };
    let mut seen = (false, false, false);
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", value] => run.p50_ms = duration_ms(value)?,
            ["99%", value] => {
                run.p99_ms = duration_ms(value)?;
                seen.0 = true;
            }
            [requests, "requests", "in", ..] => {
                run.requests = requests.parse().ok()?;
                seen.1 = true;
            }
            ["Requests/sec:", value] => {
                run.per_second = value.parse().ok()?;
                seen.2 = true;
            }
            ["Non-2xx", "or", "3xx", "responses:", count] => run.errors += count.parse::<u64>().ok()?,
            ["Socket", "errors:", rest @ ..] => {
                run.errors += rest.iter().filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok()).sum::<u64>()
            }
            _ => {}
        }
    }
    (seen == (true, true, true)).then_some(run)
}

const LEAD_SCRIPT: &str = r#"
-- Every post a new prospect with its own idempotency key.
local counter = 0
function request()
  counter = counter + 1
  local n = RUN .. "-" .. counter
  local body = '{"nombre":"Cliente ' .. n .. '","email":"c' .. n .. '@bench.example","mensaje":"Quisiera una cotización"}'
  return wrk.format("POST", "/f/demo/bench",
    {["Content-Type"] = "application/json", ["Accept"] = "application/json", ["Idempotency-Key"] = "load-" .. n}, body)
end
"#;

fn script(dir: &Path, name: &str, lua: &str) -> Result<PathBuf, String> {
    let path = dir.join(format!("{name}.lua"));
    std::fs::write(&path, lua).map_err(|e| e.to_string())?;
    Ok(path)
}

fn static_script(method: &str, path: &str, token: &str, body: Option<&str>) -> String {
    let body = body.map_or("nil".to_owned(), |b| format!("{b:?}"));
    format!(
        "wrk.method = {method:?}\nwrk.path = {path:?}\nwrk.headers[\"Authorization\"] = \"Bearer {token}\"\n\
         wrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = {body}\n"
    )
}

pub async fn measure(connections: usize, seconds: u64, large: bool) -> Result<LoadFigures, String> {
    let (runs, server_rss_kib) = load_runner(start_runner(fresh_dir())?, connections, seconds).await?;
    let large = if large {
        let dir = fresh_dir();
        let (cases, items, file_bytes) = fill_store(&dir, LARGE_STORE_CASES).await?;
        let (runs, server_rss_kib) = load_runner(start_runner(dir)?, connections, seconds).await?;
        Some(LargeStore { cases, items, file_mib: file_bytes as f64 / 1048576.0, runs, server_rss_kib })
    } else {
        None
    };
    Ok(LoadFigures { runs, connections, seconds, server_rss_kib, large })
}

/// Writes `cases` cases into a new store in `dir`, each a copy of a real case with its history
/// (its SLA clocks are left out, so the runner's sweep has nothing due), in the demo tenant the
/// runner serves. Returns the cases, the items and the file's size.
async fn fill_store(dir: &Path, cases: usize) -> Result<(usize, usize, u64), String> {
    use gestiona_domain::ports::{Condition, Query, Store, SystemClock, UlidGenerator, WriteOp};
    use gestiona_domain::service::Services;
    use gestiona_domain::{Actor, Role, TenantId, UserId};
    use std::sync::Arc;

    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let path = dir.join("gestiona.redb");
    let store = Arc::new(gestiona_store_embedded::EmbeddedStore::open(&path).map_err(|e| e.to_string())?);
    let services = Services::new(
        store.clone(),
        Arc::new(gestiona_tests::queue::RecordingQueue::default()),
        Arc::new(SystemClock),
        Arc::new(UlidGenerator::default()),
    );
    let tenant = TenantId::parse("demo").map_err(|e| e.to_string())?;
    services.seed_demo(&tenant).await.map_err(|e| e.to_string())?;
    let admin = Actor::with_role(&tenant, &UserId::parse("admin").unwrap(), Role::Admin);
    let input = json!({"type": "queja_calidad", "subject": "Sacos húmedos en la entrega", "priority": "high",
        "description": "El cliente reporta humedad en 12 sacos del lote L-2026-41; adjunta fotos."});
    let model = services
        .create_case(&admin, serde_json::from_value(input).map_err(|e| e.to_string())?)
        .await
        .map_err(|e| e.to_string())?;
    let model_id = model.value.id.to_string();
    let partition = gestiona_domain::keys::case(&tenant, model.value.id).pk;
    let template = store.query(&Query::partition(&partition).limit(100)).await.map_err(|e| e.to_string())?.items;
    let template: Vec<_> = template
        .into_iter()
        .filter(|i| !i.key.sk.starts_with(gestiona_domain::keys::CASE_SLA_PREFIX) && !i.key.sk.starts_with("OUTBOX#"))
        .collect();
    let mut ops = Vec::new();
    let mut items = 0;
    for n in 0..cases {
        let id = ulid::Ulid::from_parts(1_700_000_000_000 + n as u64, n as u128).to_string();
        for item in &template {
            let json = serde_json::to_string(&gestiona_domain::ports::StoredItem::from_item(item))
                .map_err(|e| e.to_string())?
                .replace(&model_id, &id);
            let stored: gestiona_domain::ports::StoredItem = serde_json::from_str(&json).map_err(|e| e.to_string())?;
            let key = gestiona_domain::ports::Key::new(item.key.pk.replace(&model_id, &id), item.key.sk.clone());
            ops.push(WriteOp::Put { item: stored.into_item(key), condition: Condition::ALWAYS });
            items += 1;
            if ops.len() == 100 {
                store.write(std::mem::take(&mut ops)).await.map_err(|e| e.to_string())?;
            }
        }
    }
    if !ops.is_empty() {
        store.write(ops).await.map_err(|e| e.to_string())?;
    }
    store.sync().await.map_err(|e| e.to_string())?;
    drop(services);
    drop(store);
    let bytes = std::fs::metadata(&path).map_err(|e| e.to_string())?.len();
    Ok((cases, items, bytes))
}

/// Sets the bench form up on a started runner, runs every scenario under wrk and returns the
/// runs and the runner's peak RSS after them.
async fn load_runner(server: Server, connections: usize, seconds: u64) -> Result<(Vec<LoadRun>, u64), String> {
    let admin = server.tokens.get("admin").ok_or("the runner printed no admin token")?.clone();
    let client = reqwest::Client::new();
    let form = client
        .put(format!("{}/forms/bench", server.base))
        .bearer_auth(&admin)
        .json(&gestiona_tests::fixtures::bench_form())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !form.status().is_success() {
        return Err(format!("PUT /forms/bench: {}", form.status()));
    }
    let case = json!({"type": "queja_calidad", "subject": "Sacos húmedos", "priority": "high"}).to_string();
    let created = client
        .post(format!("{}/cases", server.base))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(case.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let location = created.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_owned);
    let location = location.ok_or_else(|| format!("POST /cases: {}", created.status()))?;

    let run = ulid::Ulid::generate().to_string();
    let scripts = &server.dir;
    let scenarios: Vec<(&'static str, PathBuf)> = vec![
        ("get case", script(scripts, "get", &static_script("GET", &location, &admin, None))?),
        ("list 50 cases", script(scripts, "list", &static_script("GET", "/cases?limit=50", &admin, None))?),
        ("create case", script(scripts, "create", &static_script("POST", "/cases", &admin, Some(&case)))?),
        ("capture lead (public form)", script(scripts, "lead", &format!("RUN = {run:?}\n{LEAD_SCRIPT}"))?),
    ];
    let mut runs = Vec::new();
    for (scenario, path) in scenarios {
        runs.push(wrk(scenario, &server.base, &path, connections, seconds)?);
        std::thread::sleep(Duration::from_millis(500));
    }
    let server_rss_kib = crate::alloc::peak_rss_kib(&server.child.id().to_string()).unwrap_or(0);
    Ok((runs, server_rss_kib))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_summaries() {
        let text = "Running 3s test @ http://127.0.0.1:1/\n  1 threads and 16 connections\n  Latency Distribution\n     50%  812.00us\n     75%    1.10ms\n     90%    1.50ms\n     99%    4.21ms\n  9000 requests in 3.00s, 1.00MB read\n  Socket errors: connect 0, read 2, write 0, timeout 1\n  Non-2xx or 3xx responses: 4\nRequests/sec:   2999.50\n";
        let run = parse_wrk("x", text).unwrap();
        assert_eq!((run.requests, run.per_second, run.p50_ms, run.p99_ms, run.errors), (9000, 2999.5, 0.812, 4.21, 7));
        assert!(parse_wrk("x", "Running 3s test").is_none());
    }
}
