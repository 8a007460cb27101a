//! The command-line contract (`shared/design/api.md`): commands, flags and their help.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use openmig_domain::NhsNumber;
use openmig_domain::traits::PatientTrait;
use openmig_generator::GeneratorConfig;

/// openmig: an open Medical Interoperability Gateway.
///
/// Generates a synthetic GP region, shows patients' records and (in later releases)
/// serves them over GP Connect and FHIR.
#[derive(Debug, Parser)]
#[command(name = "openmig", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a synthetic region of practices and patients into a new store file.
    Generate(GenerateArgs),
    /// Print a readable summary of one patient's record.
    Record(RecordArgs),
    /// List NHS numbers of patients with a trait, one per line (for demos and tests).
    Patients(PatientsArgs),
    /// Medicines review of one patient: current list, flags, adherence, history, changes.
    Medicines(MedicinesArgs),
    /// "Prescribed as asked?": did the GP start or stop what a clinic requested?
    Asked(AskedArgs),
    /// Current repeats overdue across a practice (e.g. all overdue anticoagulants).
    Overdue(OverdueArgs),
    /// Show what a store holds: region, counts, seed, content hash.
    Info(InfoArgs),
    /// Generate a small demo region if there is none, then show demo patients.
    Demo(DemoArgs),
    /// Run the benchmark suite and write a JSON result file.
    Bench(BenchArgs),
    /// Serve the gateway and each practice's GP Connect provider endpoint over HTTP.
    Serve(ServeArgs),
    /// Mint a signed demo token (ES256) for any user, role and organisation.
    Token(TokenArgs),
    /// Check the tamper-evident audit log, or report who viewed a practice's or patient's records.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// A practice's inbox of write-back documents: list them, or acknowledge one.
    #[command(subcommand)]
    Inbox(crate::commands::inbox::InboxCommand),
    /// The directory's practices and their endpoints: list them, or point one elsewhere.
    #[command(subcommand)]
    Directory(crate::commands::directory::DirectoryCommand),
}

/// `openmig serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// What to serve: `gateway` (consumers' APIs, federating to the endpoints the
    /// directory names; reads the directory and its own state only), `practices` (each
    /// practice's GP Connect provider and inbox over mutual TLS, from its own clinical
    /// store), or `all` (both, as the demo runs).
    #[arg(long, value_enum, default_value_t = ServeRole::All)]
    pub role: ServeRole,
    /// The region's directory file (a SQLite path or sqlite:FILE). The gateway reads it
    /// and appends its audit log, last-good copies and outbox to it; the practices serve
    /// the clinical stores in the `<stem>-practices` folder beside it.
    #[arg(long, default_value = "openmig.db")]
    pub database: String,
    /// The address the gateway listens on (plain HTTP, for consumers).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The address the practices' systems listen on (mutual TLS). Default: 127.0.0.1:9443
    /// for `--role practices`, a free loopback port for `--role all` (the gateway then
    /// calls the practices it serves there).
    #[arg(long)]
    pub practices_listen: Option<String>,
    /// Gateway configuration (consumers, agreements, role matrix, consent model), TOML.
    /// Default: the demo deployment (crates/openmig-gateway/demo-config.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Directory of the token issuer, audit checkpoint and last-good cache keys and the
    /// demo TLS certificates (`tls/`), created on first use.
    #[arg(long, default_value = "openmig-keys")]
    pub keys: PathBuf,
    /// The URL consumers reach this server at, for FHIR links (default: http://LISTEN).
    #[arg(long)]
    pub public_url: Option<String>,
    /// Gateway: the CA certificates (PEM) a practice system's server certificate must
    /// chain to. Default: the demo CA in KEYS/tls.
    #[arg(long)]
    pub provider_ca: Option<PathBuf>,
    /// Gateway: the client certificate chain (PEM) presented to practices' systems.
    /// Default: the demo gateway certificate. Needs --client-key.
    #[arg(long, requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// Gateway: the private key of --client-cert (PEM, mode 0600).
    #[arg(long, requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// Practices: the CA certificates (PEM) the gateway's client certificate must chain
    /// to. Default: the demo CA.
    #[arg(long)]
    pub client_ca: Option<PathBuf>,
    /// Practices: the server certificate chain (PEM). Default: the demo provider
    /// certificate (valid for localhost, 127.0.0.1 and ::1). Needs --server-key.
    #[arg(long, requires = "server_key")]
    pub server_cert: Option<PathBuf>,
    /// Practices: the private key of --server-cert (PEM, mode 0600).
    #[arg(long, requires = "server_cert")]
    pub server_key: Option<PathBuf>,
}

/// What `openmig serve` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ServeRole {
    /// The gateway only.
    Gateway,
    /// The practices' systems only.
    Practices,
    /// Both in one process.
    All,
}

/// `openmig generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of patients (default: the North East region, 2.7 million).
    #[arg(long, default_value_t = GeneratorConfig::NORTH_EAST_PATIENTS)]
    pub patients: u64,
    /// Number of GP practices.
    #[arg(long, default_value_t = GeneratorConfig::NORTH_EAST_PRACTICES)]
    pub practices: u32,
    /// Random seed: the same seed (and --as-of) gives the same region, byte for byte.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The region's present: records run up to this day (default: today).
    #[arg(long, value_parser = parse_day)]
    pub as_of: Option<NaiveDate>,
    /// The region's directory file to create; the practices' clinical stores go into the
    /// folder `<stem>-practices` beside it.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace the output files if they exist (they are replaced only when generation
    /// succeeds).
    #[arg(long)]
    pub force: bool,
    /// Where the practices' systems will be served (`https://host:port`): the directory
    /// publishes each practice's GP Connect and document endpoints under it.
    #[arg(long, default_value = DEFAULT_PRACTICES_URL)]
    pub practices_url: String,
}

/// Where `serve --role practices` listens by default, and so where `generate` points the
/// directory.
pub const DEFAULT_PRACTICES_URL: &str = "https://127.0.0.1:9443";

/// `openmig record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// The patient's NHS number (e.g. 9434765919 or "943 476 5919").
    #[arg(value_parser = parse_nhs_number)]
    pub nhs_number: NhsNumber,
    /// The store: a SQLite file path or sqlite:FILE.
    #[arg(long, default_value = "openmig.db")]
    pub database: String,
    /// Show every medicine with its issue history.
    #[arg(long)]
    pub meds: bool,
    /// Judge "current" and "days ago" as of this day (default: the region's as-of day).
    #[arg(long, value_parser = parse_day)]
    pub today: Option<NaiveDate>,
}

/// `openmig medicines`.
#[derive(Debug, Args)]
pub struct MedicinesArgs {
    /// The patient's NHS number.
    #[arg(value_parser = parse_nhs_number)]
    pub nhs_number: NhsNumber,
    /// The store: a SQLite file path or sqlite:FILE.
    #[arg(long, default_value = "openmig.db")]
    pub database: String,
    /// Also list changes (started, stopped, dose changed) since this day.
    #[arg(long, value_parser = parse_day)]
    pub since: Option<NaiveDate>,
    /// Judge as of this day (default: the region's as-of day).
    #[arg(long, value_parser = parse_day)]
    pub today: Option<NaiveDate>,
    /// Print the review as JSON (the shape the HTTP API serves).
    #[arg(long)]
    pub json: bool,
}

/// `openmig asked`.
#[derive(Debug, Args)]
pub struct AskedArgs {
    /// The patient's NHS number.
    #[arg(value_parser = parse_nhs_number)]
    pub nhs_number: NhsNumber,
    /// The store: a SQLite file path or sqlite:FILE.
    #[arg(long, default_value = "openmig.db")]
    pub database: String,
    /// The day of the request (the clinic letter).
    #[arg(long, value_parser = parse_day)]
    pub requested_on: NaiveDate,
    /// A medicine the clinic asked to start: a dm+d code or text such as "atorvastatin 80mg".
    #[arg(long)]
    pub start: Vec<String>,
    /// A medicine the clinic asked to stop, e.g. "naproxen".
    #[arg(long)]
    pub stop: Vec<String>,
    /// Judge as of this day (default: the region's as-of day).
    #[arg(long, value_parser = parse_day)]
    pub today: Option<NaiveDate>,
    /// Print the answers as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `openmig overdue`.
#[derive(Debug, Args)]
pub struct OverdueArgs {
    /// The store: a SQLite file path or sqlite:FILE.
    #[arg(long, default_value = "openmig.db")]
    pub database: String,
    /// The practice's ODS code.
    #[arg(long)]
    pub practice: String,
    /// Only medicines with this high-risk flag (e.g. anticoagulant, insulin, antiepileptic).
    #[arg(long)]
    pub flag: Option<String>,
    /// Days after the supply runs out before a repeat counts as overdue.
    #[arg(long, default_value_t = openmig_domain::medicines::DEFAULT_OVERDUE_GRACE_DAYS)]
    pub grace_days: i64,
}

/// `openmig patients`.
#[derive(Debug, Args)]
pub struct PatientsArgs {
    /// The store: a SQLite file path or sqlite:FILE.
    #[arg(long, default_value = "openmig.db")]
    pub database: String,
    /// The trait (any, anticoagulant, antiepileptic, insulin, opioid, allergy, overdue-repeat,
    /// many-medicines, dissent, sensitive, confidential, deceased, deregistered,
    /// practice-sharing-disabled, sulfonylurea, antidepressant, nsaid, prescribed-elsewhere,
    /// no-known-allergies, restricted).
    #[arg(long = "trait", value_parser = parse_trait)]
    pub wanted: PatientTrait,
    /// At most this many.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
}

/// `openmig info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The store: a SQLite file path or sqlite:FILE.
    #[arg(long, default_value = "openmig.db")]
    pub database: String,
    /// Also recompute the hash of the stored content (reads every record).
    #[arg(long)]
    pub hash: bool,
}

/// `openmig demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The demo store; generated (5,000 patients, 4 practices) if it does not exist.
    #[arg(long, default_value = "openmig-demo.db")]
    pub database: PathBuf,
    /// The address the gateway and providers listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Directory of the demo token issuer and audit checkpoint keys.
    #[arg(long, default_value = "openmig-keys")]
    pub keys: PathBuf,
    /// Prepare the region and print the demo patients, but do not start the servers.
    #[arg(long)]
    pub no_serve: bool,
}

/// `openmig bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Patients to generate for the run.
    #[arg(long, default_value_t = 100_000)]
    pub patients: u64,
    /// Practices (default: scaled like the North East, one per ~7,700 patients).
    #[arg(long)]
    pub practices: Option<u32>,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Random whole-record reads to time after generation.
    #[arg(long, default_value_t = 20_000)]
    pub reads: usize,
    /// Instead of generation, benchmark medicines reviews: every patient of a one-practice
    /// region of --patients reviewed, and the practice-wide overdue-anticoagulant query.
    #[arg(long)]
    pub medicines: bool,
    /// Instead of generation, benchmark the gateway: audited views per second with 1, 16
    /// and 64 concurrent clients, and its added latency over the direct provider, on a
    /// one-practice region of --patients (--reads sequential requests).
    #[arg(long, conflicts_with = "medicines")]
    pub gateway: bool,
    /// Instead of generation, benchmark federation end to end: medicines views through
    /// the gateway and each practice's provider over loopback mutual TLS, with 1 and 16
    /// clients, then with one practice down (--reads views per run).
    #[arg(long, conflicts_with_all = ["medicines", "gateway"])]
    pub federation: bool,
    /// Where to put the store file (deleted afterwards unless --keep).
    #[arg(long, default_value = "bench-results/bench.db")]
    pub database: PathBuf,
    /// Keep the generated store.
    #[arg(long)]
    pub keep: bool,
    /// The JSON result file.
    #[arg(long, default_value = "bench-results/generate.json")]
    pub out: PathBuf,
}

/// `openmig token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The user's id (the sub claim; a 12-digit id is taken as an SDS smartcard id).
    #[arg(long)]
    pub user: String,
    /// The user's role: doctor, nurse, pharmacist, paramedic, administrative or auditor.
    #[arg(long, value_parser = parse_role)]
    pub role: openmig_domain::Role,
    /// The user's organisation (ODS code), e.g. RXX01.
    #[arg(long, value_parser = parse_ods)]
    pub org: openmig_domain::OdsCode,
    /// The user's name as the audit shows it (default: the user id).
    #[arg(long)]
    pub name: Option<String>,
    /// The consent basis for this episode: given, emergency or implied.
    #[arg(long, value_parser = parse_consent)]
    pub consent: Option<openmig_domain::ConsentBasis>,
    /// Why the record is needed without consent (required with --consent emergency).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Lifetime in seconds (the gateway accepts at most 3600 by default).
    #[arg(long, value_name = "SECONDS", default_value_t = openmig_auth::DEFAULT_TOKEN_TTL.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=openmig_auth::DEFAULT_MAX_LIFETIME.as_secs()))]
    pub ttl: u64,
    /// The demo issuer's key directory (created with a new ES256 key if missing).
    #[arg(long, value_name = "DIR", default_value = "openmig-keys")]
    pub keys: PathBuf,
    /// The aud claim: who the token is for.
    #[arg(long, default_value = openmig_auth::DEFAULT_AUDIENCE)]
    pub audience: String,
    /// The requesting device or system id.
    #[arg(long, default_value = openmig_auth::DEFAULT_DEVICE)]
    pub device: String,
}

fn parse_role(text: &str) -> Result<openmig_domain::Role, String> {
    text.parse::<openmig_domain::Role>().map_err(|e| e.to_string())
}

fn parse_ods(text: &str) -> Result<openmig_domain::OdsCode, String> {
    openmig_domain::OdsCode::parse(text).map_err(|e| e.to_string())
}

fn parse_consent(text: &str) -> Result<openmig_domain::ConsentBasis, String> {
    text.parse::<openmig_domain::ConsentBasis>().map_err(|e| e.to_string())
}

/// `openmig audit`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain and signed checkpoints; exit 0 only when intact, otherwise
    /// name the first bad sequence number.
    Verify(AuditVerifyArgs),
    /// Who viewed a practice's or a patient's records, when, why and under which consent
    /// basis; emergency overrides first.
    Report(AuditReportArgs),
}

/// `openmig audit verify`.
#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    /// The database holding the audit log: a SQLite file path or sqlite:FILE (read only).
    #[arg(long, value_name = "URL", default_value = "openmig.db")]
    pub database: String,
    /// The key directory holding the audit checkpoint public key (audit-checkpoint-key.pub).
    #[arg(long, value_name = "DIR", default_value = "openmig-keys")]
    pub keys: PathBuf,
    /// The signed checkpoints file (default: DATABASE.audit-checkpoints.jsonl).
    #[arg(long, value_name = "FILE")]
    pub checkpoints: Option<PathBuf>,
}

/// `openmig audit report`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("subject").required(true).args(["practice", "patient"])))]
pub struct AuditReportArgs {
    /// The database holding the audit log: a SQLite file path or sqlite:FILE (read only).
    #[arg(long, value_name = "URL", default_value = "openmig.db")]
    pub database: String,
    /// Accesses to patients registered at this practice (ODS code).
    #[arg(long, value_name = "ODS", value_parser = parse_ods)]
    pub practice: Option<openmig_domain::OdsCode>,
    /// Accesses to this patient's record (NHS number).
    #[arg(long, value_name = "NHS", value_parser = parse_nhs_number)]
    pub patient: Option<NhsNumber>,
    /// From this UK calendar day, YYYY-MM-DD (inclusive).
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub from: Option<NaiveDate>,
    /// To this UK calendar day, YYYY-MM-DD (inclusive).
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub to: Option<NaiveDate>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Csv)]
    pub format: ReportFormat,
}

/// `openmig audit report --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// RFC 4180 CSV with a header row.
    Csv,
    /// A JSON array of entries.
    Json,
}

fn parse_nhs_number(text: &str) -> Result<NhsNumber, String> {
    NhsNumber::parse(text).map_err(|e| e.to_string())
}

fn parse_trait(text: &str) -> Result<PatientTrait, String> {
    text.parse::<PatientTrait>().map_err(|e| e.to_string())
}

fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| format!("'{text}' is not a date in the form YYYY-MM-DD"))
}
