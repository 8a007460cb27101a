//! Tamper evidence: for each kind of tampering, `verify` fails at the right sequence
//! number. The attacker writes with a raw SQLite connection and drops the triggers.

mod common;

use common::{COLUMNS, Fixture, event};
use openmig_audit::{
    AuditError, AuditLog, AuditOptions, CheckpointKey, ProblemKind, VerifyReport, default_checkpoints_path, verify,
};
use proptest::prelude::*;
use rusqlite::Connection;

fn problem(report: &VerifyReport) -> (u64, ProblemKind) {
    let problem = report.problem.as_ref().expect("tampering was not detected");
    (problem.sequence, problem.kind)
}

/// Moves entries `from..` up by one place, leaving a hole at `from`.
fn open_a_hole(conn: &Connection, from: u64) {
    conn.execute("UPDATE audit_entry SET sequence = sequence + 1000000 WHERE sequence >= ?1", [from as i64]).unwrap();
    conn.execute("UPDATE audit_entry SET sequence = sequence - 999999 WHERE sequence >= 1000000", []).unwrap();
}

/// Puts a copy of entry `source` (hash and all) at `at`, renumbering the rest.
fn insert_copy(conn: &Connection, at: u64, source: u64) {
    let source = if source >= at { source + 1 } else { source };
    open_a_hole(conn, at);
    let rest = COLUMNS.trim_start_matches("sequence, ");
    conn.execute(
        &format!("INSERT INTO audit_entry ({COLUMNS}) SELECT ?1, {rest} FROM audit_entry WHERE sequence = ?2"),
        [at as i64, source as i64],
    )
    .unwrap();
}

/// Swaps the contents of entries `a` and `b` (each keeps its sequence number, the
/// hashes travel with the content).
fn swap(conn: &Connection, a: u64, b: u64) {
    conn.execute_batch(&format!(
        "CREATE TEMP TABLE moved AS SELECT * FROM audit_entry WHERE sequence IN ({a}, {b});
         DELETE FROM audit_entry WHERE sequence IN ({a}, {b});
         INSERT INTO audit_entry ({COLUMNS})
             SELECT CASE sequence WHEN {a} THEN {b} ELSE {a} END, {rest} FROM moved;
         DROP TABLE moved;",
        rest = COLUMNS.trim_start_matches("sequence, ")
    ))
    .unwrap();
}

#[test]
fn an_intact_log_verifies() {
    let fixture = Fixture::with_entries(12, 5);
    let report = fixture.verify();
    assert!(report.is_intact(), "{:?}", report.problem);
    assert_eq!(report.entries, 12);
    assert_eq!(report.last_checkpoint.unwrap().sequence, 12);
}

#[test]
fn an_edited_entry_is_named() {
    let fixture = Fixture::with_entries(10, 1000);
    fixture.attacker().execute("UPDATE audit_entry SET user_id = 'someone-else' WHERE sequence = 4", []).unwrap();
    assert_eq!(problem(&fixture.verify()), (4, ProblemKind::Altered));
}

#[test]
fn an_edited_hash_is_named() {
    let fixture = Fixture::with_entries(10, 1000);
    fixture.attacker().execute("UPDATE audit_entry SET hash = zeroblob(32) WHERE sequence = 7", []).unwrap();
    assert_eq!(problem(&fixture.verify()), (7, ProblemKind::Altered));
}

#[test]
fn a_respelt_value_is_named_even_though_its_meaning_is_unchanged() {
    let fixture = Fixture::with_entries(10, 1000);
    fixture
        .attacker()
        .execute("UPDATE audit_entry SET time = replace(time, 'Z', '+00:00') WHERE sequence = 3", [])
        .unwrap();
    assert_eq!(problem(&fixture.verify()), (3, ProblemKind::Unreadable));
    let fixture = Fixture::with_entries(10, 1000);
    fixture.attacker().execute("UPDATE audit_entry SET role = 'surgeon' WHERE sequence = 5", []).unwrap();
    let report = fixture.verify();
    assert_eq!(problem(&report), (5, ProblemKind::Unreadable));
    assert!(report.problem.unwrap().reason.contains("role"));
}

#[test]
fn a_deleted_entry_is_named() {
    let fixture = Fixture::with_entries(10, 1000);
    fixture.attacker().execute("DELETE FROM audit_entry WHERE sequence = 6", []).unwrap();
    let report = fixture.verify();
    assert_eq!(problem(&report), (6, ProblemKind::Missing));
    assert_eq!(report.entries, 5);
}

#[test]
fn an_inserted_entry_is_named() {
    let fixture = Fixture::with_entries(10, 1000);
    insert_copy(&fixture.attacker(), 3, 8);
    assert_eq!(problem(&fixture.verify()), (3, ProblemKind::Altered));
}

#[test]
fn reordered_entries_are_named() {
    let fixture = Fixture::with_entries(10, 1000);
    swap(&fixture.attacker(), 4, 9);
    assert_eq!(problem(&fixture.verify()), (4, ProblemKind::Altered));
}

#[test]
fn truncation_below_the_last_checkpoint_is_named() {
    let fixture = Fixture::with_entries(10, 1000);
    fixture.attacker().execute("DELETE FROM audit_entry WHERE sequence > 7", []).unwrap();
    let report = fixture.verify();
    assert_eq!(problem(&report), (8, ProblemKind::Truncated));
    assert!(report.problem.unwrap().reason.contains("entries 8..=10 were removed"));
}

#[test]
fn a_dropped_table_is_truncation_to_nothing() {
    let fixture = Fixture::with_entries(4, 1000);
    fixture.attacker().execute_batch("DROP TABLE audit_entry").unwrap();
    assert_eq!(problem(&fixture.verify()), (1, ProblemKind::Truncated));
}

/// Rewrites the whole chain from `from` with consistent hashes: the attacker builds a
/// log of their own (with entry `from` changed) and copies its rows over the real ones.
fn rewrite_from(fixture: &Fixture, from: u64, total: u64) {
    let forged_dir = tempfile::tempdir().unwrap();
    let forged = forged_dir.path().join("forged.db");
    let log = AuditLog::open(&forged, CheckpointKey::generate().unwrap(), AuditOptions::default()).unwrap();
    for i in 1..=total {
        let mut e = event(i);
        if i == from {
            e.user_id = "nobody-looked".into();
        }
        log.append(e).unwrap();
    }
    drop(log);
    let conn = fixture.attacker();
    conn.execute("ATTACH DATABASE ?1 AS forged", [forged.to_str().unwrap()]).unwrap();
    conn.execute("DELETE FROM audit_entry WHERE sequence >= ?1", [from as i64]).unwrap();
    conn.execute(
        &format!("INSERT INTO audit_entry ({COLUMNS}) SELECT {COLUMNS} FROM forged.audit_entry WHERE sequence >= ?1"),
        [from as i64],
    )
    .unwrap();
}

#[test]
fn a_whole_chain_rewrite_is_caught_by_the_first_checkpoint_it_crosses() {
    // Checkpoints at 0, 4, 8, 12 (and 12 again at close).
    let fixture = Fixture::with_entries(12, 4);
    rewrite_from(&fixture, 6, 12);
    let report = fixture.verify();
    assert_eq!(problem(&report), (5, ProblemKind::Rewritten), "{:?}", report.problem);
    assert!(report.problem.unwrap().reason.contains("entries 5..=8 were rewritten"));
}

#[test]
fn a_forged_or_altered_checkpoint_is_named() {
    let fixture = Fixture::with_entries(10, 1000);
    let path = fixture.checkpoints();
    let text = std::fs::read_to_string(&path).unwrap();
    // Claim a different head for sequence 10 without the key: the signature no longer fits.
    let last = text.lines().last().unwrap();
    let value: serde_json::Value = serde_json::from_str(last).unwrap();
    let forged = last.replace(value["head"].as_str().unwrap(), &"ab".repeat(32));
    std::fs::write(&path, text.replace(last, &forged)).unwrap();
    let report = fixture.verify();
    assert_eq!(problem(&report), (10, ProblemKind::BadCheckpoint));
    assert!(report.problem.unwrap().reason.contains("invalid signature"));
}

#[test]
fn a_checkpoint_signed_by_another_key_is_named() {
    let fixture = Fixture::with_entries(10, 1000);
    // The attacker truncates, then signs the shorter log with a key of their own.
    fixture.attacker().execute("DELETE FROM audit_entry WHERE sequence > 6", []).unwrap();
    let report = fixture.verify();
    let forged = CheckpointKey::generate().unwrap().sign(6, report.head, chrono::Utc::now());
    let path = fixture.checkpoints();
    let text = std::fs::read_to_string(&path).unwrap();
    let kept: Vec<&str> = text.lines().filter(|l| !l.contains("\"sequence\":10")).collect();
    std::fs::write(&path, format!("{}\n{}\n", kept.join("\n"), forged.to_json_line())).unwrap();
    let report = fixture.verify();
    assert_eq!(problem(&report), (6, ProblemKind::BadCheckpoint));
    assert!(report.problem.unwrap().reason.contains("not signed by the audit key"));
}

#[test]
fn a_damaged_out_of_order_or_missing_checkpoints_file_is_named() {
    let fixture = Fixture::with_entries(10, 4);
    let path = fixture.checkpoints();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Lines: 0, 4, 8, 10.
    std::fs::write(&path, format!("{}\n{}\nnot json\n{}\n", lines[0], lines[1], lines[3])).unwrap();
    let report = fixture.verify();
    assert_eq!(problem(&report), (5, ProblemKind::BadCheckpoint));
    assert!(report.problem.unwrap().reason.contains("line 3"));

    std::fs::write(&path, format!("{}\n{}\n{}\n", lines[0], lines[2], lines[1])).unwrap();
    assert_eq!(problem(&fixture.verify()), (4, ProblemKind::BadCheckpoint));

    std::fs::write(&path, "").unwrap();
    assert_eq!(problem(&fixture.verify()), (1, ProblemKind::NoCheckpoints));
    std::fs::remove_file(&path).unwrap();
    assert_eq!(problem(&fixture.verify()), (1, ProblemKind::NoCheckpoints));
}

#[test]
fn the_earliest_damage_is_reported() {
    let fixture = Fixture::with_entries(10, 1000);
    let conn = fixture.attacker();
    conn.execute("UPDATE audit_entry SET device = 'x' WHERE sequence = 8", []).unwrap();
    conn.execute("DELETE FROM audit_entry WHERE sequence = 3", []).unwrap();
    assert_eq!(problem(&fixture.verify()), (3, ProblemKind::Missing));
}

#[test]
fn verification_changes_nothing_and_needs_an_audit_log() {
    let fixture = Fixture::with_entries(3, 1000);
    let before = std::fs::read(&fixture.db).unwrap();
    fixture.verify();
    assert_eq!(std::fs::read(&fixture.db).unwrap(), before);
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.db");
    assert!(matches!(
        verify(&missing, &fixture.public(), &default_checkpoints_path(&missing)),
        Err(AuditError::Database(_))
    ));
    std::fs::write(&missing, b"").unwrap();
    assert!(matches!(
        verify(&missing, &fixture.public(), &default_checkpoints_path(&missing)),
        Err(AuditError::NoLog(_))
    ));
}

/// One act of tampering on a log of `n` entries, with the first sequence number it must
/// be caught at.
#[derive(Debug, Clone)]
enum Tamper {
    Edit { at: u64, column: usize },
    Delete { at: u64 },
    Insert { at: u64, source: u64 },
    Swap { a: u64, b: u64 },
    Truncate { keep: u64 },
}

/// Column edits that always change the stored value.
const EDITS: &[&str] = &[
    "user_id = user_id || 'x'",
    "time = strftime('%Y-%m-%dT%H:%M:%S', time, '+1 second') || substr(time, 20)",
    "patient = CASE patient WHEN '9000000001' THEN '9000000028' ELSE '9000000001' END",
    "outcome = CASE outcome WHEN 'refused' THEN 'permitted' ELSE 'refused' END",
    "items_returned = items_returned + 1",
    "override_reason = CASE WHEN override_reason IS NULL THEN 'x' ELSE NULL END",
    "datasets = CASE datasets WHEN '' THEN 'clinical' ELSE '' END",
    "trace_id = 'forged'",
    "hash = randomblob(32)",
];

impl Tamper {
    fn apply(&self, conn: &Connection) {
        match *self {
            Tamper::Edit { at, column } => {
                let changed = conn
                    .execute(&format!("UPDATE audit_entry SET {} WHERE sequence = ?1", EDITS[column]), [at as i64])
                    .unwrap();
                assert_eq!(changed, 1);
            }
            Tamper::Delete { at } => {
                conn.execute("DELETE FROM audit_entry WHERE sequence = ?1", [at as i64]).unwrap();
            }
            Tamper::Insert { at, source } => insert_copy(conn, at, source),
            Tamper::Swap { a, b } => swap(conn, a, b),
            Tamper::Truncate { keep } => {
                conn.execute("DELETE FROM audit_entry WHERE sequence > ?1", [keep as i64]).unwrap();
            }
        }
    }

    fn first_bad(&self, n: u64) -> u64 {
        match *self {
            Tamper::Edit { at, .. } | Tamper::Insert { at, .. } => at,
            // Deleting the last entry is a truncation below the closing checkpoint.
            Tamper::Delete { at } => at,
            Tamper::Swap { a, b } => a.min(b),
            Tamper::Truncate { keep } => keep + 1,
        }
        .min(n)
    }
}

fn tamper(n: u64) -> impl Strategy<Value = Tamper> {
    prop_oneof![
        (1..=n, 0..EDITS.len()).prop_map(|(at, column)| Tamper::Edit { at, column }),
        (1..=n).prop_map(|at| Tamper::Delete { at }),
        // A copy of entry k put at k itself is indistinguishable from the original; the
        // entry pushed along behind it is the first one out of place.
        (1..=n, 1..=n)
            .prop_filter("a copy of another entry", |(at, source)| at != source)
            .prop_map(|(at, source)| Tamper::Insert { at, source }),
        (1..=n, 1..=n).prop_filter("two different entries", |(a, b)| a != b).prop_map(|(a, b)| Tamper::Swap { a, b }),
        (0..n).prop_map(|keep| Tamper::Truncate { keep }),
    ]
}

proptest! {
    // Each case builds and syncs a fresh log on disk, so fewer cases than usual; a
    // failure prints its minimal case (no regression file: this is a tests/ file).
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_single_tampering_is_caught_at_the_right_sequence_number(
        (n, every, act) in (2u64..=24, 3u64..=30).prop_flat_map(|(n, every)| (Just(n), Just(every), tamper(n)))
    ) {
        let fixture = Fixture::with_entries(n, every);
        prop_assert!(fixture.verify().is_intact());
        act.apply(&fixture.attacker());
        let report = fixture.verify();
        let found = report.problem.clone();
        prop_assert!(found.is_some(), "{act:?} on {n} entries went unnoticed");
        prop_assert_eq!(found.unwrap().sequence, act.first_bad(n), "{:?} on {} entries: {:?}", act, n, report.problem);
    }
}
