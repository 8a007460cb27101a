//! The writer: gapless sequence numbers, the hash chain, group commit and checkpoints.
//!
//! [`AuditLog::append`] hands its event to one writer thread over a channel and waits for
//! the answer. The writer takes the first waiting event and every other one already
//! queued (up to `max_batch`), writes them all in one immediate SQLite transaction with
//! `synchronous=FULL`, and only after the commit has been synced answers each caller with
//! its sequence number. While it syncs, new callers queue up and form the next batch, so
//! one sync serves many views without any caller waiting on a timer. If the transaction
//! fails, every caller of the batch gets the error and nothing of it is kept.
//!
//! Each batch reads the last entry back from the database inside its transaction rather
//! than trusting memory, and compares it with what this writer last wrote: a log that got
//! shorter, or whose last entry changed, makes the writer refuse to append (fail closed)
//! with [`AuditError::Tampered`].
//!
//! After every `checkpoint_every` entries (and on demand, and when the log is closed or
//! dropped) the writer signs a checkpoint of the head and appends it to the checkpoints
//! file. If checkpoints cannot be written the entries still count (they are durable) but
//! once `2 × checkpoint_every` entries are unprotected the writer refuses further appends.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, LazyLock};
use std::thread::JoinHandle;

use chrono::{Datelike, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::chain::{self, ChainHash};
use crate::checkpoint::{self, Checkpoint, CheckpointFile, CheckpointKey, CheckpointPublicKey};
use crate::error::{AuditError, sql};
use crate::event::AuditEvent;
use crate::file;
use crate::row::{COLUMNS, StoredRow};
use crate::verify;

/// How an [`AuditLog`] behaves. `AuditOptions::default()` suits a gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditOptions {
    /// Sign a checkpoint after at least this many new entries (default 1,000).
    pub checkpoint_every: u64,
    /// The checkpoints file (default: `<database>.audit-checkpoints.jsonl`, see
    /// [`default_checkpoints_path`](crate::default_checkpoints_path)).
    pub checkpoints: Option<PathBuf>,
    /// The most entries written in one transaction (default 1,024).
    pub max_batch: usize,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions { checkpoint_every: 1000, checkpoints: None, max_batch: 1024 }
    }
}

/// The append-only, hash-chained audit log. `Send + Sync`: share it through an `Arc`.
///
/// Dropping the last handle (or calling [`close`](AuditLog::close)) writes the pending
/// entries' checkpoint and stops the writer thread.
pub struct AuditLog {
    requests: Sender<Request>,
    writer: Option<JoinHandle<()>>,
    healthy: Arc<AtomicBool>,
    database: PathBuf,
    checkpoints: PathBuf,
    public_key: CheckpointPublicKey,
}

#[allow(
    clippy::large_enum_variant,
    reason = "appends are nearly every message; boxing would only add an allocation to each"
)]
enum Request {
    Append { event: AuditEvent, reply: SyncSender<Result<u64, AuditError>> },
    Checkpoint { reply: SyncSender<Result<Checkpoint, AuditError>> },
    Close { reply: SyncSender<Result<Option<Checkpoint>, AuditError>> },
}

impl AuditLog {
    /// Opens the audit log in `database` (creating the file and the audit tables if
    /// absent), checks it against the last signed checkpoint, and starts the writer.
    ///
    /// Refuses (fail closed) when the log is shorter than the last checkpoint, does not
    /// match it, or has entries but no checkpoints file; when the checkpoints were signed
    /// by another key; and when the file is not an openmig database.
    pub fn open(database: &Path, checkpoint_key: CheckpointKey, options: AuditOptions) -> Result<AuditLog, AuditError> {
        if options.checkpoint_every == 0 {
            return Err(AuditError::Checkpoints("checkpoint_every must be at least 1".into()));
        }
        let checkpoints = options.checkpoints.clone().unwrap_or_else(|| checkpoint::default_checkpoints_path(database));
        let conn = file::open_for_writing(database)?;
        let head = read_head(&conn)?;
        let checkpointed = check_against_last_checkpoint(&conn, head, &checkpoints, &checkpoint_key)?;
        let file = CheckpointFile::open(&checkpoints)?;
        let healthy = Arc::new(AtomicBool::new(true));
        let mut writer = Writer {
            conn,
            key: checkpoint_key,
            file,
            every: options.checkpoint_every,
            max_batch: options.max_batch.max(1),
            known: head,
            checkpointed: checkpointed.unwrap_or(0),
            healthy: Arc::clone(&healthy),
        };
        if checkpointed != Some(head.0) {
            // A new log gets its checkpoint of the empty chain; a log whose last entries
            // were never checkpointed (the process died) gets them covered now, after
            // the check above walked them.
            writer.checkpoint()?;
        }
        let public_key = writer.key.public();
        let (requests, queue) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("openmig-audit-writer".into())
            .spawn(move || writer.run(queue))
            .map_err(|e| AuditError::Database(format!("cannot start the audit writer: {e}")))?;
        Ok(AuditLog {
            requests,
            writer: Some(handle),
            healthy,
            database: database.to_path_buf(),
            checkpoints,
            public_key,
        })
    }

    /// Appends `event` and returns its sequence number once it is durable (synced to
    /// disk with every other entry of its group commit). Blocks; call it from a blocking
    /// thread in async code.
    pub fn append(&self, event: AuditEvent) -> Result<u64, AuditError> {
        let year = event.time.year();
        if !(1970..=9999).contains(&year) {
            return Err(AuditError::InvalidEvent(format!("its time is in the year {year}")));
        }
        let (reply, answer) = mpsc::sync_channel(1);
        self.requests.send(Request::Append { event, reply }).map_err(|_| AuditError::Closed)?;
        answer.recv().map_err(|_| AuditError::Closed)?
    }

    /// Signs a checkpoint of the current head now (after any appends already queued)
    /// and appends it to the checkpoints file.
    pub fn checkpoint(&self) -> Result<Checkpoint, AuditError> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.requests.send(Request::Checkpoint { reply }).map_err(|_| AuditError::Closed)?;
        answer.recv().map_err(|_| AuditError::Closed)?
    }

    /// Stops the writer after the queued appends, signing a last checkpoint if any entry
    /// is not yet covered by one (returned). Dropping the log does the same, ignoring
    /// errors.
    pub fn close(mut self) -> Result<Option<Checkpoint>, AuditError> {
        self.shut_down()
    }

    /// Whether appends are being accepted: the writer runs and its last write succeeded.
    /// For readiness checks; an append can still fail afterwards.
    pub fn is_writable(&self) -> bool {
        self.healthy.load(Ordering::SeqCst) && self.writer.as_ref().is_some_and(|w| !w.is_finished())
    }

    /// The database file holding the log.
    pub fn database(&self) -> &Path {
        &self.database
    }

    /// The checkpoints file.
    pub fn checkpoints_path(&self) -> &Path {
        &self.checkpoints
    }

    /// The key that verifies this log's checkpoints.
    pub fn public_key(&self) -> CheckpointPublicKey {
        self.public_key
    }

    fn shut_down(&mut self) -> Result<Option<Checkpoint>, AuditError> {
        let Some(handle) = self.writer.take() else { return Ok(None) };
        let (reply, answer) = mpsc::sync_channel(1);
        let result = match self.requests.send(Request::Close { reply }) {
            Ok(()) => answer.recv().unwrap_or(Err(AuditError::Closed)),
            Err(_) => Err(AuditError::Closed),
        };
        let _ = handle.join();
        result
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("database", &self.database)
            .field("checkpoints", &self.checkpoints)
            .field("writable", &self.is_writable())
            .finish()
    }
}

/// The writer thread's state.
struct Writer {
    conn: Connection,
    key: CheckpointKey,
    file: CheckpointFile,
    every: u64,
    max_batch: usize,
    /// The last entry this writer knows the log to end with, and its head.
    known: (u64, ChainHash),
    /// The sequence number of the last checkpoint written.
    checkpointed: u64,
    healthy: Arc<AtomicBool>,
}

type Batch = Vec<(AuditEvent, SyncSender<Result<u64, AuditError>>)>;

impl Writer {
    fn run(mut self, queue: Receiver<Request>) {
        let mut batch: Batch = Vec::with_capacity(self.max_batch);
        let mut controls: Vec<Request> = Vec::new();
        while let Ok(first) = queue.recv() {
            let mut next = Some(first);
            while let Some(request) = next.take() {
                match request {
                    Request::Append { event, reply } => batch.push((event, reply)),
                    control => controls.push(control),
                }
                if batch.len() < self.max_batch {
                    next = queue.try_recv().ok();
                }
            }
            if !batch.is_empty() {
                self.commit(&mut batch);
            }
            for control in controls.drain(..) {
                match control {
                    Request::Checkpoint { reply } => {
                        let _ = reply.send(self.checkpoint());
                    }
                    Request::Close { reply } => {
                        let _ = reply.send(self.close());
                        return;
                    }
                    Request::Append { .. } => unreachable!("appends are batched above"),
                }
            }
        }
        // Every sender is gone without a close request (cannot happen through `AuditLog`).
        let _ = self.close();
    }

    /// Writes one group commit and answers its callers.
    fn commit(&mut self, batch: &mut Batch) {
        let unprotected = self.known.0.saturating_sub(self.checkpointed);
        let result = if unprotected >= self.every.saturating_mul(2) {
            // Checkpoints have been failing: refuse to let the unprotected tail grow.
            self.checkpoint().and_then(|_| self.write(batch))
        } else {
            self.write(batch)
        };
        self.healthy.store(result.is_ok(), Ordering::SeqCst);
        match result {
            Ok(first) => {
                for (offset, (_, reply)) in batch.drain(..).enumerate() {
                    let _ = reply.send(Ok(first + offset as u64));
                }
                if self.known.0.saturating_sub(self.checkpointed) >= self.every {
                    // A failure here is retried after the next batch (see above).
                    let _ = self.checkpoint();
                }
            }
            Err(error) => {
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }

    /// Inserts the batch in one transaction; returns the first sequence number used.
    fn write(&mut self, batch: &Batch) -> Result<u64, AuditError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
        let found = read_head(&tx)?;
        catch_up(&tx, self.known, found)?;
        let (mut sequence, mut head) = found;
        let first = sequence + 1;
        {
            let mut insert = tx.prepare_cached(&INSERT_SQL).map_err(sql)?;
            for (event, _) in batch {
                sequence += 1;
                let row = StoredRow::from_event(sequence, event);
                head = chain::link(&head, &row.leaf());
                row.insert(&mut insert, &head).map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)?;
        self.known = (sequence, head);
        Ok(first)
    }

    /// Signs the head and appends the checkpoint, holding the write lock so that the
    /// head cannot move meanwhile and checkpoints of concurrent writers land in order.
    fn checkpoint(&mut self) -> Result<Checkpoint, AuditError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
        let found = read_head(&tx)?;
        catch_up(&tx, self.known, found)?;
        let checkpoint = self.key.sign(found.0, found.1, Utc::now());
        self.file.append(&checkpoint)?;
        tx.commit().map_err(sql)?;
        self.known = found;
        self.checkpointed = found.0;
        Ok(checkpoint)
    }

    /// The last checkpoint, if any entry is not yet covered by one.
    fn close(&mut self) -> Result<Option<Checkpoint>, AuditError> {
        let found = read_head(&self.conn)?;
        if found.0 == self.checkpointed {
            return Ok(None);
        }
        self.checkpoint().map(Some)
    }
}

/// `INSERT INTO audit_entry (…) VALUES (?1, …)` for every column.
static INSERT_SQL: LazyLock<String> = LazyLock::new(|| {
    let placeholders = (1..=COLUMNS.split(',').count()).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
    format!("INSERT INTO audit_entry ({COLUMNS}) VALUES ({placeholders})")
});

/// The last entry's sequence number and head; `(0, GENESIS)` for an empty log.
fn read_head(conn: &Connection) -> Result<(u64, ChainHash), AuditError> {
    let last: Option<(i64, Vec<u8>)> = conn
        .query_row("SELECT sequence, hash FROM audit_entry ORDER BY sequence DESC LIMIT 1", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()
        .map_err(sql)?;
    match last {
        None => Ok((0, ChainHash::GENESIS)),
        Some((sequence, hash)) => {
            let sequence = u64::try_from(sequence)
                .map_err(|_| AuditError::Tampered(format!("the last entry has sequence number {sequence}")))?;
            let hash = ChainHash::from_slice(&hash)
                .ok_or_else(|| AuditError::Tampered(format!("the hash of entry {sequence} is damaged")))?;
            Ok((sequence, hash))
        }
    }
}

/// The stored head after entry `sequence` (`GENESIS` for 0), if that entry exists.
fn stored_head(conn: &Connection, sequence: u64) -> Result<Option<ChainHash>, AuditError> {
    if sequence == 0 {
        return Ok(Some(ChainHash::GENESIS));
    }
    let key = i64::try_from(sequence).map_err(|_| AuditError::Database("sequence out of range".into()))?;
    let hash: Option<Vec<u8>> = conn
        .query_row("SELECT hash FROM audit_entry WHERE sequence = ?1", [key], |row| row.get(0))
        .optional()
        .map_err(sql)?;
    Ok(hash.and_then(|h| ChainHash::from_slice(&h)))
}

/// Checks that the log still ends where this writer left it, or has only grown by valid
/// entries (another process appending).
fn catch_up(conn: &Connection, known: (u64, ChainHash), found: (u64, ChainHash)) -> Result<(), AuditError> {
    if found.0 < known.0 {
        return Err(AuditError::Tampered(format!(
            "the log ends at sequence {} but this writer already wrote up to {}",
            found.0, known.0
        )));
    }
    if found.0 == known.0 {
        if found.1 != known.1 {
            return Err(AuditError::Tampered(format!("entry {} changed after it was written", found.0)));
        }
        return Ok(());
    }
    let walked = verify::walk(conn, known.0, known.1, &BTreeMap::new())?;
    match walked.problem {
        Some(problem) => Err(AuditError::Tampered(problem.to_string())),
        None if walked.last != found.0 || walked.head != found.1 => {
            Err(AuditError::Tampered("the log changed while it was being read".into()))
        }
        None => Ok(()),
    }
}

/// Holds the log against the last signed checkpoint before writing anything. Returns the
/// sequence of that checkpoint (`None` when there is none yet).
fn check_against_last_checkpoint(
    conn: &Connection,
    head: (u64, ChainHash),
    path: &Path,
    key: &CheckpointKey,
) -> Result<Option<u64>, AuditError> {
    let lines = checkpoint::read_file(path)?;
    let last = lines.as_ref().and_then(|lines| lines.iter().rev().find_map(|line| line.checkpoint.clone()));
    let Some(last) = last else {
        if head.0 == 0 {
            return Ok(None);
        }
        let why = if lines.is_some() { "holds no checkpoint" } else { "is missing" };
        return Err(AuditError::Checkpoints(format!(
            "the audit log has {} entries but its checkpoints file {} {why}; restore it, or give its path",
            head.0,
            path.display()
        )));
    };
    if !key.public().verifies(&last) {
        return Err(AuditError::Key(format!(
            "the last checkpoint in {} is not signed by this key ({}); use the key directory that signed it",
            path.display(),
            key.public()
        )));
    }
    if last.sequence > head.0 {
        return Err(AuditError::Tampered(format!(
            "the log ends at sequence {} but a signed checkpoint covers sequence {}",
            head.0, last.sequence
        )));
    }
    // Walk from the entry before the checkpoint, so the checkpointed entry's own content
    // is recomputed too, then on through any entries written after it.
    let start = last.sequence.saturating_sub(1);
    let start_head = stored_head(conn, start)?
        .ok_or_else(|| AuditError::Tampered(format!("entry {start} is missing or its hash is damaged")))?;
    let signed = BTreeMap::from([(last.sequence, last.head)]);
    let walked = verify::walk(conn, start, start_head, &signed)?;
    if let Some(problem) = walked.problem {
        return Err(AuditError::Tampered(problem.to_string()));
    }
    Ok(Some(last.sequence))
}
