//! Facts about a region as a whole (name, seed, the "as of" day, the generator's content
//! hash): recorded by the directory and by every practice's store, so that any one of
//! them says which generation run made it.

use chrono::NaiveDate;

/// Facts about a region: what the directory and each practice store record about the
/// generation run that made them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionInfo {
    /// Human name, e.g. "North East (synthetic)".
    pub name: String,
    /// The generator seed, when the region was generated.
    pub seed: Option<u64>,
    /// The day the synthetic records were generated "as of": the records' present.
    pub as_of: NaiveDate,
    /// The generator's content hash (SHA-256 hex) over everything it produced.
    pub content_hash: Option<String>,
    /// Which openmig version wrote it.
    pub written_by: String,
}
