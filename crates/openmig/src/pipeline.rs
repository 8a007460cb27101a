//! Generating a region into a directory and one clinical store per practice: records
//! are made and encoded in parallel (rayon), written in large transactions by one writer,
//! and hashed in index order.
//!
//! Each practice's patients are a contiguous run of indices, so the writer fills one
//! practice's store at a time (in bulk-load mode) and the directory beside it. Memory
//! stays flat whatever the region size: at most two batches are in flight.

use std::sync::mpsc::sync_channel;
use std::thread;

use anyhow::Context;
use openmig_directory::{DirectoryPractice, Endpoint, PreparedPatient, SqliteDirectory};
use openmig_generator::Region;
use openmig_store::{ContentHasher, PracticeEntry, PreparedRecord, RegionInfo, Store};
use openmig_store_sqlite::SqliteStore;
use rayon::prelude::*;

use crate::progress;
use crate::region::Layout;

/// Patients per write transaction.
const BATCH: u64 = 4_096;

/// What a generation run produced.
#[derive(Debug, Clone, Default)]
pub struct Produced {
    /// Patients written.
    pub patients: u64,
    /// Entries of all kinds (issues included).
    pub entries: u64,
    /// Bytes of record documents.
    pub document_bytes: u64,
    /// SHA-256 over practices and records in generation order, framed as
    /// [`ContentHasher`] frames stored content.
    pub content_hash: String,
}

/// One batch of one practice's patients: their encoded records for the practice's store
/// and their demographics for the directory.
struct Batch {
    practice: usize,
    records: Vec<PreparedRecord>,
    patients: Vec<PreparedPatient>,
}

/// Where the practices' systems are reached: each practice's endpoints under
/// `practices_url` (`https://host:port`), laid out as openmig's practices serve them.
pub fn endpoints(practices_url: &str, entry: &openmig_domain::Practice) -> anyhow::Result<DirectoryPractice> {
    let origin = practices_url.trim_end_matches('/');
    let ods = &entry.ods_code;
    let gp_connect = Endpoint::parse(&format!("{origin}{}", openmig_provider::base_path(ods)))
        .with_context(|| format!("--practices-url {practices_url} is not a usable base"))?;
    let documents = Endpoint::parse(&format!("{origin}{}", openmig_provider::inbox::inbox_base_path(ods)))?;
    Ok(DirectoryPractice { practice: entry.clone(), gp_connect, documents: Some(documents) })
}

/// Generates every practice and patient of `region` into the files of `layout` (the
/// directory file and the practices' folder, which must exist), publishing the
/// practices' endpoints under `practices_url`.
pub fn generate_into(region: &Region, layout: &Layout, practices_url: &str) -> anyhow::Result<Produced> {
    let config = region.config();
    let info = |content_hash: Option<String>| RegionInfo {
        name: "North East (synthetic)".into(),
        seed: Some(config.seed),
        as_of: config.as_of,
        content_hash,
        written_by: format!("openmig {}", env!("CARGO_PKG_VERSION")),
    };
    let directory = SqliteDirectory::create(&layout.directory)
        .with_context(|| format!("cannot create the directory {}", layout.directory.display()))?;
    directory.set_bulk_load(true).context("cannot prepare the directory for loading")?;
    let mut hash = ContentHasher::new();
    let plans = region.practices();
    let practices: Vec<PracticeEntry> = plans
        .iter()
        .map(|p| PracticeEntry { practice: p.practice.clone(), clinicians: p.clinicians.clone() })
        .collect();
    let mut listed = Vec::with_capacity(practices.len());
    for entry in &practices {
        hash.practice(&entry.practice.ods_code, &openmig_store::codec::encode_practice(entry));
        listed.push(endpoints(practices_url, &entry.practice)?);
    }
    directory.upsert_practices(&listed).context("cannot list the practices in the directory")?;

    let bar = progress::bar(config.patients, "patients");
    let (sender, receiver) = sync_channel::<Batch>(2);
    let mut produced = Produced::default();
    let written = thread::scope(|scope| -> anyhow::Result<()> {
        scope.spawn(move || {
            for (practice, plan) in plans.iter().enumerate() {
                let mut start = plan.first_patient;
                let end_of_practice = plan.first_patient + plan.patients;
                while start < end_of_practice {
                    let end = (start + BATCH).min(end_of_practice);
                    let shares = plan.practice.sharing_enabled;
                    let (records, patients): (Vec<PreparedRecord>, Vec<PreparedPatient>) = (start..end)
                        .into_par_iter()
                        .map(|i| {
                            let record = region.record(i);
                            let patient = PreparedPatient::prepare(&record.patient);
                            (PreparedRecord::prepare(&record, shares, config.as_of), patient)
                        })
                        .unzip();
                    if sender.send(Batch { practice, records, patients }).is_err() {
                        return; // the writer failed and hung up; its error is reported
                    }
                    start = end;
                }
            }
        });
        let mut open: Option<(usize, SqliteStore)> = None;
        for batch in receiver {
            if open.as_ref().is_none_or(|(practice, _)| *practice != batch.practice) {
                if let Some((_, store)) = open.take() {
                    finish_store(&store)?;
                }
                let entry = &practices[batch.practice];
                let store = practice_store(layout, entry, &info(None))?;
                open = Some((batch.practice, store));
            }
            let (_, store) = open.as_ref().expect("opened above");
            for record in &batch.records {
                hash.patient(record.nhs_number, record.traits, &record.document);
                produced.entries += u64::from(record.entry_count);
                produced.document_bytes += record.document.len() as u64;
            }
            store.upsert_records(&batch.records).context("cannot store patient records")?;
            directory.upsert_prepared_patients(&batch.patients).context("cannot list patients in the directory")?;
            produced.patients += batch.records.len() as u64;
            bar.inc(batch.records.len() as u64);
        }
        if let Some((_, store)) = open.take() {
            finish_store(&store)?;
        }
        Ok(())
    });
    bar.finish_and_clear();
    written?;
    // A practice with no patients still has its (empty) store, so every practice the
    // directory lists has a system to answer for it.
    for entry in &practices {
        if !layout.practice_store(&entry.practice.ods_code).exists() {
            finish_store(&practice_store(layout, entry, &info(None))?)?;
        }
    }
    produced.content_hash = hash.finish();
    directory.set_region(&info(Some(produced.content_hash.clone()))).context("cannot store region facts")?;
    directory.set_bulk_load(false).context("cannot finish the directory")?;
    Ok(produced)
}

/// A new practice store in bulk-load mode with its practice and the region facts.
fn practice_store(layout: &Layout, entry: &PracticeEntry, info: &RegionInfo) -> anyhow::Result<SqliteStore> {
    let path = layout.practice_store(&entry.practice.ods_code);
    let store = SqliteStore::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    store.set_bulk_load(true).context("cannot prepare a practice store for loading")?;
    store.upsert_practices(std::slice::from_ref(entry)).context("cannot store a practice")?;
    store.set_region(info).context("cannot store region facts")?;
    Ok(store)
}

/// Ends bulk loading: journal and syncing back on, everything checkpointed into the file.
fn finish_store(store: &SqliteStore) -> anyhow::Result<()> {
    store.set_bulk_load(false).context("cannot finish a practice store")?;
    store.checkpoint().context("cannot finish a practice store")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use openmig_directory::Directory;
    use openmig_generator::GeneratorConfig;

    fn generated(dir: &std::path::Path, name: &str, config: GeneratorConfig) -> (Produced, crate::region::Region) {
        let layout = Layout::of(&dir.join(name));
        std::fs::create_dir(&layout.practices).unwrap();
        let region = Region::plan(config).unwrap();
        let produced = generate_into(&region, &layout, "https://127.0.0.1:9443").unwrap();
        (produced, crate::region::Region::open(layout.directory.to_str().unwrap()).unwrap())
    }

    fn config(patients: u64, seed: u64) -> GeneratorConfig {
        GeneratorConfig { patients, practices: 2, seed, as_of: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap() }
    }

    #[test]
    fn generating_the_same_region_twice_stores_the_same_content() {
        let dir = tempfile::TempDir::new().unwrap();
        let (first, a) = generated(dir.path(), "a.db", config(300, 9));
        let (second, b) = generated(dir.path(), "b.db", config(300, 9));
        assert_eq!(first.content_hash, second.content_hash);
        assert_eq!(a.content_hash().unwrap(), b.content_hash().unwrap());
        assert_eq!(a.directory.counts().unwrap().patients, 300);
        let (other, c) = generated(dir.path(), "c.db", config(300, 10));
        assert_ne!(other.content_hash, first.content_hash);
        assert_ne!(c.content_hash().unwrap(), a.content_hash().unwrap());
    }

    #[test]
    fn every_generated_record_reads_back_equal_from_its_own_practice_only() {
        let dir = tempfile::TempDir::new().unwrap();
        let (_, stored) = generated(dir.path(), "round.db", config(400, 10));
        let region = Region::plan(config(400, 10)).unwrap();
        let mut kinds = [false; 10];
        for i in 0..400 {
            let original = region.record(i);
            let nhs = original.patient.nhs_number;
            assert_eq!(stored.directory.patient(nhs).unwrap().as_ref(), Some(&original.patient), "patient {i}");
            let practice = &original.patient.registration.practice;
            assert_eq!(stored.store(practice).unwrap().record(nhs).unwrap().as_ref(), Some(&original), "patient {i}");
            for other in stored.directory.practices().unwrap() {
                if other.practice.ods_code != *practice {
                    let store = stored.store(&other.practice.ods_code).unwrap();
                    assert!(store.record(nhs).unwrap().is_none(), "a record lives in its own practice's store only");
                }
            }
            for (seen, present) in kinds.iter_mut().zip([
                !original.medications.is_empty(),
                original.medications.iter().any(|m| !m.issues.is_empty()),
                !original.allergies.is_empty(),
                original.no_known_allergies.is_some(),
                !original.problems.is_empty(),
                !original.encounters.is_empty(),
                !original.observations.is_empty(),
                !original.immunisations.is_empty(),
                !original.referrals.is_empty() || !original.alerts.is_empty(),
                !original.sharing_preferences.is_empty(),
            ]) {
                *seen |= present;
            }
        }
        assert!(kinds.iter().all(|k| *k), "the sample covers every entry kind: {kinds:?}");
    }
}
