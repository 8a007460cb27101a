//! `openmig serve --role gateway | practices | all`.
//!
//! - **practices**: every practice's own system (`openmig-provider`: its GP Connect
//!   provider, its inbox for delivered documents, fault injection) on one mutually
//!   authenticated TLS listener, routed by the ODS code in the path as a GP system
//!   supplier hosts its practices. Each practice is answered from its own clinical store
//!   in the region's practices' folder; nothing else is opened.
//! - **gateway**: the consumers' APIs on `--listen`, federating to the endpoints the
//!   directory names over mutual TLS and delivering write-back from its outbox. It opens
//!   the directory file (where it also keeps its audit log, last-good copies and outbox)
//!   and nothing else: it has no clinical store to open.
//! - **all**: both in one process (what `demo` runs); the practices listen on a port
//!   chosen at start, and the gateway is given the directory [`Relocated`] there for the
//!   practices this process serves.
//!
//! Trust is configured: the CA the gateway trusts for practices and the client
//! certificate it presents, the practices' server certificate and the CA their clients
//! must chain to, each defaulting to the demo PKI in `--keys/tls`. The tokio runtime
//! lives in this command (and `demo`, which calls it) only.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use openmig_audit::{AuditLog, AuditOptions, CheckpointKey};
use openmig_auth::{IssuerKey, TrustedIssuers};
use openmig_directory::{Directory, DirectoryPractice, Relocated, SqliteDirectory};
use openmig_domain::OdsCode;
use openmig_gateway::delivery::PracticeDelivery;
use openmig_gateway::federation::Federation;
use openmig_gateway::lastgood::{self, LastGoodCache};
use openmig_gateway::{Gateway, GatewayConfig};
use openmig_provider::{Faults, PracticeStores};
use openmig_tls::{
    CA_CERT_FILE, DemoPki, GATEWAY_CERT_FILE, GATEWAY_KEY_FILE, PROVIDER_CERT_FILE, PROVIDER_KEY_FILE, TlsFiles,
};

use crate::cli::{ServeArgs, ServeRole};
use crate::output;
use crate::region::Layout;

/// Where `serve --role practices` listens unless told.
const DEFAULT_PRACTICES_LISTEN: &str = "127.0.0.1:9443";

/// The gateway's own ASID, sent to providers as `Ssp-From` (synthetic, like the
/// practices' ASIDs).
const GATEWAY_ASID: &str = "200000000999";

/// Structured JSON logs on stderr (`RUST_LOG` filters; default `info`): one line per
/// request with route template, status, time and trace id, never patient data.
pub fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second call (demo after serve in one process) keeps the first subscriber.
    let _ = tracing_subscriber::fmt().json().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Runs the command.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logs();
    let prepared = prepare(&args)?;
    serve(prepared, |started| {
        if let Some(practices) = &started.practices {
            for entry in &started.directory_practices {
                if practices.served.contains(&entry.practice.ods_code) {
                    // Where this process serves it; the directory may name another host
                    // that reaches this listener (behind a proxy, or another address).
                    output::banner(&format!(
                        "practice {} {} ({}): {}{} (mutual TLS; certificates in {}); the directory names {}",
                        entry.practice.ods_code,
                        entry.practice.name,
                        entry.practice.clinical_system,
                        practices.origin,
                        entry.gp_connect.path(),
                        started.keys.join("tls").display(),
                        entry.gp_connect,
                    ));
                }
            }
            output::banner(&format!("practices' systems: https://{}", practices.address));
        }
        if let Some(address) = started.gateway {
            output::banner(&format!(
                "gateway: http://{address}/gpconnect/fhir  ·  http://{address}/fhir/R4  ·  http://{address}/api/v1"
            ));
            output::banner(&format!(
                "token issuer public key: {}",
                started.keys.join(openmig_auth::PUBLIC_KEY_FILE).display()
            ));
        }
        Ok(())
    })
}

/// Everything opened and checked before any listener starts, so that a bad setting is a
/// one-line error with nothing half-started.
pub struct Prepared {
    /// The region's files.
    pub layout: Layout,
    /// The gateway's side, unless `--role practices`.
    pub gateway: Option<GatewayParts>,
    /// The practices' side, unless `--role gateway`.
    pub practices: Option<PracticesParts>,
    /// The key directory.
    pub keys: PathBuf,
    /// The demo token issuer's key.
    pub issuer: IssuerKey,
}

/// What the gateway runs on: the directory and its own state, never a clinical store.
pub struct GatewayParts {
    /// The directory, read-only.
    pub directory: Arc<SqliteDirectory>,
    /// Consumers, agreements, role matrix, consent model.
    pub config: GatewayConfig,
    listen: String,
    public_url: Option<String>,
    client_tls: Arc<openmig_tls::rustls::ClientConfig>,
}

/// What the practices' systems run on: each practice's clinical store.
pub struct PracticesParts {
    /// Each practice's store.
    stores: PracticeStores,
    listen: String,
    server_tls: Arc<openmig_tls::rustls::ServerConfig>,
    received: PathBuf,
}

/// Opens and checks what `args.role` needs.
pub fn prepare(args: &ServeArgs) -> anyhow::Result<Prepared> {
    let layout = Layout::parse(&args.database)?;
    let issuer = IssuerKey::load_or_create(&args.keys).context("cannot load the token issuer key")?;
    // The demo PKI is made (or loaded) only when a TLS setting is left to its default.
    let runs_practices = args.role != ServeRole::Gateway;
    let runs_gateway = args.role != ServeRole::Practices;
    let defaults_used = (runs_practices && (args.client_ca.is_none() || args.server_cert.is_none()))
        || (runs_gateway && (args.provider_ca.is_none() || args.client_cert.is_none()));
    let demo_dir = args.keys.join("tls");
    if defaults_used {
        // Creates the demo files on first use, and checks them (chains, dates, usages).
        DemoPki::load_or_create(&demo_dir).context("cannot load the demo TLS certificates")?;
    }
    let practices = match args.role {
        ServeRole::Gateway => None,
        ServeRole::Practices | ServeRole::All => {
            let default_listen = if args.role == ServeRole::All { "127.0.0.1:0" } else { DEFAULT_PRACTICES_LISTEN };
            let listen = args.practices_listen.clone().unwrap_or_else(|| default_listen.to_string());
            let files = [&args.client_ca, &args.server_cert, &args.server_key];
            let files = side_files(&demo_dir, files, [CA_CERT_FILE, PROVIDER_CERT_FILE, PROVIDER_KEY_FILE]);
            let server_tls =
                openmig_tls::server_config_from_files(files.tls()).context("cannot set up the practices' TLS")?;
            Some(open_practices(&layout, listen, server_tls)?)
        }
    };
    let gateway = match args.role {
        ServeRole::Practices => None,
        ServeRole::Gateway | ServeRole::All => {
            let directory = crate::region::open_directory(&layout.directory)?;
            // Every endpoint is parsed now: a malformed one stops the start, naming its practice.
            let listed = directory.practices().context("the directory lists a practice the gateway cannot call")?;
            if listed.is_empty() {
                bail!("the directory {} lists no practice", layout.directory.display());
            }
            let config = match &args.config {
                Some(path) => GatewayConfig::load(path)?,
                None => GatewayConfig::demo(),
            };
            let files = [&args.provider_ca, &args.client_cert, &args.client_key];
            let files = side_files(&demo_dir, files, [CA_CERT_FILE, GATEWAY_CERT_FILE, GATEWAY_KEY_FILE]);
            let client_tls =
                openmig_tls::client_config_from_files(files.tls()).context("cannot set up the gateway's TLS")?;
            Some(GatewayParts {
                directory: Arc::new(directory),
                config,
                listen: args.listen.clone(),
                public_url: args.public_url.clone(),
                client_tls,
            })
        }
    };
    Ok(Prepared { layout, gateway, practices, keys: args.keys.clone(), issuer })
}

/// One side's TLS files: trusted CAs, certificate chain, private key.
struct SideFiles {
    trusted: PathBuf,
    certificate: PathBuf,
    key: PathBuf,
}

impl SideFiles {
    fn tls(&self) -> TlsFiles<'_> {
        TlsFiles { trusted: &self.trusted, certificate: &self.certificate, key: &self.key }
    }
}

/// Each of `given` (trusted CAs, certificate, key), or else the demo PKI's file of that
/// kind (`defaults`) in `demo`.
fn side_files(demo: &Path, given: [&Option<PathBuf>; 3], defaults: [&str; 3]) -> SideFiles {
    let [trusted, certificate, key] = [0, 1, 2].map(|i| given[i].clone().unwrap_or_else(|| demo.join(defaults[i])));
    SideFiles { trusted, certificate, key }
}

/// Opens each practice's clinical store found in the region's practices' folder.
fn open_practices(
    layout: &Layout,
    listen: String,
    server_tls: Arc<openmig_tls::rustls::ServerConfig>,
) -> anyhow::Result<PracticesParts> {
    let stores = layout.open_practice_stores()?;
    if stores.practices().next().is_none() {
        bail!("no practice's clinical store in {}", layout.practices.display());
    }
    Ok(PracticesParts { stores, listen, server_tls, received: layout.received_documents() })
}

/// What started, for the banner.
pub struct Started<'a> {
    /// The gateway's address, when it runs.
    pub gateway: Option<SocketAddr>,
    /// The practices' listener, when they run here.
    pub practices: Option<StartedPractices>,
    /// The practices as the gateway sees them (relocated in `all`), or as the directory
    /// lists them.
    pub directory_practices: Vec<DirectoryPractice>,
    /// The key directory.
    pub keys: &'a Path,
}

/// The practices' listener.
pub struct StartedPractices {
    /// Where it listens.
    pub address: SocketAddr,
    /// `https://host:port` for clients on this machine.
    pub origin: String,
    /// The practices it serves.
    pub served: Vec<OdsCode>,
}

/// Starts what `prepared` holds, calls `announce` once everything listens, and serves
/// until Ctrl-C. On a clean stop the audit log writes a final signed checkpoint.
pub fn serve(prepared: Prepared, announce: impl FnOnce(&Started<'_>) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    let Prepared { gateway, practices, keys, issuer, layout, .. } = prepared;
    let mut audit = None;
    runtime.block_on(async {
        let started_practices = match practices {
            Some(parts) => Some(start_practices(parts).await?),
            None => None,
        };
        let Some(parts) = gateway else {
            let directory_practices = match SqliteDirectory::open_read_only(&layout.directory) {
                Ok(directory) => directory.practices().unwrap_or_default(),
                Err(_) => Vec::new(),
            };
            announce(&Started { gateway: None, practices: started_practices, directory_practices, keys: &keys })?;
            return wait_for_ctrl_c().await;
        };
        let directory: Arc<dyn Directory> = match &started_practices {
            Some(practices) => Arc::new(Relocated::new(
                Arc::clone(&parts.directory) as Arc<dyn Directory>,
                practices.served.iter().cloned(),
                &practices.origin,
            )),
            None => Arc::clone(&parts.directory) as Arc<dyn Directory>,
        };
        let listener = tokio::net::TcpListener::bind(&parts.listen)
            .await
            .with_context(|| format!("cannot listen on {}", parts.listen))?;
        let address = listener.local_addr().context("cannot read the listening address")?;
        let log = open_audit(&layout.directory, &keys)?;
        audit = Some(Arc::clone(&log));
        let gateway = gateway_over(parts, Arc::clone(&directory), &keys, &issuer, log, address)?;
        let directory_practices = directory.practices().context("cannot read the directory")?;
        announce(&Started { gateway: Some(address), practices: started_practices, directory_practices, keys: &keys })?;
        run_gateway(listener, gateway).await
    })?;
    drop(runtime);
    match audit.map(Arc::try_unwrap) {
        Some(Ok(audit)) => audit.close().map(|_| ()).context("cannot write the final audit checkpoint"),
        _ => Ok(()),
    }
}

/// The gateway's parts assembled: directory, configuration, issuers, audit, inbox and
/// outbox, last-good cache and the federation client.
fn gateway_over(
    parts: GatewayParts,
    directory: Arc<dyn Directory>,
    keys: &Path,
    issuer: &IssuerKey,
    audit: Arc<AuditLog>,
    address: SocketAddr,
) -> anyhow::Result<Arc<Gateway>> {
    let database = parts.directory.path().to_path_buf();
    let inbox = Arc::new(openmig_inbox::Inbox::open(&database).context("cannot open the gateway's outbox")?);
    let settings = &parts.config.federation;
    let cache_key = lastgood::load_or_create_key(keys).context("cannot load the last-good cache key")?;
    let cache = LastGoodCache::open(
        &database,
        &cache_key,
        settings.last_good_max_entries,
        chrono::Duration::hours(settings.last_good_max_age_hours),
    )
    .context("cannot open the last-good cache")?;
    let mut issuers = TrustedIssuers::from_key(issuer);
    parts.config.trust_issuers(&mut issuers)?;
    let clock: openmig_gateway::Clock = Arc::new(chrono::Utc::now);
    let client_options = openmig_tls::ClientOptions {
        connect_timeout: std::time::Duration::from_millis(settings.connect_timeout_ms),
        ..openmig_tls::ClientOptions::default()
    };
    let client = openmig_tls::https_client_with(Arc::clone(&parts.client_tls), client_options);
    let federation = Federation::new(
        client.clone(),
        settings.options(),
        Some(Arc::new(cache)),
        GATEWAY_ASID.to_string(),
        Arc::clone(&clock),
    )
    .map_err(anyhow::Error::msg)?;
    let metrics = Arc::new(openmig_gateway::metrics::Metrics::new());
    let gateway = Gateway {
        config: parts.config,
        directory,
        issuers,
        audience: openmig_auth::DEFAULT_AUDIENCE.to_string(),
        audit,
        audit_database: database,
        public_url: parts.public_url.unwrap_or_else(|| format!("http://{address}")),
        clock: Arc::clone(&clock),
        inbox: Arc::clone(&inbox),
        federation: Arc::new(federation),
        metrics: Arc::clone(&metrics),
    };
    let delivery = PracticeDelivery::new(&gateway, client, GATEWAY_ASID.to_string(), tokio::runtime::Handle::current());
    openmig_gateway::routes::spawn_outbox(
        inbox,
        Arc::new(delivery),
        clock,
        openmig_gateway::routes::OUTBOX_INTERVAL,
        metrics,
    );
    Ok(Arc::new(gateway))
}

async fn run_gateway(listener: tokio::net::TcpListener, gateway: Arc<Gateway>) -> anyhow::Result<()> {
    openmig_provider::serve(listener, openmig_gateway::router(gateway)).await.context("the server failed")
}

/// Binds the practices' listener and serves every practice's system on it (with fault
/// injection at `POST https://…/{ODS}/_admin/faults`, over the same mutual TLS).
async fn start_practices(parts: PracticesParts) -> anyhow::Result<StartedPractices> {
    let received = Arc::new(
        openmig_inbox::Inbox::open(&parts.received)
            .with_context(|| format!("cannot open the practices' received documents {}", parts.received.display()))?,
    );
    let listener = tokio::net::TcpListener::bind(&parts.listen)
        .await
        .with_context(|| format!("cannot listen on {} for the practices", parts.listen))?;
    let address = listener.local_addr().context("cannot read the practices' address")?;
    let host = if address.ip().is_unspecified() { "127.0.0.1".to_string() } else { address.ip().to_string() };
    let origin = match address {
        SocketAddr::V6(_) if !address.ip().is_unspecified() => format!("https://[{host}]:{}", address.port()),
        _ => format!("https://{host}:{}", address.port()),
    };
    let served = parts.stores.practices().cloned().collect();
    let router = openmig_provider::practice_systems(parts.stores, chrono::Utc::now, Faults::new(), received);
    tokio::spawn(openmig_tls::serve_tls(listener, router, parts.server_tls, std::future::pending()));
    Ok(StartedPractices { address, origin, served })
}

async fn wait_for_ctrl_c() -> anyhow::Result<()> {
    // An error means no handler could be installed; then run until the process is stopped.
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
    Ok(())
}

fn open_audit(database: &Path, keys: &Path) -> anyhow::Result<Arc<AuditLog>> {
    let key = CheckpointKey::load_or_create(keys).context("cannot load the audit checkpoint key")?;
    let audit = AuditLog::open(database, key, AuditOptions::default())
        .with_context(|| format!("cannot open the audit log in {}", database.display()))?;
    Ok(Arc::new(audit))
}
