//! Shared set-up: the example write-back documents (`openmig_inbox::examples`), a fixed
//! clock, a sender and the example practice.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use openmig_domain::OdsCode;
use openmig_inbox::{DocumentKind, InboxDocument, ParsedDocument, Sender};
use serde_json::Value;

pub const NHS: &str = "9434765919";
pub const PRACTICE: &str = "Z90001";
pub const SYSTEM: &str = openmig_inbox::examples::EXAMPLE_SYSTEM;

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

/// The discharge summary Bundle for `nhs` with business identifier `id`.
pub fn bundle(nhs: &str, id: &str) -> Value {
    openmig_inbox::examples::discharge_summary(nhs, id)
}

/// The consultation summary for `nhs` with identifier `id` and text `letter`.
pub fn document_reference(nhs: &str, id: &str, letter: &str) -> Value {
    openmig_inbox::examples::consultation_summary(nhs, id, letter)
}

pub fn parse(kind: DocumentKind, value: &Value) -> ParsedDocument {
    openmig_inbox::parse(kind, value.to_string().as_bytes()).unwrap()
}

pub fn sender() -> Sender {
    Sender {
        user_id: "555123456789".into(),
        user_name: "Dr Sam Jones".into(),
        organisation: OdsCode::parse("ZC010").unwrap(),
    }
}

pub fn practice() -> OdsCode {
    OdsCode::parse(PRACTICE).unwrap()
}

/// The discharge summary `id` for the example patient, addressed to the example practice.
pub fn summary(id: &str) -> InboxDocument {
    InboxDocument::new(practice(), parse(DocumentKind::Bundle, &bundle(NHS, id)), sender())
}
