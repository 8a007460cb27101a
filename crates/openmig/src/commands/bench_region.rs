//! What the gateway benchmarks (`--gateway`, `--federation`) share: a fresh region, an
//! audit log and a doctor's token as of the region's day, a gateway over them, and the
//! clean-up afterwards.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use openmig_audit::{AuditLog, AuditOptions, CheckpointKey};
use openmig_auth::{IssuerKey, TokenRequest, TrustedIssuers};
use openmig_domain::{ConsentBasis, OdsCode, Role};
use openmig_gateway::federation::Federation;
use openmig_gateway::{Gateway, GatewayConfig};
use openmig_generator::GeneratorConfig;
use openmig_store::Store;
use openmig_store_sqlite::SqliteStore;

use crate::cli::BenchArgs;
use crate::commands::generate::{generate_file, remove_with_side_files};

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
    generate_file(config, &args.database, true)?;
    Ok(())
}

/// A generated region with what a gateway over it needs.
pub(crate) struct BenchRegion {
    pub store: Arc<dyn Store>,
    /// Noon on the region's day: the clock every component is given.
    pub now: DateTime<Utc>,
    pub issuer: IssuerKey,
    /// A doctor of the demo emergency department, consent given.
    pub token: String,
    pub audit: Arc<AuditLog>,
    database: PathBuf,
    keys: PathBuf,
}

/// The demo configuration's emergency department, whose doctor asks.
const CONSUMER: &str = "ZC010";

impl BenchRegion {
    /// Generates the region and opens its store, audit log and token issuer.
    pub fn generate(args: &BenchArgs, practices: u32) -> anyhow::Result<Self> {
        generate_region(args, practices)?;
        let keys = args.database.with_extension("keys");
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_read_only(&args.database)?);
        let now = Utc.from_utc_datetime(&bench_day().and_hms_opt(12, 0, 0).expect("valid time"));
        let issuer = IssuerKey::generate()?;
        let mut doctor = TokenRequest::new("555000000001", Role::Doctor, OdsCode::parse(CONSUMER)?);
        doctor.consent = Some(ConsentBasis::Given);
        let token = openmig_auth::mint(&issuer, &doctor, now)?;
        let audit =
            Arc::new(AuditLog::open(&args.database, CheckpointKey::load_or_create(&keys)?, AuditOptions::default())?);
        Ok(BenchRegion { store, now, issuer, token, audit, database: args.database.clone(), keys })
    }

    /// A gateway over the region with the demo configuration, federating when asked.
    pub fn gateway(&self, federation: Option<Arc<Federation>>) -> anyhow::Result<Gateway> {
        let now = self.now;
        Ok(Gateway {
            config: GatewayConfig::demo(),
            store: Arc::clone(&self.store),
            issuers: TrustedIssuers::from_key(&self.issuer),
            audience: openmig_auth::DEFAULT_AUDIENCE.to_string(),
            audit: Arc::clone(&self.audit),
            audit_database: self.database.clone(),
            public_url: "http://bench".into(),
            clock: Arc::new(move || now),
            inbox: Arc::new(openmig_inbox::Inbox::open(&self.database)?),
            federation,
            metrics: Arc::new(openmig_gateway::metrics::Metrics::new()),
        })
    }

    /// Closes the audit log and, unless `--keep`, removes the region, its checkpoints
    /// and keys.
    pub fn finish(self, keep: bool) -> anyhow::Result<()> {
        let BenchRegion { store, audit, database, keys, .. } = self;
        if let Ok(audit) = Arc::try_unwrap(audit) {
            audit.close()?;
        }
        drop(store);
        if !keep {
            remove_with_side_files(&database);
            let _ = std::fs::remove_file(openmig_audit::default_checkpoints_path(&database));
            let _ = std::fs::remove_dir_all(&keys);
        }
        Ok(())
    }
}
