//! A record made ready for storage: encoded and indexed, but not yet written.
//!
//! Encoding and compressing a record costs more than writing it, so the generator and
//! loaders build [`PreparedRecord`]s on worker threads and hand batches to the single
//! writer (SQLite has one writer at a time).

use chrono::NaiveDate;
use openmig_domain::traits::{TraitSet, traits_of};
use openmig_domain::{GpRecord, NhsNumber, OdsCode};

use crate::codec;

/// An encoded record with the keys a backend indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedRecord {
    /// Primary key.
    pub nhs_number: NhsNumber,
    /// The registered practice.
    pub practice: OdsCode,
    /// Traits on the region's as-of day, for `patients --trait`.
    pub traits: TraitSet,
    /// Entries of all kinds, for statistics.
    pub entry_count: u32,
    /// The codec document.
    pub document: Vec<u8>,
}

impl PreparedRecord {
    /// Encodes `record` and computes its traits on `as_of`.
    pub fn prepare(record: &GpRecord, practice_shares: bool, as_of: NaiveDate) -> Self {
        PreparedRecord {
            nhs_number: record.patient.nhs_number,
            practice: record.patient.registration.practice.clone(),
            traits: traits_of(record, practice_shares, as_of),
            entry_count: u32::try_from(record.entry_count()).unwrap_or(u32::MAX),
            document: codec::encode(record),
        }
    }
}
