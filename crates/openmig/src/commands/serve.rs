//! `openmig serve`: the gateway (`openmig-gateway`) and every practice's GP Connect
//! provider endpoint (`openmig-provider`) on one listener, until Ctrl-C. The tokio
//! runtime lives in this command (and `demo`, which calls it) only.
//!
//! The two route sets do not overlap: providers live under `/{ODS}/STU3/…`, the gateway
//! under `/gpconnect`, `/fhir/R4`, `/api/v1`, `/directory` and `/healthz`/`/readyz`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use openmig_audit::{AuditLog, AuditOptions, CheckpointKey};
use openmig_auth::{IssuerKey, TrustedIssuers};
use openmig_domain::Practice;
use openmig_gateway::{Gateway, GatewayConfig};
use openmig_store::Store;

use crate::cli::ServeArgs;
use crate::database::{self, Location};
use crate::output;

/// Runs the command.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let prepared = prepare(&args)?;
    serve(prepared, &args.listen, args.public_url.clone(), |address, server| {
        for practice in &server.practices {
            output::line(&format!(
                "provider {} {} ({}): http://{address}{}",
                practice.ods_code,
                practice.name,
                practice.clinical_system,
                openmig_provider::base_path(&practice.ods_code)
            ))?;
        }
        output::line(&format!(
            "gateway: http://{address}/gpconnect/fhir  ·  http://{address}/fhir/R4  ·  http://{address}/api/v1"
        ))?;
        output::line(&format!("token issuer public key: {}", server.keys.join(openmig_auth::PUBLIC_KEY_FILE).display()))
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

/// Starts the listener, calls `announce` with its address, and serves until Ctrl-C.
/// On a clean stop the audit log writes a final signed checkpoint.
pub fn serve(
    prepared: Prepared,
    listen: &str,
    public_url: Option<String>,
    announce: impl FnOnce(SocketAddr, &Prepared) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let audit = open_audit(&prepared.database, &prepared.keys)?;
    let inbox =
        Arc::new(openmig_inbox::Inbox::open_existing(&prepared.database).context("cannot open the practice inbox")?);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(async {
        let listener =
            tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
        let address = listener.local_addr().context("cannot read the listening address")?;
        announce(address, &prepared)?;
        let mut issuers = TrustedIssuers::from_key(&prepared.issuer);
        prepared.config.trust_issuers(&mut issuers)?;
        let gateway = Gateway {
            config: prepared.config.clone(),
            store: Arc::clone(&prepared.store),
            issuers,
            audience: openmig_auth::DEFAULT_AUDIENCE.to_string(),
            audit: Arc::clone(&audit),
            audit_database: prepared.database.clone(),
            public_url: public_url.unwrap_or_else(|| format!("http://{address}")),
            clock: Arc::new(chrono::Utc::now),
            inbox: Arc::clone(&inbox),
        };
        let delivery = Arc::new(openmig_inbox::LocalDelivery);
        openmig_gateway::routes::spawn_outbox(
            inbox,
            delivery,
            Arc::new(chrono::Utc::now),
            openmig_gateway::routes::OUTBOX_INTERVAL,
        );
        let router = openmig_provider::router(Arc::clone(&prepared.store), chrono::Utc::now)
            .merge(openmig_gateway::router(Arc::new(gateway)));
        openmig_provider::serve(listener, router).await.context("the server failed")
    })?;
    drop(runtime);
    match Arc::try_unwrap(audit) {
        Ok(audit) => audit.close().map(|_| ()).context("cannot write the final audit checkpoint"),
        Err(_) => Ok(()),
    }
}

fn open_audit(database: &Path, keys: &Path) -> anyhow::Result<Arc<AuditLog>> {
    let key = CheckpointKey::load_or_create(keys).context("cannot load the audit checkpoint key")?;
    let audit = AuditLog::open(database, key, AuditOptions::default())
        .with_context(|| format!("cannot open the audit log in {}", database.display()))?;
    Ok(Arc::new(audit))
}
