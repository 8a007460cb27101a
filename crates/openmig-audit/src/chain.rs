//! The hash chain: how an entry is hashed and linked to the one before it.
//!
//! ```text
//! leaf_i = SHA-256(0x00 || canonical(entry_i))
//! h_i    = SHA-256(0x01 || h_{i-1} || leaf_i)        h_0 = 32 zero bytes
//! ```
//!
//! The prefix bytes separate the two kinds of hash (as RFC 6962 does for Merkle leaves
//! and nodes), so a leaf can never be passed off as a link or the other way round.
//! `h_i`, the *head* after entry `i`, is stored beside the entry and signed by the
//! checkpoints; because every `h_i` covers all entries up to `i`, changing any entry
//! changes every later head.
//!
//! `canonical(entry)` is the entry as one line of JSON (UTF-8, no whitespace, serde_json's
//! string escaping: `"`, `\` and control characters escaped, everything else literal),
//! with exactly these members in this order:
//!
//! `v` (the format, `1`), `sequence`, `time` (RFC 3339 in UTC with six fractional digits
//! and `Z`, e.g. `2026-11-25T09:30:00.000000Z`), `interaction`, `user_id`, `user_name`,
//! `role`, `organisation`, `device`, `patient` (the ten digits), `practice`, `purpose`,
//! `consent`, `override_reason`, `datasets` (array of names), `items_returned`,
//! `outcome`, `error_code`, `trace_id`.
//!
//! Absent optional values are `null`; names of roles, consent bases, datasets and
//! outcomes are their kebab-case spellings. Including the sequence number means an entry
//! moved to another position no longer matches its hash. The format is built by
//! `row.rs`, from the very column values stored in SQLite.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// Domain-separation byte of a leaf (an entry's own hash).
pub const LEAF_PREFIX: u8 = 0x00;
/// Domain-separation byte of a link (the chain head after an entry).
pub const LINK_PREFIX: u8 = 0x01;

/// A SHA-256 value of the chain: a leaf or a head. Shown as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainHash([u8; 32]);

impl ChainHash {
    /// The head of the empty log, `h_0`: 32 zero bytes.
    pub const GENESIS: ChainHash = ChainHash([0; 32]);

    /// Wraps raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        ChainHash(bytes)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Reads 32 bytes from a slice (e.g. a database column), or `None` if the length is
    /// wrong.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(ChainHash)
    }

    /// 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Option<Self> {
        from_hex(text).and_then(|bytes| ChainHash::from_slice(&bytes))
    }
}

impl fmt::Display for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainHash({})", self.to_hex())
    }
}

impl Serialize for ChainHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for ChainHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ChainHash::from_hex(&text).ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
    }
}

/// `leaf = SHA-256(0x00 || canonical)`.
pub fn leaf(canonical: &[u8]) -> ChainHash {
    let mut sha = Sha256::new();
    sha.update([LEAF_PREFIX]);
    sha.update(canonical);
    ChainHash(sha.finalize().into())
}

/// `h_i = SHA-256(0x01 || h_{i-1} || leaf_i)`.
pub fn link(previous: &ChainHash, leaf: &ChainHash) -> ChainHash {
    let mut sha = Sha256::new();
    sha.update([LINK_PREFIX]);
    sha.update(previous.0);
    sha.update(leaf.0);
    ChainHash(sha.finalize().into())
}

/// Lower-case hex, two digits per byte (sha2 0.11 digests have no `LowerHex`).
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(DIGITS[usize::from(byte >> 4)] as char);
        text.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    text
}

/// Parses hex digits (either case), two per byte.
pub(crate) fn from_hex(text: &str) -> Option<Vec<u8>> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes.chunks_exact(2).map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_odd_or_foreign_digits() {
        let bytes = [0x00, 0x0f, 0xa5, 0xff];
        assert_eq!(to_hex(&bytes), "000fa5ff");
        assert_eq!(from_hex("000FA5ff").unwrap(), bytes);
        assert!(from_hex("abc").is_none());
        assert!(from_hex("zz").is_none());
        let hash = leaf(b"x");
        assert_eq!(ChainHash::from_hex(&hash.to_hex()), Some(hash));
        assert!(ChainHash::from_hex("00").is_none());
    }

    #[test]
    fn the_leaf_is_sha256_of_the_prefixed_canonical_bytes() {
        // SHA-256(0x00 || "") and SHA-256(0x00), computed independently (`printf '\0' | sha256sum`).
        assert_eq!(leaf(b"").to_hex(), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    }

    #[test]
    fn leaves_and_links_are_domain_separated() {
        // The same 64 bytes hashed as a leaf and as a link give different values.
        let a = ChainHash::from_bytes([7; 32]);
        let b = ChainHash::from_bytes([9; 32]);
        let mut joined = Vec::new();
        joined.push(LINK_PREFIX);
        joined.extend_from_slice(a.as_bytes());
        joined.extend_from_slice(b.as_bytes());
        assert_ne!(leaf(&joined[1..]), link(&a, &b));
        assert_ne!(link(&a, &b), link(&b, &a));
    }
}
