//! Shared set-up for the audit tests: a log in a temporary directory, synthetic events,
//! and an "attacker" connection that bypasses the append-only triggers.

#![allow(dead_code)] // each test file uses a different part

use std::path::PathBuf;

use chrono::{DateTime, Duration, TimeZone, Utc};
use openmig_audit::{
    AuditEvent, AuditLog, AuditOptions, CheckpointKey, CheckpointPublicKey, Outcome, VerifyReport,
    default_checkpoints_path, verify,
};
use openmig_domain::{ConsentBasis, Dataset, NhsNumber, OdsCode, Role};
use rusqlite::Connection;
use tempfile::TempDir;

/// The columns of `audit_entry`, for tampering by hand.
pub const COLUMNS: &str = "sequence, time, interaction, user_id, user_name, role, organisation, device, \
     patient, practice, purpose, consent, override_reason, datasets, items_returned, outcome, error_code, \
     trace_id, hash";

pub struct Fixture {
    pub dir: TempDir,
    pub db: PathBuf,
    pub keys: PathBuf,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = TempDir::new().unwrap();
        let db = dir.path().join("audit.db");
        let keys = dir.path().join("keys");
        Fixture { dir, db, keys }
    }

    pub fn checkpoints(&self) -> PathBuf {
        default_checkpoints_path(&self.db)
    }

    pub fn try_open(&self, checkpoint_every: u64) -> Result<AuditLog, openmig_audit::AuditError> {
        let key = CheckpointKey::load_or_create(&self.keys).unwrap();
        AuditLog::open(&self.db, key, AuditOptions { checkpoint_every, ..AuditOptions::default() })
    }

    pub fn open(&self, checkpoint_every: u64) -> AuditLog {
        self.try_open(checkpoint_every).unwrap()
    }

    /// A closed log of `n` entries, checkpointed every `every` and on close.
    pub fn with_entries(n: u64, every: u64) -> Fixture {
        let fixture = Fixture::new();
        let log = fixture.open(every);
        for i in 1..=n {
            assert_eq!(log.append(event(i)).unwrap(), i);
        }
        log.close().unwrap();
        fixture
    }

    pub fn public(&self) -> CheckpointPublicKey {
        CheckpointPublicKey::load(&self.keys).unwrap()
    }

    pub fn verify(&self) -> VerifyReport {
        verify(&self.db, &self.public(), &self.checkpoints()).unwrap()
    }

    /// A raw connection with the append-only triggers dropped, as an attacker with write
    /// access to the file would have.
    pub fn attacker(&self) -> Connection {
        let conn = Connection::open(&self.db).unwrap();
        conn.execute_batch(
            "DROP TRIGGER IF EXISTS audit_entry_no_update; DROP TRIGGER IF EXISTS audit_entry_no_delete; DROP TRIGGER IF EXISTS audit_entry_gapless;",
        )
        .unwrap();
        conn
    }

    pub fn count(&self) -> i64 {
        Connection::open(&self.db).unwrap().query_row("SELECT count(*) FROM audit_entry", [], |r| r.get(0)).unwrap()
    }
}

pub fn nhs(index: u32) -> NhsNumber {
    (900_000_000 + index * 7..).find_map(NhsNumber::from_prefix).unwrap()
}

pub fn practice(index: u32) -> OdsCode {
    OdsCode::parse(&format!("Z9000{}", index % 10)).unwrap()
}

pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap()
}

/// A deterministic, varied event; `i` also makes the trace id unique.
pub fn event(i: u64) -> AuditEvent {
    let emergency = i.is_multiple_of(5);
    let refused = i.is_multiple_of(7);
    AuditEvent {
        time: start() + Duration::milliseconds(i as i64 * 1_500),
        interaction: if i.is_multiple_of(3) {
            "medicines.review".into()
        } else {
            "gpconnect.getstructuredrecord".into()
        },
        user_id: format!("user-{}", i % 4),
        user_name: format!("Clinician {}", i % 4),
        role: Some(if i.is_multiple_of(2) { Role::Doctor } else { Role::Paramedic }),
        organisation: "RX1".into(),
        device: "ed-system".into(),
        patient: Some(nhs((i % 3) as u32)),
        practice: Some(practice((i % 2) as u32)),
        purpose: "directcare".into(),
        consent: Some(if emergency { ConsentBasis::Emergency } else { ConsentBasis::Given }),
        override_reason: emergency.then(|| format!("unconscious, case {i}")),
        datasets: if refused { vec![] } else { vec![Dataset::Demographics, Dataset::Clinical] },
        items_returned: if refused { 0 } else { (i % 40) as u32 },
        outcome: if refused { Outcome::Refused } else { Outcome::Permitted },
        error_code: refused.then(|| "NO_AGREEMENT".to_string()),
        trace_id: format!("trace-{i}"),
    }
}
