//! The shared store conformance suite, run against SQLite files.

use std::sync::atomic::{AtomicUsize, Ordering};

use openmig_store::Store;
use openmig_store::conformance::run_all;
use openmig_store_sqlite::SqliteStore;

#[test]
fn a_newly_created_sqlite_store_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let made = AtomicUsize::new(0);
    run_all(&|| {
        let path = dir.path().join(format!("created-{}.db", made.fetch_add(1, Ordering::Relaxed)));
        Box::new(SqliteStore::create(&path).unwrap()) as Box<dyn Store>
    });
}

#[test]
fn a_created_closed_and_reopened_sqlite_store_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let made = AtomicUsize::new(0);
    run_all(&|| {
        let path = dir.path().join(format!("reopened-{}.db", made.fetch_add(1, Ordering::Relaxed)));
        drop(SqliteStore::create(&path).unwrap());
        Box::new(SqliteStore::open(&path).unwrap()) as Box<dyn Store>
    });
}
