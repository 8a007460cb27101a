//! Referrals: every `ReferralRequest`.
//!
//! What was referred for is `type` when sent (openmig's writer sends it), else the
//! first SNOMED CT `reasonCode`: GP Connect 1.6's ReferralRequest page says `type` is
//! not in use and the code goes in `reasonCode`. The reason is the other `reasonCode`s'
//! text and the `description`. The date is `authoredOn` (partial dates read as their
//! first day), else the occurrence's.
//!
//! Priority `asap` is the writer's two-week wait (STU3 has no such code), `stat` reads
//! as urgent and no priority as routine. The recipient is its display text (the writer
//! sends no reference). A ReferralRequest names the referring organisation, not who
//! recorded it, so `recorded_by` is the unknown clinician and `recorded_on` the referral
//! date.

use openmig_domain::ClinicianId;
use openmig_domain::record::{EntryMeta, Referral, ReferralPriority};

use super::bundle::ResId;
use super::values::{array, concept_text, nonblank, optional_first_day, snomed, text};
use super::{NotRead, Reader, Section, invalid};

const KIND: &str = "ReferralRequest";

/// Every referral.
pub(super) fn read(reader: &mut Reader<'_>) -> Vec<Referral> {
    reader.items(KIND, Section::Referrals, referral)
}

/// One referral; `None` when entered in error.
fn referral(reader: &mut Reader<'_>, id: ResId) -> Result<Option<Referral>, NotRead> {
    let resource = reader.resource(id);
    if text(resource, "status") == Some("entered-in-error") {
        return Ok(None);
    }
    let Some(entry) = reader.entries.get(id) else { return Ok(None) };
    let reasons = array(resource, "reasonCode");
    let (code, coded_reason) = match snomed(&resource["type"]) {
        Some(code) => (code, None),
        None => {
            let (at, code) = reasons
                .iter()
                .enumerate()
                .find_map(|(at, reason)| Some((at, snomed(reason)?)))
                .ok_or_else(|| invalid(KIND, "neither type nor reasonCode is SNOMED CT"))?;
            (code, Some(at))
        }
    };
    let date = [&resource["authoredOn"], &resource["occurrenceDateTime"], &resource["occurrencePeriod"]["start"]]
        .into_iter()
        .find(|date| !date.is_null())
        .map(|date| optional_first_day(date, KIND, "authoredOn"))
        .transpose()?
        .flatten()
        .ok_or_else(|| invalid(KIND, "no authoredOn or occurrence date"))?;
    let priority = match text(resource, "priority") {
        None | Some("routine") => ReferralPriority::Routine,
        Some("urgent" | "stat") => ReferralPriority::Urgent,
        Some("asap") => ReferralPriority::TwoWeekWait,
        Some(_) => return Err(invalid(KIND, "priority is not a request priority")),
    };
    let recipient = array(resource, "recipient").iter().find_map(|r| {
        text(r, "display").map(str::to_owned).or_else(|| {
            let target = reader.index.target(r, id, "").ok().flatten()?;
            text(reader.resource(target), "name").map(str::to_owned)
        })
    });
    let reason: Vec<&str> = reasons
        .iter()
        .enumerate()
        .filter(|(at, _)| Some(*at) != coded_reason)
        .filter_map(|(_, reason)| concept_text(reason))
        .chain(nonblank(resource, "description"))
        .collect();
    Ok(Some(Referral {
        meta: EntryMeta { id: entry, recorded_on: date, recorded_by: ClinicianId(String::new()), confidential: false },
        code,
        date,
        recipient: recipient.unwrap_or_default(),
        priority,
        reason: reason.join("; "),
    }))
}
