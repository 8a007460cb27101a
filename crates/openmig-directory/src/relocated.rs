//! A directory whose listed practices are served at another origin.
//!
//! `openmig serve --role all` (and `demo`) start the practices' systems on a port chosen
//! at start, then the gateway. Rather than rewrite the directory file, the gateway is
//! given this view: for the practices this process serves, every endpoint keeps its path
//! and takes the listener's origin. The gateway calls, and the trace publishes, the same
//! [`DirectoryPractice`], so the endpoint it publishes is always the one it calls.

use std::collections::BTreeSet;
use std::sync::Arc;

use openmig_domain::region::RegionInfo;
use openmig_domain::{NhsNumber, OdsCode, Patient};

use crate::{Directory, DirectoryCounts, DirectoryError, DirectoryPractice};

/// See the module docs.
pub struct Relocated {
    inner: Arc<dyn Directory>,
    served: BTreeSet<OdsCode>,
    origin: String,
}

impl Relocated {
    /// `inner`, with the practices in `served` reached at `origin` (`https://host:port`).
    pub fn new(inner: Arc<dyn Directory>, served: impl IntoIterator<Item = OdsCode>, origin: &str) -> Relocated {
        Relocated { inner, served: served.into_iter().collect(), origin: origin.trim_end_matches('/').to_string() }
    }

    fn relocate(&self, mut entry: DirectoryPractice) -> Result<DirectoryPractice, DirectoryError> {
        if !self.served.contains(&entry.practice.ods_code) {
            return Ok(entry);
        }
        let ods = entry.practice.ods_code.to_string();
        let bad = |error| DirectoryError::BadEndpoint { ods: ods.clone(), error };
        entry.gp_connect = entry.gp_connect.at_origin(&self.origin).map_err(bad)?;
        entry.documents = entry.documents.map(|d| d.at_origin(&self.origin)).transpose().map_err(bad)?;
        Ok(entry)
    }
}

impl Directory for Relocated {
    fn region(&self) -> Result<Option<RegionInfo>, DirectoryError> {
        self.inner.region()
    }

    fn patient(&self, nhs_number: NhsNumber) -> Result<Option<Patient>, DirectoryError> {
        self.inner.patient(nhs_number)
    }

    fn practice(&self, ods_code: &OdsCode) -> Result<Option<DirectoryPractice>, DirectoryError> {
        self.inner.practice(ods_code)?.map(|entry| self.relocate(entry)).transpose()
    }

    fn practices(&self) -> Result<Vec<DirectoryPractice>, DirectoryError> {
        self.inner.practices()?.into_iter().map(|entry| self.relocate(entry)).collect()
    }

    fn counts(&self) -> Result<DirectoryCounts, DirectoryError> {
        self.inner.counts()
    }

    fn content_hash(&self) -> Result<String, DirectoryError> {
        self.inner.content_hash()
    }
}
