//! What the gateway benchmarks (`--gateway`, `--federation`) share: a fresh region, an
//! audit log and a doctor's token as of the region's day, the practices' systems on a
//! mutual-TLS loopback listener, a gateway federating to them, the clean-up afterwards, and a router served on a loopback socket with a consumer's
//! keep-alive HTTP client to call it.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::body::Body;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use openmig_audit::{AuditLog, AuditOptions, CheckpointKey};
use openmig_auth::{IssuerKey, TokenRequest, TrustedIssuers};
use openmig_directory::{Directory, DirectoryPractice, Relocated, SqliteDirectory};
use openmig_domain::{ConsentBasis, OdsCode, Role};
use openmig_gateway::federation::{Federation, FederationOptions};
use openmig_gateway::lastgood::LastGoodCache;
use openmig_gateway::{Gateway, GatewayConfig};
use openmig_generator::GeneratorConfig;
use openmig_provider::{Faults, PracticeStores};
use openmig_tls::DemoPki;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::cli::{BenchArgs, DEFAULT_PRACTICES_URL};
use crate::commands::generate::{generate_file, remove_layout};
use crate::region::Layout;

/// The day every benchmark region is generated "as of", so runs are comparable.
pub(crate) fn bench_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date")
}

/// Generates a region of `--patients` in `practices` practices into `--database`.
pub(crate) fn generate_region(args: &BenchArgs, practices: u32) -> anyhow::Result<()> {
    let config = GeneratorConfig { patients: args.patients, practices, seed: args.seed, as_of: bench_day() };
    if let Some(dir) = args.database.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    generate_file(config, &args.database, true, DEFAULT_PRACTICES_URL)?;
    Ok(())
}

/// A generated region with what a gateway over it needs.
pub(crate) struct BenchRegion {
    /// The directory (what the gateway reads).
    pub directory: Arc<SqliteDirectory>,
    /// Each practice's clinical store (what the practices' systems read).
    pub stores: PracticeStores,
    /// The practices, in ODS order.
    pub practices: Vec<DirectoryPractice>,
    /// Noon on the region's day: the clock every component is given.
    pub now: DateTime<Utc>,
    pub issuer: IssuerKey,
    /// A doctor of the demo emergency department, consent given.
    pub token: String,
    pub audit: Arc<AuditLog>,
    /// The demo PKI of the practices' listener and the gateway's client.
    pub pki: DemoPki,
    layout: Layout,
    keys: PathBuf,
}

/// The demo configuration's emergency department, whose doctor asks.
const CONSUMER: &str = "ZC010";

impl BenchRegion {
    /// Generates the region and opens its directory, stores, audit log and token issuer.
    pub fn generate(args: &BenchArgs, practices: u32) -> anyhow::Result<Self> {
        generate_region(args, practices)?;
        let layout = Layout::of(&args.database);
        let keys = args.database.with_extension("keys");
        let directory = Arc::new(SqliteDirectory::open_read_only(&layout.directory)?);
        let stores = layout.open_practice_stores()?;
        let listed = directory.practices()?;
        let now = Utc.from_utc_datetime(&bench_day().and_hms_opt(12, 0, 0).expect("valid time"));
        let issuer = IssuerKey::generate()?;
        let mut doctor = TokenRequest::new("555000000001", Role::Doctor, OdsCode::parse(CONSUMER)?);
        doctor.consent = Some(ConsentBasis::Given);
        let token = openmig_auth::mint(&issuer, &doctor, now)?;
        let audit = Arc::new(AuditLog::open(
            &layout.directory,
            CheckpointKey::load_or_create(&keys)?,
            AuditOptions::default(),
        )?);
        let pki = DemoPki::generate()?;
        Ok(BenchRegion { directory, stores, practices: listed, now, issuer, token, audit, pki, layout, keys })
    }

    /// Starts every practice's system (with `faults`) on one mutual-TLS loopback
    /// listener, as `serve --role practices` does, and returns the directory as the
    /// gateway then sees it (relocated to that listener).
    pub async fn start_practices(&self, faults: Faults) -> anyhow::Result<Arc<dyn Directory>> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let origin = format!("https://{}", listener.local_addr()?);
        let now = self.now;
        let router = openmig_provider::router_with_faults(self.stores.clone(), move || now, faults);
        let config = openmig_tls::server_config(&self.pki);
        tokio::spawn(openmig_tls::serve_tls(listener, router, config, std::future::pending()));
        let served = self.practices.iter().map(|entry| entry.practice.ods_code.clone());
        Ok(Arc::new(Relocated::new(Arc::clone(&self.directory) as Arc<dyn Directory>, served, &origin)))
    }

    /// A gateway over `directory` with the demo configuration, federating through
    /// `federation` (options and cache as given).
    pub fn gateway(
        &self,
        directory: Arc<dyn Directory>,
        options: FederationOptions,
        cache: Option<Arc<LastGoodCache>>,
    ) -> anyhow::Result<Gateway> {
        let now = self.now;
        let clock: openmig_gateway::Clock = Arc::new(move || now);
        let client = openmig_tls::https_client(openmig_tls::client_config(&self.pki));
        let federation = Federation::new(client, options, cache, "200000000999".into(), Arc::clone(&clock))
            .map_err(anyhow::Error::msg)?;
        Ok(Gateway {
            config: GatewayConfig::demo(),
            directory,
            issuers: TrustedIssuers::from_key(&self.issuer),
            audience: openmig_auth::DEFAULT_AUDIENCE.to_string(),
            audit: Arc::clone(&self.audit),
            audit_database: self.layout.directory.clone(),
            public_url: "http://bench".into(),
            clock,
            inbox: Arc::new(openmig_inbox::Inbox::open(&self.layout.directory)?),
            federation: Arc::new(federation),
            metrics: Arc::new(openmig_gateway::metrics::Metrics::new()),
        })
    }

    /// The record of `nhs` as its practice's store holds it (to choose patients by
    /// content, as a tester would, not to serve them).
    pub fn record(&self, nhs: openmig_domain::NhsNumber) -> anyhow::Result<Option<openmig_domain::GpRecord>> {
        let Some(patient) = self.directory.patient(nhs)? else { return Ok(None) };
        let Some(store) = self.stores.store_of(&patient.registration.practice) else { return Ok(None) };
        Ok(store.record(nhs)?)
    }

    /// The directory file, where the gateway's state lives too.
    pub fn database(&self) -> &std::path::Path {
        &self.layout.directory
    }

    /// Closes the audit log and, unless `--keep`, removes the region, its checkpoints
    /// and keys.
    pub fn finish(self, keep: bool) -> anyhow::Result<()> {
        let BenchRegion { directory, stores, audit, layout, keys, .. } = self;
        if let Ok(audit) = Arc::try_unwrap(audit) {
            audit.close()?;
        }
        drop((directory, stores));
        if !keep {
            remove_layout(&layout);
            let _ = std::fs::remove_file(openmig_audit::default_checkpoints_path(&layout.directory));
            let _ = std::fs::remove_dir_all(&keys);
        }
        Ok(())
    }
}

/// A router served over plain HTTP/1.1 on a loopback port with `axum::serve`, as
/// `openmig serve` serves the gateway's consumer side, until [`LoopbackServer::stop`].
pub(crate) struct LoopbackServer {
    /// `http://127.0.0.1:{port}`, to which request paths are appended.
    pub base_url: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl LoopbackServer {
    /// Binds a free loopback port and serves `router` on it.
    pub async fn start(router: Router) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    // Sent or dropped: either way the benchmark is over.
                    let _ = stopped.await;
                })
                .await
        });
        Ok(LoopbackServer { base_url, stop, task })
    }

    /// Stops accepting, lets open connections finish and waits for the server to end.
    /// Drop the clients first, or their idle keep-alive connections are closed for them.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await?.context("the loopback server failed")
    }
}

/// A consumer's HTTP client: plain HTTP/1.1, connections pooled and kept alive between
/// requests (clones share the pool).
pub(crate) type HttpClient = Client<HttpConnector, Body>;

/// A new [`HttpClient`] with an empty pool.
pub(crate) fn http_client() -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new()).build(connector)
}
