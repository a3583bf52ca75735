//! The black-box harness: the real `gestiona-local` binary on a free loopback port with its own
//! data directory, and an HTTP caller that checks every error is problem+json and never a 500.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_gestiona-local");

pub struct Server {
    child: Child,
    pub base: String,
    pub data_dir: PathBuf,
}

impl Server {
    pub fn start() -> Self {
        let data_dir = std::env::temp_dir().join(format!("gestiona-http-{}-{}", std::process::id(), unique()));
        Self::start_in(data_dir)
    }

    pub fn start_in(data_dir: PathBuf) -> Self {
        Self::start_with(data_dir, &[])
    }

    /// A single-tenant runner (`serve --tenant`), whose clock that tenant's admins may move.
    pub fn start_for_tenant(tenant: &str) -> Self {
        Self::start_with_options(&["--tenant", tenant])
    }

    /// A runner started with `serve` options (`--max-connections 2`, …).
    pub fn start_with_options(options: &[&str]) -> Self {
        let data_dir = std::env::temp_dir().join(format!("gestiona-http-{}-{}", std::process::id(), unique()));
        Self::start_with(data_dir, options)
    }

    /// A runner on `data_dir` started with `serve` options.
    pub fn start_with(data_dir: PathBuf, options: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--port", "0"])
            .args(options)
            .arg("--data-dir")
            .arg(&data_dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start gestiona-local");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        // Log lines may come before the banner: read until the line with the address.
        let mut read = String::new();
        let base = loop {
            let mut line = String::new();
            let bytes = reader.read_line(&mut line).expect("read the banner");
            read.push_str(&line);
            if let Some(address) = line.split_whitespace().find(|w| w.starts_with("http://127.0.0.1:")) {
                break address.to_owned();
            }
            assert!(bytes > 0, "the runner exited without its banner: {read:?}");
        };
        // Keep draining the rest of the output so the server never writes into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        Self { child, base, data_dir }
    }

    pub fn token(&self, tenant: &str, user: &str, role: &str) -> String {
        let output = Command::new(BIN)
            .args(["token", "--tenant", tenant, "--user", user, "--role", role, "--data-dir"])
            .arg(&self.data_dir)
            .output()
            .expect("mint a token");
        assert!(output.status.success(), "token: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    /// Stops the server as Ctrl-C would and waits for it to exit.
    pub fn interrupt(mut self) -> PathBuf {
        let status = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success());
        let exit = self.child.wait().expect("wait");
        assert!(exit.success(), "a clean stop exits 0, got {exit:?}");
        std::mem::take(&mut self.data_dir)
    }

    /// Kills the server with SIGKILL, as a crash or a power cut would, and waits for it.
    pub fn kill(mut self) -> PathBuf {
        self.child.kill().expect("SIGKILL the server");
        self.child.wait().expect("wait");
        std::mem::take(&mut self.data_dir)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A name part no other test of this process gets: two tests starting in the same
/// nanosecond once shared a data folder (and the store's lock).
pub fn unique() -> u128 {
    static TAKEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = TAKEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() * 1000 + u128::from(n % 1000)
}

pub struct Caller<'a> {
    http: Client,
    server: &'a Server,
    token: Option<String>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn etag(&self) -> String {
        self.headers.get("etag").expect("an ETag").to_str().unwrap().to_owned()
    }
    pub fn problem_type(&self) -> &str {
        self.body["type"].as_str().unwrap_or_default()
    }
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"].as_array().into_iter().flatten().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
    }
}

impl<'a> Caller<'a> {
    pub fn new(server: &'a Server, token: Option<String>) -> Self {
        // Redirects are the API's answers (a form post's 303): the tests read them, not follow them.
        let http = Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("an HTTP client");
        Self { http, server, token }
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>, if_match: Option<&str>) -> Reply {
        let mut request = self.http.request(method, format!("{}{path}", self.server.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        self.reply(request).await
    }

    pub async fn raw(&self, method: Method, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.server.base))
            .header("content-type", content_type)
            .body(body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        self.reply(request).await
    }

    async fn reply(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        if status.is_client_error() || status.is_server_error() {
            let content_type = headers.get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
            assert_eq!(content_type, "application/problem+json", "errors are problem+json: {body}");
            assert!(body["type"].as_str().unwrap().starts_with("urn:gestiona:problem:"), "{body}");
            assert_eq!(body["status"], status.as_u16());
        }
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "never a 500: {body}");
        Reply { status, headers, body }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(&body), None).await
    }
    pub async fn patch(&self, path: &str, body: Value, if_match: &str) -> Reply {
        self.send(Method::PATCH, path, Some(&body), Some(if_match)).await
    }
}

pub async fn all_items(caller: &Caller<'_>, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let separator = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{separator}cursor={c}"),
            None => path.to_owned(),
        };
        let reply = caller.get(&url).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        items.extend(reply.body["items"].as_array().unwrap().iter().cloned());
        match reply.body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}
