//! Problems: every `Condition` (ProblemHeader), with the entries its
//! `relatedClinicalContent` extensions name as its related items (a medicine may be
//! named by its MedicationStatement or by its plan or an order).
//!
//! A related item that is not a record entry (a DiagnosticReport, say) is dropped; one
//! that does not resolve is an error, like any dangling reference.

use openmig_domain::record::{EntryMeta, Problem, ProblemStatus, Significance};

use super::super::urls;
use super::values::{extension, extensions, notes, optional_date, required_day, snomed, text};
use super::{ReadError, Reader, invalid};

const KIND: &str = "Condition";

/// Every problem.
pub(super) fn read(reader: &mut Reader<'_>) -> Result<Vec<Problem>, ReadError> {
    let mut out = Vec::new();
    for id in reader.of_kind(KIND) {
        let resource = reader.resource(id);
        if text(resource, "verificationStatus") == Some("entered-in-error") {
            continue;
        }
        let Some(entry) = reader.entries.get(id) else { continue };
        let code = snomed(&resource["code"]).ok_or_else(|| invalid(KIND, "code is not SNOMED CT"))?;
        let status = match text(resource, "clinicalStatus") {
            Some("active" | "recurrence") => ProblemStatus::Active,
            Some("inactive" | "remission" | "resolved") => ProblemStatus::Inactive,
            Some(_) => return Err(invalid(KIND, "clinicalStatus is not a problem status")),
            None => return Err(invalid(KIND, "no clinicalStatus")),
        };
        let significance =
            match extension(resource, urls::PROBLEM_SIGNIFICANCE_EXTENSION).and_then(|e| text(e, "valueCode")) {
                Some("major") => Significance::Major,
                Some("minor") => Significance::Minor,
                Some(_) => return Err(invalid(KIND, "problemSignificance is not major or minor")),
                None => return Err(invalid(KIND, "no problemSignificance")),
            };
        let mut related = Vec::new();
        for link in extensions(resource, urls::RELATED_CLINICAL_CONTENT_EXTENSION) {
            let target = &link["valueReference"];
            if let Some(entry) = reader.entry(target, id, "Condition.extension(relatedClinicalContent)")? {
                related.push(entry);
            }
        }
        out.push(Problem {
            meta: EntryMeta {
                id: entry,
                recorded_on: required_day(&resource["assertedDate"], KIND, "assertedDate")?,
                recorded_by: reader.clinician(&resource["asserter"], id, "Condition.asserter")?,
                confidential: false,
            },
            code,
            status,
            significance,
            onset: optional_date(&resource["onsetDateTime"], KIND, "onsetDateTime")?,
            ended: optional_date(&resource["abatementDateTime"], KIND, "abatementDateTime")?,
            notes: notes(resource),
            related,
        });
    }
    Ok(out)
}
