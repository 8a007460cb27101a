//! The shareable projection of a record: exactly what reading back the structured
//! Bundle of every area ([`StructuredOptions::everything`](super::super::StructuredOptions::everything))
//! gives, so that `read(write(R)) == shareable_projection(R)` can be tested, and so that
//! a cache of records read from providers can be compared with the records themselves.
//!
//! It is the record without what is withheld, with the fields the format cannot carry
//! normalised. Each rule below says whether the STU3 format or openmig's writer is the
//! reason.

use std::collections::HashSet;

use openmig_domain::patient::{Address, RegistrationStatus};
use openmig_domain::record::{
    Allergy, AllergyCategory, Encounter, ImmunisationStatus, Medication, ObservationCategory, PrescribingSetting,
    PrescriptionSource,
};
use openmig_domain::{Clinician, ClinicianId, EntryId, GpRecord, PartialDate};

use super::super::withholding::is_withheld;
use super::super::{allergies, immunisations, medications, problems, referrals, uncategorised};

/// GP Connect's dose text when the record holds none.
const NO_DOSE: &str = "No information available";

/// The record as a consumer can receive it through GP Connect (see the module docs of
/// the reader), given the `clinicians` the provider knows.
///
/// Withheld (as the writer withholds them, `withholding.rs`): confidential entries and
/// entries carrying a code of the sensitive exclusion set, of every kind; "no known
/// allergies" while any active allergy is recorded (even a withheld one); consultations
/// that are confidential, empty (no notes, no shareable item) or there only for withheld
/// items. Alerts and sharing preferences are not sent at all (writer: not mapped).
///
/// Normalised, each for the reason given:
/// 1. Order: entries of each kind by entry id, encounters by start then id (format: a
///    Bundle does not keep the record's order).
/// 2. Clinicians: a clinician not in `clinicians` becomes `ClinicianId("")` wherever
///    named (writer: a reference must not dangle).
/// 3. Patient: the registration date and status are kept (`registrationDetails`
///    `registrationPeriod`: start, and end when deregistered), but a deregistration's
///    reason → empty (format: the period says only when it ended, and the profile forbids
///    the `registrationStatus` part); restricted → not restricted, with no address or
///    telephone (format: providers refuse restricted patients; the writer leaves the
///    contact details out). A provider refuses deregistered patients too (gpconnect.md
///    §5), so through one a deregistered patient never arrives at all; the rule is about
///    what the writer sends.
/// 4. Recorded dates and recorders the resource has no element for: allergies' recorded
///    day → first day of the asserted date, "no known allergies" → the asserted day,
///    uncategorised observations → first day of the effective date, laboratory results →
///    the latest recorded day of the shareable results of the same date (their
///    DiagnosticReport's `issued`), immunisations → first day of the vaccination date
///    with no recorder, referrals → the referral date with no recorder (format), and an
///    encounter without notes → recorded by the clinician seen (format: the recorder
///    only rides on the narrative).
/// 5. Medication: dose blank or "No information available" → empty (format); the review
///    date only for repeats prescribed at the practice (writer: it is the plan's
///    `repeatInformation.authorisationExpiryDate`, and only their plans carry
///    `repeatInformation`); authorised issues only for repeats prescribed at the
///    practice and when positive (writer); the authorisation start of a repeat
///    prescribed at the practice defaults to a start known to the day, and of other
///    medicines is dropped when it equals the start (format: both ride on the plan's
///    `authoredOn`); prescribed elsewhere → no ODS code, specialist clinic (writer: only
///    the organisation's name is sent).
/// 6. Allergies: food → environment (format: GP Connect has only medication and
///    environment); the substance only with a reaction (format: it rides on the
///    reaction).
/// 7. Problems: blank notes → none (writer); related items only shareable medicines,
///    active allergies, uncategorised observations, immunisations and referrals
///    (writer: other kinds get no `relatedClinicalContent`); linked problems only
///    shareable ones (writer: a withheld problem is never a `relatedProblemHeader`).
/// 8. Immunisations: with a product, the vaccination is the product (writer: the
///    procedure code is not sent, only its term as a note); no dose number (writer: no
///    `vaccinationProtocol`).
/// 9. Referrals: a blank reason → empty (writer).
/// 10. Encounters: notes trimmed, and empty when an item was withheld (writer: notes may
///     describe it); linked entries only the shareable items with a reference, grouped by
///     heading (notes, problems, allergies, observations, test results, immunisations,
///     medication, referrals), each once (format: the consultation structure; ended
///     allergies, alerts and sharing preferences are display-only items).
pub fn shareable_projection(record: &GpRecord, clinicians: &[Clinician]) -> GpRecord {
    let known_ids: HashSet<&ClinicianId> = clinicians.iter().map(|c| &c.id).collect();
    let known = |id: &ClinicianId| if known_ids.contains(id) { id.clone() } else { ClinicianId(String::new()) };
    let nobody = ClinicianId(String::new());

    let mut patient = record.patient.clone();
    if let RegistrationStatus::Deregistered { reason, .. } = &mut patient.registration.status {
        reason.clear();
    }
    patient.registration.usual_gp = known(&patient.registration.usual_gp);
    if patient.restricted {
        patient.restricted = false;
        patient.address = Address { lines: Vec::new(), town: String::new(), postcode: String::new() };
        patient.telephone = None;
    }

    let mut medications: Vec<Medication> = record
        .medications
        .iter()
        .filter(|m| !medications::withheld(m))
        .map(|m| {
            let mut m = m.clone();
            m.meta.recorded_by = known(&m.meta.recorded_by);
            if m.dose.trim().is_empty() || m.dose == NO_DOSE {
                m.dose = String::new();
            }
            let repeat_at_practice = m.prescription_type.is_repeat() && !m.is_prescribed_elsewhere();
            m.authorised_issues = m.authorised_issues.filter(|n| repeat_at_practice && *n > 0);
            let started = m.started;
            m.authorised_from = if repeat_at_practice {
                m.authorised_from.or(started.day())
            } else {
                m.authorised_from.filter(|from| started != PartialDate::Day(*from))
            };
            m.review_due = m.review_due.filter(|_| repeat_at_practice);
            m.source = match m.source {
                PrescriptionSource::Practice { authoriser } => {
                    PrescriptionSource::Practice { authoriser: known(&authoriser) }
                }
                PrescriptionSource::Elsewhere { organisation, .. } => PrescriptionSource::Elsewhere {
                    organisation,
                    ods_code: None,
                    setting: PrescribingSetting::SpecialistClinic,
                },
            };
            for issue in &mut m.issues {
                issue.issued_by = known(&issue.issued_by);
            }
            m
        })
        .collect();

    let mut allergy_list: Vec<Allergy> = record
        .allergies
        .iter()
        .filter(|a| !allergies::withheld(a))
        .map(|a| {
            let mut a = a.clone();
            a.meta.recorded_on = a.asserted.earliest();
            a.meta.recorded_by = known(&a.meta.recorded_by);
            if a.category == AllergyCategory::Food {
                a.category = AllergyCategory::Environment;
            }
            a.substance = None;
            a
        })
        .collect();
    let any_active = record.allergies.iter().any(Allergy::is_active);
    let no_known_allergies =
        record.no_known_allergies.as_ref().filter(|n| !any_active && !allergies::no_known_allergies_withheld(n)).map(
            |n| {
                let mut n = n.clone();
                n.meta.recorded_on = n.asserted;
                n.meta.recorded_by = known(&n.meta.recorded_by);
                n
            },
        );

    let mut problem_list: Vec<_> = record
        .problems
        .iter()
        .filter(|p| !problems::withheld(p))
        .map(|p| {
            let mut p = p.clone();
            p.meta.recorded_by = known(&p.meta.recorded_by);
            p.notes = p.notes.filter(|n| !n.trim().is_empty());
            p.related.retain(|id| problems::is_sent_link(record, *id));
            p.linked_problems.retain(|link| {
                record.problems.iter().any(|other| other.meta.id == link.problem && !problems::withheld(other))
            });
            p
        })
        .collect();

    let mut observations: Vec<_> = record
        .observations
        .iter()
        .filter(|o| !uncategorised::withheld(o))
        .map(|o| {
            let mut o = o.clone();
            o.meta.recorded_by = known(&o.meta.recorded_by);
            if o.category != ObservationCategory::Laboratory {
                o.category = ObservationCategory::Uncategorised;
            }
            o
        })
        .collect();

    let mut immunisation_list: Vec<_> = record
        .immunisations
        .iter()
        .filter(|i| !immunisations::withheld(i))
        .map(|i| {
            let mut i = i.clone();
            i.meta.recorded_by = nobody.clone();
            if let ImmunisationStatus::Given { dose_number, .. } = &mut i.status {
                *dose_number = None;
            }
            i
        })
        .collect();

    let mut referral_list: Vec<_> = record
        .referrals
        .iter()
        .filter(|r| !referrals::withheld(r))
        .map(|r| {
            let mut r = r.clone();
            r.meta.recorded_on = r.date;
            r.meta.recorded_by = nobody.clone();
            if r.reason.trim().is_empty() {
                r.reason = String::new();
            }
            r
        })
        .collect();

    let mut encounters: Vec<Encounter> = record
        .encounters
        .iter()
        .filter_map(|e| shareable_encounter(record, e))
        .map(|mut e| {
            e.meta.recorded_by = known(&e.meta.recorded_by);
            e.clinician = known(&e.clinician);
            e
        })
        .collect();

    medications.sort_by_key(|e| e.meta.id);
    allergy_list.sort_by_key(|e| e.meta.id);
    problem_list.sort_by_key(|e| e.meta.id);
    encounters.sort_by_key(|e| (e.start, e.meta.id));
    observations.sort_by_key(|e| e.meta.id);
    immunisation_list.sort_by_key(|e| e.meta.id);
    referral_list.sort_by_key(|e| e.meta.id);

    GpRecord {
        patient,
        medications,
        allergies: allergy_list,
        no_known_allergies,
        problems: problem_list,
        encounters,
        observations,
        immunisations: immunisation_list,
        referrals: referral_list,
        alerts: Vec::new(),
        sharing_preferences: Vec::new(),
    }
}

/// What a consultation's linked entry is on the wire.
enum Link {
    /// An item referring to the entry, under the heading of this rank.
    Item(u8, EntryId),
    /// A display-only item (no reference).
    DisplayOnly,
    /// Withheld.
    Withheld,
    /// Nothing at all.
    Nothing,
}

/// The encounter as sent, when it is sent (notes, linked entries; the recorder and
/// clinician are the caller's).
fn shareable_encounter(record: &GpRecord, encounter: &Encounter) -> Option<Encounter> {
    if is_withheld(&encounter.meta, encounter.type_code()) {
        return None;
    }
    let mut seen = HashSet::new();
    let mut items: Vec<(u8, EntryId)> = Vec::new();
    let mut display_only = false;
    let mut lost = false;
    for id in encounter.linked.iter().filter(|id| seen.insert(**id)) {
        match link(record, *id) {
            Link::Item(rank, id) => items.push((rank, id)),
            Link::DisplayOnly => display_only = true,
            Link::Withheld => lost = true,
            Link::Nothing => {}
        }
    }
    if lost && items.is_empty() {
        return None;
    }
    let notes = Some(encounter.notes.trim()).filter(|n| !n.is_empty() && !lost);
    if items.is_empty() && !display_only && notes.is_none() {
        return None;
    }
    items.sort_by_key(|(rank, _)| *rank);
    let mut shared = encounter.clone();
    shared.notes = notes.unwrap_or_default().to_owned();
    shared.linked = items.into_iter().map(|(_, id)| id).collect();
    Some(shared)
}

/// What the consultations area makes of a linked entry (ranks are the heading order).
fn link(record: &GpRecord, id: EntryId) -> Link {
    let item = |withheld: bool, rank: u8| if withheld { Link::Withheld } else { Link::Item(rank, id) };
    if let Some(p) = record.problems.iter().find(|p| p.meta.id == id) {
        return item(problems::withheld(p), 1);
    }
    if let Some(m) = record.medications.iter().find(|m| m.meta.id == id) {
        return item(medications::withheld(m), 6);
    }
    if let Some(a) = record.allergies.iter().find(|a| a.meta.id == id) {
        return match (allergies::withheld(a), a.is_active()) {
            (true, _) => Link::Withheld,
            (false, true) => Link::Item(2, id),
            (false, false) => Link::DisplayOnly,
        };
    }
    if let Some(n) = record.no_known_allergies.as_ref().filter(|n| n.meta.id == id) {
        if allergies::no_known_allergies_withheld(n) {
            return Link::Withheld;
        }
        if record.allergies.iter().any(Allergy::is_active) {
            return Link::Nothing;
        }
        return Link::Item(2, id);
    }
    if let Some(o) = record.observations.iter().find(|o| o.meta.id == id) {
        return item(uncategorised::withheld(o), if uncategorised::is_uncategorised(o) { 3 } else { 4 });
    }
    if let Some(i) = record.immunisations.iter().find(|i| i.meta.id == id) {
        return item(immunisations::withheld(i), 5);
    }
    if let Some(r) = record.referrals.iter().find(|r| r.meta.id == id) {
        return item(referrals::withheld(r), 7);
    }
    if let Some(a) = record.alerts.iter().find(|a| a.meta.id == id) {
        return if is_withheld(&a.meta, [a.code.code]) { Link::Withheld } else { Link::DisplayOnly };
    }
    if let Some(p) = record.sharing_preferences.iter().find(|p| p.meta.id == id) {
        return if is_withheld(&p.meta, [p.code.code]) { Link::Withheld } else { Link::DisplayOnly };
    }
    Link::Nothing
}
