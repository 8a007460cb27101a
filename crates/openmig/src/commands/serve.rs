//! `openmig serve`: every practice's own system (`openmig-provider`: its GP Connect
//! provider and its inbox) on its own mutually authenticated TLS listener on loopback,
//! and the gateway (`openmig-gateway`) on `--listen`, federating to them over HTTPS with
//! resilience and the encrypted last-good cache, and delivering write-back documents to
//! their inboxes from its outbox, until Ctrl-C. The tokio runtime lives in this command (and `demo`,
//! which calls it) only. Keys and the demo PKI live in `--keys`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use openmig_audit::{AuditLog, AuditOptions, CheckpointKey};
use openmig_auth::{IssuerKey, TrustedIssuers};
use openmig_domain::{OdsCode, Practice};
use openmig_gateway::delivery::PracticeDelivery;
use openmig_gateway::federation::Federation;
use openmig_gateway::lastgood::{self, LastGoodCache};
use openmig_gateway::{Gateway, GatewayConfig};
use openmig_inbox::Inbox;
use openmig_provider::Faults;
use openmig_store::Store;
use openmig_tls::DemoPki;

use crate::cli::ServeArgs;
use crate::database::{self, Location};
use crate::output;

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
    serve(prepared, &args.listen, args.public_url.clone(), |address, server, endpoints| {
        for practice in &server.practices {
            output::banner(&format!(
                "provider {} {} ({}): {}{} (mutual TLS; certificates in {})",
                practice.ods_code,
                practice.name,
                practice.clinical_system,
                endpoints.get(&practice.ods_code).map_or("", String::as_str),
                openmig_provider::base_path(&practice.ods_code),
                server.keys.join("tls").display()
            ));
        }
        output::banner(&format!(
            "gateway: http://{address}/gpconnect/fhir  ·  http://{address}/fhir/R4  ·  http://{address}/api/v1"
        ));
        output::banner(&format!(
            "token issuer public key: {}",
            server.keys.join(openmig_auth::PUBLIC_KEY_FILE).display()
        ));
        Ok(())
    })
}

/// Everything opened before the listener starts.
pub struct Prepared {
    /// The region store.
    pub store: Arc<dyn Store>,
    /// The store file, where the audit log also lives.
    pub database: PathBuf,
    /// The practices served.
    pub practices: Vec<Practice>,
    /// The gateway configuration.
    pub config: GatewayConfig,
    /// The key directory.
    pub keys: PathBuf,
    /// The demo token issuer's key.
    pub issuer: IssuerKey,
}

/// Opens the store, the configuration and the keys.
pub fn prepare(args: &ServeArgs) -> anyhow::Result<Prepared> {
    let Location::Sqlite(database) = database::parse(&args.database)?;
    let store = database::open_read_only(&args.database)?;
    let practices = store.practices().context("cannot list the practices")?;
    let config = match &args.config {
        Some(path) => GatewayConfig::load(path)?,
        None => GatewayConfig::demo(),
    };
    let issuer = IssuerKey::load_or_create(&args.keys).context("cannot load the token issuer key")?;
    Ok(Prepared { store: Arc::new(store), database, practices, config, keys: args.keys.clone(), issuer })
}

/// The gateway's own ASID, sent to providers as `Ssp-From` (synthetic, like the
/// practices' ASIDs).
const GATEWAY_ASID: &str = "200000000999";

/// Where each practice's provider listens: ODS code → `https://127.0.0.1:PORT`.
pub type Endpoints = BTreeMap<OdsCode, String>;

/// Starts every practice's provider on its own mutually authenticated TLS listener on
/// loopback, then the gateway on `listen` (federating to them); calls `announce` with
/// the gateway's address and the providers' endpoints; serves until Ctrl-C. On a clean
/// stop the audit log writes a final signed checkpoint.
pub fn serve(
    prepared: Prepared,
    listen: &str,
    public_url: Option<String>,
    announce: impl FnOnce(SocketAddr, &Prepared, &Endpoints) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let audit = open_audit(&prepared.database, &prepared.keys)?;
    let inbox =
        Arc::new(openmig_inbox::Inbox::open_existing(&prepared.database).context("cannot open the practice inbox")?);
    let received_path = practice_systems_file(&prepared.database);
    let received = Arc::new(
        openmig_inbox::Inbox::open(&received_path)
            .with_context(|| format!("cannot open the practices' systems' inbox file {}", received_path.display()))?,
    );
    let pki = DemoPki::load_or_create(&prepared.keys.join("tls")).context("cannot load the demo TLS certificates")?;
    let cache_key = lastgood::load_or_create_key(&prepared.keys).context("cannot load the last-good cache key")?;
    let settings = &prepared.config.federation;
    let cache = LastGoodCache::open(
        &prepared.database,
        &cache_key,
        settings.last_good_max_entries,
        chrono::Duration::hours(settings.last_good_max_age_hours),
    )
    .context("cannot open the last-good cache")?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(async {
        let listener =
            tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
        let address = listener.local_addr().context("cannot read the listening address")?;
        let endpoints = start_providers(&prepared, &pki, received).await?;
        announce(address, &prepared, &endpoints)?;
        let mut issuers = TrustedIssuers::from_key(&prepared.issuer);
        prepared.config.trust_issuers(&mut issuers)?;
        let clock: openmig_gateway::Clock = Arc::new(chrono::Utc::now);
        let client_options = openmig_tls::ClientOptions {
            connect_timeout: std::time::Duration::from_millis(settings.connect_timeout_ms),
            ..openmig_tls::ClientOptions::default()
        };
        let client = openmig_tls::https_client_with(openmig_tls::client_config(&pki), client_options);
        let federation = Federation::new(
            client.clone(),
            endpoints.clone().into_iter().collect(),
            settings.options(),
            Some(Arc::new(cache)),
            GATEWAY_ASID.to_string(),
            Arc::clone(&clock),
        )
        .map_err(anyhow::Error::msg)?;
        let metrics = Arc::new(openmig_gateway::metrics::Metrics::new());
        let gateway = Gateway {
            config: prepared.config.clone(),
            store: Arc::clone(&prepared.store),
            issuers,
            audience: openmig_auth::DEFAULT_AUDIENCE.to_string(),
            audit: Arc::clone(&audit),
            audit_database: prepared.database.clone(),
            public_url: public_url.unwrap_or_else(|| format!("http://{address}")),
            clock: Arc::clone(&clock),
            inbox: Arc::clone(&inbox),
            federation: Some(Arc::new(federation)),
            metrics: Arc::clone(&metrics),
        };
        let delivery = PracticeDelivery::new(
            &gateway,
            client,
            endpoints.into_iter().collect(),
            GATEWAY_ASID.to_string(),
            tokio::runtime::Handle::current(),
        );
        openmig_gateway::routes::spawn_outbox(
            inbox,
            Arc::new(delivery),
            clock,
            openmig_gateway::routes::OUTBOX_INTERVAL,
            Arc::clone(&metrics),
        );
        openmig_provider::serve(listener, openmig_gateway::router(Arc::new(gateway))).await.context("the server failed")
    })?;
    drop(runtime);
    match Arc::try_unwrap(audit) {
        Ok(audit) => audit.close().map(|_| ()).context("cannot write the final audit checkpoint"),
        Err(_) => Ok(()),
    }
}

/// Where the practices' own systems keep the documents delivered to them: a file beside
/// the database (`openmig.db` → `openmig-practices.db`), standing for each GP system's
/// own storage, kept apart from the gateway's.
pub fn practice_systems_file(database: &Path) -> PathBuf {
    let stem = database.file_stem().map_or_else(|| "openmig".into(), |stem| stem.to_string_lossy().into_owned());
    database.with_file_name(format!("{stem}-practices.db"))
}

/// One listener per practice's system (separate listeners, so no gateway call is an
/// in-process shortcut): its provider and its inbox (`received`), with fault injection
/// switchable at `POST https://…/{ODS}/_admin/faults` (mutual TLS, as every call).
async fn start_providers(prepared: &Prepared, pki: &DemoPki, received: Arc<Inbox>) -> anyhow::Result<Endpoints> {
    let server_config = openmig_tls::server_config(pki);
    let faults = Faults::new();
    let mut endpoints = Endpoints::new();
    for practice in &prepared.practices {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("cannot start a provider")?;
        let port = listener.local_addr().context("cannot read a provider's address")?.port();
        let router = openmig_provider::practice_systems(
            Arc::clone(&prepared.store),
            chrono::Utc::now,
            faults.clone(),
            Arc::clone(&received),
        );
        tokio::spawn(openmig_tls::serve_tls(listener, router, Arc::clone(&server_config), std::future::pending()));
        endpoints.insert(practice.ods_code.clone(), format!("https://127.0.0.1:{port}"));
    }
    Ok(endpoints)
}

fn open_audit(database: &Path, keys: &Path) -> anyhow::Result<Arc<AuditLog>> {
    let key = CheckpointKey::load_or_create(keys).context("cannot load the audit checkpoint key")?;
    let audit = AuditLog::open(database, key, AuditOptions::default())
        .with_context(|| format!("cannot open the audit log in {}", database.display()))?;
    Ok(Arc::new(audit))
}
