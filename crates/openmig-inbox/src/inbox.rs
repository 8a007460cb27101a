//! [`Inbox`]: accepting, listing, acknowledging and delivering documents.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, TimeDelta, Utc};
use openmig_domain::OdsCode;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::document::{ParsedDocument, WritebackDocument};
use crate::error::{InboxError, sql};
use crate::file;
use crate::outbox::{DeliveryError, DeliveryRound, RetryPolicy};

/// The number of an inbox item: unique in the file, never reused.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InboxId(u64);

impl InboxId {
    /// The item numbered `value`.
    pub fn new(value: u64) -> InboxId {
        InboxId(value)
    }

    /// Its number.
    pub fn value(self) -> u64 {
        self.0
    }

    fn sql(self) -> i64 {
        i64::try_from(self.0).unwrap_or(i64::MAX)
    }
}

impl fmt::Display for InboxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for InboxId {
    type Err = std::num::ParseIntError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse().map(InboxId)
    }
}

/// Who sent a document (from their verified token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sender {
    /// The user's id.
    pub user_id: String,
    /// The user's name.
    pub user_name: String,
    /// The user's organisation.
    pub organisation: OdsCode,
}

/// A parsed document addressed to a practice, ready to be submitted.
#[derive(Debug, Clone)]
pub struct InboxDocument {
    practice: OdsCode,
    parsed: ParsedDocument,
    sender: Sender,
}

impl InboxDocument {
    /// `parsed`, from `sender`, for the inbox of `practice` (the patient's registered
    /// practice: the caller locates it).
    pub fn new(practice: OdsCode, parsed: ParsedDocument, sender: Sender) -> InboxDocument {
        InboxDocument { practice, parsed, sender }
    }
}

/// What [`Inbox::submit`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// The item holding the document: new, or the one already holding it.
    pub id: InboxId,
    /// The practice whose inbox holds it.
    pub practice: OdsCode,
    /// The same document (identifier and content) had already been received.
    pub duplicate: bool,
}

/// Which items [`Inbox::list`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    /// Those the practice has not acknowledged yet.
    #[default]
    Unacknowledged,
    /// Only acknowledged ones.
    Acknowledged,
    /// Every item.
    All,
}

/// A practice's acknowledgement that it has filed a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Acknowledgement {
    /// Who acknowledged it.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// What [`Inbox::acknowledge`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledged {
    /// The acknowledgement in force (the first one, when it was already acknowledged).
    pub acknowledgement: Acknowledgement,
    /// It had already been acknowledged; nothing changed.
    pub already: bool,
}

/// Where a document is on its way to the practice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum DeliveryState {
    /// Not delivered yet.
    Pending {
        /// Failed attempts so far.
        attempts: u32,
        /// When the next attempt is due.
        next_attempt_at: DateTime<Utc>,
        /// Why the last attempt failed.
        last_error: Option<String>,
    },
    /// Delivered.
    Delivered {
        /// Attempts it took.
        attempts: u32,
        /// When.
        delivered_at: DateTime<Utc>,
    },
}

impl DeliveryState {
    /// `pending` or `delivered`.
    pub fn label(&self) -> &'static str {
        match self {
            DeliveryState::Pending { .. } => "pending",
            DeliveryState::Delivered { .. } => "delivered",
        }
    }
}

/// One document in a practice's inbox.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxItem {
    /// Its number.
    pub id: InboxId,
    /// The practice whose inbox it is in.
    pub practice: OdsCode,
    /// What the document says.
    pub document: WritebackDocument,
    /// Who sent it.
    pub sender: Sender,
    /// When the gateway accepted it.
    pub received_at: DateTime<Utc>,
    /// The practice's acknowledgement, once given.
    pub acknowledged: Option<Acknowledgement>,
    /// Its delivery.
    pub delivery: DeliveryState,
}

/// Redacted: no NHS number, no clinical content.
impl fmt::Debug for InboxItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboxItem")
            .field("id", &self.id)
            .field("practice", &self.practice)
            .field("document", &self.document)
            .field("received_at", &self.received_at)
            .field("acknowledged", &self.acknowledged.is_some())
            .field("delivery", &self.delivery)
            .finish_non_exhaustive()
    }
}

/// The practice inbox in a SQLite file. `Send + Sync`: share it through an `Arc`.
///
/// Every method is synchronous and waits for the disk; call it from a blocking thread
/// in async code. Nothing is cached in memory, so other connections to the same file
/// (another process acknowledging) are seen at once.
pub struct Inbox {
    path: PathBuf,
    conn: Mutex<Connection>,
    retry: RetryPolicy,
    read_only: bool,
}

/// How a stored document stands towards the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arrival {
    /// Accepted for a practice: pending, due for delivery at once.
    ToDeliver,
    /// Received by the practice's own system: delivered on arrival.
    Delivered,
}

impl Arrival {
    fn state(self) -> &'static str {
        match self {
            Arrival::ToDeliver => "pending",
            Arrival::Delivered => "delivered",
        }
    }
}

/// Columns of an item, in the order [`item_from_row`] reads them.
const ITEM_COLUMNS: &str = "id, practice, summary, received_at, sender_user_id, sender_user_name, \
     sender_organisation, acknowledged_at, acknowledged_by, delivery_state, attempts, next_attempt_at, last_error, \
     delivered_at";

/// Documents one [`Inbox::deliver_due`] pass takes at a time.
const DELIVERY_BATCH: i64 = 64;

impl Inbox {
    /// Opens the inbox in `database`, creating the file (marked as an inbox file) and
    /// the `inbox_*` tables if absent. The store's file is the usual place: its tables,
    /// `user_version` and `application_id` are never touched.
    pub fn open(database: &Path) -> Result<Inbox, InboxError> {
        let conn = file::open_for_writing(database, true)?;
        Ok(Inbox::with(database, conn, false))
    }

    /// Opens the inbox in an existing openmig database (creating the `inbox_*` tables if
    /// absent, but never the file).
    pub fn open_existing(database: &Path) -> Result<Inbox, InboxError> {
        let conn = file::open_for_writing(database, false)?;
        Ok(Inbox::with(database, conn, false))
    }

    /// Opens an existing inbox for listing only: the file is not changed.
    pub fn open_read_only(database: &Path) -> Result<Inbox, InboxError> {
        let conn = file::open_read_only(database)?;
        Ok(Inbox::with(database, conn, true))
    }

    fn with(database: &Path, conn: Connection, read_only: bool) -> Inbox {
        Inbox { path: database.to_path_buf(), conn: Mutex::new(conn), retry: RetryPolicy::default(), read_only }
    }

    /// The same inbox with another retry schedule.
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Inbox {
        self.retry = retry;
        self
    }

    /// The retry schedule.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Accepts `document` into its practice's inbox at `now`, due for delivery at once.
    ///
    /// Returns only once the document is committed to disk (`synchronous=FULL`).
    /// Idempotent by the document's business identifier: if a document with the same
    /// identifier and the same content is already held, nothing is written and its item
    /// is returned with `duplicate: true`; if the content differs, the answer is
    /// [`InboxError::Conflict`] and the held document is unchanged.
    pub fn submit(&self, document: InboxDocument, now: DateTime<Utc>) -> Result<Submitted, InboxError> {
        self.store(document, now, Arrival::ToDeliver)
    }

    /// Keeps `document`, delivered by the gateway to a practice's own system, in that
    /// system's inbox at `now`: the practice end of the outbox. Stored as delivered (it
    /// has arrived), so this inbox's own outbox never sends it on. The same rules as
    /// [`submit`](Self::submit): durable before it returns, idempotent by identifier (a
    /// redelivery of the same document is a `duplicate`, which is how at-least-once
    /// delivery becomes one copy), and different content under a held identifier is an
    /// [`InboxError::Conflict`].
    pub fn receive(&self, document: InboxDocument, now: DateTime<Utc>) -> Result<Submitted, InboxError> {
        self.store(document, now, Arrival::Delivered)
    }

    fn store(&self, document: InboxDocument, now: DateTime<Utc>, arrival: Arrival) -> Result<Submitted, InboxError> {
        let InboxDocument { practice, parsed, sender } = document;
        let (summary, resource) = parsed.into_parts();
        let hash = Sha256::digest(resource.as_bytes()).to_vec();
        let summary_json = serde_json::to_string(&summary)
            .map_err(|e| InboxError::Database(format!("cannot encode the document summary: {e}")))?;
        let now_ms = millis(now);
        let mut conn = self.lock()?;
        // IMMEDIATE: the look-up and the insert are one unit, so two submissions of the
        // same identifier cannot both insert (the UNIQUE constraint would stop the second
        // anyway; this way it gets the proper answer).
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
        let held: Option<(i64, String, Vec<u8>)> = tx
            .query_row(
                "SELECT id, practice, content_hash FROM inbox_document WHERE identifier_system = ?1 AND identifier_value = ?2",
                params![summary.identifier.system, summary.identifier.value],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
            .map_err(sql)?;
        if let Some((id, held_practice, held_hash)) = held {
            let id = stored_id(id)?;
            if held_hash != hash {
                return Err(InboxError::Conflict(id));
            }
            let practice = OdsCode::parse(&held_practice)
                .map_err(|_| InboxError::Corrupt { id, why: "its practice is not an ODS code".into() })?;
            return Ok(Submitted { id, practice, duplicate: true });
        }
        tx.execute(
            "INSERT INTO inbox_document (practice, identifier_system, identifier_value, content_hash, kind, nhs_number, \
             summary, resource, received_at, sender_user_id, sender_user_name, sender_organisation, delivery_state, \
             attempts, next_attempt_at, delivered_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 0, ?14, ?15)",
            params![
                practice.as_str(),
                summary.identifier.system,
                summary.identifier.value,
                hash,
                summary.kind.resource_type(),
                summary.nhs_number.to_string(),
                summary_json,
                resource,
                now_ms,
                sender.user_id,
                sender.user_name,
                sender.organisation.as_str(),
                arrival.state(),
                (arrival == Arrival::ToDeliver).then_some(now_ms),
                (arrival == Arrival::Delivered).then_some(now_ms),
            ],
        )
        .map_err(sql)?;
        let id = stored_id(tx.last_insert_rowid())?;
        tx.commit().map_err(sql)?;
        Ok(Submitted { id, practice, duplicate: false })
    }

    /// The items in `practice`'s inbox that pass `filter`, oldest first.
    pub fn list(&self, practice: &OdsCode, filter: StatusFilter) -> Result<Vec<InboxItem>, InboxError> {
        let condition = match filter {
            StatusFilter::Unacknowledged => " AND acknowledged_at IS NULL",
            StatusFilter::Acknowledged => " AND acknowledged_at IS NOT NULL",
            StatusFilter::All => "",
        };
        let conn = self.lock()?;
        let mut select = conn
            .prepare_cached(&format!(
                "SELECT {ITEM_COLUMNS} FROM inbox_document WHERE practice = ?1{condition} ORDER BY id"
            ))
            .map_err(sql)?;
        let rows = select.query_map([practice.as_str()], read_row).map_err(sql)?;
        rows.map(|row| row.map_err(sql).and_then(item_from_row)).collect()
    }

    /// One item of `practice`'s inbox; [`InboxError::NotFound`] when it is not there
    /// (including when it is in another practice's inbox).
    pub fn get(&self, practice: &OdsCode, id: InboxId) -> Result<InboxItem, InboxError> {
        let conn = self.lock()?;
        get_item(&conn, practice, id)
    }

    /// The FHIR resource of an item as it was received (canonical JSON).
    pub fn resource(&self, practice: &OdsCode, id: InboxId) -> Result<String, InboxError> {
        let conn = self.lock()?;
        conn.query_row(
            "SELECT resource FROM inbox_document WHERE id = ?1 AND practice = ?2",
            params![id.sql(), practice.as_str()],
            |row| row.get(0),
        )
        .optional()
        .map_err(sql)?
        .ok_or(InboxError::NotFound(id))
    }

    /// Records that `by` acknowledged item `id` of `practice`'s inbox at `now`.
    ///
    /// Idempotent: acknowledging again changes nothing and returns the first
    /// acknowledgement with `already: true`. An item of another practice is
    /// [`InboxError::NotFound`].
    pub fn acknowledge(
        &self,
        practice: &OdsCode,
        id: InboxId,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Acknowledged, InboxError> {
        let by = by.trim();
        if by.is_empty() {
            return Err(InboxError::Database("an acknowledgement needs the name of who gives it".into()));
        }
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
        let found: Option<(Option<i64>, Option<String>)> = tx
            .query_row(
                "SELECT acknowledged_at, acknowledged_by FROM inbox_document WHERE id = ?1 AND practice = ?2",
                params![id.sql(), practice.as_str()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(sql)?;
        match found {
            None => Err(InboxError::NotFound(id)),
            Some((Some(at), Some(previous))) => {
                Ok(Acknowledged { acknowledgement: Acknowledgement { by: previous, at: time(id, at)? }, already: true })
            }
            Some(_) => {
                tx.execute(
                    "UPDATE inbox_document SET acknowledged_at = ?1, acknowledged_by = ?2 WHERE id = ?3",
                    params![millis(now), by, id.sql()],
                )
                .map_err(sql)?;
                tx.commit().map_err(sql)?;
                let at = time(id, millis(now))?;
                Ok(Acknowledged { acknowledgement: Acknowledgement { by: by.to_string(), at }, already: false })
            }
        }
    }

    /// Documents not yet delivered, in every practice's inbox, soonest due first.
    pub fn pending(&self) -> Result<Vec<InboxItem>, InboxError> {
        let conn = self.lock()?;
        let mut select = conn
            .prepare_cached(&format!(
                "SELECT {ITEM_COLUMNS} FROM inbox_document WHERE delivery_state = 'pending' ORDER BY next_attempt_at, id"
            ))
            .map_err(sql)?;
        let rows = select.query_map([], read_row).map_err(sql)?;
        rows.map(|row| row.map_err(sql).and_then(item_from_row)).collect()
    }

    /// How many documents wait for delivery, in every practice's inbox.
    pub fn pending_count(&self) -> Result<u64, InboxError> {
        let conn = self.lock()?;
        let count: i64 = conn
            .query_row("SELECT count(*) FROM inbox_document WHERE delivery_state = 'pending'", [], |row| row.get(0))
            .map_err(sql)?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// Hands every document due at `now` to `deliver`, soonest due first. A success marks
    /// it delivered; a failure counts the attempt and schedules the next one after
    /// [`RetryPolicy::delay`]. Each outcome is committed as it happens.
    ///
    /// The connection is not held while `deliver` runs. If the process stops between a
    /// successful delivery and its commit, the document is delivered again after the
    /// restart (at least once; the receiver de-duplicates by identifier).
    pub fn deliver_due(
        &self,
        now: DateTime<Utc>,
        mut deliver: impl FnMut(&InboxItem) -> Result<(), DeliveryError>,
    ) -> Result<DeliveryRound, InboxError> {
        if self.read_only {
            return Err(InboxError::Database("the inbox was opened read-only".into()));
        }
        let mut round = DeliveryRound::default();
        let mut after: i64 = 0;
        loop {
            let due = self.due(now, after)?;
            let Some(last) = due.last() else { break };
            after = last.id.sql();
            for item in &due {
                round.attempted += 1;
                let attempts = match &item.delivery {
                    DeliveryState::Pending { attempts, .. } => attempts.saturating_add(1),
                    DeliveryState::Delivered { .. } => continue,
                };
                match deliver(item) {
                    Ok(()) => {
                        self.mark_delivered(item.id, attempts, now)?;
                        round.delivered += 1;
                    }
                    Err(error) => {
                        let delay = self.retry.delay(item.id, attempts);
                        let next = TimeDelta::from_std(delay)
                            .ok()
                            .and_then(|delay| now.checked_add_signed(delay))
                            .unwrap_or(now + TimeDelta::days(1));
                        self.mark_failed(item.id, attempts, next, &error)?;
                        round.failed += 1;
                    }
                }
            }
        }
        Ok(round)
    }

    /// Pending documents due at `now` with ids above `after` (one batch).
    fn due(&self, now: DateTime<Utc>, after: i64) -> Result<Vec<InboxItem>, InboxError> {
        let conn = self.lock()?;
        let mut select = conn
            .prepare_cached(&format!(
                "SELECT {ITEM_COLUMNS} FROM inbox_document \
                 WHERE delivery_state = 'pending' AND next_attempt_at <= ?1 AND id > ?2 ORDER BY id LIMIT ?3"
            ))
            .map_err(sql)?;
        let rows = select.query_map(params![millis(now), after, DELIVERY_BATCH], read_row).map_err(sql)?;
        rows.map(|row| row.map_err(sql).and_then(item_from_row)).collect()
    }

    fn mark_delivered(&self, id: InboxId, attempts: u32, now: DateTime<Utc>) -> Result<(), InboxError> {
        let conn = self.lock()?;
        conn.execute(
            "UPDATE inbox_document SET delivery_state = 'delivered', attempts = ?1, next_attempt_at = NULL, \
             delivered_at = ?2 WHERE id = ?3 AND delivery_state = 'pending'",
            params![attempts, millis(now), id.sql()],
        )
        .map_err(sql)?;
        Ok(())
    }

    fn mark_failed(
        &self,
        id: InboxId,
        attempts: u32,
        next: DateTime<Utc>,
        error: &DeliveryError,
    ) -> Result<(), InboxError> {
        let conn = self.lock()?;
        conn.execute(
            "UPDATE inbox_document SET attempts = ?1, next_attempt_at = ?2, last_error = ?3 \
             WHERE id = ?4 AND delivery_state = 'pending'",
            params![attempts, millis(next), error.message(), id.sql()],
        )
        .map_err(sql)?;
        Ok(())
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, InboxError> {
        // A panic while holding the lock leaves no half-done SQLite transaction behind
        // (rusqlite rolls back on drop), so the connection is still usable.
        Ok(self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

fn get_item(conn: &Connection, practice: &OdsCode, id: InboxId) -> Result<InboxItem, InboxError> {
    let mut select = conn
        .prepare_cached(&format!("SELECT {ITEM_COLUMNS} FROM inbox_document WHERE id = ?1 AND practice = ?2"))
        .map_err(sql)?;
    let row = select.query_row(params![id.sql(), practice.as_str()], read_row).optional().map_err(sql)?;
    row.map_or(Err(InboxError::NotFound(id)), item_from_row)
}

/// An item's columns as stored, before they are checked.
struct StoredRow {
    id: i64,
    practice: String,
    summary: String,
    received_at: i64,
    sender_user_id: String,
    sender_user_name: String,
    sender_organisation: String,
    acknowledged_at: Option<i64>,
    acknowledged_by: Option<String>,
    delivery_state: String,
    attempts: i64,
    next_attempt_at: Option<i64>,
    last_error: Option<String>,
    delivered_at: Option<i64>,
}

fn read_row(row: &Row<'_>) -> rusqlite::Result<StoredRow> {
    Ok(StoredRow {
        id: row.get(0)?,
        practice: row.get(1)?,
        summary: row.get(2)?,
        received_at: row.get(3)?,
        sender_user_id: row.get(4)?,
        sender_user_name: row.get(5)?,
        sender_organisation: row.get(6)?,
        acknowledged_at: row.get(7)?,
        acknowledged_by: row.get(8)?,
        delivery_state: row.get(9)?,
        attempts: row.get(10)?,
        next_attempt_at: row.get(11)?,
        last_error: row.get(12)?,
        delivered_at: row.get(13)?,
    })
}

fn item_from_row(row: StoredRow) -> Result<InboxItem, InboxError> {
    let id = stored_id(row.id)?;
    let corrupt = |why: &str| InboxError::Corrupt { id, why: why.to_string() };
    let practice = OdsCode::parse(&row.practice).map_err(|_| corrupt("its practice is not an ODS code"))?;
    let document: WritebackDocument =
        serde_json::from_str(&row.summary).map_err(|_| corrupt("its summary cannot be read"))?;
    let organisation =
        OdsCode::parse(&row.sender_organisation).map_err(|_| corrupt("its sender organisation is not an ODS code"))?;
    let sender = Sender { user_id: row.sender_user_id, user_name: row.sender_user_name, organisation };
    let acknowledged = match (row.acknowledged_at, row.acknowledged_by) {
        (Some(at), Some(by)) => Some(Acknowledgement { by, at: time(id, at)? }),
        (None, None) => None,
        _ => return Err(corrupt("its acknowledgement is half recorded")),
    };
    let attempts = u32::try_from(row.attempts).map_err(|_| corrupt("its attempt count is out of range"))?;
    let delivery = match (row.delivery_state.as_str(), row.next_attempt_at, row.delivered_at) {
        ("pending", Some(next), None) => {
            DeliveryState::Pending { attempts, next_attempt_at: time(id, next)?, last_error: row.last_error }
        }
        ("delivered", None, Some(at)) => DeliveryState::Delivered { attempts, delivered_at: time(id, at)? },
        _ => return Err(corrupt("its delivery state is inconsistent")),
    };
    Ok(InboxItem { id, practice, document, sender, received_at: time(id, row.received_at)?, acknowledged, delivery })
}

fn stored_id(id: i64) -> Result<InboxId, InboxError> {
    u64::try_from(id).map(InboxId).map_err(|_| InboxError::Database("an inbox item has a negative number".into()))
}

fn millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

fn time(id: InboxId, millis: i64) -> Result<DateTime<Utc>, InboxError> {
    DateTime::from_timestamp_millis(millis).ok_or(InboxError::Corrupt { id, why: "a time is out of range".into() })
}
