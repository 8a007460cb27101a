//! Referrals: every `ReferralRequest`.
//!
//! Priority `asap` is the writer's two-week wait (STU3 has no such code), `stat` reads
//! as urgent and no priority as routine. The recipient is its display text (the writer
//! sends no reference). A ReferralRequest names the referring organisation, not who
//! recorded it, so `recorded_by` is the unknown clinician and `recorded_on` the referral
//! date.

use openmig_domain::ClinicianId;
use openmig_domain::record::{EntryMeta, Referral, ReferralPriority};

use super::values::{array, concept_text, first, required_day, snomed, text};
use super::{ReadError, Reader, invalid};

const KIND: &str = "ReferralRequest";

/// Every referral.
pub(super) fn read(reader: &mut Reader<'_>) -> Result<Vec<Referral>, ReadError> {
    let mut out = Vec::new();
    for id in reader.of_kind(KIND) {
        let resource = reader.resource(id);
        if text(resource, "status") == Some("entered-in-error") {
            continue;
        }
        let Some(entry) = reader.entries.get(id) else { continue };
        let code = snomed(&resource["type"]).ok_or_else(|| invalid(KIND, "type is not SNOMED CT"))?;
        let date = required_day(&resource["authoredOn"], KIND, "authoredOn")?;
        let priority = match text(resource, "priority") {
            None | Some("routine") => ReferralPriority::Routine,
            Some("urgent" | "stat") => ReferralPriority::Urgent,
            Some("asap") => ReferralPriority::TwoWeekWait,
            Some(_) => return Err(invalid(KIND, "priority is not a request priority")),
        };
        let recipient = array(resource, "recipient").iter().find_map(|r| text(r, "display")).unwrap_or_default();
        let reason = first(resource, "reasonCode").and_then(concept_text).unwrap_or_default();
        out.push(Referral {
            meta: EntryMeta {
                id: entry,
                recorded_on: date,
                recorded_by: ClinicianId(String::new()),
                confidential: false,
            },
            code,
            date,
            recipient: recipient.to_owned(),
            priority,
            reason: reason.to_owned(),
        });
    }
    Ok(out)
}
