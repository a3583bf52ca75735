//! A real browser on the real form page: headless Chromium (Debian's `chromium`, which the test
//! command installs) loads `/f/demo/contacto` from the runner, a person's typing is played into
//! its fields, the form is submitted, and the browser must follow the 303 to the thank-you page
//! while exactly one lead lands. Chromium is driven over its DevTools protocol (a WebSocket).

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Caller, Server, all_items};
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

const CHROMIUM: &str = "/usr/bin/chromium";
/// The flags every browser test gives Debian's Chromium in a container (shared with the
/// Playwright and Lighthouse tests).
const CHROMIUM_FLAGS: &str = include_str!("../../../tests/browser/chromium-flags.txt");

struct Browser {
    child: Child,
    profile: std::path::PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Starts headless Chromium on `url` and returns it with the DevTools address of that page.
fn launch(url: &str) -> (Browser, String) {
    assert!(
        std::path::Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: install Debian's chromium package (tests/run does this as root)"
    );
    let profile = std::env::temp_dir().join(format!("gestiona-chromium-{}", common::unique()));
    let mut child = Command::new(CHROMIUM)
        .args(["--headless", "--remote-debugging-port=0", "--remote-allow-origins=*"])
        .args(CHROMIUM_FLAGS.lines())
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let browser_ws = loop {
        let line = lines.next().expect("chromium printed its DevTools address").expect("read stderr");
        if let Some(address) = line.strip_prefix("DevTools listening on ") {
            break address.trim().to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    let port = browser_ws.split(':').nth(2).and_then(|p| p.split('/').next()).expect("a port").to_owned();
    (Browser { child, profile }, port)
}

/// The browser's open targets, from its DevTools HTTP endpoint (which keeps connections open:
/// the body is read by its Content-Length).
fn devtools_targets(port: &str) -> Value {
    use std::io::{Read, Write};
    let Ok(stream) = TcpStream::connect(format!("127.0.0.1:{port}")) else { return Value::Null };
    let request = format!("GET /json/list HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    if (&stream).write_all(request.as_bytes()).is_err() {
        return Value::Null;
    }
    let mut reader = BufReader::new(stream);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return Value::Null;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return Value::Null;
    }
    serde_json::from_slice(&body).unwrap_or(Value::Null)
}

/// The DevTools WebSocket of the page showing `url`.
fn page_socket(port: &str, url: &str) -> WebSocket<TcpStream> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let targets = devtools_targets(port);
        let found = targets
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["type"] == "page" && t["url"].as_str().is_some_and(|u| u.starts_with(url)));
        if let Some(ws) = found.and_then(|t| t["webSocketDebuggerUrl"].as_str()) {
            let stream = TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect to DevTools");
            let (socket, _) = tungstenite::client(ws, stream).expect("DevTools handshake");
            return socket;
        }
        assert!(Instant::now() < deadline, "chromium never showed {url}: {targets}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Evaluates JavaScript in the page and returns its value.
fn evaluate(socket: &mut WebSocket<TcpStream>, id: &mut u64, expression: &str) -> Value {
    *id += 1;
    let call =
        json!({"id": *id, "method": "Runtime.evaluate", "params": {"expression": expression, "returnByValue": true}});
    socket.send(Message::text(call.to_string())).expect("send to DevTools");
    loop {
        let message = socket.read().expect("read from DevTools");
        let Ok(text) = message.to_text() else { continue };
        let reply: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        if reply["id"] == json!(*id) {
            return reply["result"]["result"]["value"].clone();
        }
    }
}

fn wait_for(socket: &mut WebSocket<TcpStream>, id: &mut u64, expression: &str, what: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let value = evaluate(socket, id, expression);
        if !value.is_null() && value != json!(false) {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Debian's chromium: tests/run provides it"]
async fn a_browser_submits_the_demo_form_and_lands_one_lead() {
    let server = Server::start();
    let page = format!("{}/f/demo/contacto", server.base);
    let (browser, port) = launch(&page);
    let lead_count = tokio::task::spawn_blocking({
        let page = page.clone();
        move || {
            let mut socket = page_socket(&port, &page);
            let mut id = 0;
            wait_for(
                &mut socket,
                &mut id,
                "document.readyState === 'complete' && !!document.querySelector('form')",
                "the form",
            );
            // The form's minimum fill time counts from the page's signed timestamp, which is older
            // than this: waiting from here (not from the browser's launch, which a loaded machine
            // can make slow) always waits long enough.
            let shown = Instant::now();
            let token = evaluate(&mut socket, &mut id, "document.querySelector('input[name=_ts]').value");
            assert!(token.as_str().is_some_and(|t| t.contains('.')), "the page embeds a signed timestamp: {token}");
            // A person types; the honeypot stays empty because nobody sees it.
            evaluate(
                &mut socket,
                &mut id,
                r#"(() => {
                    const set = (name, value) => { document.querySelector(`[name=${name}]`).value = value; };
                    set('nombre', 'Ximena Ñáñez Gutiérrez');
                    set('email', 'ximena@ejemplo.cr');
                    set('telefono', '8312 4567');
                    set('empresa', 'Panadería La Espiga');
                    set('mensaje', 'Quisiera una cotización para 3 sucursales.');
                    return true;
                })()"#,
            );
            // The form's minimum fill time is 3 s; a person takes longer than that.
            std::thread::sleep(Duration::from_millis(3_500).saturating_sub(shown.elapsed()));
            evaluate(&mut socket, &mut id, "document.getElementById('send').click(); true");
            // Navigation replaces the page's context; a fresh socket on the new URL sees the result.
            drop(socket);
            let mut socket = page_socket(&port, &format!("{page}?sent=1"));
            let mut id = 0;
            wait_for(&mut socket, &mut id, "!!document.getElementById('thanks')", "the thank-you page");
            evaluate(&mut socket, &mut id, "location.href")
        }
    })
    .await
    .expect("the browser session");
    assert_eq!(lead_count, json!(format!("{page}?sent=1")), "the browser followed the 303");
    drop(browser);

    let admin = Caller::new(&server, Some(server.token("demo", "admin", "admin")));
    let leads = all_items(&admin, "/leads?formId=contacto").await;
    assert_eq!(leads.len(), 1, "{leads:?}");
    assert_eq!(leads[0]["name"], "Ximena Ñáñez Gutiérrez");
    assert_eq!(leads[0]["phone"], "+50683124567");
    assert_eq!(leads[0]["source"]["campaign"], "sitio-web", "the hidden campaign field");
    assert!(all_items(&admin, "/lead-submissions").await.is_empty(), "nothing quarantined");
}
