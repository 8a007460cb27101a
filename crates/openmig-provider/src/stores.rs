//! Which clinical store each practice's routes read.
//!
//! A practice's provider reads its own practice's store only: a request under
//! `/{ODS}/…` is answered from the store registered for that ODS code, and a patient
//! registered elsewhere is simply not in it. `openmig serve --role practices` gives every
//! practice its own store file; tests and small set-ups may serve several practices from
//! one store ([`PracticeStores::shared`]), where the registration check does the same job.

use std::collections::BTreeMap;
use std::sync::Arc;

use openmig_domain::OdsCode;
use openmig_store::Store;

/// The stores of the practices served (see the module docs).
#[derive(Clone, Default)]
pub struct PracticeStores {
    by_practice: BTreeMap<OdsCode, Arc<dyn Store>>,
    shared: Option<Arc<dyn Store>>,
}

impl PracticeStores {
    /// No practice served yet.
    pub fn new() -> PracticeStores {
        PracticeStores::default()
    }

    /// One store serving every practice it holds.
    pub fn shared(store: Arc<dyn Store>) -> PracticeStores {
        PracticeStores { by_practice: BTreeMap::new(), shared: Some(store) }
    }

    /// Serves `ods` from `store` (its own clinical system's store).
    pub fn insert(&mut self, ods: OdsCode, store: Arc<dyn Store>) {
        self.by_practice.insert(ods, store);
    }

    /// The store `ods`'s routes read, if this process serves it.
    pub fn store_of(&self, ods: &OdsCode) -> Option<Arc<dyn Store>> {
        self.by_practice.get(ods).or(self.shared.as_ref()).map(Arc::clone)
    }

    /// The practices given their own store, in ODS order.
    pub fn practices(&self) -> impl Iterator<Item = &OdsCode> {
        self.by_practice.keys()
    }
}

impl From<Arc<dyn Store>> for PracticeStores {
    fn from(store: Arc<dyn Store>) -> Self {
        PracticeStores::shared(store)
    }
}
