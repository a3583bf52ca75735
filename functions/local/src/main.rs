//! `gestiona-local`: the whole of Gestiona on one machine, with no cloud and no set-up.
//!
//! `serve` runs every HTTP route of every function on 127.0.0.1 over the embedded store (data
//! in a local folder), seeding a demo tenant on first start. `token` mints a development JWT
//! that `serve` accepts.

mod blobs;
mod connections;
mod mail;
mod queue;
mod server;
mod token;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use gestiona_api::{Api, ClaimNames};
use gestiona_documents::{DocumentError, DocumentWorker, Renderer};
use gestiona_domain::ports::{QueueName, UlidGenerator};
use gestiona_domain::service::Services;
use gestiona_domain::service::seed::DEMO_USERS;
use gestiona_domain::service::tenants::CreateTenantError;
use gestiona_domain::service::webhook_deliveries::WebhookWorkError;
use gestiona_domain::tenant::{NewTenant, TenantSettings};
use gestiona_domain::webhook::EndpointPolicy;
use gestiona_domain::{Role, TenantId, UserId};
use gestiona_store_embedded::EmbeddedStore;
use gestiona_webhook_http::HttpTransport;

const DEMO_TENANT: &str = "demo";
/// Sender of tenants without their own identity, in the local outbox.
const LOCAL_SENDER: &str = "Gestiona <no-reply@gestiona.local>";

#[derive(Parser)]
#[command(name = "gestiona-local", version, about = "Run Gestiona locally on the embedded store")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the whole API on 127.0.0.1.
    Serve {
        /// 0 picks a free port (printed on the first line).
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// Where the data, the signing secret, PDFs and e-mails live.
        #[arg(long, default_value = ".gestiona")]
        data_dir: PathBuf,
        /// Do not create the demo tenant on first start.
        #[arg(long)]
        no_demo: bool,
        /// Serve only this tenant: tokens of others are refused, and its admins may move the
        /// runner's clock (`POST /_local/clock`), which every tenant shares. Without it the
        /// runner serves every tenant and its clock stays put.
        #[arg(long)]
        tenant: Option<String>,
        /// Connections served at once; more wait until one closes.
        #[arg(long, default_value_t = 512)]
        max_connections: usize,
        /// Seconds for a request's head to arrive (and for an idle connection to send one).
        #[arg(long, default_value_t = 10)]
        header_timeout: u64,
        /// Seconds for a request's body to arrive (408 after).
        #[arg(long, default_value_t = 30)]
        body_timeout: u64,
        /// Seconds a webhook endpoint has to answer a delivery: at most 10, as on Lambda (an
        /// attempt's claim on its delivery lasts that long).
        #[arg(long, default_value_t = 10)]
        webhook_timeout: u64,
    },
    /// Open a new company with the brochures' case types, calendar, SLA policies and web form,
    /// and its first administrator (stop `serve` on the same data first: the store is one file).
    NewTenant {
        /// Lowercase letters, digits and '-': it names the company in tokens and form addresses.
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// The first administrator's user id (their sign-in's `sub`).
        #[arg(long)]
        admin: String,
        #[arg(long)]
        admin_name: String,
        #[arg(long)]
        admin_email: String,
        #[arg(long, default_value = "es")]
        locale: String,
        #[arg(long, default_value = "USD")]
        currency: String,
        #[arg(long, default_value = "America/Costa_Rica")]
        time_zone: String,
        #[arg(long, default_value = ".gestiona")]
        data_dir: PathBuf,
    },
    /// List the e-mails the local runner has written to its outbox.
    Outbox {
        #[arg(long, default_value = ".gestiona")]
        data_dir: PathBuf,
    },
    /// Print a development token (JWT) for a user of a tenant.
    Token {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        user: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        #[arg(long, default_value_t = 12)]
        ttl_hours: u64,
        #[arg(long, default_value = ".gestiona")]
        data_dir: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Agent,
    Supervisor,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Agent => Role::Agent,
            RoleArg::Supervisor => Role::Supervisor,
            RoleArg::Admin => Role::Admin,
        }
    }
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    match Cli::parse().command {
        Command::Token { tenant, user, role, ttl_hours, data_dir } => {
            let tenant = TenantId::parse(&tenant).map_err(|e| format!("--tenant: {e}"))?;
            let user = UserId::parse(&user).map_err(|e| format!("--user: {e}"))?;
            let tokens = token::DevTokens::load(&data_dir, ClaimNames::default())?;
            println!("{}", tokens.mint(&tenant, &user, role.into(), ttl_hours)?);
            Ok(())
        }
        Command::Serve {
            port,
            data_dir,
            no_demo,
            tenant,
            max_connections,
            header_timeout,
            body_timeout,
            webhook_timeout,
        } => {
            let tenant = tenant.map(|t| TenantId::parse(&t).map_err(|e| format!("--tenant: {e}"))).transpose()?;
            let accept = connections::Limits {
                max_connections: max_connections.max(1),
                header_timeout: Duration::from_secs(header_timeout.max(1)),
            };
            let timeouts = Timeouts {
                body: Duration::from_secs(body_timeout.max(1)),
                webhook: Duration::from_secs(webhook_timeout.clamp(1, 10)),
            };
            serve(port, data_dir, no_demo, tenant, accept, timeouts).await
        }
        Command::NewTenant { id, name, admin, admin_name, admin_email, locale, currency, time_zone, data_dir } => {
            let new = NewTenant {
                id: TenantId::parse(&id).map_err(|e| format!("--id: {e}"))?,
                settings: TenantSettings { name, locale, currency, time_zone, ..Default::default() },
                admin: UserId::parse(&admin).map_err(|e| format!("--admin: {e}"))?,
                admin_name,
                admin_email,
            };
            std::fs::create_dir_all(&data_dir)?;
            let store = EmbeddedStore::open(data_dir.join("gestiona.redb")).map_err(|e| {
                format!("{e} (is `gestiona-local serve` running on {}? stop it first)", data_dir.display())
            })?;
            let clock = Arc::new(server::OffsetClock::default());
            let queue = Arc::new(queue::FolderQueue::new(&data_dir, clock.clone()));
            let services = Services::new(Arc::new(store), queue, clock, Arc::new(UlidGenerator::default()));
            match services.create_tenant_from_template(&new).await {
                Ok(tenant) => {
                    services.sync().await?;
                    println!("Opened {} ({}); its administrator is {}.", tenant.name, tenant.id, new.admin);
                    println!("Sign in: gestiona-local token --tenant {} --user {} --role admin", tenant.id, new.admin);
                    Ok(())
                }
                Err(CreateTenantError::Invalid(errors)) => Err(errors.summary().into()),
                Err(error) => Err(error.to_string().into()),
            }
        }
        Command::Outbox { data_dir } => {
            let lines = mail::list(&data_dir)?;
            if lines.is_empty() {
                println!("No e-mails in {}/outbox yet.", data_dir.display());
            }
            for line in lines {
                println!("{line}");
            }
            Ok(())
        }
    }
}

/// How long the runner waits for a request's body, and for a webhook endpoint's answer.
struct Timeouts {
    body: Duration,
    webhook: Duration,
}

async fn serve(
    port: u16,
    data_dir: PathBuf,
    no_demo: bool,
    tenant: Option<TenantId>,
    accept: connections::Limits,
    timeouts: Timeouts,
) -> Result<(), Failure> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_target(false)
        .init();
    std::fs::create_dir_all(&data_dir)?;
    for folder in ["outbox", "queues"] {
        let removed = queue::remove_leftover_temporaries(&data_dir.join(folder))?;
        if removed > 0 {
            tracing::info!(removed, folder, "removed the temporary files a stopped runner left");
        }
    }
    let store = EmbeddedStore::open(data_dir.join("gestiona.redb"))?;
    let clock = Arc::new(server::OffsetClock::default());
    let queue = Arc::new(queue::FolderQueue::new(&data_dir, clock.clone()));
    // Receivers on the developer's machine (`http://127.0.0.1:…`) may subscribe to webhooks.
    let services = Services::new(Arc::new(store), queue, clock.clone(), Arc::new(UlidGenerator::default()))
        .with_endpoint_policy(EndpointPolicy { allow_loopback_http: true });
    let demo = TenantId::parse(DEMO_TENANT)?;
    // A runner for another tenant alone has no use for the demo one.
    let no_demo = no_demo || tenant.as_ref().is_some_and(|t| *t != demo);
    let seeded = !no_demo && services.seed_demo(&demo).await?;
    if seeded {
        services.seed_demo_receivables(&demo).await?;
        services.seed_demo_sales(&demo).await?;
        services.seed_demo_catalogue(&demo).await?;
    }
    // Cases a runner before the list's orders stored (a data directory kept across versions).
    services.index_case_orders(&demo).await?;
    services.index_converted_leads(&demo).await?;
    services.index_opportunities(&demo).await?;
    services.index_search_words(&demo).await?;
    services.sync().await?;
    let tokens = token::DevTokens::load(&data_dir, ClaimNames::default())?;
    let banner_tokens: Vec<(String, Role, String)> = DEMO_USERS
        .iter()
        .filter(|_| !no_demo)
        .map(|(user, role)| Ok((user.to_string(), *role, tokens.mint(&demo, &UserId::parse(user)?, *role, 12)?)))
        .collect::<Result<_, Failure>>()?;
    let mailer = Arc::new(mail::OutboxMailer::new(&data_dir));
    let notifier = gestiona_notify::Notifier::new(
        services.clone(),
        mailer,
        gestiona_notify::Templates::shared(),
        LOCAL_SENDER.into(),
    );
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let listener =
        tokio::net::TcpListener::bind(address).await.map_err(|e| format!("cannot listen on {address}: {e}"))?;
    let address = listener.local_addr()?;
    let blobs = Arc::new(blobs::FolderBlobs::new(&data_dir, format!("http://{address}")));
    let worker = DocumentWorker::new(services.clone(), blobs.clone(), Renderer::shared());
    // The banner first: the workers' logs follow it.
    print_banner(address, &data_dir, tenant.as_ref(), seeded, &banner_tokens);
    let relay = tokio::spawn(relay_outbox(services.clone()));
    let sweeps = tokio::spawn(run_sweeps(services.clone()));
    let notifications = tokio::spawn(mail::drain(services.clone(), Arc::new(notifier), data_dir.clone()));
    let documents = tokio::spawn(render_documents(services.clone(), Arc::new(worker), data_dir.clone()));
    let webhooks = tokio::spawn(deliver_webhooks(services.clone(), data_dir.clone(), timeouts.webhook));
    let services_for_shutdown = services.clone();
    let api = Api::new(services, ClaimNames::default()).with_blobs(blobs.clone());
    let runner = Arc::new(server::Runner::new(api, tokens, tenant, clock, blobs).with_body_timeout(timeouts.body));
    connections::serve(listener, runner.router(), accept, shutdown_signal()).await?;
    relay.abort();
    sweeps.abort();
    notifications.abort();
    documents.abort();
    webhooks.abort();
    // Every acknowledged write was synced before its answer; this syncs the workers' last ones.
    synced(&services_for_shutdown).await;
    tracing::info!("stopped");
    Ok(())
}

/// Plays the documents function's SQS trigger: renders queued documents into `{data}/documents/`.
async fn render_documents(services: Services, worker: Arc<DocumentWorker>, data_dir: PathBuf) {
    queue::consume(services, data_dir, QueueName::Documents, move |message| {
        let worker = Arc::clone(&worker);
        async move {
            match worker.deliver(&message).await {
                Ok(outcome) => Ok(format!("{outcome:?}")),
                Err(DocumentError::Malformed(reason)) => Err(queue::Consumed::Dead(reason)),
                Err(other) => Err(queue::Consumed::Retry(other.to_string())),
            }
        }
    })
    .await
}

/// Plays the webhooks function's SQS trigger: posts signed deliveries to subscribed endpoints.
async fn deliver_webhooks(services: Services, data_dir: PathBuf, timeout: Duration) {
    let transport = Arc::new(HttpTransport::with_timeout(timeout));
    let worker = services.clone();
    queue::consume(services, data_dir, QueueName::Webhooks, move |message| {
        let (services, transport) = (worker.clone(), Arc::clone(&transport));
        async move {
            match services.handle_webhook_message(&message, transport.as_ref()).await {
                Ok(handled) => Ok(format!("{handled:?}")),
                Err(WebhookWorkError::Malformed(reason)) => Err(queue::Consumed::Dead(reason)),
                Err(other) => Err(queue::Consumed::Retry(other.to_string())),
            }
        }
    })
    .await
}

/// Plays the scheduled outbox relay: every couple of seconds, publishes effects a request could
/// not publish itself.
async fn relay_outbox(services: Services) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
    loop {
        tick.tick().await;
        match services.relay_outbox().await {
            Ok(report) if report.published > 0 => {
                tracing::info!(published = report.published, "outbox relayed");
                synced(&services).await;
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "outbox relay failed; retrying"),
        }
    }
}

/// Plays the sweeps' schedules: the SLA sweep and the invoice-due sweep every two seconds (of
/// the runner's clock, which an admin can advance with `POST /_local/clock`). Both read only
/// what is due, so running them this often costs little.
async fn run_sweeps(services: Services) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
    loop {
        tick.tick().await;
        // A run that found nothing due leaves at most its watermark unsynced: a crash then makes
        // the next run read the same empty stretch again.
        match services.sweep_sla().await {
            Ok(report) if report.applied > 0 => {
                tracing::info!(applied = report.applied, "SLA sweep");
                synced(&services).await;
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "SLA sweep failed; retrying"),
        }
        match services.sweep_invoices().await {
            Ok(report) if report.sent + report.skipped_steps > 0 => {
                tracing::info!(sent = report.sent, skipped = report.skipped_steps, "invoice sweep");
                synced(&services).await;
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "invoice sweep failed; retrying"),
        }
    }
}

/// Makes a scheduled job's writes durable, as the edge does for a request.
async fn synced(services: &Services) {
    if let Err(error) = services.sync().await {
        tracing::warn!(%error, "store not synced; the next run syncs again");
    }
}

fn print_banner(
    address: SocketAddr,
    data_dir: &std::path::Path,
    tenant: Option<&TenantId>,
    seeded: bool,
    tokens: &[(String, Role, String)],
) {
    use std::fmt::Write as _;
    let base = format!("http://{address}");
    let mut text = String::new();
    let _ = writeln!(text, "Gestiona is running on {base}  (data in {})", data_dir.display());
    let _ = writeln!(text, "OpenAPI document: {base}/openapi.json");
    let _ = writeln!(text, "Staff console: {base}/ (pick a demo user to sign in)");
    match tenant {
        Some(tenant) => {
            let _ = writeln!(
                text,
                "Serving tenant '{}' only; its admins move the clock with POST {base}/_local/clock",
                tenant.as_str()
            );
        }
        None => {
            let _ = writeln!(text, "Serving every tenant; the clock stays put (serve --tenant <tenant> to move it)");
        }
    }
    if tokens.is_empty() {
        let _ = writeln!(
            text,
            "Mint a token: gestiona-local token --tenant <tenant> --user <user> --role agent|supervisor|admin"
        );
    } else {
        let state = if seeded { "created" } else { "ready" };
        let _ = writeln!(text, "\nDemo tenant '{DEMO_TENANT}' {state}. Tokens valid for 12 hours:");
        for (user, role, token) in tokens {
            let _ = writeln!(text, "  export TOKEN_{}={token}   # {user}, {}", user.to_uppercase(), role.as_str());
        }
        let _ = writeln!(text, "\nTry:");
        let _ = writeln!(text, "  curl -s -H \"Authorization: Bearer $TOKEN_ANA\" {base}/cases");
        let _ = writeln!(text, "  curl -s -H \"Authorization: Bearer $TOKEN_ANA\" {base}/case-types");
        let _ = writeln!(text, "  open {base}/f/{DEMO_TENANT}/contacto   # the demo web form; its leads: {base}/leads");
    }
    let _ =
        writeln!(text, "\nE-mails are written to {}/outbox/ (list them: gestiona-local outbox).", data_dir.display());
    let _ = writeln!(text, "Ctrl-C stops it; the data stays in {}.", data_dir.display());
    // A closed stdout (a supervisor that stopped reading) must not stop the server.
    let mut stdout = std::io::stdout().lock();
    let _ = std::io::Write::write_all(&mut stdout, text.as_bytes()).and_then(|()| std::io::Write::flush(&mut stdout));
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("stopping: finishing requests in flight");
}
