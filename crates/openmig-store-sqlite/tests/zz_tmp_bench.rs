use std::time::Instant;
use openmig_domain::fixtures::{self, AS_OF};
use openmig_domain::NhsNumber;
use openmig_store::{PreparedRecord, Store, PracticeEntry};
use openmig_store_sqlite::SqliteStore;

#[test]
fn tmp_bench() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::create(&dir.path().join("b.db")).unwrap();
    store.set_bulk_load(true).unwrap();
    store.upsert_practices(&[PracticeEntry { practice: fixtures::example_practice(), clinicians: fixtures::example_clinicians() }]).unwrap();
    let base = PreparedRecord::prepare(&fixtures::example_record(), true, AS_OF);
    let numbers: Vec<NhsNumber> = (100_000_000u32..).step_by(7).filter_map(NhsNumber::from_prefix).take(300_000).collect();
    let mut shuffled = numbers.clone();
    if std::env::var("OMSEQ").is_err() {
    let mut x: u64 = 1;
    for i in (1..shuffled.len()).rev() { x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); let j = (x >> 33) as usize % (i + 1); shuffled.swap(i, j); }
    }
    let start = Instant::now();
    for chunk in shuffled.chunks(2000) {
        let batch: Vec<PreparedRecord> = chunk.iter().map(|n| PreparedRecord { nhs_number: *n, ..base.clone() }).collect();
        store.upsert_records(&batch).unwrap();
    }
    let load = start.elapsed();
    store.set_bulk_load(false).unwrap();
    let t = Instant::now();
    store.checkpoint().unwrap();
    let cp = t.elapsed();
    eprintln!("BENCH load {:?} ({:.0}/s) checkpoint {:?} size {}", load, 300_000.0 / load.as_secs_f64(), cp, std::fs::metadata(dir.path().join("b.db")).unwrap().len());
}
