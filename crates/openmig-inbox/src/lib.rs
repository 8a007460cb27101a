//! The practice inbox: encounter summaries written back to a patient's GP practice.
//!
//! A clinician outside general practice (A&E, out-of-hours, a ward) sends an attendance
//! or discharge summary for a patient; the gateway routes it to the registered
//! practice's inbox. This crate owns:
//!
//! - [`document`]: reading the write-back document, pure. A FHIR R4 document `Bundle`
//!   (first entry a `Composition`; sections with narrative; coded diagnoses as
//!   `Condition`s in SNOMED CT; medication changes as `MedicationStatement`s in dm+d) or
//!   a `DocumentReference` with a base64 `text/plain` or `text/html` attachment. Every
//!   missing or invalid element has its own error naming the element; sizes are capped;
//!   a document that names two different patients is refused (a wrong-patient hazard).
//! - [`Inbox`], the durable store: tables `inbox_*` (STRICT, WAL, `synchronous=FULL`) in
//!   a SQLite file, normally the record store's own file beside the audit log. A
//!   document is accepted only once its transaction has committed, and **idempotently by
//!   its business identifier**: the same identifier with the same content is one copy
//!   (the caller learns it was a duplicate); the same identifier with different content
//!   is a [`InboxError::Conflict`], never a silent overwrite. Triggers refuse deleting a
//!   document or changing what was received, and changing an acknowledgement.
//! - The outbox ([`outbox`]): every accepted document carries a delivery state
//!   (pending/delivered), its attempt count and the time of its next attempt.
//!   [`Inbox::deliver_due`] hands due documents to a delivery function and reschedules
//!   failures with capped exponential backoff and jitter ([`RetryPolicy`]). The state
//!   lives only in the file, so a restart loses nothing: reopen it and pending documents
//!   are still due. Delivery is at least once; receivers de-duplicate by identifier.
//!
//! Pure-ish by design: the clock (`now`) and the delivery function are passed in, and the
//! jitter is a deterministic function of the document and attempt, so every schedule is
//! testable. The inbox holds no state in memory beyond the connection: several
//! processes (the server and `openmig inbox ack`) may use one file at once.
//!
//! Architecture invariants: this crate depends on the domain only; it decides nothing
//! about who may submit or read (the gateway does); its error messages carry no patient
//! data and no clinical content; it never modifies a file it cannot identify as
//! openmig's, and never touches the store's tables, `user_version` or `application_id`.

pub mod document;
mod error;
#[cfg(feature = "examples")]
pub mod examples;
mod file;
mod html;
mod inbox;
pub mod outbox;

pub use document::{
    AuthorOrganisation, Diagnosis, DocumentIdentifier, DocumentKind, MedicationChange, ParseError, ParsedDocument,
    WritebackDocument, parse,
};
pub use error::InboxError;
pub use inbox::{
    Acknowledged, Acknowledgement, DeliveryState, Inbox, InboxDocument, InboxId, InboxItem, Sender, StatusFilter,
    Submitted,
};
pub use outbox::{Delivery, DeliveryError, DeliveryRound, LocalDelivery, RetryPolicy};
