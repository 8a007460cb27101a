//! The gateway's configuration: which consumer organisations exist, which data-sharing
//! agreements let them see which practices' records, what each role may see, and which
//! consent model this deployment follows.
//!
//! Everything here is **deny by default**: an organisation not listed is unknown, a
//! practice not covered by an agreement is not shared with, a role without a dataset
//! row sees nothing. The file format is TOML (`openmig serve --config FILE`); without a
//! file, [`GatewayConfig::demo`] gives the demo region's agreements.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use openmig_domain::{Dataset, OdsCode, Role};
use serde::Deserialize;

/// The consent model of a deployment (security.md, "Consent models").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsentModel {
    /// MIG model: explicit consent for this episode, or emergency override with a
    /// recorded reason. A token without either is refused.
    Mig,
    /// GP Connect model: implied consent for direct care; dissent still refuses.
    Implied,
}

/// The kind of care setting a consumer organisation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsumerKind {
    /// An emergency department (A&E).
    EmergencyDepartment,
    /// An ambulance service.
    Ambulance,
    /// An out-of-hours GP service.
    OutOfHours,
    /// A mental health trust.
    MentalHealth,
    /// An acute hospital (wards, pharmacy).
    AcuteHospital,
    /// Community services (district nursing, community pharmacy).
    Community,
}

impl ConsumerKind {
    /// The label shown to people, e.g. "emergency department".
    pub fn label(self) -> &'static str {
        match self {
            ConsumerKind::EmergencyDepartment => "emergency department",
            ConsumerKind::Ambulance => "ambulance service",
            ConsumerKind::OutOfHours => "out-of-hours service",
            ConsumerKind::MentalHealth => "mental health service",
            ConsumerKind::AcuteHospital => "acute hospital",
            ConsumerKind::Community => "community service",
        }
    }
}

impl fmt::Display for ConsumerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// An organisation whose staff may call the gateway.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerOrganisation {
    /// ODS code.
    pub ods: OdsCode,
    /// Name, e.g. "Synthetic General Hospital Emergency Department".
    pub name: String,
    /// Care setting.
    pub kind: ConsumerKind,
}

/// A data-sharing agreement: these consumers may see these datasets of these
/// practices' records.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agreement {
    /// Name, for audit reports and error messages.
    pub name: String,
    /// Consumer organisations named one by one.
    #[serde(default)]
    pub consumers: BTreeSet<OdsCode>,
    /// Consumer kinds covered as a whole (e.g. every emergency department).
    #[serde(default)]
    pub consumer_kinds: BTreeSet<ConsumerKind>,
    /// Practices covered; empty with `all_practices = true` means every practice.
    #[serde(default)]
    pub practices: BTreeSet<OdsCode>,
    /// Whether every practice is covered.
    #[serde(default)]
    pub all_practices: bool,
    /// What may be seen under the agreement.
    pub datasets: BTreeSet<Dataset>,
}

impl Agreement {
    /// Whether the agreement lets `consumer` see `dataset` of `practice`'s records.
    pub fn covers(&self, consumer: &ConsumerOrganisation, practice: &OdsCode, dataset: Dataset) -> bool {
        let consumer_covered = self.consumers.contains(&consumer.ods) || self.consumer_kinds.contains(&consumer.kind);
        let practice_covered = self.all_practices || self.practices.contains(practice);
        consumer_covered && practice_covered && self.datasets.contains(&dataset)
    }
}

/// A signing algorithm a trusted issuer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum IssuerAlgorithm {
    /// ECDSA P-256 with SHA-256.
    #[serde(rename = "ES256")]
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    #[serde(rename = "RS256")]
    Rs256,
}

impl IssuerAlgorithm {
    /// The verifier's algorithm.
    pub fn algorithm(self) -> openmig_auth::Algorithm {
        match self {
            IssuerAlgorithm::Es256 => openmig_auth::Algorithm::Es256,
            IssuerAlgorithm::Rs256 => openmig_auth::Algorithm::Rs256,
        }
    }
}

/// An identity provider whose signed tokens the gateway accepts, besides the local demo
/// issuer (`openmig token`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedIssuer {
    /// The `iss` claim value.
    pub name: String,
    /// The signing algorithm.
    pub algorithm: IssuerAlgorithm,
    /// The `kid` its tokens carry; without one, the key's own id (SHA-256 of the SPKI).
    pub key_id: Option<String>,
    /// The SPKI public key PEM file, relative to the configuration file.
    pub public_key_file: PathBuf,
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// The consent model.
    pub consent_model: ConsentModel,
    /// Known consumer organisations.
    #[serde(rename = "consumer", default)]
    pub consumers: Vec<ConsumerOrganisation>,
    /// Data-sharing agreements.
    #[serde(rename = "agreement", default)]
    pub agreements: Vec<Agreement>,
    /// The role × dataset matrix: what each role may see. A role not listed sees
    /// nothing.
    pub roles: BTreeMap<Role, BTreeSet<Dataset>>,
    /// External identity providers whose tokens are accepted.
    #[serde(rename = "issuer", default)]
    pub issuers: Vec<TrustedIssuer>,
    /// How hard to try a practice, and how long a last-good copy may be shown.
    #[serde(default)]
    pub federation: FederationSettings,
}

/// The `[federation]` table: resilience per practice and the last-good copy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FederationSettings {
    /// The whole fetch from a practice, retries included (default 2,000 ms).
    pub deadline_ms: u64,
    /// Establishing a connection to a practice (default 500 ms).
    pub connect_timeout_ms: u64,
    /// Fetches in flight to one practice (default 16).
    pub bulkhead: usize,
    /// Extra attempts after a connection that sent nothing (default 2).
    pub retries: u32,
    /// First retry backoff, doubled per attempt, jittered (default 50 ms).
    pub backoff_ms: u64,
    /// Consecutive failures that open a practice's breaker (default 5).
    pub breaker_failures: usize,
    /// How long an open breaker refuses before a probe (default 10 s).
    pub breaker_open_seconds: u64,
    /// How old a last-good copy may be and still be shown (default 72 h).
    pub last_good_max_age_hours: i64,
    /// Last-good copies kept, oldest evicted first (default 100,000).
    pub last_good_max_entries: usize,
}

impl Default for FederationSettings {
    fn default() -> Self {
        FederationSettings {
            deadline_ms: 2_000,
            connect_timeout_ms: 500,
            bulkhead: 16,
            retries: 2,
            backoff_ms: 50,
            breaker_failures: 5,
            breaker_open_seconds: 10,
            last_good_max_age_hours: 72,
            last_good_max_entries: 100_000,
        }
    }
}

impl FederationSettings {
    /// The federation's options.
    pub fn options(&self) -> crate::federation::FederationOptions {
        use std::time::Duration;
        crate::federation::FederationOptions {
            deadline: Duration::from_millis(self.deadline_ms),
            bulkhead: self.bulkhead,
            retries: self.retries,
            backoff: Duration::from_millis(self.backoff_ms),
            breaker_failures: self.breaker_failures,
            breaker_open_for: Duration::from_secs(self.breaker_open_seconds),
        }
    }
}

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid configuration.
    #[error("invalid gateway configuration in {path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong, from the TOML parser.
        message: String,
    },
    /// A trusted issuer's key cannot be used.
    #[error("trusted issuer {issuer}: {message}")]
    Issuer {
        /// The issuer.
        issuer: String,
        /// What is wrong with its key.
        message: String,
    },
    /// An organisation is listed twice.
    #[error("consumer organisation {0} is listed more than once")]
    DuplicateConsumer(OdsCode),
}

impl GatewayConfig {
    /// Reads and checks a TOML configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let display = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: display.clone(), source })?;
        let config: GatewayConfig = toml::from_str(&text)
            .map_err(|error| ConfigError::Invalid { path: display, message: error.to_string() })?;
        config.check()?;
        Ok(config.with_issuer_paths_under(path.parent().unwrap_or(Path::new("."))))
    }

    /// Issuer key files are named relative to the configuration file.
    fn with_issuer_paths_under(mut self, dir: &Path) -> Self {
        for issuer in &mut self.issuers {
            issuer.public_key_file = dir.join(&issuer.public_key_file);
        }
        self
    }

    /// Adds every configured issuer to `issuers`.
    pub fn trust_issuers(&self, issuers: &mut openmig_auth::TrustedIssuers) -> Result<(), ConfigError> {
        for issuer in &self.issuers {
            let path = issuer.public_key_file.display().to_string();
            let pem = std::fs::read_to_string(&issuer.public_key_file)
                .map_err(|source| ConfigError::Read { path: path.clone(), source })?;
            let algorithm = issuer.algorithm.algorithm();
            let trusted = match &issuer.key_id {
                Some(key_id) => issuers.trust_with_key_id(&issuer.name, key_id, algorithm, &pem),
                None => issuers.trust(&issuer.name, algorithm, &pem),
            };
            trusted.map_err(|error| ConfigError::Issuer { issuer: issuer.name.clone(), message: error.to_string() })?;
        }
        Ok(())
    }

    fn check(&self) -> Result<(), ConfigError> {
        let mut seen = BTreeSet::new();
        for consumer in &self.consumers {
            if !seen.insert(&consumer.ods) {
                return Err(ConfigError::DuplicateConsumer(consumer.ods.clone()));
            }
        }
        Ok(())
    }

    /// The consumer organisation with this ODS code, if it is known.
    pub fn consumer(&self, ods: &OdsCode) -> Option<&ConsumerOrganisation> {
        self.consumers.iter().find(|consumer| consumer.ods == *ods)
    }

    /// Whether `role` may see `dataset` at all.
    pub fn role_may_see(&self, role: Role, dataset: Dataset) -> bool {
        self.roles.get(&role).is_some_and(|datasets| datasets.contains(&dataset))
    }

    /// The demo deployment: the MIG consent model, one synthetic consumer of each
    /// kind, one regional urgent-care agreement over every practice, and the default
    /// role matrix. Kept in a TOML file in the crate so that it doubles as the
    /// documented example (`crates/openmig-gateway/demo-config.toml`).
    pub fn demo() -> Self {
        let config: GatewayConfig = toml::from_str(DEMO_CONFIG).expect("the bundled demo configuration is valid");
        config.check().expect("the bundled demo configuration has no duplicates");
        config
    }
}

/// The demo configuration, also the example configuration file.
pub const DEMO_CONFIG: &str = include_str!("../demo-config.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_configuration_parses_and_is_deny_by_default() {
        let config = GatewayConfig::demo();
        assert_eq!(config.consent_model, ConsentModel::Mig);
        assert!(config.role_may_see(Role::Doctor, Dataset::Clinical));
        assert!(config.role_may_see(Role::Administrative, Dataset::Demographics));
        assert!(!config.role_may_see(Role::Administrative, Dataset::Clinical));
        assert!(!config.role_may_see(Role::Auditor, Dataset::Clinical));
        assert!(config.role_may_see(Role::Auditor, Dataset::Audit));
        let unknown = OdsCode::parse("ZZZ99").unwrap();
        assert!(config.consumer(&unknown).is_none());
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gateway.toml");
        std::fs::write(&path, "consent_model = \"sometimes\"\n[roles]\n").unwrap();
        let error = GatewayConfig::load(&path).unwrap_err().to_string();
        assert!(error.contains("invalid gateway configuration") && error.contains("sometimes"), "{error}");

        let consumer = "[[consumer]]\nods = \"ZC010\"\nname = \"ED\"\nkind = \"ambulance\"\n";
        std::fs::write(&path, format!("consent_model = \"mig\"\n{consumer}{consumer}[roles]\n")).unwrap();
        let error = GatewayConfig::load(&path).unwrap_err().to_string();
        assert_eq!(error, "consumer organisation ZC010 is listed more than once");
        assert!(GatewayConfig::load(&dir.path().join("missing.toml")).unwrap_err().to_string().contains("cannot read"));
    }

    #[test]
    fn federation_settings_default_and_can_be_tuned() {
        assert_eq!(GatewayConfig::demo().federation, FederationSettings::default());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gateway.toml");
        let text = "consent_model = \"mig\"\n[federation]\ndeadline_ms = 800\nbreaker_failures = 3\n[roles]\n";
        std::fs::write(&path, text).unwrap();
        let config = GatewayConfig::load(&path).unwrap();
        assert_eq!(config.federation.options().deadline, std::time::Duration::from_millis(800));
        assert_eq!(config.federation.breaker_failures, 3);
        assert_eq!(config.federation.retries, 2, "unset values keep their defaults");
        std::fs::write(&path, "consent_model = \"mig\"\n[federation]\ndeadline = 1\n[roles]\n").unwrap();
        assert!(GatewayConfig::load(&path).is_err(), "unknown settings are refused");
    }

    #[test]
    fn external_issuers_are_trusted_from_their_key_files() {
        let dir = tempfile::tempdir().unwrap();
        let key = openmig_auth::IssuerKey::generate().unwrap().with_issuer("https://idp.example.nhs.uk");
        std::fs::write(dir.path().join("idp.pub.pem"), key.public_key_pem()).unwrap();
        let path = dir.path().join("gateway.toml");
        let issuer = "[[issuer]]\nname = \"https://idp.example.nhs.uk\"\nalgorithm = \"ES256\"\npublic_key_file = \"idp.pub.pem\"\n";
        std::fs::write(&path, format!("consent_model = \"implied\"\n{issuer}[roles]\ndoctor = [\"clinical\"]\n"))
            .unwrap();
        let config = GatewayConfig::load(&path).unwrap();
        let mut issuers = openmig_auth::TrustedIssuers::new();
        config.trust_issuers(&mut issuers).unwrap();
        let request = openmig_auth::TokenRequest::new("1", Role::Doctor, OdsCode::parse("ZC010").unwrap());
        let now = chrono::Utc::now();
        let token = openmig_auth::mint(&key, &request, now).unwrap();
        let identity = issuers.verify(Some(&format!("Bearer {token}")), &request.audience, now).unwrap();
        assert_eq!(identity.issuer, "https://idp.example.nhs.uk");

        std::fs::write(dir.path().join("idp.pub.pem"), "not a key").unwrap();
        let error = config.trust_issuers(&mut openmig_auth::TrustedIssuers::new()).unwrap_err().to_string();
        assert!(error.starts_with("trusted issuer https://idp.example.nhs.uk:"), "{error}");
    }
}
