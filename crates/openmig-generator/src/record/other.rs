//! Allergies, immunisations, alerts, referrals, consent, sensitive and confidential
//! entries.

use chrono::{Datelike, Days, NaiveDate};
use openmig_domain::record::{
    Alert, Allergy, AllergyCategory, AllergyStatus, Immunisation, ImmunisationStatus, NoKnownAllergies, Problem,
    ProblemStatus, Reaction, Referral, ReferralPriority, Severity, SharingPreference,
};
use openmig_domain::{ClinicianRole, PartialDate};

use super::{Builder, coded};
use crate::catalogue::clinical::{
    ALLERGIES, Code, NO_KNOWN_ALLERGY, NO_KNOWN_DRUG_ALLERGY, REACTIONS, alert, consent, referral, sensitive, vacc,
};
use crate::catalogue::conditions::Condition;

/// Allergies (about one person in eight has one recorded; penicillin is the commonest),
/// else often a coded "no known allergies".
pub fn allergies(b: &mut Builder) {
    let count = if b.dice.chance(0.095) { if b.dice.chance(0.12) { 2 } else { 1 } } else { 0 };
    let weighted: Vec<(u32, usize)> = ALLERGIES.iter().enumerate().map(|(i, a)| (a.weight, i)).collect();
    let registered = b.record.patient.registration.registered_on;
    let mut chosen = Vec::new();
    for _ in 0..count {
        let i = *b.dice.weighted(&weighted);
        if chosen.contains(&i) {
            continue;
        }
        chosen.push(i);
        let spec = &ALLERGIES[i];
        let onset_day = b.dice.day_between(b.record.patient.birth_date, b.end);
        let onset =
            if onset_day.year() < 2000 { PartialDate::Year(onset_day.year()) } else { PartialDate::Day(onset_day) };
        let recorded = onset_day.max(registered).min(b.end);
        let reaction = b.dice.chance(0.7).then(|| {
            let manifestation = *b.dice.pick(REACTIONS);
            let severity = if manifestation.0 == 39579001 {
                Severity::Severe
            } else {
                *b.dice.weighted(&[(55, Severity::Mild), (40, Severity::Moderate), (5, Severity::Severe)])
            };
            Reaction { manifestation: coded(manifestation), severity: Some(severity) }
        });
        // Some penicillin labels are removed after a negative challenge test.
        let status = if spec.penicillin && b.dice.chance(0.08) {
            AllergyStatus::Resolved {
                on: PartialDate::Day(b.dice.day_between(recorded, b.end)),
                reason: "Penicillin challenge negative - allergy label removed".into(),
            }
        } else {
            AllergyStatus::Active
        };
        let gp = b.gp();
        let meta = b.meta(recorded, gp);
        b.record.allergies.push(Allergy {
            meta,
            code: coded(spec.code),
            substance: spec.substance.map(coded),
            category: match spec.category {
                0 => AllergyCategory::Medication,
                1 => AllergyCategory::Food,
                _ => AllergyCategory::Environment,
            },
            reaction,
            onset: Some(onset),
            asserted: PartialDate::Day(recorded),
            status,
            criticality: None,
            notes: None,
        });
    }
    if !b.record.allergies.iter().any(Allergy::is_active) && b.dice.chance(0.45) {
        let code = if b.dice.chance(0.8) { NO_KNOWN_ALLERGY } else { NO_KNOWN_DRUG_ALLERGY };
        let day = b.dice.day_between(registered, b.end);
        let by = b.staff(ClinicianRole::PracticeNurse);
        let meta = b.meta(day, by);
        b.record.no_known_allergies = Some(NoKnownAllergies { meta, code: coded(code), asserted: day });
    }
}

/// Seasonal flu for the eligible each autumn, pneumococcal at 65, shingles at 70,
/// COVID-19 primary doses in 2021.
pub fn immunisations(b: &mut Builder) {
    let risks = [
        Condition::Type2Diabetes,
        Condition::Type1Diabetes,
        Condition::Copd,
        Condition::Asthma,
        Condition::ChronicKidneyDisease,
        Condition::HeartFailure,
        Condition::IschaemicHeartDisease,
        Condition::Stroke,
    ];
    let at_risk = risks.iter().any(|c| b.has(*c));
    let from = b.active_history_start();
    let nurse = b.staff(ClinicianRole::PracticeNurse);
    for year in from.year()..=b.end.year() {
        let Some(season_start) = NaiveDate::from_ymd_opt(year, 9, 15) else { continue };
        let season_end = NaiveDate::from_ymd_opt(year, 12, 15).expect("valid date").min(b.end);
        if season_start < from || season_start > b.end {
            continue;
        }
        let age = b.age_on(season_start);
        let uptake = if age >= 65 {
            0.75
        } else if at_risk && age >= 18 {
            0.45
        } else {
            0.0
        };
        if !b.dice.chance(uptake + 0.04) {
            continue;
        }
        let day = b.dice.day_between(season_start, season_end);
        let status = if b.dice.chance(0.04 / (uptake + 0.04)) {
            ImmunisationStatus::NotGiven { reason: "Patient declined".into() }
        } else {
            ImmunisationStatus::Given { batch: Some(batch(b)), dose_number: None }
        };
        let product =
            matches!(status, ImmunisationStatus::Given { .. }).then(|| coded(*b.dice.pick(vacc::FLU_PRODUCTS)));
        let id = immunise(b, vacc::FLU, product, PartialDate::Day(day), status, nurse.clone());
        // Under 65, the vaccination is for the condition that puts them at risk.
        if age < 65 {
            b.link_to_problem(&risks, id);
        }
    }
    let birth = b.record.patient.birth_date;
    if b.age() >= 65 && b.dice.chance(0.7) {
        let at_65 = birth.with_year(birth.year() + 65).unwrap_or(birth + Days::new(65 * 365));
        let day = b.dice.day_between(at_65, (at_65 + Days::new(300)).min(b.end));
        let date = if day < from { PartialDate::Year(day.year()) } else { PartialDate::Day(day) };
        let status = ImmunisationStatus::Given { batch: Some(batch(b)), dose_number: Some(1) };
        immunise(b, vacc::PNEUMOCOCCAL, Some(coded(vacc::PPV23)), date, status, nurse.clone());
    }
    if (70..=85).contains(&b.age()) && b.dice.chance(0.5) {
        let at_70 = birth.with_year(birth.year() + 70).unwrap_or(birth + Days::new(70 * 365));
        let day = b.dice.day_between(at_70, (at_70 + Days::new(365)).min(b.end));
        let status = ImmunisationStatus::Given { batch: Some(batch(b)), dose_number: Some(1) };
        immunise(b, vacc::SHINGLES, None, PartialDate::Day(day), status, nurse.clone());
    }
    let covid_start = NaiveDate::from_ymd_opt(2021, 1, 10).expect("valid date");
    if covid_start >= from && b.age_on(covid_start) >= 18 && covid_start < b.end && b.dice.chance(0.85) {
        let first =
            b.dice.day_between(covid_start, NaiveDate::from_ymd_opt(2021, 6, 30).expect("valid date")).min(b.end);
        let status = ImmunisationStatus::Given { batch: Some(batch(b)), dose_number: Some(1) };
        immunise(b, vacc::COVID_FIRST, Some(coded(vacc::COMIRNATY)), PartialDate::Day(first), status, nurse.clone());
        let second = first + Days::new(b.dice.int(56, 84) as u64);
        if second < b.end {
            let status = ImmunisationStatus::Given { batch: Some(batch(b)), dose_number: Some(2) };
            immunise(b, vacc::COVID_SECOND, Some(coded(vacc::COMIRNATY)), PartialDate::Day(second), status, nurse);
        }
    }
}

fn batch(b: &mut Builder) -> String {
    format!(
        "{}{}{:05}",
        b.dice.letter("ABCDEFGHJKLMNPRSTUVWXYZ"),
        b.dice.letter("ABCDEFGHJKLMNPRSTUVWXYZ"),
        b.dice.int(0, 99_999)
    )
}

fn immunise(
    b: &mut Builder,
    vaccination: Code,
    product: Option<openmig_domain::record::Coded>,
    date: PartialDate,
    status: ImmunisationStatus,
    by: openmig_domain::ClinicianId,
) -> openmig_domain::EntryId {
    let recorded =
        date.day().unwrap_or_else(|| date.latest().max(b.record.patient.registration.registered_on)).min(b.end);
    let meta = b.meta(recorded, by);
    let id = meta.id;
    b.record.immunisations.push(Immunisation { meta, vaccination: coded(vaccination), product, date, status });
    id
}

/// Warnings a clinician must see, and referrals the conditions bring.
pub fn alerts_and_referrals(b: &mut Builder) {
    let age = b.age();
    let from = b.active_history_start();
    let mut alerts: Vec<(Code, &str)> = Vec::new();
    let frail = age >= 85 || b.has(Condition::Dementia);
    if frail && b.dice.chance(0.3) {
        alerts.push((alert::DNACPR, "DNACPR decision in place - form held at home and scanned into record."));
    }
    if age >= 80 && b.dice.chance(0.2) {
        alerts.push((alert::FALLS_RISK, "At risk of falls - two falls in the last year."));
    }
    if age >= 85 && b.dice.chance(0.02) {
        alerts.push((alert::PALLIATIVE_REGISTER, "On the palliative care register - see anticipatory care plan."));
    }
    if (18..85).contains(&age) && b.dice.chance(0.05) {
        alerts.push((alert::CARER, "Is the main carer for a family member."));
    }
    if age >= 18 && b.dice.chance(0.003) {
        alerts.push((alert::SAFEGUARDING, "Adult safeguarding concern raised - discuss with safeguarding lead before sharing information with family."));
    }
    for (code, text) in alerts {
        let day = b.day_from(from);
        let gp = b.gp();
        let meta = b.meta(day, gp);
        let id = meta.id;
        b.record.alerts.push(Alert {
            meta,
            code: coded(code),
            date: PartialDate::Day(day),
            text: text.into(),
            active: true,
        });
        b.happenings.push((day, id, "Care planning discussion.".into()));
    }
    // Each referral with the condition it is for.
    let mut referrals: Vec<(Code, &str, &str, &[Condition])> = Vec::new();
    if b.has(Condition::Type2Diabetes) && b.dice.chance(0.3) {
        referrals.push((
            referral::DIABETIC_EYE,
            "Diabetic eye screening programme",
            "Annual diabetic eye screening",
            &[Condition::Type2Diabetes],
        ));
    }
    if b.has(Condition::Type2Diabetes) && b.dice.chance(0.1) {
        referrals.push((
            referral::DIABETES_CLINIC,
            "Hospital diabetes clinic",
            "Poor glycaemic control despite treatment",
            &[Condition::Type2Diabetes],
        ));
    }
    if b.has(Condition::Dementia) && b.dice.chance(0.6) {
        referrals.push((
            referral::MEMORY_CLINIC,
            "Memory assessment service",
            "Progressive memory loss",
            &[Condition::Dementia],
        ));
    }
    if b.has(Condition::Osteoarthritis) && b.dice.chance(0.1) {
        referrals.push((
            referral::RHEUMATOLOGY_OA,
            "Rheumatology outpatients",
            "Knee pain limiting mobility despite analgesia",
            &[Condition::Osteoarthritis],
        ));
    }
    if age >= 80 && b.dice.chance(0.05) {
        referrals.push((referral::FALLS, "Community falls service", "Recurrent falls", &[]));
    }
    if age >= 85 && b.dice.chance(0.01) {
        referrals.push((
            referral::PALLIATIVE,
            "Community palliative care team",
            "Advanced frailty, wishes to be cared for at home",
            &[],
        ));
    }
    for (code, recipient, reason, conditions) in referrals {
        let day = b.day_from(from);
        let gp = b.gp();
        let meta = b.meta(day, gp);
        let id = meta.id;
        let priority = *b.dice.weighted(&[(85, ReferralPriority::Routine), (15, ReferralPriority::Urgent)]);
        b.record.referrals.push(Referral {
            meta,
            code: coded(code),
            date: day,
            recipient: recipient.into(),
            priority,
            reason: reason.into(),
        });
        b.happenings.push((day, id, format!("{reason}. Referred.")));
        b.link_to_problem(conditions, id);
    }
}

/// Consent and dissent: a small share dissent from sharing (some after first consenting);
/// some carry the retired national opt-out, which does not block direct care.
pub fn sharing_preferences(b: &mut Builder) {
    let registered = b.record.patient.registration.registered_on;
    let mut entries: Vec<Code> = Vec::new();
    if b.dice.chance(0.08) {
        entries.push(consent::CONSENT);
    }
    if b.dice.chance(0.012) {
        entries.push(consent::DISSENT);
    }
    if b.dice.chance(0.02) {
        entries.push(consent::TYPE2_OPT_OUT);
    }
    let mut day = b.dice.day_between(registered, b.end);
    for code in entries {
        let by = b.staff(ClinicianRole::HealthcareAssistant);
        let meta = b.meta(day, by);
        b.record.sharing_preferences.push(SharingPreference { meta, code: coded(code), date: day });
        day = b.dice.day_between(day, b.end);
    }
}

/// Entries from the sensitive exclusion sets, at age-appropriate rates.
pub fn sensitive_entries(b: &mut Builder) {
    let age = b.age();
    let female = b.is_female();
    let mut items: Vec<Code> = Vec::new();
    if (16..=45).contains(&age) && b.dice.chance(0.03) {
        items.push(*b.dice.weighted(&[
            (55, sensitive::CHLAMYDIA),
            (15, sensitive::GENITAL_WARTS),
            (15, sensitive::GENITAL_HERPES),
            (15, sensitive::GONORRHOEA),
        ]));
    }
    if age >= 18 && b.dice.chance(0.0015) {
        items.push(sensitive::HIV);
    }
    if female && (25..=48).contains(&age) && b.dice.chance(0.012) {
        items.push(sensitive::IVF);
    }
    if female && (16..=50).contains(&age) && b.dice.chance(0.02) {
        items.push(sensitive::TOP);
    }
    if age >= 12 && b.dice.chance(0.0005) {
        items.push(sensitive::GENDER_DYSPHORIA);
    }
    let from = b.record.patient.registration.registered_on.max(b.record.patient.birth_date + Days::new(16 * 365));
    for code in items {
        let day = b.day_from(from.min(b.end));
        let gp = b.gp();
        let meta = b.meta(day, gp);
        let id = meta.id;
        let ongoing = code == sensitive::HIV || code == sensitive::GENDER_DYSPHORIA;
        b.record.problems.push(Problem {
            meta,
            code: coded(code),
            status: if ongoing { ProblemStatus::Active } else { ProblemStatus::Inactive },
            significance: openmig_domain::record::Significance::Major,
            onset: Some(PartialDate::Day(day)),
            ended: (!ongoing).then(|| PartialDate::Day((day + Days::new(30)).min(b.end))),
            notes: None,
            related: Vec::new(),
            linked_problems: Vec::new(),
        });
        // Consultations about sensitive matters are linked like any other, so the
        // gateway's filtering has real links to follow and hide.
        b.happenings.push((day, id, "Consultation.".into()));
    }
}

/// About one patient in seventy has an entry the practice marked confidential.
pub fn confidential_entries(b: &mut Builder) {
    if !b.dice.chance(0.015) {
        return;
    }
    // Any kind of entry may be marked: each area's answer must be able to withhold one.
    let r = &mut b.record;
    let mut metas: Vec<&mut openmig_domain::record::EntryMeta> = r
        .encounters
        .iter_mut()
        .map(|e| &mut e.meta)
        .chain(r.problems.iter_mut().map(|e| &mut e.meta))
        .chain(r.medications.iter_mut().map(|e| &mut e.meta))
        .chain(r.allergies.iter_mut().map(|e| &mut e.meta))
        .chain(r.observations.iter_mut().map(|e| &mut e.meta))
        .chain(r.immunisations.iter_mut().map(|e| &mut e.meta))
        .chain(r.referrals.iter_mut().map(|e| &mut e.meta))
        .collect();
    if metas.is_empty() {
        return;
    }
    let pick = b.dice.int(0, metas.len() as i64 - 1) as usize;
    metas[pick].confidential = true;
}
