//! Immunisations, given and not given.

use serde::{Deserialize, Serialize};

use super::{Coded, EntryMeta};
use crate::dates::PartialDate;

/// A vaccination event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Immunisation {
    /// Common entry data.
    pub meta: EntryMeta,
    /// The vaccination procedure, e.g. 822851000000102 "Seasonal influenza vaccination".
    pub vaccination: Coded,
    /// The dm+d vaccine product, when recorded.
    pub product: Option<Coded>,
    /// When it was given (or declined).
    pub date: PartialDate,
    /// Given, or not given with the reason.
    pub status: ImmunisationStatus,
}

/// Whether the vaccine was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImmunisationStatus {
    /// Given.
    Given {
        /// Manufacturer's batch number.
        batch: Option<String>,
        /// Dose number in a course, when the course has several.
        dose_number: Option<u8>,
    },
    /// Offered but not given.
    NotGiven {
        /// Why, e.g. "Patient declined".
        reason: String,
    },
}
