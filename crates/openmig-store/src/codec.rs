//! The practice document, and the record codec every backend shares (re-exported from
//! `openmig-codec`, so `openmig_store::codec` stays the one name backends use).

use openmig_domain::{Clinician, Practice};
use serde::{Deserialize, Serialize};

pub use openmig_codec::*;

use crate::PracticeEntry;

/// Encodes a practice with its clinicians as a document. Every backend stores practices
/// this way, so the content hash (which covers practice documents) agrees across them.
pub fn encode_practice(entry: &PracticeEntry) -> Vec<u8> {
    encode_value(&PracticeDocumentRef { practice: &entry.practice, clinicians: &entry.clinicians })
}

/// Decodes a document written by [`encode_practice`].
pub fn decode_practice(bytes: &[u8]) -> Result<PracticeEntry, CodecError> {
    let PracticeDocument { practice, clinicians } = decode_value(bytes)?;
    Ok(PracticeEntry { practice, clinicians })
}

/// The stored shape of a practice document. The borrowing twin below encodes to the
/// same bytes (postcard writes fields in order and nothing else), so encoding needs no
/// clone of the practice.
#[derive(Deserialize)]
struct PracticeDocument {
    practice: Practice,
    clinicians: Vec<Clinician>,
}

#[derive(Serialize)]
struct PracticeDocumentRef<'a> {
    practice: &'a Practice,
    clinicians: &'a [Clinician],
}

#[cfg(test)]
mod tests {
    use super::*;
    use openmig_domain::fixtures;

    #[test]
    fn a_practice_with_its_clinicians_round_trips() {
        let entry =
            PracticeEntry { practice: fixtures::example_practice(), clinicians: fixtures::example_clinicians() };
        let bytes = encode_practice(&entry);
        assert_eq!(decode_practice(&bytes).unwrap(), entry);
        assert_eq!(bytes, encode_practice(&entry), "practice documents must be deterministic");
    }
}
