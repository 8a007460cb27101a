//! Access reports: who viewed a practice's or a patient's records, when, why and under
//! which consent basis, emergency overrides first (they are what a practice must review).
//!
//! Dates in a filter are UK calendar days (Europe/London: GMT in winter, BST in summer),
//! because that is what the person asking means by "1 July"; times in the report are
//! shown in UTC (RFC 3339 with `Z`), which is unambiguous across the clock change.
//!
//! CSV is written by a small function here rather than the `csv` crate: the output is one
//! fixed table of text cells, and RFC 4180 quoting is a few lines. What the crate would
//! not do for us anyway is the part that matters for an audit report opened in a
//! spreadsheet: user names and override reasons come from tokens and clinicians, so a
//! cell that starts with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'`
//! so it cannot run as a formula (OWASP "CSV injection").

use std::path::Path;

use chrono::{Duration, NaiveDate};
use openmig_domain::uk_time::uk_day_start;
use openmig_domain::{ConsentBasis, NhsNumber, OdsCode};

use crate::error::{AuditError, sql};
use crate::event::AuditEntry;
use crate::file;
use crate::row::{COLUMNS, StoredRow, time_text};

/// Whose records a report is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportSubject {
    /// Every access to patients registered at this practice.
    Practice(OdsCode),
    /// Every access to this patient's record.
    Patient(NhsNumber),
}

/// Which entries a report holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFilter {
    /// The practice or patient.
    pub subject: ReportSubject,
    /// From the start of this UK day (inclusive).
    pub from: Option<NaiveDate>,
    /// To the end of this UK day (inclusive).
    pub to: Option<NaiveDate>,
}

/// The entries matching `filter`: emergency overrides first, then in time order (ties in
/// sequence order). Reads only.
pub fn report(database: &Path, filter: &ReportFilter) -> Result<Vec<AuditEntry>, AuditError> {
    let Some(conn) = file::open_read_only(database)? else {
        return Err(AuditError::NoLog(database.display().to_string()));
    };
    let (column, key) = match &filter.subject {
        ReportSubject::Practice(ods) => ("practice", ods.as_str().to_string()),
        ReportSubject::Patient(nhs) => ("patient", nhs.to_string()),
    };
    // Stored times have one fixed-width spelling, so text order is time order.
    let from = filter.from.map(|day| time_text(uk_day_start(day)));
    let until = filter.to.map(|day| time_text(uk_day_start(day + Duration::days(1))));
    let sql_text = format!(
        "SELECT {COLUMNS} FROM audit_entry WHERE {column} = ?1 \
         AND (?2 IS NULL OR time >= ?2) AND (?3 IS NULL OR time < ?3) ORDER BY sequence"
    );
    let mut statement = conn.prepare(&sql_text).map_err(sql)?;
    let mut rows = statement.query(rusqlite::params![key, from, until]).map_err(sql)?;
    let mut entries = Vec::new();
    while let Some(row) = rows.next().map_err(sql)? {
        let (stored, hash) = StoredRow::read(row).map_err(|why| {
            AuditError::Database(format!("an audit entry is damaged ({why}); run `openmig audit verify`"))
        })?;
        entries.push(stored.into_entry(&hash)?);
    }
    entries
        .sort_by_key(|entry| (entry.event.consent != Some(ConsentBasis::Emergency), entry.event.time, entry.sequence));
    Ok(entries)
}

/// The CSV header.
const CSV_HEADER: [&str; 19] = [
    "sequence",
    "time",
    "patient",
    "practice",
    "user_id",
    "user_name",
    "role",
    "organisation",
    "device",
    "interaction",
    "purpose",
    "consent",
    "override_reason",
    "datasets",
    "items_returned",
    "outcome",
    "error_code",
    "trace_id",
    "hash",
];

/// The entries as CSV (RFC 4180: comma-separated, CRLF line ends, header row). Datasets
/// are joined with `;`. Cells that a spreadsheet would run as a formula are prefixed
/// with `'`.
pub fn to_csv(entries: &[AuditEntry]) -> String {
    let mut out = String::new();
    push_record(&mut out, CSV_HEADER.iter().map(|s| s.to_string()));
    for entry in entries {
        let event = &entry.event;
        let cells = [
            entry.sequence.to_string(),
            time_text(event.time),
            event.patient.map(|n| n.to_string()).unwrap_or_default(),
            event.practice.as_ref().map(|p| p.to_string()).unwrap_or_default(),
            event.user_id.clone(),
            event.user_name.clone(),
            event.role.map(|r| r.as_str().to_string()).unwrap_or_default(),
            event.organisation.clone(),
            event.device.clone(),
            event.interaction.clone(),
            event.purpose.clone(),
            event.consent.map(|c| c.as_str().to_string()).unwrap_or_default(),
            event.override_reason.clone().unwrap_or_default(),
            event.datasets.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(";"),
            event.items_returned.to_string(),
            event.outcome.as_str().to_string(),
            event.error_code.clone().unwrap_or_default(),
            event.trace_id.clone(),
            entry.hash.to_hex(),
        ];
        push_record(&mut out, cells.into_iter());
    }
    out
}

fn push_record(out: &mut String, cells: impl Iterator<Item = String>) {
    for (index, cell) in cells.enumerate() {
        if index > 0 {
            out.push(',');
        }
        push_cell(out, &cell);
    }
    out.push_str("\r\n");
}

/// One cell: neutralised if it could start a formula, then quoted (doubling inner
/// quotes) when it holds a comma, quote, line break or the neutralising quote itself.
fn push_cell(out: &mut String, cell: &str) {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let text = if formula { format!("'{cell}") } else { cell.to_string() };
    if text.contains([',', '"', '\n', '\r']) || formula {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&text);
    }
}

/// The entries as a pretty-printed JSON array; each entry has the event's fields plus
/// `sequence` and `hash`.
pub fn to_json(entries: &[AuditEntry]) -> String {
    serde_json::to_string_pretty(entries).expect("audit entries always serialise")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::tests::sample_event;
    use crate::{ChainHash, Outcome};

    fn entry(sequence: u64, trace: &str) -> AuditEntry {
        let mut event = sample_event(trace);
        event.time = event.time.with_timezone(&chrono::Utc) - Duration::nanoseconds(789);
        AuditEntry { sequence, event, hash: ChainHash::GENESIS }
    }

    #[test]
    fn csv_quotes_commas_quotes_and_line_breaks_and_defuses_formulas() {
        let mut first = entry(1, "t-1");
        first.event.override_reason = Some("line one\nline \"two\"".into());
        first.event.user_name = "=HYPERLINK(\"http://x\")".into();
        first.event.outcome = Outcome::Refused;
        first.event.error_code = Some("NO_AGREEMENT".into());
        let csv = to_csv(&[first]);
        let mut lines = csv.split("\r\n");
        assert_eq!(lines.next().unwrap(), CSV_HEADER.join(","));
        let row = lines.next().unwrap();
        assert!(row.starts_with("1,2026-11-25T09:30:00.123456Z,9434765919,Z90001,G1234567,"), "{row}");
        assert!(row.contains(",\"'=HYPERLINK(\"\"http://x\"\")\",doctor,"), "{row}");
        assert!(
            row.contains(",\"line one\nline \"\"two\"\"\",demographics;clinical,42,refused,NO_AGREEMENT,t-1,"),
            "{row}"
        );
        assert!(csv.ends_with(&format!("{}\r\n", ChainHash::GENESIS.to_hex())));
    }

    #[test]
    fn json_lists_each_entry_with_its_sequence_and_hash() {
        let json: serde_json::Value = serde_json::from_str(&to_json(&[entry(5, "t-5")])).unwrap();
        let first = &json[0];
        assert_eq!(first["sequence"], 5);
        assert_eq!(first["patient"], "9434765919");
        assert_eq!(first["consent"], "emergency");
        assert_eq!(first["datasets"], serde_json::json!(["demographics", "clinical"]));
        assert_eq!(first["hash"], ChainHash::GENESIS.to_hex());
        let back: Vec<AuditEntry> = serde_json::from_value(json).unwrap();
        assert_eq!(back, [entry(5, "t-5")]);
    }
}
