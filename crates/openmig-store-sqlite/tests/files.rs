//! What SQLite-specific can go wrong with the file itself: missing, foreign, damaged,
//! too new, already there, read-only, and closed and reopened.

use std::fs;
use std::path::{Path, PathBuf};

use openmig_domain::fixtures::{self, AS_OF};
use openmig_domain::{GpRecord, NhsNumber};
use openmig_store::{PracticeEntry, PreparedRecord, RegionInfo, Store, StoreError};
use openmig_store_sqlite::{APPLICATION_ID, SCHEMA_VERSION, SqliteStore};
use rusqlite::Connection;

#[test]
fn a_missing_file_is_not_found_and_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.db");
    assert!(matches!(SqliteStore::open(&path), Err(StoreError::NotFound(_))));
    assert!(matches!(SqliteStore::open_read_only(&path), Err(StoreError::NotFound(_))));
    assert!(!path.exists());
}

#[test]
fn a_text_file_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    let text: String = (0..4000u32).map(|i| char::from(b'a' + (i.wrapping_mul(7919) % 26) as u8)).collect();
    fs::write(&path, &text).unwrap();
    assert_refused_untouched(&path);
}

#[test]
fn an_empty_file_and_a_directory_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.db");
    fs::write(&empty, b"").unwrap();
    assert_refused_untouched(&empty);
    let err = SqliteStore::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
}

#[test]
fn a_file_cut_short_inside_the_sqlite_header_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("short.db");
    fs::write(&path, b"SQLite format 3\0\x10\x00").unwrap();
    assert_refused_untouched(&path);
}

#[test]
fn another_applications_sqlite_database_is_refused_byte_for_byte_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other-app.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL); INSERT INTO invoices VALUES (1, 9.5);",
        )
        .unwrap();
    }
    let err = assert_refused_untouched(&path);
    assert!(err.to_string().contains("another application"), "{err}");
}

#[test]
fn a_database_of_another_application_in_wal_mode_is_refused_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other-wal.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA application_id=42; CREATE TABLE t (x);").unwrap();
    }
    assert_refused_untouched(&path);
}

#[test]
fn create_refuses_an_existing_path_and_leaves_it_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("existing.txt");
    fs::write(&text, b"keep me").unwrap();
    assert!(SqliteStore::create(&text).is_err());
    assert_eq!(fs::read(&text).unwrap(), b"keep me");

    let ours = dir.path().join("ours.db");
    load_fixtures(&SqliteStore::create(&ours).unwrap());
    let before = fs::read(&ours).unwrap();
    let err = SqliteStore::create(&ours).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(fs::read(&ours).unwrap(), before);
    assert_eq!(SqliteStore::open(&ours).unwrap().counts().unwrap().patients, 3);
}

#[test]
fn a_new_file_is_marked_as_openmig_and_uses_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let store = SqliteStore::create(&path).unwrap();
    assert_eq!(store.path(), path);
    // The identity is in the main file's header from the start, before any checkpoint.
    let header = fs::read(&path).unwrap();
    assert_eq!(&header[..16], b"SQLite format 3\0");
    assert_eq!(header[68..72], APPLICATION_ID.to_be_bytes());
    drop(store);

    let conn = Connection::open(&path).unwrap();
    let pragma = |name: &str| conn.pragma_query_value(None, name, |row| row.get::<_, i64>(0)).unwrap();
    assert_eq!(pragma("application_id"), i64::from(APPLICATION_ID));
    assert_eq!(pragma("user_version"), i64::from(SCHEMA_VERSION));
    let mode: String = conn.pragma_query_value(None, "journal_mode", |row| row.get(0)).unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_schema_newer_than_this_build_is_refused_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    load_fixtures(&SqliteStore::create(&path).unwrap());
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    }
    let before = fs::read(&path).unwrap();
    for result in [SqliteStore::open(&path), SqliteStore::open_read_only(&path)] {
        let err = result.unwrap_err();
        assert!(
            matches!(err, StoreError::TooNew { found, supported } if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
            "{err}"
        );
    }
    assert_eq!(fs::read(&path).unwrap(), before);
}

#[test]
fn an_openmig_file_without_the_schema_is_migrated_on_open_but_not_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blank.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "application_id", APPLICATION_ID).unwrap();
    }
    let err = SqliteStore::open_read_only(&path).unwrap_err();
    assert!(err.to_string().contains("needs upgrading"), "{err}");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.counts().unwrap().patients, 0);
    load_fixtures(&store);
    drop(store);
    assert_eq!(SqliteStore::open_read_only(&path).unwrap().counts().unwrap().patients, 3);
}

#[test]
fn data_survives_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("region.db");
    let region = region_info();
    let hash = {
        let store = SqliteStore::create(&path).unwrap();
        load_fixtures(&store);
        store.set_region(&region).unwrap();
        store.content_hash().unwrap()
    };
    for store in [SqliteStore::open(&path).unwrap(), SqliteStore::open_read_only(&path).unwrap()] {
        assert_eq!(store.region().unwrap(), Some(region.clone()));
        assert_eq!(store.content_hash().unwrap(), hash);
        for record in fixture_records() {
            assert_eq!(store.record(record.patient.nhs_number).unwrap(), Some(record));
        }
        assert_eq!(store.practice(&fixtures::example_practice().ods_code).unwrap(), Some(example_practice_entry()));
        store.check_integrity().unwrap();
    }
}

#[test]
fn a_read_only_store_refuses_every_write_and_the_file_keeps_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("region.db");
    let hash = {
        let store = SqliteStore::create(&path).unwrap();
        load_fixtures(&store);
        store.content_hash().unwrap()
    };
    let store = SqliteStore::open_read_only(&path).unwrap();
    let changed = PreparedRecord::prepare(&fixtures::dissenting_record(), false, AS_OF);
    assert!(store.upsert_records(&[changed]).is_err());
    assert!(store.upsert_practices(&[example_practice_entry()]).is_err());
    assert!(store.set_region(&region_info()).is_err());
    assert!(store.set_bulk_load(true).is_err());
    assert!(store.checkpoint().is_err());
    assert_eq!(store.content_hash().unwrap(), hash);
    drop(store);
    assert_eq!(SqliteStore::open(&path).unwrap().content_hash().unwrap(), hash);
}

#[test]
fn a_bulk_load_then_checkpoint_leaves_a_complete_main_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bulk.db");
    let store = SqliteStore::create(&path).unwrap();
    store.set_bulk_load(true).unwrap();
    load_fixtures(&store);
    store.upsert_records(&copies_of_example(200).iter().map(prepare).collect::<Vec<_>>()).unwrap();
    store.set_bulk_load(false).unwrap();
    store.checkpoint().unwrap();
    let wal = sibling(&path, "-wal");
    assert!(!wal.exists() || fs::metadata(&wal).unwrap().len() == 0, "the WAL still holds pages after a checkpoint");

    // A copy of the main file alone (as a backup tool might take) holds everything.
    let copy = dir.path().join("copy.db");
    fs::copy(&path, &copy).unwrap();
    let copied = SqliteStore::open_read_only(&copy).unwrap();
    assert_eq!(copied.counts().unwrap().patients, 203);
    assert_eq!(copied.content_hash().unwrap(), store.content_hash().unwrap());
}

#[test]
fn a_garbled_database_gives_errors_not_panics_or_wrong_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbled.db");
    let mut records = fixture_records();
    records.extend(copies_of_example(300));
    {
        let store = SqliteStore::create(&path).unwrap();
        store.upsert_practices(&[example_practice_entry()]).unwrap();
        store.upsert_records(&records.iter().map(prepare).collect::<Vec<_>>()).unwrap();
        store.checkpoint().unwrap();
    }
    let mut bytes = fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    assert!(bytes.len() > 64 * 1024, "the test database is too small to garble meaningfully");
    for (i, byte) in bytes[middle - 8192..middle + 8192].iter_mut().enumerate() {
        *byte = (i as u8).wrapping_mul(151) ^ 0xA5;
    }
    fs::write(&path, &bytes).unwrap();

    let store = match SqliteStore::open(&path) {
        Ok(store) => store,
        Err(err) => {
            assert!(matches!(err, StoreError::Corrupt(_)), "opening a garbled file: {err}");
            return;
        }
    };
    assert!(matches!(store.check_integrity(), Err(StoreError::Corrupt(_))));
    let mut failures = 0;
    for record in &records {
        match store.record(record.patient.nhs_number) {
            Ok(Some(read)) => assert_eq!(&read, record, "a garbled file returned a wrong record"),
            Ok(None) => failures += 1,
            Err(StoreError::Corrupt(_) | StoreError::Codec(_)) => failures += 1,
            Err(other) => panic!("unexpected error kind for a garbled file: {other}"),
        }
    }
    let hash = store.content_hash();
    assert!(failures > 0 || hash.is_err(), "garbling 16 KiB in the middle went unnoticed");
    if let Err(err) = hash {
        assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
    }
}

/// Opening `path` (both ways) is refused as foreign, and neither the file nor its
/// directory changes. Returns the read-write error for further checks.
fn assert_refused_untouched(path: &Path) -> StoreError {
    let before = fs::read(path).unwrap();
    let listing_before = listing(path.parent().unwrap());
    let err = SqliteStore::open(path).unwrap_err();
    assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
    let read_only_err = SqliteStore::open_read_only(path).unwrap_err();
    assert!(matches!(read_only_err, StoreError::Foreign { .. }), "{read_only_err}");
    assert_eq!(fs::read(path).unwrap(), before, "a refused file was changed");
    assert_eq!(listing(path.parent().unwrap()), listing_before, "files appeared beside a refused file");
    err
}

fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut names: Vec<PathBuf> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    names
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn fixture_records() -> Vec<GpRecord> {
    vec![fixtures::example_record(), fixtures::example_record_with_no_known_allergies(), fixtures::dissenting_record()]
}

fn example_practice_entry() -> PracticeEntry {
    PracticeEntry { practice: fixtures::example_practice(), clinicians: fixtures::example_clinicians() }
}

fn prepare(record: &GpRecord) -> PreparedRecord {
    PreparedRecord::prepare(record, true, AS_OF)
}

fn load_fixtures(store: &SqliteStore) {
    store.upsert_practices(&[example_practice_entry()]).unwrap();
    store.upsert_records(&fixture_records().iter().map(prepare).collect::<Vec<_>>()).unwrap();
}

/// Copies of the example record under NHS numbers no fixture uses.
fn copies_of_example(count: usize) -> Vec<GpRecord> {
    (500_000_000u32..)
        .filter_map(NhsNumber::from_prefix)
        .take(count)
        .map(|number| {
            let mut record = fixtures::example_record();
            record.patient.nhs_number = number;
            record
        })
        .collect()
}

fn region_info() -> RegionInfo {
    RegionInfo {
        name: "North East (synthetic)".into(),
        seed: Some(42),
        as_of: AS_OF,
        content_hash: None,
        written_by: "openmig test".into(),
    }
}
