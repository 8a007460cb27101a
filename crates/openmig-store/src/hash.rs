//! The content hash: one framing of the stored content, shared by every backend.
//!
//! [`Store::content_hash`](crate::Store::content_hash) promises that equal content gives
//! an equal hash on any backend, so the exact bytes fed to SHA-256 are defined once, here,
//! rather than re-typed in each backend's SQL layer.
//!
//! The stream is: every practice in ODS-code order (the code's bytes, then its
//! document's length as a little-endian `u64`, then the document), followed by every
//! patient in NHS-number order (the number as its 10-digit string, the trait bits as a
//! little-endian `u32`, the document's length as a little-endian `u64`, then the
//! document). The length prefixes make the framing unambiguous: two different contents
//! can never produce the same byte stream.

use openmig_domain::traits::TraitSet;
use openmig_domain::{NhsNumber, OdsCode};
use sha2::{Digest, Sha256};

/// Accumulates stored content in key order and yields the content hash.
///
/// Backends must feed all practices before any patient, each group in ascending key
/// order: ODS codes by their bytes (SQLite's BINARY collation, PostgreSQL's "C"), NHS
/// numbers by value. The hasher cannot check the order; the conformance suite does.
#[derive(Clone, Default)]
pub struct ContentHasher {
    sha: Sha256,
}

impl ContentHasher {
    /// Starts an empty hash.
    pub fn new() -> Self {
        ContentHasher::default()
    }

    /// Adds one practice and its stored document.
    pub fn practice(&mut self, ods_code: &OdsCode, document: &[u8]) {
        self.sha.update(ods_code.as_str().as_bytes());
        self.document(document);
    }

    /// Adds one patient: NHS number, stored traits and stored document.
    pub fn patient(&mut self, nhs_number: NhsNumber, traits: TraitSet, document: &[u8]) {
        self.sha.update(nhs_number.to_string().as_bytes());
        self.sha.update(traits.bits().to_le_bytes());
        self.document(document);
    }

    /// The SHA-256 as 64 lower-case hex digits.
    pub fn finish(self) -> String {
        self.sha.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
    }

    fn document(&mut self, document: &[u8]) {
        self.sha.update((document.len() as u64).to_le_bytes());
        self.sha.update(document);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_hash_is_the_sha256_of_nothing() {
        assert_eq!(ContentHasher::new().finish(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn moving_bytes_between_neighbouring_documents_changes_the_hash() {
        let ods = OdsCode::parse("Z90001").unwrap();
        let mut a = ContentHasher::new();
        a.practice(&ods, b"ab");
        a.practice(&ods, b"c");
        let mut b = ContentHasher::new();
        b.practice(&ods, b"a");
        b.practice(&ods, b"bc");
        assert_ne!(a.finish(), b.finish());
    }
}
