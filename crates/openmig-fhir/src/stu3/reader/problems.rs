//! Problems: every `Condition` (ProblemHeader), with the entries its
//! `relatedClinicalContent` extensions name as its related items (a medicine may be
//! named by its MedicationStatement or by its plan or an order). A consultation named
//! there or as the `context` is a link the domain keeps on the consultation
//! (`Encounter.linked`), so it is handed to the consultations' reading
//! ([`Reader::consultation_links`]). Its `relatedProblemHeader` extensions are its links
//! to other problems (a `type` of parent, child or sibling, in any case, as the
//! published example writes `Parent`); one of another type or to anything but a
//! Condition is dropped.
//!
//! A related item that is not a record entry (a DiagnosticReport, say), or that does not
//! resolve, is dropped: the problem itself is still shown.

use openmig_domain::PartialDate;
use openmig_domain::record::{EntryMeta, LinkedProblem, Problem, ProblemRelation, ProblemStatus, Significance};

use super::super::urls;
use super::bundle::ResId;
use super::values::{extension, extensions, notes, optional_date, optional_first_day, snomed, text};
use super::{NotRead, Reader, Section, invalid};

const KIND: &str = "Condition";

/// Every problem.
pub(super) fn read(reader: &mut Reader<'_>) -> Vec<Problem> {
    reader.items(KIND, Section::Problems, problem)
}

/// One problem; `None` when entered in error.
fn problem(reader: &mut Reader<'_>, id: ResId) -> Result<Option<Problem>, NotRead> {
    let resource = reader.resource(id);
    if text(resource, "verificationStatus") == Some("entered-in-error") {
        return Ok(None);
    }
    let Some(entry) = reader.entries.get(id) else { return Ok(None) };
    let code = snomed(&resource["code"]).ok_or_else(|| invalid(KIND, "code is not SNOMED CT"))?;
    let onset = optional_date(&resource["onsetDateTime"], KIND, "onsetDateTime")?;
    let ended = optional_date(&resource["abatementDateTime"], KIND, "abatementDateTime")?;
    let status = match text(resource, "clinicalStatus") {
        Some("active" | "recurrence") => ProblemStatus::Active,
        Some("inactive" | "remission" | "resolved") => ProblemStatus::Inactive,
        Some(_) => return Err(invalid(KIND, "clinicalStatus is not a problem status")),
        // Mandatory in GP Connect; a problem that has ended is not active.
        None if ended.is_some() => ProblemStatus::Inactive,
        None => ProblemStatus::Active,
    };
    // Mandatory in GP Connect; without it the problem is not claimed to be major.
    let significance =
        match extension(resource, urls::PROBLEM_SIGNIFICANCE_EXTENSION).and_then(|e| text(e, "valueCode")) {
            Some("major") => Significance::Major,
            _ => Significance::Minor,
        };
    let mut related = Vec::new();
    for link in extensions(resource, urls::RELATED_CLINICAL_CONTENT_EXTENSION) {
        match reader.entry(&link["valueReference"], id) {
            Some((linked, "Encounter")) => reader.consultation_links.push((linked, entry)),
            Some((linked, _)) => related.push(linked),
            None => {}
        }
    }
    if let Some((consultation, "Encounter")) = reader.entry(&resource["context"], id) {
        reader.consultation_links.push((consultation, entry));
    }
    let linked_problems = extensions(resource, urls::RELATED_PROBLEM_HEADER_EXTENSION)
        .filter_map(|link| {
            let relation = match text(extension(link, "type")?, "valueCode")?.to_ascii_lowercase().as_str() {
                "parent" => ProblemRelation::Parent,
                "child" => ProblemRelation::Child,
                "sibling" => ProblemRelation::Sibling,
                _ => return None,
            };
            match reader.entry(&extension(link, "target")?["valueReference"], id)? {
                (problem, "Condition") => Some(LinkedProblem { problem, relation }),
                _ => None,
            }
        })
        .collect();
    let recorded_on = optional_first_day(&resource["assertedDate"], KIND, "assertedDate")?
        .or(onset.map(PartialDate::earliest))
        .ok_or_else(|| invalid(KIND, "no assertedDate or onset"))?;
    Ok(Some(Problem {
        meta: EntryMeta {
            id: entry,
            recorded_on,
            recorded_by: reader.clinician(&resource["asserter"], id),
            confidential: false,
        },
        code,
        status,
        significance,
        onset,
        ended,
        notes: notes(resource),
        related,
        linked_problems,
    }))
}
