//! The tamper-evident access audit log: every view of a GP record, and every refusal,
//! recorded before any data leaves the gateway (security.md, "Audit").
//!
//! This crate owns:
//!
//! - [`AuditEvent`], what the gateway records for every request: who (user, role,
//!   organisation, device), whom (NHS number, practice), why (purpose, consent basis,
//!   emergency-override reason), what (datasets, number of items), the outcome and error
//!   code, and the trace id. Never clinical content: the type has no field that could
//!   hold a record entry.
//! - [`AuditLog`], the writer. Entries get gapless sequence numbers from the log (never
//!   from the clock) and are hash-chained (see [`chain`]). Concurrent
//!   [`append`](AuditLog::append) calls are grouped into one SQLite transaction by a
//!   writer thread (group commit, `synchronous=FULL`); each caller returns only once its
//!   entry is durable, and if the transaction fails every caller in it gets the error.
//! - Signed checkpoints ([`Checkpoint`], [`CheckpointKey`]): Ed25519 signatures over
//!   (sequence, head hash, time), kept in an append-only JSON-lines file apart from the
//!   database, so truncating the log or rewriting the whole chain is detected.
//! - [`verify`], which recomputes the chain and names the first bad sequence number, and
//!   [`report`], who viewed a practice's or a patient's records (CSV or JSON).
//!
//! Storage: tables prefixed `audit_` (STRICT) in a SQLite file, which may be the
//! record store's own file (the store's tables, `user_version` and `application_id` are
//! never touched) or a file of its own. Triggers refuse `UPDATE` and `DELETE` on the
//! audit tables and any insert that is not the next sequence number.
//!
//! Architecture invariants: this crate depends on the domain only; it never logs (an
//! audit entry is a record, not a log line) and its error messages carry no patient
//! data; it never modifies a file it cannot identify as openmig's.
//!
//! ```no_run
//! use std::path::Path;
//! use openmig_audit::{AuditLog, AuditOptions, CheckpointKey};
//!
//! # fn main() -> Result<(), openmig_audit::AuditError> {
//! let key = CheckpointKey::load_or_create(Path::new("openmig-keys"))?;
//! let log = AuditLog::open(Path::new("openmig.db"), key, AuditOptions::default())?;
//! # let event: openmig_audit::AuditEvent = unimplemented!();
//! let sequence = log.append(event)?; // durable once this returns
//! # let _ = sequence;
//! # Ok(())
//! # }
//! ```

pub mod chain;
mod checkpoint;
mod error;
mod event;
mod file;
mod log;
mod report;
mod row;
mod verify;

pub use chain::ChainHash;
pub use checkpoint::{Checkpoint, CheckpointKey, CheckpointPublicKey, default_checkpoints_path};
pub use error::AuditError;
pub use event::{AuditEntry, AuditEvent, Outcome};
pub use log::{AuditLog, AuditOptions};
pub use openmig_domain::uk_time::uk_day_start;
pub use report::{ReportFilter, ReportSubject, report, to_csv, to_json};
pub use verify::{Problem, ProblemKind, VerifyReport, verify};
