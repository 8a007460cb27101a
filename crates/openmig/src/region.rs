//! A region on disk: the directory file the gateway reads, and beside it a folder with
//! one clinical store per practice, each read only by that practice's system.
//!
//! ```text
//! region.db                  the directory (openmig-directory): demographics, registration,
//!                            practices and their endpoints; also the gateway's own state
//!                            (audit log, last-good copies, outbox)
//! region-practices/
//!   Z90001.db …              each practice's clinical store (openmig-store-sqlite)
//!   received-documents.sqlite  documents delivered to the practices' systems
//! ```
//!
//! [`Region`] is for the operator's commands (`record`, `patients`, `medicines`, `info`…):
//! they stand for the practices' own tools and may open the clinical stores. The
//! gateway never gets a [`Region`]: `serve --role gateway` opens the directory alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use openmig_directory::{Directory, SqliteDirectory};
use openmig_domain::region::RegionInfo;
use openmig_domain::traits::PatientTrait;
use openmig_domain::{GpRecord, NhsNumber, OdsCode};
use openmig_provider::PracticeStores;
use openmig_store::Store;
use openmig_store_sqlite::SqliteStore;
use sha2::{Digest, Sha256};

use crate::database::{self, Location};

/// Where a region's files live (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The directory file.
    pub directory: PathBuf,
    /// The folder of the practices' clinical stores.
    pub practices: PathBuf,
}

impl Layout {
    /// The layout of the region whose directory is `directory`: the practices' folder is
    /// `<stem>-practices` beside it.
    pub fn of(directory: &Path) -> Layout {
        let stem = directory.file_stem().map_or_else(|| "openmig".into(), |s| s.to_string_lossy().into_owned());
        Layout { directory: directory.to_path_buf(), practices: directory.with_file_name(format!("{stem}-practices")) }
    }

    /// The layout named by a `--database` value.
    pub fn parse(database: &str) -> anyhow::Result<Layout> {
        let Location::Sqlite(path) = database::parse(database)?;
        Ok(Layout::of(&path))
    }

    /// One practice's clinical store.
    pub fn practice_store(&self, ods: &OdsCode) -> PathBuf {
        self.practices.join(format!("{ods}.db"))
    }

    /// Where the practices' systems keep the documents delivered to them.
    pub fn received_documents(&self) -> PathBuf {
        self.practices.join("received-documents.sqlite")
    }

    /// The practices with a clinical store in the folder, in ODS order.
    pub fn practice_stores(&self) -> anyhow::Result<BTreeMap<OdsCode, PathBuf>> {
        let entries = std::fs::read_dir(&self.practices)
            .with_context(|| format!("cannot read the practices' stores in {}", self.practices.display()))?;
        let mut stores = BTreeMap::new();
        for entry in entries {
            let path = entry.with_context(|| format!("cannot read {}", self.practices.display()))?.path();
            let ods = path
                .extension()
                .filter(|extension| *extension == "db")
                .and_then(|_| path.file_stem())
                .and_then(|stem| OdsCode::parse(&stem.to_string_lossy()).ok());
            if let Some(ods) = ods {
                stores.insert(ods, path);
            }
        }
        Ok(stores)
    }

    /// Every practice's clinical store in the folder, opened read-only, each checked to
    /// hold the practice its name says: what a practices' host serves.
    pub fn open_practice_stores(&self) -> anyhow::Result<PracticeStores> {
        let mut stores = PracticeStores::new();
        for (ods, path) in self.practice_stores()? {
            let store = SqliteStore::open_read_only(&path)
                .with_context(|| format!("cannot open practice {ods}'s clinical store {}", path.display()))?;
            if store.practice(&ods).with_context(|| format!("cannot read {}", path.display()))?.is_none() {
                bail!("{} does not hold practice {ods}", path.display());
            }
            stores.insert(ods, Arc::new(store));
        }
        Ok(stores)
    }
}

/// A region opened for reading by the operator's commands.
pub struct Region {
    /// The directory.
    pub directory: SqliteDirectory,
    layout: Layout,
}

impl Region {
    /// Opens the region named by `--database` for reading; nothing is changed.
    pub fn open(database: &str) -> anyhow::Result<Region> {
        let layout = Layout::parse(database)?;
        let directory = open_directory(&layout.directory)?;
        Ok(Region { directory, layout })
    }

    /// Where its files are.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The region facts.
    pub fn info(&self) -> anyhow::Result<RegionInfo> {
        self.directory.region()?.context("the database holds no region")
    }

    /// One practice's clinical store, opened read-only.
    pub fn store(&self, ods: &OdsCode) -> anyhow::Result<SqliteStore> {
        let path = self.layout.practice_store(ods);
        SqliteStore::open_read_only(&path)
            .with_context(|| format!("cannot open practice {ods}'s clinical store {}", path.display()))
    }

    /// The whole record of a patient, from the store of the practice the directory says
    /// they are registered at.
    pub fn record(&self, nhs_number: NhsNumber) -> anyhow::Result<Option<GpRecord>> {
        let Some(patient) = self.directory.patient(nhs_number).context("cannot read the directory")? else {
            return Ok(None);
        };
        let store = self.store(&patient.registration.practice)?;
        store.record(nhs_number).context("cannot read the record")
    }

    /// Up to `limit` patients with a trait, across every practice, ordered by NHS number.
    pub fn patients_with_trait(&self, wanted: PatientTrait, limit: usize) -> anyhow::Result<Vec<NhsNumber>> {
        let mut found = Vec::new();
        for practice in self.directory.practices()? {
            let store = self.store(&practice.practice.ods_code)?;
            found.extend(store.patients_with_trait(wanted, limit)?);
        }
        found.sort();
        found.truncate(limit);
        Ok(found)
    }

    /// SHA-256 over the stored content: the directory's content hash, then each
    /// practice's ODS code and its store's content hash, in ODS order. Equal content on
    /// disk gives an equal hash, whatever the files' history.
    pub fn content_hash(&self) -> anyhow::Result<String> {
        let mut sha = Sha256::new();
        sha.update(self.directory.content_hash()?.as_bytes());
        for practice in self.directory.practices()? {
            let ods = &practice.practice.ods_code;
            sha.update(ods.as_str().as_bytes());
            sha.update(self.store(ods)?.content_hash()?.as_bytes());
        }
        Ok(sha.finalize().iter().map(|byte| format!("{byte:02x}")).collect())
    }

    /// Refuses a region whose practices' folder is missing (copied without it, or the
    /// gateway's copy of the directory alone): the operator's commands need the records.
    pub fn require_practice_stores(&self) -> anyhow::Result<()> {
        if !self.layout.practices.is_dir() {
            bail!(
                "{} holds the directory only; the practices' clinical stores ({}) are not here",
                self.layout.directory.display(),
                self.layout.practices.display()
            );
        }
        Ok(())
    }
}

/// Opens a region's directory read-only. A single-file region written by an openmig
/// from before the directory and the practices' stores were apart is named as such, with
/// what to do, rather than refused as a foreign file.
pub fn open_directory(path: &Path) -> anyhow::Result<SqliteDirectory> {
    match SqliteDirectory::open_read_only(path) {
        Ok(directory) => Ok(directory),
        Err(error) => {
            if SqliteStore::open_read_only(path).is_ok() {
                bail!(
                    "{} is a one-file region from an earlier openmig; generate it again with openmig generate --force \
                     (or delete the demo's file and openmig demo makes a new one) to get the directory and the \
                     practices' stores",
                    path.display()
                );
            }
            Err(error).with_context(|| format!("cannot open the region {}", path.display()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_practices_folder_sits_beside_the_directory() {
        let layout = Layout::of(Path::new("/data/region.db"));
        assert_eq!(layout.practices, PathBuf::from("/data/region-practices"));
        let ods = OdsCode::parse("Z90001").unwrap();
        assert_eq!(layout.practice_store(&ods), PathBuf::from("/data/region-practices/Z90001.db"));
        assert_eq!(Layout::of(Path::new("demo.db")).practices, PathBuf::from("demo-practices"));
    }
}
