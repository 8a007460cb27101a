//! Builders for the hand-built medication records the medicines tests use.
//!
//! Dates are written either as ISO days or as "days before [`TODAY`]", the way the brief's
//! stories state them. Every product code is a real dm+d id from `shared/design/codes.md`.

use chrono::{Days, NaiveDate};

use crate::dates::PartialDate;
use crate::fixtures;
use crate::identifiers::{EntryId, SnomedCode};
use crate::practice::ClinicianId;
use crate::record::{
    Coded, EntryMeta, GpRecord, Issue, Medication, MedicationStatus, Observation, ObservationCategory,
    ObservationValue, PrescribingSetting, PrescriptionSource, PrescriptionType, Problem, ProblemStatus, Product,
    Quantity, Significance,
};

/// The "today" of the scenario tests (the fixtures' as-of day).
pub const TODAY: NaiveDate = fixtures::AS_OF;

/// An ISO day.
pub fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test dates are valid")
}

/// `n` days before [`TODAY`].
pub fn ago(n: u64) -> NaiveDate {
    TODAY - Days::new(n)
}

/// An issue on an ISO day with a days' supply (quantity = days).
pub fn issue(on: &str, days_supply: u16) -> Issue {
    Issue { date: day(on), quantity: f64::from(days_supply), days_supply, issued_by: gp() }
}

/// The GP who signs everything.
pub fn gp() -> ClinicianId {
    ClinicianId(fixtures::GP_ID.into())
}

/// Days before [`TODAY`] from `first` down to `last` (inclusive) every `cycle` days, as the
/// generator's story builder writes issue schedules.
pub fn every(cycle: u64, first: u64, last: u64) -> Vec<u64> {
    (0..).map_while(|k| first.checked_sub(k * cycle)).take_while(|d| *d >= last).collect()
}

/// A medication under construction.
pub struct Med(pub Medication);

/// A practice repeat of `code`/`name` with entry id `id`, started `started_ago` days
/// before [`TODAY`], dose `dose`, no issues yet.
pub fn repeat(id: u32, code: u64, name: &str, dose: &str, started_ago: u64) -> Med {
    let start = ago(started_ago);
    Med(Medication {
        meta: EntryMeta { id: EntryId(id), recorded_on: start, recorded_by: gp(), confidential: false },
        product: Product { code: SnomedCode::known(code), name: name.into() },
        dose: dose.into(),
        patient_instructions: None,
        quantity: Quantity::measured(28.0, "tablet"),
        prescription_type: PrescriptionType::Repeat,
        started: PartialDate::Day(start),
        status: MedicationStatus::Active,
        authorised_issues: Some(12),
        authorised_from: Some(start),
        review_due: None,
        source: PrescriptionSource::Practice { authoriser: gp() },
        issues: Vec::new(),
    })
}

impl Med {
    /// Issues on the given days before [`TODAY`], each `quantity` units lasting `days_supply`.
    pub fn issued(mut self, days_ago: &[u64], quantity: f64, days_supply: u16) -> Med {
        self.0.quantity.value = quantity;
        self.0.issues.extend(days_ago.iter().map(|d| Issue { date: ago(*d), quantity, days_supply, issued_by: gp() }));
        self.0.issues.sort_by_key(|i| i.date);
        self
    }

    /// An acute course instead of a repeat (completed `days_supply` after its start).
    pub fn acute(mut self) -> Med {
        self.0.prescription_type = PrescriptionType::Acute;
        self.0.authorised_issues = None;
        self.0.authorised_from = None;
        self
    }

    /// Completed on a day before [`TODAY`].
    pub fn completed(mut self, days_ago: u64) -> Med {
        self.0.status = MedicationStatus::Completed { on: PartialDate::Day(ago(days_ago)) };
        self
    }

    /// Discontinued on a day before [`TODAY`] with a reason.
    pub fn discontinued(mut self, days_ago: u64, reason: &str) -> Med {
        self.0.status = MedicationStatus::Discontinued { on: ago(days_ago), reason: reason.into() };
        self
    }

    /// Prescribed by a hospital clinic: no issues, no authorisation counts.
    pub fn elsewhere(mut self, organisation: &str) -> Med {
        self.0.source = PrescriptionSource::Elsewhere {
            organisation: organisation.into(),
            ods_code: None,
            setting: PrescribingSetting::SpecialistClinic,
        };
        self.0.authorised_issues = None;
        self.0.authorised_from = None;
        self.0.issues.clear();
        self
    }

    /// With patient instructions.
    pub fn instructions(mut self, text: &str) -> Med {
        self.0.patient_instructions = Some(text.into());
        self
    }

    /// The medication.
    pub fn build(self) -> Medication {
        self.0
    }
}

/// The fixtures' patient with exactly these medications and nothing clinical besides.
pub fn record(medications: Vec<Medication>) -> GpRecord {
    GpRecord { medications, problems: Vec::new(), observations: Vec::new(), ..fixtures::example_record() }
}

/// An active problem with a SNOMED code, recorded `days_ago`.
pub fn active_problem(id: u32, code: u64, display: &str, days_ago: u64) -> Problem {
    Problem {
        meta: EntryMeta { id: EntryId(id), recorded_on: ago(days_ago), recorded_by: gp(), confidential: false },
        code: Coded::new(SnomedCode::known(code), display),
        status: ProblemStatus::Active,
        significance: Significance::Major,
        onset: Some(PartialDate::Day(ago(days_ago))),
        ended: None,
        notes: None,
        related: Vec::new(),
        linked_problems: Vec::new(),
    }
}

/// An eGFR (CKD-EPI, 1011481000000105) result `days_ago`.
pub fn egfr(id: u32, value: f64, days_ago: u64) -> Observation {
    Observation {
        meta: EntryMeta { id: EntryId(id), recorded_on: ago(days_ago), recorded_by: gp(), confidential: false },
        code: Coded::new(SnomedCode::known(1011481000000105), "eGFR using creatinine (CKD-EPI) per 1.73 square metres"),
        effective: PartialDate::Day(ago(days_ago)),
        category: ObservationCategory::Laboratory,
        value: ObservationValue::Quantity { value, unit: "mL/min/{1.73_m2}".into() },
        reference_range: None,
        comment: None,
    }
}

/// dm+d products used by the scenarios (codes.md section 2).
pub mod products {
    /// Apixaban 5mg tablets.
    pub const APIXABAN_5: (u64, &str) = (703908001, "Apixaban 5mg tablets");
    /// Warfarin 3mg tablets.
    pub const WARFARIN_3: (u64, &str) = (319734006, "Warfarin 3mg tablets");
    /// Gliclazide 80mg tablets.
    pub const GLICLAZIDE_80: (u64, &str) = (325242002, "Gliclazide 80mg tablets");
    /// Insulin glargine pens.
    pub const GLARGINE: (u64, &str) =
        (400877001, "Insulin glargine 100units/ml solution for injection 3ml pre-filled disposable devices");
    /// Ramipril 5mg capsules.
    pub const RAMIPRIL_5: (u64, &str) = (318902004, "Ramipril 5mg capsules");
    /// Furosemide 40mg tablets.
    pub const FUROSEMIDE_40: (u64, &str) = (317972000, "Furosemide 40mg tablets");
    /// Epilim Chrono 500 tablets (AMP).
    pub const EPILIM_CHRONO_500: (u64, &str) = (739111000001100, "Epilim Chrono 500 tablets");
    /// Sodium valproate 500mg gastro-resistant tablets.
    pub const VALPROATE_500: (u64, &str) = (322957006, "Sodium valproate 500mg gastro-resistant tablets");
    /// Sertraline 50mg tablets.
    pub const SERTRALINE_50: (u64, &str) = (321959007, "Sertraline 50mg tablets");
    /// Sertraline 100mg tablets.
    pub const SERTRALINE_100: (u64, &str) = (321960002, "Sertraline 100mg tablets");
    /// Atorvastatin 40mg tablets.
    pub const ATORVASTATIN_40: (u64, &str) = (320031002, "Atorvastatin 40mg tablets");
    /// Atorvastatin 80mg tablets.
    pub const ATORVASTATIN_80: (u64, &str) = (134489001, "Atorvastatin 80mg tablets");
    /// Naproxen 500mg tablets.
    pub const NAPROXEN_500: (u64, &str) = (329807003, "Naproxen 500mg tablets");
    /// Ibuprofen 400mg tablets.
    pub const IBUPROFEN_400: (u64, &str) = (329653008, "Ibuprofen 400mg tablets");
    /// Co-codamol 30mg/500mg tablets.
    pub const CO_CODAMOL: (u64, &str) = (42009811000001101, "Co-codamol 30mg/500mg tablets");
    /// Morphine 10mg modified-release tablets.
    pub const MORPHINE_MR_10: (u64, &str) = (36126511000001106, "Morphine 10mg modified-release tablets");
    /// Methotrexate 2.5mg tablets.
    pub const METHOTREXATE: (u64, &str) = (326874007, "Methotrexate 2.5mg tablets");
    /// Prednisolone 5mg tablets.
    pub const PREDNISOLONE_5: (u64, &str) = (325427002, "Prednisolone 5mg tablets");
    /// Amlodipine 5mg tablets.
    pub const AMLODIPINE_5: (u64, &str) = (319283006, "Amlodipine 5mg tablets");
    /// Amoxicillin 500mg capsules.
    pub const AMOXICILLIN_500: (u64, &str) = (39732411000001106, "Amoxicillin 500mg capsules");
    /// Levothyroxine sodium 50microgram tablets.
    pub const LEVOTHYROXINE_50: (u64, &str) = (374295007, "Levothyroxine sodium 50microgram tablets");
}

/// A practice repeat of a product from [`products`].
pub fn repeat_of(id: u32, product: (u64, &str), dose: &str, started_ago: u64) -> Med {
    repeat(id, product.0, product.1, dose, started_ago)
}
