//! Generating a region into a store: records are made and encoded in parallel (rayon),
//! written in large transactions by one writer, and hashed in index order.
//!
//! Memory stays flat whatever the region size: at most two batches are in flight.

use std::sync::mpsc::sync_channel;
use std::thread;

use anyhow::Context;
use openmig_generator::Region;
use openmig_store::{ContentHasher, PracticeEntry, PreparedRecord, RegionInfo, Store};
use rayon::prelude::*;

use crate::progress;

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

/// Generates every practice and patient of `region` into `store`.
pub fn generate_into(region: &Region, store: &dyn Store) -> anyhow::Result<Produced> {
    let config = region.config();
    let mut hash = ContentHasher::new();
    let practices: Vec<PracticeEntry> = region
        .practices()
        .iter()
        .map(|p| PracticeEntry { practice: p.practice.clone(), clinicians: p.clinicians.clone() })
        .collect();
    for entry in &practices {
        hash.practice(&entry.practice.ods_code, &openmig_store::codec::encode_practice(entry));
    }
    store.upsert_practices(&practices).context("cannot store practices")?;

    let bar = progress::bar(config.patients, "patients");
    let (sender, receiver) = sync_channel::<Vec<PreparedRecord>>(2);
    let mut produced = Produced::default();
    let written = thread::scope(|scope| -> anyhow::Result<()> {
        scope.spawn(move || {
            let mut start = 0;
            while start < config.patients {
                let end = (start + BATCH).min(config.patients);
                let batch: Vec<PreparedRecord> = (start..end)
                    .into_par_iter()
                    .map(|i| {
                        let shares = region.practice_of(i).practice.sharing_enabled;
                        PreparedRecord::prepare(&region.record(i), shares, config.as_of)
                    })
                    .collect();
                if sender.send(batch).is_err() {
                    return; // the writer failed and hung up; its error is reported
                }
                start = end;
            }
        });
        for batch in receiver {
            for record in &batch {
                hash.patient(record.nhs_number, record.traits, &record.document);
                produced.entries += u64::from(record.entry_count);
                produced.document_bytes += record.document.len() as u64;
            }
            store.upsert_records(&batch).context("cannot store patient records")?;
            produced.patients += batch.len() as u64;
            bar.inc(batch.len() as u64);
        }
        Ok(())
    });
    bar.finish_and_clear();
    written?;
    produced.content_hash = hash.finish();
    store
        .set_region(&RegionInfo {
            name: "North East (synthetic)".into(),
            seed: Some(config.seed),
            as_of: config.as_of,
            content_hash: Some(produced.content_hash.clone()),
            written_by: format!("openmig {}", env!("CARGO_PKG_VERSION")),
        })
        .context("cannot store region facts")?;
    Ok(produced)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use openmig_generator::GeneratorConfig;
    use openmig_store_sqlite::SqliteStore;

    #[test]
    fn loading_the_same_region_twice_leaves_the_same_content() {
        let dir = tempfile::TempDir::new().unwrap();
        let store = SqliteStore::create(&dir.path().join("twice.db")).unwrap();
        let config = GeneratorConfig {
            patients: 300,
            practices: 2,
            seed: 9,
            as_of: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        };
        let region = Region::plan(config).unwrap();
        let first = generate_into(&region, &store).unwrap();
        let stored = store.content_hash().unwrap();
        let counts = store.counts().unwrap();
        let second = generate_into(&region, &store).unwrap();
        assert_eq!(first.content_hash, second.content_hash);
        assert_eq!(store.content_hash().unwrap(), stored);
        assert_eq!(store.counts().unwrap(), counts);
        assert_eq!(counts.patients, 300);
    }

    #[test]
    fn every_generated_record_reads_back_equal() {
        let dir = tempfile::TempDir::new().unwrap();
        let store = SqliteStore::create(&dir.path().join("round.db")).unwrap();
        let config = GeneratorConfig {
            patients: 400,
            practices: 2,
            seed: 10,
            as_of: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        };
        let region = Region::plan(config).unwrap();
        generate_into(&region, &store).unwrap();
        let mut kinds = [false; 10];
        for i in 0..400 {
            let original = region.record(i);
            let read = store.record(original.patient.nhs_number).unwrap().expect("stored");
            assert_eq!(read, original, "patient {i}");
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
