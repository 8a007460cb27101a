//! Keys: the demo issuer's ES256 private key (generated, or kept in a key directory) and
//! the public keys the gateway trusts, each with the key id (`kid`) tokens name it by.
//!
//! All crypto is aws-lc-rs, the workspace's one provider (directly here, and inside
//! `jsonwebtoken` through its `aws_lc_rs` feature).

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair, ParsedPublicKey,
    RsaPublicKeyComponents,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{DecodingKey, EncodingKey};

use crate::AuthError;
use crate::pem;

/// The issuer name of keys made by [`IssuerKey::generate`] and
/// [`IssuerKey::load_or_create`] (the `iss` claim of demo tokens).
pub const DEFAULT_ISSUER: &str = "openmig-demo-issuer";
/// The private key file in a key directory: PKCS#8 PEM, mode 0600.
pub const PRIVATE_KEY_FILE: &str = "issuer-es256.pem";
/// The public key file in a key directory: SubjectPublicKeyInfo PEM, what a gateway trusts.
pub const PUBLIC_KEY_FILE: &str = "issuer-es256.pub.pem";
/// The smallest RSA modulus accepted for RS256, in bits (NIST SP 800-131A; also the
/// floor aws-lc-rs verifies with).
pub const MIN_RSA_BITS: usize = 2048;

/// The signature algorithms the gateway accepts. Nothing else is representable, so an
/// HMAC or `none` token cannot even be described as trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// ECDSA on P-256 with SHA-256 (RFC 7518 §3.4): what openmig's own issuer signs with.
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3), keys of at least 2048 bits: what
    /// many existing identity providers sign with.
    Rs256,
}

impl Algorithm {
    /// The JWS `alg` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Es256 => "ES256",
            Algorithm::Rs256 => "RS256",
        }
    }

    pub(crate) fn jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            Algorithm::Es256 => jsonwebtoken::Algorithm::ES256,
            Algorithm::Rs256 => jsonwebtoken::Algorithm::RS256,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The key id of a public key: base64url (no padding) of the first 16 bytes of the
/// SHA-256 of its DER SubjectPublicKeyInfo (22 characters). The same key always gets the
/// same id, in the issuer and in every gateway that trusts it, with no registry.
pub fn key_id(spki_der: &[u8]) -> String {
    let hash = digest(&SHA256, spki_der);
    URL_SAFE_NO_PAD.encode(&hash.as_ref()[..16])
}

/// An ES256 (P-256) private key that signs demo tokens, with its issuer name and key id.
///
/// `Debug` shows the issuer and key id only, never key material.
pub struct IssuerKey {
    issuer: String,
    key_id: String,
    encoding_key: EncodingKey,
    pkcs8_der: Vec<u8>,
    public_spki_der: Vec<u8>,
}

impl IssuerKey {
    /// A new random key, issuer [`DEFAULT_ISSUER`].
    pub fn generate() -> Result<Self, AuthError> {
        let document = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .map_err(|_| AuthError::Crypto { what: "generating a P-256 key" })?;
        Self::from_pkcs8_der(document.as_ref())
    }

    /// The key in `dir` (files [`PRIVATE_KEY_FILE`] and [`PUBLIC_KEY_FILE`]), or a new one
    /// written there when there is none.
    ///
    /// The directory is created with mode 0700 and the private key with mode 0600 (on
    /// Unix); an existing private key that group or others may read is refused. A new
    /// private key is written to a temporary file and linked into place, so two processes
    /// starting together end up with the same key and a reader never sees half a file.
    /// The public key file is written when missing and must match the private key.
    pub fn load_or_create(dir: &Path) -> Result<Self, AuthError> {
        create_private_dir(dir)?;
        let private_path = dir.join(PRIVATE_KEY_FILE);
        if !private_path.exists() {
            let key = Self::generate()?;
            write_new_private_key(&private_path, &key.private_key_pem())?;
        }
        let key = Self::load_private_key(&private_path)?;
        key.ensure_public_key_file(&dir.join(PUBLIC_KEY_FILE))?;
        Ok(key)
    }

    /// A key from PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), issuer [`DEFAULT_ISSUER`].
    pub fn from_pkcs8_pem(pem_text: &str) -> Result<Self, AuthError> {
        let (label, der) = pem::decode(pem_text).map_err(AuthError::invalid_key)?;
        if label != pem::PRIVATE_KEY {
            return Err(AuthError::invalid_key(format!(
                "expected a PKCS#8 \"{}\" PEM block, found \"{}\"",
                pem::PRIVATE_KEY,
                label.chars().take(40).collect::<String>()
            )));
        }
        Self::from_pkcs8_der(&der)
    }

    fn from_pkcs8_der(der: &[u8]) -> Result<Self, AuthError> {
        let key_pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map_err(|_| AuthError::invalid_key("not a PKCS#8 P-256 (ES256) private key"))?;
        let public_spki_der = key_pair
            .public_key()
            .as_der()
            .map_err(|_| AuthError::Crypto { what: "encoding the public key" })?
            .as_ref()
            .to_vec();
        Ok(IssuerKey {
            issuer: DEFAULT_ISSUER.to_string(),
            key_id: key_id(&public_spki_der),
            encoding_key: EncodingKey::from_ec_der(der),
            pkcs8_der: der.to_vec(),
            public_spki_der,
        })
    }

    /// The same key under another issuer name (the `iss` claim it signs).
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// The issuer name, the `iss` claim of the tokens this key mints.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The key id, the `kid` header of the tokens this key mints (see [`key_id`]).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The signing algorithm: always ES256.
    pub fn algorithm(&self) -> Algorithm {
        Algorithm::Es256
    }

    /// The public key as SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`), what a
    /// gateway is given to trust this issuer.
    pub fn public_key_pem(&self) -> String {
        pem::encode(pem::PUBLIC_KEY, &self.public_spki_der)
    }

    pub(crate) fn public_key_der(&self) -> &[u8] {
        &self.public_spki_der
    }

    pub(crate) fn encoding_key(&self) -> &EncodingKey {
        &self.encoding_key
    }

    fn private_key_pem(&self) -> String {
        pem::encode(pem::PRIVATE_KEY, &self.pkcs8_der)
    }

    fn load_private_key(path: &Path) -> Result<Self, AuthError> {
        refuse_readable_by_others(path)?;
        let text = fs::read_to_string(path).map_err(|source| key_file_error("read", path, source))?;
        Self::from_pkcs8_pem(&text)
    }

    fn ensure_public_key_file(&self, path: &Path) -> Result<(), AuthError> {
        match fs::read_to_string(path) {
            Ok(text) => match pem::decode(&text) {
                Ok((label, der)) if label == pem::PUBLIC_KEY && der == self.public_spki_der => Ok(()),
                _ => Err(AuthError::KeyFileMismatch { path: path.to_path_buf() }),
            },
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let temporary = temporary_path(path);
                let written = fs::write(&temporary, self.public_key_pem()).and_then(|()| fs::rename(&temporary, path));
                if written.is_err() {
                    let _ = fs::remove_file(&temporary);
                }
                written.map_err(|source| key_file_error("write", path, source))
            }
            Err(source) => Err(key_file_error("read", path, source)),
        }
    }
}

impl fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuerKey").field("issuer", &self.issuer).field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

/// A public key ready to verify with: checked once, when it is trusted.
#[derive(Clone, Debug)]
pub(crate) struct PublicKey {
    pub(crate) algorithm: Algorithm,
    pub(crate) spki_der: Vec<u8>,
    pub(crate) decoding_key: DecodingKey,
}

impl PublicKey {
    /// Parses PEM for `algorithm`: `PUBLIC KEY` (SubjectPublicKeyInfo) for both, or
    /// `RSA PUBLIC KEY` (PKCS#1) for RS256. An ES256 key must be on P-256; an RS256 key
    /// must have at least [`MIN_RSA_BITS`] bits.
    pub(crate) fn from_pem(algorithm: Algorithm, pem_text: &str) -> Result<Self, AuthError> {
        let (label, der) = pem::decode(pem_text).map_err(AuthError::invalid_key)?;
        let label_allowed = label == pem::PUBLIC_KEY || (algorithm == Algorithm::Rs256 && label == pem::RSA_PUBLIC_KEY);
        if !label_allowed {
            return Err(AuthError::invalid_key(format!(
                "expected a \"PUBLIC KEY\" PEM block for {algorithm}, found \"{}\"",
                label.chars().take(40).collect::<String>()
            )));
        }
        match algorithm {
            Algorithm::Es256 => {
                ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &der)
                    .map_err(|_| AuthError::invalid_key("not a P-256 public key, so not usable for ES256"))?;
                Ok(PublicKey { algorithm, decoding_key: DecodingKey::from_ec_der(&der), spki_der: der })
            }
            Algorithm::Rs256 => {
                let key = aws_lc_rs::rsa::PublicKey::from_der(&der)
                    .map_err(|_| AuthError::invalid_key("not an RSA public key, so not usable for RS256"))?;
                let components = RsaPublicKeyComponents::<Vec<u8>>::from(&key);
                if modulus_bits(&components.n) < MIN_RSA_BITS {
                    return Err(AuthError::invalid_key(format!("the RSA key is shorter than {MIN_RSA_BITS} bits")));
                }
                let spki_der = key
                    .as_der()
                    .map_err(|_| AuthError::Crypto { what: "encoding an RSA public key" })?
                    .as_ref()
                    .to_vec();
                Ok(PublicKey { algorithm, decoding_key: DecodingKey::from_rsa_der(&spki_der), spki_der })
            }
        }
    }
}

fn modulus_bits(modulus: &[u8]) -> usize {
    let significant = match modulus.iter().position(|byte| *byte != 0) {
        Some(first) => &modulus[first..],
        None => return 0,
    };
    significant.len() * 8 - significant[0].leading_zeros() as usize
}

fn key_file_error(action: &'static str, path: &Path, source: std::io::Error) -> AuthError {
    AuthError::KeyFile { action, path: path.to_path_buf(), source }
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> Result<(), AuthError> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| key_file_error("create", dir, source))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> Result<(), AuthError> {
    fs::create_dir_all(dir).map_err(|source| key_file_error("create", dir, source))
}

/// Writes the private key beside `path` (mode 0600, synced) and links it into place; if
/// another process got there first, its key stands and ours is discarded.
fn write_new_private_key(path: &Path, pem_text: &str) -> Result<(), AuthError> {
    let temporary = temporary_path(path);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(pem_text.as_bytes())?;
        file.sync_all()
    });
    if let Err(source) = written {
        let _ = fs::remove_file(&temporary);
        return Err(key_file_error("create", &temporary, source));
    }
    let linked = fs::hard_link(&temporary, path);
    let _ = fs::remove_file(&temporary);
    match linked {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(key_file_error("create", path, source)),
    }
}

#[cfg(unix)]
fn refuse_readable_by_others(path: &Path) -> Result<(), AuthError> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = fs::metadata(path).map_err(|source| key_file_error("read", path, source))?;
    if metadata.permissions().mode() & 0o077 != 0 {
        return Err(AuthError::KeyFileInsecure { path: path.to_path_buf() });
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_readable_by_others(_path: &Path) -> Result<(), AuthError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_id_is_stable_and_differs_between_keys() {
        let key = IssuerKey::generate().unwrap();
        let other = IssuerKey::generate().unwrap();
        assert_eq!(key.key_id().len(), 22);
        assert_eq!(key.key_id(), key_id(key.public_key_der()));
        assert_ne!(key.key_id(), other.key_id());
        let reloaded = IssuerKey::from_pkcs8_pem(&key.private_key_pem()).unwrap();
        assert_eq!(reloaded.key_id(), key.key_id());
        assert_eq!(reloaded.public_key_pem(), key.public_key_pem());
    }

    #[test]
    fn debug_shows_no_key_material() {
        let key = IssuerKey::generate().unwrap();
        let debug = format!("{key:?}");
        assert!(debug.contains(DEFAULT_ISSUER) && debug.contains(key.key_id()));
        let private_body: String = key.private_key_pem().lines().nth(1).unwrap().chars().take(20).collect();
        assert!(!debug.contains(&private_body));
    }

    #[test]
    fn an_issuer_public_key_parses_for_es256_only() {
        let key = IssuerKey::generate().unwrap();
        let parsed = PublicKey::from_pem(Algorithm::Es256, &key.public_key_pem()).unwrap();
        assert_eq!(key_id(&parsed.spki_der), key.key_id());
        assert_eq!(PublicKey::from_pem(Algorithm::Rs256, &key.public_key_pem()).unwrap_err().code(), "KEY_INVALID");
        assert_eq!(PublicKey::from_pem(Algorithm::Es256, &key.private_key_pem()).unwrap_err().code(), "KEY_INVALID");
    }

    #[test]
    fn modulus_bits_ignore_leading_zero_bytes() {
        assert_eq!(modulus_bits(&[0, 0x80, 0]), 16);
        assert_eq!(modulus_bits(&[0x01, 0xff]), 9);
        assert_eq!(modulus_bits(&[0, 0]), 0);
    }
}
