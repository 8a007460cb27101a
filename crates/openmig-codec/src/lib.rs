//! The documents openmig keeps: how a [`GpRecord`] (or any other domain value: a
//! practice, a directory entry, a cached copy) is turned into bytes for storage.
//!
//! Layout: one format-version byte, then the zstd-compressed postcard encoding of the
//! record. postcard is compact and deterministic (same record, same bytes), which the
//! content hash relies on; zstd shrinks the repetitive parts (issue histories, notes) to
//! a fraction. The version byte lets a later openmig read older documents or refuse
//! them clearly.
//!
//! Its own crate so that the parts which keep documents but must never reach a clinical
//! store (the directory, the gateway's last-good cache) share the one layout without
//! depending on `openmig-store`.

use openmig_domain::GpRecord;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The current document format.
pub const FORMAT_VERSION: u8 = 3;

/// zstd level 1: on 4-5 KB records it compresses as well as the default level 3 (within
/// 1%) in three quarters of the time, which matters when encoding millions of records.
const ZSTD_LEVEL: i32 = 1;

/// Why a document could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The document is empty.
    #[error("record document is empty")]
    Empty,
    /// A format this build does not know.
    #[error("record document format {0} is not supported by this openmig")]
    UnknownFormat(u8),
    /// Decompression or decoding failed: the bytes are damaged.
    #[error("record document is damaged: {0}")]
    Damaged(String),
}

/// Encodes a record as a versioned, compressed document.
pub fn encode(record: &GpRecord) -> Vec<u8> {
    encode_value(record)
}

/// Decodes a document written by [`encode`].
pub fn decode(bytes: &[u8]) -> Result<GpRecord, CodecError> {
    decode_value(bytes)
}

/// The canonical (uncompressed) bytes of any storable value, for hashing.
pub fn canonical_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).expect("domain types always serialise")
}

thread_local! {
    /// Creating a zstd context costs more than compressing a small record, so each
    /// thread keeps one (generation encodes millions of records on a few threads).
    static COMPRESSOR: std::cell::RefCell<zstd::bulk::Compressor<'static>> =
        std::cell::RefCell::new(zstd::bulk::Compressor::new(ZSTD_LEVEL).expect("zstd level 1 is valid"));
}

/// Encodes any domain value in the document layout (used for practices too).
pub fn encode_value<T: Serialize>(value: &T) -> Vec<u8> {
    let raw = canonical_bytes(value);
    let compressed = COMPRESSOR.with(|c| c.borrow_mut().compress(&raw)).expect("compressing into memory cannot fail");
    let mut out = Vec::with_capacity(compressed.len() + 1);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&compressed);
    out
}

/// Decodes any domain value written by [`encode_value`].
pub fn decode_value<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    let (&version, body) = bytes.split_first().ok_or(CodecError::Empty)?;
    if version != FORMAT_VERSION {
        return Err(CodecError::UnknownFormat(version));
    }
    let raw = zstd::stream::decode_all(body).map_err(|e| CodecError::Damaged(e.to_string()))?;
    postcard::from_bytes(&raw).map_err(|e| CodecError::Damaged(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use openmig_domain::fixtures;

    #[test]
    fn a_record_with_every_entry_kind_round_trips() {
        let record = fixtures::example_record();
        let bytes = encode(&record);
        assert_eq!(decode(&bytes).unwrap(), record);
    }

    #[test]
    fn encoding_is_deterministic() {
        let record = fixtures::example_record();
        assert_eq!(encode(&record), encode(&record));
    }

    #[test]
    fn damaged_or_foreign_documents_are_refused() {
        let mut bytes = encode(&fixtures::example_record());
        assert!(matches!(decode(&[]), Err(CodecError::Empty)));
        assert!(matches!(decode(&[9, 1, 2]), Err(CodecError::UnknownFormat(9))));
        let last = bytes.len() - 1;
        bytes.truncate(last / 2);
        assert!(matches!(decode(&bytes), Err(CodecError::Damaged(_))));
    }
}
