//! Signed checkpoints, their key and the append-only file they are kept in.
//!
//! A checkpoint is an Ed25519 signature (aws-lc-rs) over the message
//!
//! ```text
//! "openmig-audit checkpoint v1" 0x00 || sequence (u64, big-endian) || head (32 bytes) || time
//! ```
//!
//! where `time` is the checkpoint's time in the stored spelling (RFC 3339, UTC,
//! microseconds, `Z`). Checkpoints live apart from the database, one JSON object per line
//! (`{"sequence":…,"head":"hex","time":"…","key":"hex","signature":"hex"}`), by default in
//! `<database>.audit-checkpoints.jsonl`. Anyone who can rewrite the database but not sign
//! cannot make a shortened or rewritten chain agree with them. For the strongest
//! guarantee, copy the file (and the public key) somewhere the database's administrators
//! cannot write.
//!
//! The key lives in the key directory (default `openmig-keys`): the private key as PKCS#8
//! DER in `audit-checkpoint-key.p8` (mode 0600, refused when others may read it) and the
//! public key as hex in `audit-checkpoint-key.pub`, which is all `openmig audit verify`
//! needs.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use crate::chain::{self, ChainHash};
use crate::error::AuditError;
use crate::row::{parse_time, time_text};

/// Domain separation of the signed message.
const SIGNING_CONTEXT: &[u8] = b"openmig-audit checkpoint v1\0";

/// The default checkpoints file of a database: `<database>.audit-checkpoints.jsonl`.
pub fn default_checkpoints_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".audit-checkpoints.jsonl");
    PathBuf::from(name)
}

/// The private key that signs checkpoints.
pub struct CheckpointKey {
    pair: Ed25519KeyPair,
    public: CheckpointPublicKey,
}

impl CheckpointKey {
    /// The private key's file name in the key directory.
    pub const PRIVATE_FILE: &'static str = "audit-checkpoint-key.p8";
    /// The public key's file name in the key directory.
    pub const PUBLIC_FILE: &'static str = "audit-checkpoint-key.pub";

    /// Loads the key from `dir`, or on first use generates one there (creating `dir`
    /// with mode 0700 if needed). The private key file is written with mode 0600 and
    /// appears atomically: two processes starting together end up with the same key.
    pub fn load_or_create(dir: &Path) -> Result<CheckpointKey, AuditError> {
        let private = dir.join(Self::PRIVATE_FILE);
        let key = match fs::read(&private) {
            Ok(bytes) => {
                check_private_permissions(&private)?;
                CheckpointKey::from_pkcs8(&bytes)
                    .map_err(|_| key_error(format!("{} is not an Ed25519 PKCS#8 key", private.display())))?
            }
            Err(e) if e.kind() == ErrorKind::NotFound => CheckpointKey::create(dir, &private)?,
            Err(e) => return Err(key_error(format!("cannot read {}: {e}", private.display()))),
        };
        key.ensure_public_file(dir)?;
        Ok(key)
    }

    /// A fresh key that lives only in memory (tests, throw-away demos).
    pub fn generate() -> Result<CheckpointKey, AuditError> {
        let document = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| key_error("cannot generate an Ed25519 key".into()))?;
        CheckpointKey::from_pkcs8(document.as_ref())
    }

    /// Reads a PKCS#8 (v1 or v2) Ed25519 private key.
    pub fn from_pkcs8(bytes: &[u8]) -> Result<CheckpointKey, AuditError> {
        let pair = Ed25519KeyPair::from_pkcs8(bytes).map_err(|e| key_error(format!("key rejected: {e}")))?;
        let public = CheckpointPublicKey::from_slice(pair.public_key().as_ref())
            .ok_or_else(|| key_error("unexpected public key length".into()))?;
        Ok(CheckpointKey { pair, public })
    }

    /// The public half, which verifies this key's checkpoints.
    pub fn public(&self) -> CheckpointPublicKey {
        self.public
    }

    /// Signs a checkpoint of `head` after entry `sequence`, dated `time` (kept to the
    /// microsecond).
    pub fn sign(&self, sequence: u64, head: ChainHash, time: DateTime<Utc>) -> Checkpoint {
        let time = time.trunc_subsecs(6);
        let signature = self.pair.sign(&message(sequence, &head, time)).as_ref().to_vec();
        Checkpoint { sequence, head, time, key: self.public, signature }
    }

    fn create(dir: &Path, private: &Path) -> Result<CheckpointKey, AuditError> {
        create_private_dir(dir)?;
        let document = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| key_error("cannot generate an Ed25519 key".into()))?;
        // Write a temporary file, then hard-link it into place: the link fails if another
        // process got there first, so a key is never overwritten or half-written.
        let temporary = dir.join(format!(".{}.{}.tmp", Self::PRIVATE_FILE, std::process::id()));
        let written = write_new(&temporary, document.as_ref(), 0o600).and_then(|()| fs::hard_link(&temporary, private));
        let _ = fs::remove_file(&temporary);
        match written {
            Ok(()) => CheckpointKey::from_pkcs8(document.as_ref()),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                let bytes =
                    fs::read(private).map_err(|e| key_error(format!("cannot read {}: {e}", private.display())))?;
                CheckpointKey::from_pkcs8(&bytes)
            }
            Err(e) => Err(key_error(format!("cannot write {}: {e}", private.display()))),
        }
    }

    fn ensure_public_file(&self, dir: &Path) -> Result<(), AuditError> {
        let path = dir.join(Self::PUBLIC_FILE);
        match CheckpointPublicKey::load(dir) {
            Ok(found) if found == self.public => Ok(()),
            Ok(_) => Err(key_error(format!("{} does not match the private key beside it", path.display()))),
            Err(_) if !path.exists() => {
                let temporary = dir.join(format!(".{}.{}.tmp", Self::PUBLIC_FILE, std::process::id()));
                let written = write_new(&temporary, format!("{}\n", self.public.to_hex()).as_bytes(), 0o644)
                    .and_then(|()| fs::rename(&temporary, &path));
                if written.is_err() {
                    let _ = fs::remove_file(&temporary);
                }
                written.map_err(|e| key_error(format!("cannot write {}: {e}", path.display())))
            }
            Err(e) => Err(e),
        }
    }
}

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointKey").field("public", &self.public).finish_non_exhaustive()
    }
}

/// An Ed25519 public key that verifies checkpoints. Shown as 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CheckpointPublicKey([u8; 32]);

impl CheckpointPublicKey {
    /// Reads `audit-checkpoint-key.pub` from a key directory.
    pub fn load(dir: &Path) -> Result<CheckpointPublicKey, AuditError> {
        let path = dir.join(CheckpointKey::PUBLIC_FILE);
        let text = fs::read_to_string(&path).map_err(|e| match e.kind() {
            ErrorKind::NotFound => key_error(format!("no audit checkpoint public key at {}", path.display())),
            _ => key_error(format!("cannot read {}: {e}", path.display())),
        })?;
        CheckpointPublicKey::from_hex(text.trim())
            .ok_or_else(|| key_error(format!("{} does not hold a 64-digit hex public key", path.display())))
    }

    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Option<CheckpointPublicKey> {
        chain::from_hex(text).and_then(|bytes| CheckpointPublicKey::from_slice(&bytes))
    }

    /// The key as 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        chain::to_hex(&self.0)
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn from_slice(bytes: &[u8]) -> Option<CheckpointPublicKey> {
        bytes.try_into().ok().map(CheckpointPublicKey)
    }

    /// Whether `checkpoint` carries a valid signature by this key.
    pub fn verifies(&self, checkpoint: &Checkpoint) -> bool {
        UnparsedPublicKey::new(&signature::ED25519, &self.0)
            .verify(&message(checkpoint.sequence, &checkpoint.head, checkpoint.time), &checkpoint.signature)
            .is_ok()
    }
}

impl std::fmt::Debug for CheckpointPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckpointPublicKey({})", self.to_hex())
    }
}

impl std::fmt::Display for CheckpointPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A signed statement "after entry `sequence` the chain head was `head`", made at `time`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The last entry covered (0: the empty log).
    pub sequence: u64,
    /// The chain head after that entry.
    pub head: ChainHash,
    /// When the checkpoint was made (microsecond precision).
    pub time: DateTime<Utc>,
    /// The public key of the signer.
    pub key: CheckpointPublicKey,
    /// The Ed25519 signature (64 bytes).
    pub signature: Vec<u8>,
}

/// The JSON line of a checkpoint.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    sequence: u64,
    head: String,
    time: String,
    key: String,
    signature: String,
}

impl Checkpoint {
    /// The checkpoint as one line of JSON (without the newline).
    pub fn to_json_line(&self) -> String {
        let line = Line {
            sequence: self.sequence,
            head: self.head.to_hex(),
            time: time_text(self.time),
            key: self.key.to_hex(),
            signature: chain::to_hex(&self.signature),
        };
        serde_json::to_string(&line).expect("strings and an integer always serialise")
    }

    /// Parses one line of the checkpoints file (the signature is not checked here).
    pub fn from_json_line(text: &str) -> Option<Checkpoint> {
        let line: Line = serde_json::from_str(text).ok()?;
        Some(Checkpoint {
            sequence: line.sequence,
            head: ChainHash::from_hex(&line.head)?,
            time: parse_time(&line.time)?,
            key: CheckpointPublicKey::from_hex(&line.key)?,
            signature: chain::from_hex(&line.signature)?,
        })
    }
}

fn message(sequence: u64, head: &ChainHash, time: DateTime<Utc>) -> Vec<u8> {
    let mut message = Vec::with_capacity(SIGNING_CONTEXT.len() + 8 + 32 + 27);
    message.extend_from_slice(SIGNING_CONTEXT);
    message.extend_from_slice(&sequence.to_be_bytes());
    message.extend_from_slice(head.as_bytes());
    message.extend_from_slice(time_text(time).as_bytes());
    message
}

/// One line of a checkpoints file as read back: a checkpoint, or why the line is unusable.
pub(crate) struct ReadLine {
    /// 1-based line number.
    pub number: usize,
    pub checkpoint: Option<Checkpoint>,
}

/// Reads a checkpoints file. `Ok(None)` when it does not exist. An unterminated last line
/// (a write in progress, or torn by a crash) is not returned: complete lines always end
/// with a newline.
pub(crate) fn read_file(path: &Path) -> Result<Option<Vec<ReadLine>>, AuditError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(AuditError::Checkpoints(format!("cannot read {}: {e}", path.display()))),
    };
    let complete = match bytes.iter().rposition(|b| *b == b'\n') {
        Some(end) => &bytes[..=end],
        None => &[][..],
    };
    let mut pieces: Vec<&[u8]> = complete.split(|b| *b == b'\n').collect();
    // The piece after the final newline is always empty.
    pieces.pop();
    let lines = pieces
        .into_iter()
        .enumerate()
        .map(|(index, line)| ReadLine {
            number: index + 1,
            checkpoint: std::str::from_utf8(line).ok().and_then(Checkpoint::from_json_line),
        })
        .collect();
    Ok(Some(lines))
}

/// The checkpoints file, open for appending.
pub(crate) struct CheckpointFile {
    path: PathBuf,
    file: File,
}

impl CheckpointFile {
    /// Opens (creating) the file for appending. A torn last line left by a crash is cut
    /// off first, so the next checkpoint starts on a line of its own.
    pub fn open(path: &Path) -> Result<CheckpointFile, AuditError> {
        let failed = |e: std::io::Error| AuditError::Checkpoints(format!("cannot open {}: {e}", path.display()));
        let mut file = OpenOptions::new().read(true).append(true).create(true).open(path).map_err(failed)?;
        let length = file.metadata().map_err(failed)?.len();
        if length > 0 {
            let mut contents = Vec::new();
            file.seek(SeekFrom::Start(0)).map_err(failed)?;
            file.read_to_end(&mut contents).map_err(failed)?;
            if contents.last() != Some(&b'\n') {
                let keep = contents.iter().rposition(|b| *b == b'\n').map_or(0, |end| end + 1);
                file.set_len(keep as u64).map_err(failed)?;
                file.sync_all().map_err(failed)?;
            }
        }
        Ok(CheckpointFile { path: path.to_path_buf(), file })
    }

    /// Appends one checkpoint and syncs it to disk.
    pub fn append(&mut self, checkpoint: &Checkpoint) -> Result<(), AuditError> {
        let line = format!("{}\n", checkpoint.to_json_line());
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| AuditError::Checkpoints(format!("cannot write {}: {e}", self.path.display())))
    }
}

fn key_error(message: String) -> AuditError {
    AuditError::Key(message)
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn create_private_dir(dir: &Path) -> Result<(), AuditError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| key_error(format!("cannot create {}: {e}", dir.display())))
}

/// Refuses a private key others may read, as ssh does.
fn check_private_permissions(path: &Path) -> Result<(), AuditError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)
            .map_err(|e| key_error(format!("cannot read {}: {e}", path.display())))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(key_error(format!(
                "{} may be read by other users (mode {:o}); run chmod 600 on it",
                path.display(),
                mode & 0o777
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn time() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
    }

    #[test]
    fn a_key_is_created_once_with_private_permissions_and_then_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("openmig-keys");
        let first = CheckpointKey::load_or_create(&keys).unwrap();
        let second = CheckpointKey::load_or_create(&keys).unwrap();
        assert_eq!(first.public(), second.public());
        assert_eq!(CheckpointPublicKey::load(&keys).unwrap(), first.public());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(keys.join(CheckpointKey::PRIVATE_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dir_mode = fs::metadata(&keys).unwrap().permissions().mode();
            assert_eq!(dir_mode & 0o777, 0o700);
        }
        // Only the two key files are left behind.
        let mut names: Vec<_> = fs::read_dir(&keys).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, [CheckpointKey::PRIVATE_FILE, CheckpointKey::PUBLIC_FILE]);
    }

    #[cfg(unix)]
    #[test]
    fn a_private_key_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        CheckpointKey::load_or_create(dir.path()).unwrap();
        let private = dir.path().join(CheckpointKey::PRIVATE_FILE);
        fs::set_permissions(&private, fs::Permissions::from_mode(0o644)).unwrap();
        let error = CheckpointKey::load_or_create(dir.path()).unwrap_err().to_string();
        assert!(error.contains("chmod 600"), "{error}");
    }

    #[test]
    fn a_public_key_file_that_does_not_match_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        CheckpointKey::load_or_create(dir.path()).unwrap();
        let other = CheckpointKey::generate().unwrap().public();
        fs::write(dir.path().join(CheckpointKey::PUBLIC_FILE), other.to_hex()).unwrap();
        assert!(CheckpointKey::load_or_create(dir.path()).unwrap_err().to_string().contains("does not match"));
    }

    #[test]
    fn signatures_verify_only_with_the_signing_key_and_unchanged_content() {
        let key = CheckpointKey::generate().unwrap();
        let head = chain::leaf(b"head");
        let checkpoint = key.sign(10, head, time());
        assert!(key.public().verifies(&checkpoint));
        assert!(!CheckpointKey::generate().unwrap().public().verifies(&checkpoint));
        assert!(!key.public().verifies(&Checkpoint { sequence: 11, ..checkpoint.clone() }));
        assert!(!key.public().verifies(&Checkpoint { head: chain::leaf(b"other"), ..checkpoint.clone() }));
        assert!(!key.public().verifies(&Checkpoint { time: time() + chrono::Duration::seconds(1), ..checkpoint }));
    }

    #[test]
    fn a_checkpoint_round_trips_through_its_json_line() {
        let key = CheckpointKey::generate().unwrap();
        let checkpoint = key.sign(3, chain::leaf(b"x"), time());
        let line = checkpoint.to_json_line();
        assert!(line.starts_with(r#"{"sequence":3,"head":""#), "{line}");
        assert_eq!(Checkpoint::from_json_line(&line), Some(checkpoint));
        assert!(Checkpoint::from_json_line(&line.replace("\"sequence\"", "\"extra\":1,\"sequence\"")).is_none());
        assert!(Checkpoint::from_json_line("{").is_none());
    }

    #[test]
    fn a_torn_last_line_is_ignored_by_readers_and_cut_off_by_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let key = CheckpointKey::generate().unwrap();
        let good = key.sign(1, chain::leaf(b"a"), time());
        fs::write(&path, format!("{}\n{{\"sequence\":2,\"he", good.to_json_line())).unwrap();
        let lines = read_file(&path).unwrap().unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].checkpoint.as_ref(), Some(&good));
        let mut file = CheckpointFile::open(&path).unwrap();
        let next = key.sign(2, chain::leaf(b"b"), time());
        file.append(&next).unwrap();
        let lines = read_file(&path).unwrap().unwrap();
        assert_eq!(lines.iter().map(|l| l.checkpoint.clone().unwrap()).collect::<Vec<_>>(), [good, next]);
        assert!(read_file(&dir.path().join("missing")).unwrap().is_none());
    }
}
