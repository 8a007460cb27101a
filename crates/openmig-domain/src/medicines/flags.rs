//! High-risk medicine flags: which current medicines can do harm tonight if omitted,
//! doubled or combined wrongly, each with a one-line reason a clinician understands.
//!
//! Rule: a flag is raised for each *current* medicine (see the module rule in
//! [`super`]) whose therapeutic group is high-risk. The group comes from the dm+d code
//! via [`crate::codesets::drug_class`] (the cited OpenSAFELY / PINCER / Greater Manchester
//! code lists in `shared/design/codes.md`): anticoagulants (warfarin, DOACs), insulins,
//! sulfonylureas, anti-epileptics, opioids, oral NSAIDs, antidepressants, methotrexate,
//! oral corticosteroids. These are the groups of the NPSA patient safety alerts on oral
//! anticoagulants, insulin, opioid dosing, oral methotrexate, lithium and omitted or
//! delayed critical medicines (anti-epileptics, insulin), plus the brief's list.
//!
//! Extra flags:
//! * NSAID with a current anticoagulant (the PINCER prescribing-safety indicator
//!   "anticoagulant with an oral NSAID", whose code lists codes.md cites);
//! * NSAID in chronic kidney disease: an active CKD problem (433144002, 700378005,
//!   700379002, 431857002, 433146000, 709044004, 731000119105) or a latest eGFR below 60
//!   (KDIGO CKD guideline: avoid prolonged NSAID use when GFR < 60; CKD stages 3 to 5
//!   are eGFR < 60);
//! * methotrexate whose dose text does not say "week" (NPSA alert: weekly dosing errors).
//!
//! **Lithium and antipsychotics have no verified dm+d codes in `codes.md`**, so they are
//! recognised by a documented *name-based fallback* on the dm+d product name (used only
//! when the code is not in the code set): a name starting with "Lithium" or with a lithium
//! brand in [`LITHIUM_NAMES`], or whose substance starts with a name in
//! [`ANTIPSYCHOTIC_NAMES`]. Such flags carry [`FlagBasis::ProductName`] so a screen can say
//! so. A brand missing from those lists is missed: replace the fallback with verified
//! codes when they are added to `codes.md`.
//!
//! Flags are stable under any reordering of the record's entries: they are computed per
//! medicine, the CKD evidence is chosen by (date, entry id) and the list is sorted.

use chrono::NaiveDate;
use serde::Serialize;

use super::substance::{Substance, starts_with_words};
use super::{class_of, current_medicines};
use crate::codesets::DrugClass;
use crate::dates::PartialDate;
use crate::identifiers::{EntryId, SnomedCode};
use crate::record::{GpRecord, Medication, ProblemStatus};

/// Chronic kidney disease problems that make an NSAID high-risk (codes.md section 1,
/// row 11 and row 33), sorted.
pub const CKD_PROBLEM_CODES: &[u64] = &[431857002, 433144002, 433146000, 700378005, 700379002, 709044004, 731000119105];

/// eGFR observation codes (codes.md section B: CKD-EPI, laboratory, MDRD, generic), sorted.
pub const EGFR_CODES: &[u64] = &[80274001, 857971000000104, 1011481000000105, 1020291000000106, 1107411000000104];

/// The eGFR below which an NSAID is flagged (mL/min/1.73 m², CKD stage 3 and worse).
pub const EGFR_NSAID_THRESHOLD: f64 = 60.0;

/// Lower-case name starts that identify lithium products (name-based fallback).
pub const LITHIUM_NAMES: &[&str] = &["camcolit", "li-liquid", "liskonum", "lithium", "priadel"];

/// Lower-case substance names (and a few brands) that identify antipsychotics
/// (name-based fallback; BNF 4.2.1 and 4.2.2 drugs in common UK use).
pub const ANTIPSYCHOTIC_NAMES: &[&str] = &[
    "abilify",
    "amisulpride",
    "aripiprazole",
    "chlorpromazine",
    "clozapine",
    "clozaril",
    "denzapine",
    "flupentixol",
    "haloperidol",
    "lurasidone",
    "olanzapine",
    "paliperidone",
    "quetiapine",
    "risperdal",
    "risperidone",
    "seroquel",
    "sulpiride",
    "trifluoperazine",
    "zaponex",
    "zuclopenthixol",
    "zyprexa",
];

/// What a flag is about, as a machine code. Ordered by how urgently a clinician at night
/// needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum FlagCode {
    /// Warfarin or a DOAC.
    Anticoagulant,
    /// An insulin.
    Insulin,
    /// A sulfonylurea.
    Sulfonylurea,
    /// An anti-epileptic.
    Antiepileptic,
    /// An opioid.
    Opioid,
    /// Lithium (name-based).
    Lithium,
    /// Methotrexate.
    Methotrexate,
    /// Methotrexate whose dose text does not say weekly.
    MethotrexateNotStatedWeekly,
    /// An oral NSAID.
    Nsaid,
    /// An oral NSAID together with a current anticoagulant.
    NsaidWithAnticoagulant,
    /// An oral NSAID with chronic kidney disease.
    NsaidInKidneyDisease,
    /// An oral corticosteroid.
    OralCorticosteroid,
    /// An antipsychotic (name-based).
    Antipsychotic,
    /// An antidepressant.
    Antidepressant,
}

impl FlagCode {
    /// A short label for badges.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            FlagCode::Anticoagulant => "Anticoagulant",
            FlagCode::Insulin => "Insulin",
            FlagCode::Sulfonylurea => "Sulfonylurea",
            FlagCode::Antiepileptic => "Anti-epileptic",
            FlagCode::Opioid => "Opioid",
            FlagCode::Lithium => "Lithium",
            FlagCode::Methotrexate => "Methotrexate",
            FlagCode::MethotrexateNotStatedWeekly => "Methotrexate: weekly?",
            FlagCode::Nsaid => "NSAID",
            FlagCode::NsaidWithAnticoagulant => "NSAID + anticoagulant",
            FlagCode::NsaidInKidneyDisease => "NSAID in CKD",
            FlagCode::OralCorticosteroid => "Oral steroid",
            FlagCode::Antipsychotic => "Antipsychotic",
            FlagCode::Antidepressant => "Antidepressant",
        }
    }
}

/// How the medicine was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum FlagBasis {
    /// Its dm+d code is in a cited code set.
    CodeSet,
    /// Its dm+d name matched the documented name-based fallback.
    ProductName,
}

/// One high-risk flag on one current medicine.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HighRiskFlag {
    /// What the flag is about.
    pub code: FlagCode,
    /// The medication entry flagged.
    pub entry: EntryId,
    /// Its dm+d name.
    pub medicine: String,
    /// One line a clinician understands.
    pub reason: String,
    /// Code set or name-based fallback.
    pub basis: FlagBasis,
}

/// Why the record counts as chronic kidney disease for the NSAID flag.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind")]
pub enum KidneyEvidence {
    /// An active CKD problem.
    Problem {
        /// Its code.
        code: SnomedCode,
        /// Its term.
        display: String,
    },
    /// The latest eGFR is below [`EGFR_NSAID_THRESHOLD`].
    Egfr {
        /// The value, mL/min/1.73 m².
        value: f64,
        /// When it was measured.
        on: PartialDate,
    },
}

impl KidneyEvidence {
    fn describe(&self) -> String {
        match self {
            KidneyEvidence::Problem { display, .. } => display.clone(),
            KidneyEvidence::Egfr { value, on } => format!("latest eGFR {value} on {on}"),
        }
    }
}

/// What the record says beyond a medicine that changes its flags.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RiskContext {
    /// A current anticoagulant, if any.
    pub anticoagulant: Option<String>,
    /// Evidence of chronic kidney disease, if any.
    pub kidney: Option<KidneyEvidence>,
}

impl RiskContext {
    /// The context on `today`: current anticoagulants and CKD evidence.
    #[must_use]
    pub fn of(record: &GpRecord, today: NaiveDate) -> RiskContext {
        let anticoagulant = current_medicines(record, today)
            .into_iter()
            .find(|m| class_of(m) == Some(DrugClass::Anticoagulant))
            .map(|m| m.product.name.clone());
        RiskContext { anticoagulant, kidney: kidney_evidence(record) }
    }
}

/// Every flag on the record's current medicines, sorted by (flag, medicine name, entry).
#[must_use]
pub fn high_risk_flags(record: &GpRecord, today: NaiveDate) -> Vec<HighRiskFlag> {
    let context = RiskContext::of(record, today);
    let mut flags: Vec<HighRiskFlag> =
        current_medicines(record, today).into_iter().flat_map(|m| flags_for(m, &context)).collect();
    sort_flags(&mut flags);
    flags
}

/// The flags of one medicine in a context, sorted.
#[must_use]
pub fn flags_for(medication: &Medication, context: &RiskContext) -> Vec<HighRiskFlag> {
    let Some((group, basis)) = risk_group(medication) else {
        return Vec::new();
    };
    let flag = |code: FlagCode, reason: String| HighRiskFlag {
        code,
        entry: medication.meta.id,
        medicine: medication.product.name.clone(),
        reason,
        basis,
    };
    let mut flags = vec![flag(group, base_reason(group).to_string())];
    if group == FlagCode::Nsaid {
        if let Some(anticoagulant) = &context.anticoagulant {
            flags.push(flag(
                FlagCode::NsaidWithAnticoagulant,
                format!("NSAID with an anticoagulant ({anticoagulant}): high bleeding risk; avoid the combination"),
            ));
        }
        if let Some(kidney) = &context.kidney {
            flags.push(flag(
                FlagCode::NsaidInKidneyDisease,
                format!("NSAID in chronic kidney disease ({}): risk of acute kidney injury", kidney.describe()),
            ));
        }
    }
    if group == FlagCode::Methotrexate && !says_weekly(medication) {
        flags.push(flag(
            FlagCode::MethotrexateNotStatedWeekly,
            "Methotrexate dose does not say weekly: confirm it is taken once a week".to_string(),
        ));
    }
    sort_flags(&mut flags);
    flags
}

/// The evidence of chronic kidney disease: an active CKD problem (lowest code, then
/// entry id, so the answer does not depend on entry order), else the latest eGFR (by
/// date, then entry id) when it is below the threshold.
#[must_use]
pub fn kidney_evidence(record: &GpRecord) -> Option<KidneyEvidence> {
    let problem = record
        .problems
        .iter()
        .filter(|p| p.status == ProblemStatus::Active && CKD_PROBLEM_CODES.contains(&p.code.code.value()))
        .min_by_key(|p| (p.code.code, p.meta.id));
    if let Some(p) = problem {
        return Some(KidneyEvidence::Problem { code: p.code.code, display: p.code.display.clone() });
    }
    let latest = record
        .observations
        .iter()
        .filter(|o| EGFR_CODES.contains(&o.code.code.value()))
        .filter_map(|o| o.numeric_value().map(|v| (o, v)))
        .max_by_key(|(o, _)| (o.effective, o.meta.id))?;
    let (observation, value) = latest;
    (value < EGFR_NSAID_THRESHOLD).then_some(KidneyEvidence::Egfr { value, on: observation.effective })
}

/// The high-risk group of a medicine and how it was recognised.
#[must_use]
pub fn risk_group(medication: &Medication) -> Option<(FlagCode, FlagBasis)> {
    if let Some(class) = class_of(medication) {
        let code = match class {
            DrugClass::Anticoagulant => FlagCode::Anticoagulant,
            DrugClass::Insulin => FlagCode::Insulin,
            DrugClass::Sulfonylurea => FlagCode::Sulfonylurea,
            DrugClass::Antiepileptic => FlagCode::Antiepileptic,
            DrugClass::Opioid => FlagCode::Opioid,
            DrugClass::Nsaid => FlagCode::Nsaid,
            DrugClass::Antidepressant => FlagCode::Antidepressant,
            DrugClass::Methotrexate => FlagCode::Methotrexate,
            DrugClass::OralCorticosteroid => FlagCode::OralCorticosteroid,
            _ => return None,
        };
        return Some((code, FlagBasis::CodeSet));
    }
    let name = medication.product.name.to_lowercase();
    if LITHIUM_NAMES.iter().any(|n| name.starts_with(n)) {
        return Some((FlagCode::Lithium, FlagBasis::ProductName));
    }
    let substance = Substance::of_product(&medication.product);
    let is_antipsychotic = ANTIPSYCHOTIC_NAMES.iter().any(|n| starts_with_words(substance.as_str(), n));
    is_antipsychotic.then_some((FlagCode::Antipsychotic, FlagBasis::ProductName))
}

fn base_reason(code: FlagCode) -> &'static str {
    match code {
        FlagCode::Anticoagulant => "Anticoagulant: bleeding risk; check before procedures, NSAIDs or thrombolysis",
        FlagCode::Insulin => "Insulin: hypoglycaemia risk; never omit in type 1 diabetes; check dose and device",
        FlagCode::Sulfonylurea => "Sulfonylurea: hypoglycaemia risk, especially when not eating or in renal impairment",
        FlagCode::Antiepileptic => "Anti-epileptic: do not omit or delay doses (seizure risk); keep the same product",
        FlagCode::Opioid => "Opioid: sedation and respiratory depression risk; check total dose; do not stop abruptly",
        FlagCode::Lithium => "Lithium: narrow therapeutic range; toxicity with dehydration, NSAIDs, ACE inhibitors",
        FlagCode::Methotrexate => "Methotrexate: once WEEKLY dosing; daily dosing has caused fatal overdoses",
        FlagCode::MethotrexateNotStatedWeekly => "Methotrexate dose does not say weekly",
        FlagCode::Nsaid => "NSAID: GI bleeding, kidney and cardiovascular risk",
        FlagCode::NsaidWithAnticoagulant => "NSAID with an anticoagulant: high bleeding risk",
        FlagCode::NsaidInKidneyDisease => "NSAID in chronic kidney disease: risk of acute kidney injury",
        FlagCode::OralCorticosteroid => {
            "Oral steroid: do not stop abruptly (adrenal crisis); may need extra cover when ill"
        }
        FlagCode::Antipsychotic => {
            "Antipsychotic: do not stop abruptly; sedation, falls and QT risk; clozapine needs FBC"
        }
        FlagCode::Antidepressant => {
            "Antidepressant: review mood and suicide risk; serotonin syndrome; taper, do not stop"
        }
    }
}

fn says_weekly(medication: &Medication) -> bool {
    let mut text = medication.dose.to_lowercase();
    if let Some(extra) = &medication.patient_instructions {
        text.push(' ');
        text.push_str(&extra.to_lowercase());
    }
    text.contains("week")
}

/// Sorts flags by (flag, medicine name, entry id): the order every list of flags uses.
pub(super) fn sort_flags(flags: &mut [HighRiskFlag]) {
    flags.sort_by(|a, b| a.code.cmp(&b.code).then_with(|| a.medicine.cmp(&b.medicine)).then(a.entry.cmp(&b.entry)));
}
