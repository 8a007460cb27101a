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

#[cfg(test)]
mod tests {
    use openmig_domain::fixtures;

    use super::*;
    use crate::{Endpoint, SqliteDirectory};

    fn entry(practice: openmig_domain::Practice, origin: &str) -> DirectoryPractice {
        let base = format!("{origin}/{}", practice.ods_code);
        DirectoryPractice {
            gp_connect: Endpoint::parse(&format!("{base}/STU3/1/gpconnect/structured/fhir")).unwrap(),
            documents: Some(Endpoint::parse(&format!("{base}/inbox/fhir")).unwrap()),
            practice,
        }
    }

    #[test]
    fn only_the_practices_served_here_move_and_keep_their_paths() {
        let dir = tempfile::tempdir().unwrap();
        let directory = SqliteDirectory::create(&dir.path().join("directory.db")).unwrap();
        let here = fixtures::example_practice();
        let elsewhere =
            openmig_domain::Practice { ods_code: OdsCode::parse("Z90002").unwrap(), ..fixtures::example_practice() };
        directory
            .upsert_practices(&[
                entry(here.clone(), "https://gp.example:9443"),
                entry(elsewhere.clone(), "https://emis.example"),
            ])
            .unwrap();
        let patient = fixtures::example_record().patient;
        directory.upsert_patients(std::slice::from_ref(&patient)).unwrap();
        let relocated = Relocated::new(Arc::new(directory), [here.ods_code.clone()], "https://127.0.0.1:40001/");

        let moved = relocated.practice(&here.ods_code).unwrap().unwrap();
        assert_eq!(moved.gp_connect.as_str(), "https://127.0.0.1:40001/Z90001/STU3/1/gpconnect/structured/fhir");
        assert_eq!(moved.documents.unwrap().as_str(), "https://127.0.0.1:40001/Z90001/inbox/fhir");
        let kept = relocated.practice(&elsewhere.ods_code).unwrap().unwrap();
        assert_eq!(kept.gp_connect.as_str(), "https://emis.example/Z90002/STU3/1/gpconnect/structured/fhir");
        let listed = relocated.practices().unwrap();
        assert_eq!(
            listed.iter().map(|e| e.gp_connect.origin()).collect::<Vec<_>>(),
            ["https://127.0.0.1:40001", "https://emis.example"]
        );
        assert_eq!(relocated.patient(patient.nhs_number).unwrap(), Some(patient));
    }
}
