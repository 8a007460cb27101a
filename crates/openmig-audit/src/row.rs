//! The stored form of an entry: the `audit_entry` row, its canonical bytes and the strict
//! way back to an [`AuditEvent`].
//!
//! The chain hashes the row's own column values (not a re-rendering of them), and a row
//! only counts as intact when decoding it and encoding the result again gives back the
//! very same values. So a change that keeps the meaning but not the bytes (say, a time
//! rewritten with an offset, or an NHS number with spaces) is still reported.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use openmig_domain::{ConsentBasis, Dataset, NhsNumber, OdsCode, Role};
use rusqlite::types::ValueRef;
use serde::Serialize;

use crate::chain::{self, ChainHash};
use crate::error::AuditError;
use crate::event::{AuditEntry, AuditEvent, Outcome};

/// The columns of `audit_entry` in the order [`StoredRow::read`] expects them.
pub(crate) const COLUMNS: &str = "sequence, time, interaction, user_id, user_name, role, organisation, device, \
     patient, practice, purpose, consent, override_reason, datasets, items_returned, outcome, error_code, \
     trace_id, hash";

/// The canonical format version, the `v` member of every canonical entry.
const CANONICAL_VERSION: u32 = 1;

/// One `audit_entry` row, column by column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredRow {
    pub sequence: u64,
    pub time: String,
    pub interaction: String,
    pub user_id: String,
    pub user_name: String,
    pub role: Option<String>,
    pub organisation: String,
    pub device: String,
    pub patient: Option<String>,
    pub practice: Option<String>,
    pub purpose: String,
    pub consent: Option<String>,
    pub override_reason: Option<String>,
    /// Dataset names joined with `,` (names never contain one).
    pub datasets: String,
    pub items_returned: i64,
    pub outcome: String,
    pub error_code: Option<String>,
    pub trace_id: String,
}

/// The canonical JSON object; members in the documented order (`crate::chain`).
#[derive(Serialize)]
struct Canonical<'a> {
    v: u32,
    sequence: u64,
    time: &'a str,
    interaction: &'a str,
    user_id: &'a str,
    user_name: &'a str,
    role: Option<&'a str>,
    organisation: &'a str,
    device: &'a str,
    patient: Option<&'a str>,
    practice: Option<&'a str>,
    purpose: &'a str,
    consent: Option<&'a str>,
    override_reason: Option<&'a str>,
    datasets: Vec<&'a str>,
    items_returned: i64,
    outcome: &'a str,
    error_code: Option<&'a str>,
    trace_id: &'a str,
}

/// The stored spelling of a time: RFC 3339, UTC, microseconds, `Z`.
pub(crate) fn time_text(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses a stored time, accepting only the exact stored spelling.
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let time = DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc);
    (time_text(time) == text).then_some(time)
}

impl StoredRow {
    /// The row an event is stored as at `sequence`. The time loses anything below a
    /// microsecond (what SQLite text and PostgreSQL timestamps keep alike).
    pub fn from_event(sequence: u64, event: &AuditEvent) -> StoredRow {
        StoredRow {
            sequence,
            time: time_text(event.time.trunc_subsecs(6)),
            interaction: event.interaction.clone(),
            user_id: event.user_id.clone(),
            user_name: event.user_name.clone(),
            role: event.role.map(|r| r.as_str().to_string()),
            organisation: event.organisation.clone(),
            device: event.device.clone(),
            patient: event.patient.map(|n| n.to_string()),
            practice: event.practice.as_ref().map(|p| p.as_str().to_string()),
            purpose: event.purpose.clone(),
            consent: event.consent.map(|c| c.as_str().to_string()),
            override_reason: event.override_reason.clone(),
            datasets: event.datasets.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(","),
            items_returned: i64::from(event.items_returned),
            outcome: event.outcome.as_str().to_string(),
            error_code: event.error_code.clone(),
            trace_id: event.trace_id.clone(),
        }
    }

    /// The canonical bytes the leaf hash is taken over.
    pub fn canonical(&self) -> Vec<u8> {
        let canonical = Canonical {
            v: CANONICAL_VERSION,
            sequence: self.sequence,
            time: &self.time,
            interaction: &self.interaction,
            user_id: &self.user_id,
            user_name: &self.user_name,
            role: self.role.as_deref(),
            organisation: &self.organisation,
            device: &self.device,
            patient: self.patient.as_deref(),
            practice: self.practice.as_deref(),
            purpose: &self.purpose,
            consent: self.consent.as_deref(),
            override_reason: self.override_reason.as_deref(),
            datasets: if self.datasets.is_empty() { Vec::new() } else { self.datasets.split(',').collect() },
            items_returned: self.items_returned,
            outcome: &self.outcome,
            error_code: self.error_code.as_deref(),
            trace_id: &self.trace_id,
        };
        serde_json::to_vec(&canonical).expect("a struct of strings and integers always serialises")
    }

    /// `leaf(canonical(row))`.
    pub fn leaf(&self) -> ChainHash {
        chain::leaf(&self.canonical())
    }

    /// Decodes the row into an event, refusing anything this crate would not have
    /// written. The message names the column, never its value.
    pub fn decode(&self) -> Result<AuditEvent, String> {
        fn named<T: std::str::FromStr>(column: &str, value: &Option<String>) -> Result<Option<T>, String> {
            value.as_deref().map(|v| v.parse::<T>().map_err(|_| format!("its {column} is not valid"))).transpose()
        }
        let event = AuditEvent {
            time: parse_time(&self.time).ok_or("its time is not a valid stored time")?,
            interaction: self.interaction.clone(),
            user_id: self.user_id.clone(),
            user_name: self.user_name.clone(),
            role: named::<Role>("role", &self.role)?,
            organisation: self.organisation.clone(),
            device: self.device.clone(),
            patient: named::<NhsNumber>("patient NHS number", &self.patient)?,
            practice: named::<OdsCode>("practice ODS code", &self.practice)?,
            purpose: self.purpose.clone(),
            consent: named::<ConsentBasis>("consent basis", &self.consent)?,
            override_reason: self.override_reason.clone(),
            datasets: if self.datasets.is_empty() {
                Vec::new()
            } else {
                self.datasets
                    .split(',')
                    .map(|d| d.parse::<Dataset>().map_err(|_| "its datasets are not valid".to_string()))
                    .collect::<Result<_, _>>()?
            },
            items_returned: u32::try_from(self.items_returned).map_err(|_| "its item count is out of range")?,
            outcome: self.outcome.parse::<Outcome>().map_err(|_| "its outcome is not valid")?,
            error_code: self.error_code.clone(),
            trace_id: self.trace_id.clone(),
        };
        if StoredRow::from_event(self.sequence, &event) != *self {
            return Err("it is not in the form openmig writes (a value was respelt)".to_string());
        }
        Ok(event)
    }

    /// Reads a row selected with [`COLUMNS`], and its stored hash. A column of the wrong
    /// type (possible only if someone rebuilt the table) is reported, not a panic.
    pub fn read(row: &rusqlite::Row<'_>) -> Result<(StoredRow, Vec<u8>), String> {
        fn text(row: &rusqlite::Row<'_>, index: usize, column: &str) -> Result<String, String> {
            optional_text(row, index, column)?.ok_or_else(|| format!("its {column} is missing"))
        }
        fn optional_text(row: &rusqlite::Row<'_>, index: usize, column: &str) -> Result<Option<String>, String> {
            match row.get_ref(index) {
                Ok(ValueRef::Null) => Ok(None),
                Ok(ValueRef::Text(bytes)) => {
                    String::from_utf8(bytes.to_vec()).map(Some).map_err(|_| format!("its {column} is not UTF-8"))
                }
                _ => Err(format!("its {column} has the wrong type")),
            }
        }
        fn integer(row: &rusqlite::Row<'_>, index: usize, column: &str) -> Result<i64, String> {
            match row.get_ref(index) {
                Ok(ValueRef::Integer(value)) => Ok(value),
                _ => Err(format!("its {column} has the wrong type")),
            }
        }
        let sequence = u64::try_from(integer(row, 0, "sequence")?).map_err(|_| "its sequence is negative")?;
        let stored = StoredRow {
            sequence,
            time: text(row, 1, "time")?,
            interaction: text(row, 2, "interaction")?,
            user_id: text(row, 3, "user_id")?,
            user_name: text(row, 4, "user_name")?,
            role: optional_text(row, 5, "role")?,
            organisation: text(row, 6, "organisation")?,
            device: text(row, 7, "device")?,
            patient: optional_text(row, 8, "patient")?,
            practice: optional_text(row, 9, "practice")?,
            purpose: text(row, 10, "purpose")?,
            consent: optional_text(row, 11, "consent")?,
            override_reason: optional_text(row, 12, "override_reason")?,
            datasets: text(row, 13, "datasets")?,
            items_returned: integer(row, 14, "items_returned")?,
            outcome: text(row, 15, "outcome")?,
            error_code: optional_text(row, 16, "error_code")?,
            trace_id: text(row, 17, "trace_id")?,
        };
        let hash = match row.get_ref(18) {
            Ok(ValueRef::Blob(bytes)) => bytes.to_vec(),
            _ => return Err("its hash has the wrong type".to_string()),
        };
        Ok((stored, hash))
    }

    /// Decodes a row for a report; a row that does not decode is reported by sequence.
    pub fn into_entry(self, hash: &[u8]) -> Result<AuditEntry, AuditError> {
        let sequence = self.sequence;
        let damaged = |why: String| {
            AuditError::Database(format!("audit entry {sequence} is damaged ({why}); run `openmig audit verify`"))
        };
        let event = self.decode().map_err(damaged)?;
        let hash = ChainHash::from_slice(hash).ok_or_else(|| damaged("its hash is not 32 bytes".into()))?;
        Ok(AuditEntry { sequence, event, hash })
    }

    /// Values for the `INSERT` statement, in [`COLUMNS`] order (without the hash).
    pub fn insert(&self, statement: &mut rusqlite::CachedStatement<'_>, hash: &ChainHash) -> rusqlite::Result<()> {
        let sequence = i64::try_from(self.sequence).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
        statement.execute(rusqlite::params![
            sequence,
            self.time,
            self.interaction,
            self.user_id,
            self.user_name,
            self.role,
            self.organisation,
            self.device,
            self.patient,
            self.practice,
            self.purpose,
            self.consent,
            self.override_reason,
            self.datasets,
            self.items_returned,
            self.outcome,
            self.error_code,
            self.trace_id,
            &hash.as_bytes()[..],
        ])?;
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::TimeZone;

    use super::*;

    /// A complete event, every optional field present.
    pub fn sample_event(trace: &str) -> AuditEvent {
        AuditEvent {
            time: Utc.with_ymd_and_hms(2026, 11, 25, 9, 30, 0).unwrap() + chrono::Duration::nanoseconds(123_456_789),
            interaction: "gpconnect.getstructuredrecord".into(),
            user_id: "G1234567".into(),
            user_name: "Dr Ada \"Quote\", Lovelace".into(),
            role: Some(Role::Doctor),
            organisation: "RX1".into(),
            device: "ed-system-1".into(),
            patient: Some(NhsNumber::parse("9434765919").unwrap()),
            practice: Some(OdsCode::parse("Z90001").unwrap()),
            purpose: "directcare".into(),
            consent: Some(ConsentBasis::Emergency),
            override_reason: Some("unconscious, no one to ask".into()),
            datasets: vec![Dataset::Demographics, Dataset::Clinical],
            items_returned: 42,
            outcome: Outcome::Permitted,
            error_code: None,
            trace_id: trace.into(),
        }
    }

    #[test]
    fn the_canonical_form_is_the_documented_json() {
        let row = StoredRow::from_event(7, &sample_event("t-1"));
        let text = String::from_utf8(row.canonical()).unwrap();
        assert_eq!(
            text,
            r#"{"v":1,"sequence":7,"time":"2026-11-25T09:30:00.123456Z","interaction":"gpconnect.getstructuredrecord","user_id":"G1234567","user_name":"Dr Ada \"Quote\", Lovelace","role":"doctor","organisation":"RX1","device":"ed-system-1","patient":"9434765919","practice":"Z90001","purpose":"directcare","consent":"emergency","override_reason":"unconscious, no one to ask","datasets":["demographics","clinical"],"items_returned":42,"outcome":"permitted","error_code":null,"trace_id":"t-1"}"#
        );
    }

    #[test]
    fn a_stored_row_decodes_to_the_event_truncated_to_the_microsecond() {
        let event = sample_event("t-2");
        let row = StoredRow::from_event(1, &event);
        let decoded = row.decode().unwrap();
        assert_eq!(decoded.time, event.time.trunc_subsecs(6));
        assert_eq!(AuditEvent { time: event.time, ..decoded }, event);
    }

    #[test]
    fn respelt_values_are_not_canonical() {
        let row = StoredRow::from_event(1, &sample_event("t-3"));
        let respelt = [
            StoredRow { time: "2026-11-25T09:30:00.123456+00:00".into(), ..row.clone() },
            StoredRow { patient: Some("943 476 5919".into()), ..row.clone() },
            StoredRow { practice: Some("z90001".into()), ..row.clone() },
            StoredRow { role: Some("surgeon".into()), ..row.clone() },
            StoredRow { datasets: "clinical,,".into(), ..row.clone() },
            StoredRow { items_returned: -1, ..row.clone() },
        ];
        for bad in respelt {
            let error = bad.decode().unwrap_err();
            assert!(!error.contains("943"), "no patient data in messages: {error}");
        }
        assert!(row.decode().is_ok());
    }

    #[test]
    fn the_sequence_number_is_part_of_the_leaf() {
        let event = sample_event("t-4");
        assert_ne!(StoredRow::from_event(1, &event).leaf(), StoredRow::from_event(2, &event).leaf());
    }
}
