//! Cold init: each function binary started as Lambda starts it (its environment, a Runtime API
//! address), timed from `spawn` to its first `GET …/invocation/next` on a stub Runtime API.
//! The reference is `gestiona-bench runtime-probe`, a process that polls at once: the difference
//! is the function's own initialisation (configuration, AWS clients, templates).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::stats::{Summary, summarize};
use gestiona_lambda::permissions::Lambda;

const NEXT_INVOCATION: &str = "GET /2018-06-01/runtime/invocation/next";

/// One binary's figures.
#[derive(Debug, Clone)]
pub struct ColdStart {
    pub binary: String,
    /// An HTTP function (the cold-init budget applies to these).
    pub http: bool,
    pub bytes: u64,
    pub init: Summary,
    /// Peak resident set at the first poll, KiB (median over the starts).
    pub rss_kib: u64,
}

pub struct Subject {
    pub name: String,
    pub http: bool,
    pub path: PathBuf,
    pub args: Vec<String>,
}

/// The function binaries beside this executable (the same profile), and the reference probe.
pub fn subjects() -> Result<(Vec<Subject>, Subject), String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = me.parent().ok_or("no directory")?;
    let mut functions = Vec::new();
    for lambda in Lambda::ALL {
        let path = dir.join(lambda.binary());
        if !path.exists() {
            return Err(format!(
                "{} is not built: run `cargo build --workspace --bins` in this profile first",
                path.display()
            ));
        }
        // The console answers HTTP like the API's functions, with the same cold-start budget.
        let http = matches!(lambda, Lambda::Http(_) | Lambda::Console);
        functions.push(Subject { name: lambda.binary().into(), http, path, args: vec![] });
    }
    let probe = Subject { name: "runtime-probe".into(), http: false, path: me, args: vec!["runtime-probe".into()] };
    Ok((functions, probe))
}

/// The environment Lambda gives a `provided.al2023` function, plus the variables of the
/// template. Nothing is reachable: a start that tried to call AWS would show as a slow start.
fn lambda_environment(command: &mut Command, name: &str, runtime_api: &str) {
    command.env_clear().env("PATH", "/usr/bin:/bin").env("TZ", ":UTC").env("LANG", "en_US.UTF-8");
    for (key, value) in [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api),
        ("AWS_LAMBDA_FUNCTION_NAME", name),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/22/[$LATEST]bench"),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "ASIABENCHBENCHBENCH"),
        ("AWS_SECRET_ACCESS_KEY", "bench-secret"),
        ("AWS_SESSION_TOKEN", "bench-session"),
        ("AWS_CONFIG_FILE", "/nonexistent"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
        ("GESTIONA_TABLE", "gestiona-bench"),
        ("GESTIONA_NOTIFICATIONS_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/notifications"),
        ("GESTIONA_DOCUMENTS_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/documents"),
        ("GESTIONA_DOCUMENTS_BUCKET", "gestiona-bench-documents"),
        ("GESTIONA_SENDER", "Gestiona <no-reply@bench.example>"),
        // The console with its sign-in configured, as a deployment that finished setting up.
        ("GESTIONA_SIGN_IN_URL", "https://gestiona-bench.auth.us-east-1.amazoncognito.com"),
        ("GESTIONA_SIGN_IN_ISSUER", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Bench"),
        ("GESTIONA_SIGN_IN_CLIENT_ID", "bench-console"),
        ("GESTIONA_CONSOLE_CALLBACK_URL", "https://crm.bench.example/app/auth/callback"),
        ("GESTIONA_CONSOLE_SIGN_OUT_URL", "https://crm.bench.example/app/sign-in"),
    ] {
        command.env(key, value);
    }
}

/// Starts `subject` once; the time until it polls, and its peak RSS then.
fn start_once(subject: &Subject, listener: &TcpListener) -> Result<(Duration, u64), String> {
    let address = listener.local_addr().map_err(|e| e.to_string())?.to_string();
    let mut command = Command::new(&subject.path);
    command.args(&subject.args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    lambda_environment(&mut command, &subject.name, &address);
    let started = Instant::now();
    let mut child = command.spawn().map_err(|e| format!("{}: {e}", subject.path.display()))?;
    let outcome = wait_for_poll(&mut child, listener, started);
    let rss = peak_rss(&child);
    // Only the child this bench started, by its handle.
    child.kill().ok();
    let status = child.wait().ok();
    match outcome {
        Ok(elapsed) => Ok((elapsed, rss)),
        Err(reason) => {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                pipe.read_to_string(&mut stderr).ok();
            }
            Err(format!("{}: {reason} (exit {status:?}): {}", subject.name, stderr.trim()))
        }
    }
}

fn peak_rss(child: &Child) -> u64 {
    crate::alloc::peak_rss_kib(&child.id().to_string()).unwrap_or(0)
}

fn wait_for_poll(child: &mut Child, listener: &TcpListener, started: Instant) -> Result<Duration, String> {
    let deadline = started + Duration::from_secs(20);
    let mut stream: TcpStream = loop {
        match listener.accept() {
            Ok((stream, _)) => break stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!("exited before polling: {status}"));
                }
                if Instant::now() > deadline {
                    return Err("no poll within 20 s".into());
                }
                std::thread::sleep(Duration::from_micros(50));
            }
            Err(e) => return Err(e.to_string()),
        }
    };
    stream.set_nonblocking(false).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let mut request = Vec::new();
    let mut buffer = [0u8; 1024];
    while !request.windows(2).any(|w| w == b"\r\n") {
        let read = stream.read(&mut buffer).map_err(|e| e.to_string())?;
        if read == 0 {
            return Err("closed the connection before a request line".into());
        }
        request.extend_from_slice(&buffer[..read]);
    }
    let elapsed = started.elapsed();
    let line = String::from_utf8_lossy(&request);
    if !line.starts_with(NEXT_INVOCATION) {
        return Err(format!("first request was not a poll: {}", line.lines().next().unwrap_or_default()));
    }
    Ok(elapsed)
}

/// `starts` timed starts of every subject, interleaved so that noise spreads evenly, after one
/// untimed start each (the page cache holds the binaries, as on a warm Lambda host).
pub fn measure(subjects: &[Subject], starts: usize) -> Result<Vec<ColdStart>, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    for subject in subjects {
        start_once(subject, &listener)?;
    }
    let mut times = vec![Vec::with_capacity(starts); subjects.len()];
    let mut rss = vec![Vec::with_capacity(starts); subjects.len()];
    for _ in 0..starts {
        for (n, subject) in subjects.iter().enumerate() {
            let (elapsed, peak) = start_once(subject, &listener)?;
            times[n].push(elapsed);
            rss[n].push(peak);
        }
    }
    Ok(subjects
        .iter()
        .zip(times.into_iter().zip(rss))
        .map(|(subject, (times, mut rss))| {
            rss.sort();
            ColdStart {
                binary: subject.name.clone(),
                http: subject.http,
                bytes: size(&subject.path),
                init: summarize(times),
                rss_kib: rss[rss.len() / 2],
            }
        })
        .collect())
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// The reference process: polls the Runtime API at once and waits to be stopped.
pub fn runtime_probe() -> Result<(), String> {
    let address = std::env::var("AWS_LAMBDA_RUNTIME_API").map_err(|_| "AWS_LAMBDA_RUNTIME_API is not set")?;
    let mut stream = TcpStream::connect(&address).map_err(|e| e.to_string())?;
    write!(stream, "{NEXT_INVOCATION} HTTP/1.1\r\nhost: {address}\r\n\r\n").map_err(|e| e.to_string())?;
    let mut sink = [0u8; 64];
    // Blocks until the bench closes the connection or ends the process.
    let _ = stream.read(&mut sink);
    Ok(())
}
