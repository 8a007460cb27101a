//! The writer: sequence numbers, group commit under concurrency, failures, checkpoints,
//! reopening, and living in the record store's file.

mod common;

use std::sync::{Arc, Barrier};

use common::{Fixture, event};
use openmig_audit::{AuditError, AuditLog, AuditOptions, ChainHash, CheckpointKey, ProblemKind};
use openmig_domain::fixtures::{self, AS_OF};
use openmig_store::{PreparedRecord, Store, StoreError};
use openmig_store_sqlite::SqliteStore;
use rusqlite::Connection;

fn checkpoint_sequences(fixture: &Fixture) -> Vec<u64> {
    std::fs::read_to_string(fixture.checkpoints())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["sequence"].as_u64().unwrap())
        .collect()
}

#[test]
fn appends_get_gapless_sequence_numbers_and_the_log_verifies() {
    let fixture = Fixture::new();
    let log = fixture.open(1000);
    for i in 1..=5 {
        assert_eq!(log.append(event(i)).unwrap(), i);
    }
    assert!(log.is_writable());
    let report = fixture.verify();
    assert!(report.is_intact(), "{:?}", report.problem);
    assert_eq!(report.entries, 5);
    assert_eq!(report.unattested(), 5, "only the opening checkpoint so far");
    let closing = log.close().unwrap().expect("closing signs the five new entries");
    assert_eq!(closing.sequence, 5);
    let report = fixture.verify();
    assert_eq!(report.head, closing.head);
    assert_eq!(report.unattested(), 0);
    assert_eq!(checkpoint_sequences(&fixture), [0, 5]);
}

#[test]
fn many_concurrent_writers_get_one_gapless_chain() {
    const THREADS: u64 = 8;
    const EACH: u64 = 250;
    let fixture = Fixture::new();
    let log = Arc::new(fixture.open(100));
    let start = Arc::new(Barrier::new(THREADS as usize));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let log = Arc::clone(&log);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                (0..EACH).map(|i| log.append(event(t * EACH + i + 1)).unwrap()).collect::<Vec<u64>>()
            })
        })
        .collect();
    let mut sequences: Vec<u64> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    // Each thread saw its own sequence numbers rise.
    sequences.sort_unstable();
    assert_eq!(sequences, (1..=THREADS * EACH).collect::<Vec<_>>());
    Arc::try_unwrap(log).unwrap().close().unwrap();
    let report = fixture.verify();
    assert!(report.is_intact(), "{:?}", report.problem);
    assert_eq!(report.entries, THREADS * EACH);
    let checkpoints = checkpoint_sequences(&fixture);
    assert!(checkpoints.len() >= 2 + (THREADS * EACH / 100) as usize - 1, "{checkpoints:?}");
    assert!(checkpoints.windows(2).all(|w| w[0] < w[1]), "{checkpoints:?}");
    assert!(checkpoints.windows(2).all(|w| w[1] - w[0] < 100 + 1024), "at least every 100 entries (plus one batch)");
    assert_eq!(*checkpoints.last().unwrap(), THREADS * EACH);
}

#[test]
fn a_failed_group_commit_fails_every_caller_in_it_and_leaves_no_gap() {
    let fixture = Fixture::new();
    let log = Arc::new(fixture.open(1000));
    for i in 1..=4 {
        log.append(event(i)).unwrap();
    }
    // Make every transaction that writes entry 5 fail, as a full disk would.
    let conn = Connection::open(&fixture.db).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER fail_five BEFORE INSERT ON audit_entry WHEN NEW.sequence = 5
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
    )
    .unwrap();
    let start = Arc::new(Barrier::new(6));
    let results: Vec<_> = (0..6)
        .map(|t| {
            let log = Arc::clone(&log);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                log.append(event(100 + t))
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    for result in &results {
        assert!(
            matches!(result, Err(AuditError::Database(message)) if message.contains("injected failure")),
            "{result:?}"
        );
    }
    assert!(!log.is_writable());
    assert_eq!(fixture.count(), 4, "nothing of the failed batches was kept");
    conn.execute_batch("DROP TRIGGER fail_five").unwrap();
    assert_eq!(log.append(event(5)).unwrap(), 5, "the next entry takes the next number");
    assert!(log.is_writable());
    Arc::try_unwrap(log).unwrap().close().unwrap();
    assert!(fixture.verify().is_intact());
}

#[test]
fn reopening_continues_the_chain_and_checkpoints_land_every_n_entries() {
    let fixture = Fixture::new();
    let log = fixture.open(3);
    for i in 1..=7 {
        log.append(event(i)).unwrap();
    }
    assert_eq!(log.checkpoint().unwrap().sequence, 7);
    drop(log);
    let log = fixture.open(3);
    assert_eq!(log.append(event(8)).unwrap(), 8);
    assert_eq!(log.append(event(9)).unwrap(), 9);
    drop(log);
    // One append at a time: a checkpoint after 3 and 6 entries, on demand at 7, at close.
    assert_eq!(checkpoint_sequences(&fixture), [0, 3, 6, 7, 9]);
    let report = fixture.verify();
    assert!(report.is_intact(), "{:?}", report.problem);
    assert_eq!((report.entries, report.checkpoints), (9, 5));
}

#[test]
fn a_log_left_without_its_closing_checkpoint_is_checked_and_covered_at_the_next_open() {
    let fixture = Fixture::new();
    let log = fixture.open(1000);
    for i in 1..=4 {
        log.append(event(i)).unwrap();
    }
    // A crash: no closing checkpoint, and a checkpoint line torn half-way.
    std::mem::forget(log);
    let mut file = std::fs::OpenOptions::new().append(true).open(fixture.checkpoints()).unwrap();
    std::io::Write::write_all(&mut file, b"{\"sequence\":4,\"he").unwrap();
    assert!(fixture.verify().is_intact(), "a torn last line is an unfinished write, not tampering");
    drop(fixture.open(1000));
    assert_eq!(checkpoint_sequences(&fixture), [0, 4]);
    assert!(fixture.verify().is_intact());
}

#[test]
fn opening_refuses_a_log_that_no_longer_matches_its_last_checkpoint() {
    // Truncated below the last checkpoint.
    let fixture = Fixture::with_entries(6, 1000);
    fixture.attacker().execute("DELETE FROM audit_entry WHERE sequence > 4", []).unwrap();
    let error = fixture.try_open(1000).unwrap_err();
    assert!(matches!(&error, AuditError::Tampered(m) if m.contains("ends at sequence 4")), "{error}");

    // The last checkpointed entry edited.
    let fixture = Fixture::with_entries(6, 1000);
    fixture.attacker().execute("UPDATE audit_entry SET user_id = 'x' WHERE sequence = 6", []).unwrap();
    let error = fixture.try_open(1000).unwrap_err();
    assert!(matches!(error, AuditError::Tampered(_)), "{error}");

    // Entries after the last checkpoint edited (the writer died before signing them).
    let fixture = Fixture::new();
    let log = fixture.open(1000);
    for i in 1..=3 {
        log.append(event(i)).unwrap();
    }
    std::mem::forget(log);
    fixture.attacker().execute("UPDATE audit_entry SET user_id = 'x' WHERE sequence = 2", []).unwrap();
    let error = fixture.try_open(1000).unwrap_err().to_string();
    assert!(error.contains("sequence number 2"), "{error}");

    // The checkpoints file gone.
    let fixture = Fixture::with_entries(2, 1000);
    std::fs::remove_file(fixture.checkpoints()).unwrap();
    assert!(matches!(fixture.try_open(1000), Err(AuditError::Checkpoints(_))));

    // Another key.
    let fixture = Fixture::with_entries(2, 1000);
    let other = CheckpointKey::generate().unwrap();
    let error = AuditLog::open(&fixture.db, other, AuditOptions::default()).unwrap_err();
    assert!(matches!(error, AuditError::Key(_)), "{error}");
}

#[test]
fn the_writer_stops_when_its_last_entry_changes_underneath_it() {
    let fixture = Fixture::new();
    let log = fixture.open(1000);
    log.append(event(1)).unwrap();
    log.append(event(2)).unwrap();
    fixture.attacker().execute("UPDATE audit_entry SET hash = zeroblob(32) WHERE sequence = 2", []).unwrap();
    assert!(matches!(log.append(event(3)), Err(AuditError::Tampered(_))));
    assert!(!log.is_writable());
    fixture.attacker().execute("DELETE FROM audit_entry WHERE sequence = 2", []).unwrap();
    assert!(matches!(log.append(event(3)), Err(AuditError::Tampered(_))));
}

#[test]
fn another_writer_s_valid_entries_are_accepted_and_chained_onto() {
    let fixture = Fixture::new();
    let first = fixture.open(1000);
    first.append(event(1)).unwrap();
    let second =
        AuditLog::open(&fixture.db, CheckpointKey::load_or_create(&fixture.keys).unwrap(), AuditOptions::default())
            .unwrap();
    assert_eq!(second.append(event(2)).unwrap(), 2);
    assert_eq!(first.append(event(3)).unwrap(), 3);
    drop(second);
    drop(first);
    assert!(fixture.verify().is_intact());
}

#[test]
fn the_audit_lives_in_a_record_store_file_without_disturbing_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("region.db");
    let store = SqliteStore::create(&path).unwrap();
    store.upsert_records(&[PreparedRecord::prepare(&fixtures::example_record(), true, AS_OF)]).unwrap();
    let hash_before = store.content_hash().unwrap();
    drop(store);
    let header_before = std::fs::read(&path).unwrap()[..100].to_vec();

    // The gateway's arrangement: the store open read-only while the audit writes.
    let reader = SqliteStore::open_read_only(&path).unwrap();
    let keys = dir.path().join("keys");
    let log = AuditLog::open(&path, CheckpointKey::load_or_create(&keys).unwrap(), AuditOptions::default()).unwrap();
    for i in 1..=3 {
        log.append(event(i)).unwrap();
        assert_eq!(reader.counts().unwrap().patients, 1);
    }
    drop(reader);
    log.close().unwrap();

    let store = SqliteStore::open(&path).unwrap();
    store.check_integrity().unwrap();
    assert_eq!(store.counts().unwrap().patients, 1);
    assert_eq!(store.content_hash().unwrap(), hash_before);
    drop(store);
    let read_only = SqliteStore::open_read_only(&path).unwrap();
    assert_eq!(read_only.content_hash().unwrap(), hash_before);
    drop(read_only);
    let header_after = std::fs::read(&path).unwrap()[..100].to_vec();
    // application_id (offset 68) and user_version (offset 60) are the store's, unchanged.
    assert_eq!(header_after[60..72], header_before[60..72]);

    let public = openmig_audit::CheckpointPublicKey::load(&keys).unwrap();
    let report = openmig_audit::verify(&path, &public, &openmig_audit::default_checkpoints_path(&path)).unwrap();
    assert!(report.is_intact(), "{:?}", report.problem);
    assert_eq!(report.entries, 3);
}

#[test]
fn a_file_of_its_own_is_not_mistaken_for_a_record_store() {
    let fixture = Fixture::with_entries(1, 1000);
    assert!(matches!(SqliteStore::open(&fixture.db), Err(StoreError::Foreign { .. })));
    assert!(matches!(SqliteStore::open_read_only(&fixture.db), Err(StoreError::Foreign { .. })));
}

#[test]
fn checkpoints_go_where_the_options_say() {
    let fixture = Fixture::new();
    let elsewhere = fixture.dir.path().join("offsite").join("checkpoints.jsonl");
    std::fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
    let options = AuditOptions { checkpoints: Some(elsewhere.clone()), ..AuditOptions::default() };
    let log = AuditLog::open(&fixture.db, CheckpointKey::load_or_create(&fixture.keys).unwrap(), options).unwrap();
    assert_eq!(log.checkpoints_path(), elsewhere);
    log.append(event(1)).unwrap();
    drop(log);
    assert!(!fixture.checkpoints().exists());
    let report = openmig_audit::verify(&fixture.db, &fixture.public(), &elsewhere).unwrap();
    assert!(report.is_intact());
    // Verified against the default place instead, the checkpoints are missing.
    let report = fixture.verify();
    assert_eq!(report.problem.unwrap().kind, ProblemKind::NoCheckpoints);
}

#[test]
fn times_are_kept_to_the_microsecond_and_absurd_years_are_refused() {
    let fixture = Fixture::new();
    let log = fixture.open(1000);
    let mut odd = event(1);
    odd.time = chrono::DateTime::from_timestamp(-1, 0).unwrap();
    assert!(matches!(log.append(odd), Err(AuditError::InvalidEvent(_))));
    let mut precise = event(1);
    precise.time += chrono::Duration::nanoseconds(999);
    assert_eq!(log.append(precise).unwrap(), 1);
    drop(log);
    let entries = openmig_audit::report(
        &fixture.db,
        &openmig_audit::ReportFilter {
            subject: openmig_audit::ReportSubject::Patient(event(1).patient.unwrap()),
            from: None,
            to: None,
        },
    )
    .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].event, event(1), "999 ns dropped");
    assert_ne!(entries[0].hash, ChainHash::GENESIS);
}

#[test]
fn the_log_is_send_and_sync() {
    fn shareable<T: Send + Sync>() {}
    shareable::<AuditLog>();
    shareable::<CheckpointKey>();
}
