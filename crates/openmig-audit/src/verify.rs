//! Verification: recompute the chain from the first entry and hold it against the stored
//! hashes and the signed checkpoints, naming the first sequence number that is wrong.
//!
//! What each kind of tampering looks like:
//!
//! - an entry **edited** (any column, its hash included), **inserted** in the middle (the
//!   later entries renumbered) or **reordered**: its recomputed head differs from the one
//!   stored beside it, at that entry ([`ProblemKind::Altered`]); a value respelt without
//!   changing its meaning is [`ProblemKind::Unreadable`];
//! - an entry **deleted**: its sequence number is missing ([`ProblemKind::Missing`]);
//! - the log **truncated** below the last checkpoint ([`ProblemKind::Truncated`]);
//! - the chain **rewritten** with freshly computed hashes: it no longer matches a signed
//!   checkpoint; the first bad entry lies after the last checkpoint that still matches
//!   ([`ProblemKind::Rewritten`]);
//! - a checkpoint **forged**, altered, damaged or out of order ([`ProblemKind::BadCheckpoint`]);
//!   the checkpoints file missing or emptied ([`ProblemKind::NoCheckpoints`]).
//!
//! Entries after the last checkpoint cannot be protected against truncation by anyone
//! who can write the database; checkpoints are written every `checkpoint_every` entries
//! and when the log closes, which keeps that window small.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use rusqlite::Connection;

use crate::chain::{self, ChainHash};
use crate::checkpoint::{self, Checkpoint, CheckpointPublicKey};
use crate::error::{AuditError, sql};
use crate::file;
use crate::row::{COLUMNS, StoredRow};

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries read before the first problem (all of them when intact).
    pub entries: u64,
    /// The chain head recomputed over those entries.
    pub head: ChainHash,
    /// Valid signed checkpoints found.
    pub checkpoints: usize,
    /// The highest valid checkpoint.
    pub last_checkpoint: Option<Checkpoint>,
    /// The first thing wrong, if anything is.
    pub problem: Option<Problem>,
}

impl VerifyReport {
    /// Whether the chain and checkpoints are intact.
    pub fn is_intact(&self) -> bool {
        self.problem.is_none()
    }

    /// Entries after the last checkpoint: intact, but not yet protected against
    /// truncation.
    pub fn unattested(&self) -> u64 {
        self.entries.saturating_sub(self.last_checkpoint.as_ref().map_or(0, |c| c.sequence))
    }
}

/// The first thing wrong with a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The first sequence number that cannot be trusted.
    pub sequence: u64,
    /// What kind of damage it is.
    pub kind: ProblemKind,
    /// A sentence for the operator (no patient data).
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "first bad sequence number {}: {}", self.sequence, self.reason)
    }
}

/// Kinds of damage; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// An entry does not match its recorded hash: edited, inserted or moved.
    Altered,
    /// A sequence number is missing: an entry was deleted.
    Missing,
    /// An entry cannot be decoded, or is not in the form openmig writes.
    Unreadable,
    /// The log is shorter than a signed checkpoint.
    Truncated,
    /// The chain is internally consistent but disagrees with a signed checkpoint.
    Rewritten,
    /// A checkpoint is damaged, not validly signed by the key, or out of order.
    BadCheckpoint,
    /// There are entries but no valid checkpoint at all.
    NoCheckpoints,
}

/// Verifies the audit log in `database` against the checkpoints in `checkpoints`, signed by
/// `public_key`. Reads only; never changes either file.
///
/// `Err` is for what stops verification (no such file, not an openmig database, no audit
/// log); damage is reported in [`VerifyReport::problem`].
pub fn verify(
    database: &Path,
    public_key: &CheckpointPublicKey,
    checkpoints: &Path,
) -> Result<VerifyReport, AuditError> {
    // The checkpoints are read before the database snapshot is taken: every checkpoint is
    // written after the entries it covers were committed, so a log being appended to
    // meanwhile is never mistaken for a truncated one.
    let lines = checkpoint::read_file(checkpoints)?;
    let conn = file::open_read_only(database)?;
    if conn.is_none() && lines.is_none() {
        return Err(AuditError::NoLog(database.display().to_string()));
    }

    let mut problems: Vec<Problem> = Vec::new();
    let mut valid: BTreeMap<u64, ChainHash> = BTreeMap::new();
    let mut last_checkpoint: Option<Checkpoint> = None;
    for line in lines.iter().flatten() {
        let after = last_checkpoint.as_ref().map_or(0, |c| c.sequence);
        let Some(found) = &line.checkpoint else {
            problems
                .push(bad_checkpoint(after + 1, format!("line {} of the checkpoints file is damaged", line.number)));
            continue;
        };
        let sequence = found.sequence;
        if sequence == 0 && found.head != ChainHash::GENESIS && public_key.verifies(found) {
            problems.push(bad_checkpoint(1, "the checkpoint at sequence 0 does not sign the empty log".into()));
        } else if !public_key.verifies(found) {
            let why = if found.key == *public_key {
                format!("the checkpoint at sequence {sequence} has an invalid signature (forged or altered)")
            } else {
                format!("the checkpoint at sequence {sequence} is not signed by the audit key {public_key}")
            };
            problems.push(bad_checkpoint(sequence, why));
        } else if sequence < after {
            problems.push(bad_checkpoint(
                sequence,
                format!(
                    "the checkpoints file is out of order at line {} (sequence {sequence} after {after})",
                    line.number
                ),
            ));
        } else if valid.get(&sequence).is_some_and(|head| *head != found.head) {
            problems
                .push(bad_checkpoint(sequence, format!("two signed checkpoints disagree about sequence {sequence}")));
        } else {
            valid.insert(sequence, found.head);
            last_checkpoint = Some(found.clone());
        }
    }

    let walked = match &conn {
        Some(conn) => {
            // One read transaction: the whole walk sees one snapshot of the log.
            conn.execute_batch("BEGIN").map_err(sql)?;
            let walked = walk(conn, 0, ChainHash::GENESIS, &valid);
            conn.execute_batch("COMMIT").map_err(sql)?;
            walked?
        }
        None => Walk { last: 0, head: ChainHash::GENESIS, problem: None },
    };
    if let Some(problem) = walked.problem.clone() {
        problems.insert(0, problem);
    } else if let Some((&covered, _)) = valid.last_key_value().filter(|(covered, _)| **covered > walked.last) {
        let end = walked.last;
        problems.insert(
            0,
            Problem {
                sequence: end + 1,
                kind: ProblemKind::Truncated,
                reason: format!(
                    "the log ends at sequence {end} but a signed checkpoint covers sequence {covered}: entries {}..={covered} were removed",
                    end + 1
                ),
            },
        );
    }
    if walked.last > 0 && valid.is_empty() {
        let why = match lines {
            None => format!("the checkpoints file {} is missing", checkpoints.display()),
            Some(_) => format!("the checkpoints file {} holds no valid checkpoint", checkpoints.display()),
        };
        problems.push(Problem {
            sequence: 1,
            kind: ProblemKind::NoCheckpoints,
            reason: format!("{why}, so truncation or rewriting of the log cannot be ruled out"),
        });
    }
    // The earliest damage is the one to report; on a tie, the entry's own problem first.
    let problem = problems.into_iter().enumerate().min_by_key(|(index, p)| (p.sequence, *index)).map(|(_, p)| p);
    Ok(VerifyReport { entries: walked.last, head: walked.head, checkpoints: valid.len(), last_checkpoint, problem })
}

fn bad_checkpoint(sequence: u64, reason: String) -> Problem {
    Problem { sequence, kind: ProblemKind::BadCheckpoint, reason }
}

/// How far a walk along the chain got.
pub(crate) struct Walk {
    /// The last sequence number that checked out.
    pub last: u64,
    /// The head after it.
    pub head: ChainHash,
    pub problem: Option<Problem>,
}

/// Walks the entries after `start` (whose head is `start_head`) in sequence order,
/// recomputing the chain, until the end or the first problem. `checkpoints` maps
/// sequence numbers to signed heads.
pub(crate) fn walk(
    conn: &Connection,
    start: u64,
    start_head: ChainHash,
    checkpoints: &BTreeMap<u64, ChainHash>,
) -> Result<Walk, AuditError> {
    let mut walked = Walk { last: start, head: start_head, problem: None };
    let mut trusted_up_to = start;
    let from = i64::try_from(start).map_err(|_| AuditError::Database("sequence out of range".into()))?;
    let mut statement = conn
        .prepare(&format!("SELECT {COLUMNS} FROM audit_entry WHERE sequence > ?1 ORDER BY sequence"))
        .map_err(sql)?;
    let mut rows = statement.query([from]).map_err(sql)?;
    while let Some(row) = rows.next().map_err(sql)? {
        let expected = walked.last + 1;
        let sequence = row.get::<_, i64>(0).map_err(sql)?;
        if u64::try_from(sequence) != Ok(expected) {
            walked.problem = Some(Problem {
                sequence: expected,
                kind: ProblemKind::Missing,
                reason: format!("entry {expected} is missing: it was deleted (the next entry is {sequence})"),
            });
            break;
        }
        let unreadable = |why: String| Problem {
            sequence: expected,
            kind: ProblemKind::Unreadable,
            reason: format!("entry {expected} was altered: {why}"),
        };
        let (stored, stored_hash) = match StoredRow::read(row) {
            Ok(read) => read,
            Err(why) => {
                walked.problem = Some(unreadable(why));
                break;
            }
        };
        if let Err(why) = stored.decode() {
            walked.problem = Some(unreadable(why));
            break;
        }
        let head = chain::link(&walked.head, &stored.leaf());
        if stored_hash != head.as_bytes() {
            walked.problem = Some(Problem {
                sequence: expected,
                kind: ProblemKind::Altered,
                reason: format!("entry {expected} does not match its recorded hash: it was edited, inserted or moved"),
            });
            break;
        }
        if let Some(signed) = checkpoints.get(&expected) {
            if *signed != head {
                walked.problem = Some(rewritten(trusted_up_to, expected));
                break;
            }
            trusted_up_to = expected;
        }
        walked.last = expected;
        walked.head = head;
    }
    Ok(walked)
}

fn rewritten(trusted_up_to: u64, checkpoint: u64) -> Problem {
    let first = trusted_up_to + 1;
    Problem {
        sequence: first,
        kind: ProblemKind::Rewritten,
        reason: format!(
            "the chain up to sequence {checkpoint} does not match its signed checkpoint: entries {first}..={checkpoint} were rewritten"
        ),
    }
}
