//! The medicines the generator prescribes: dm+d products with real dose instructions
//! and how much one issue holds.
//!
//! Every product code is in `shared/design/codes.md` section 2 (OpenSAFELY / PINCER /
//! Greater Manchester SDE code lists, UK Core examples and the GP Connect demonstrator,
//! each with its source file), and passes the Verhoeff check in this crate's tests.
//! Dose wording follows the forms seen in those sources ("One tablet twice a day").

// The regimen constants are named for their product, strength and (where several exist)
// dose; a doc line each would only repeat the name.
#![allow(missing_docs)]

/// How much one issue holds.
#[derive(Debug, Clone, Copy)]
pub enum Supply {
    /// `per_day` units a day; the issue holds a whole cycle (28 or 56 days).
    Daily {
        /// Units (tablets, capsules, patches…) per day.
        per_day: f64,
    },
    /// A fixed pack (an inhaler, a box of pens) lasting `days` at the prescribed dose.
    Pack {
        /// Units per issue.
        quantity: f64,
        /// Days it lasts.
        days: u16,
    },
}

/// A product with a dose instruction.
#[derive(Debug, Clone, Copy)]
pub struct Regimen {
    /// dm+d concept id.
    pub code: u64,
    /// dm+d name.
    pub name: &'static str,
    /// Unit of issue.
    pub unit: &'static str,
    /// Dose instruction as written on the prescription.
    pub dose: &'static str,
    /// Supply per issue.
    pub supply: Supply,
    /// Taken "when required": issued irregularly, on demand.
    pub as_required: bool,
    /// Additional instruction.
    pub instructions: Option<&'static str>,
}

const fn daily(code: u64, name: &'static str, unit: &'static str, dose: &'static str, per_day: f64) -> Regimen {
    Regimen { code, name, unit, dose, supply: Supply::Daily { per_day }, as_required: false, instructions: None }
}

const fn prn(code: u64, name: &'static str, unit: &'static str, dose: &'static str, per_day: f64) -> Regimen {
    Regimen { code, name, unit, dose, supply: Supply::Daily { per_day }, as_required: true, instructions: None }
}

const fn pack(
    code: u64,
    name: &'static str,
    unit: &'static str,
    dose: &'static str,
    quantity: f64,
    days: u16,
) -> Regimen {
    Regimen { code, name, unit, dose, supply: Supply::Pack { quantity, days }, as_required: false, instructions: None }
}

const fn with_note(mut r: Regimen, note: &'static str) -> Regimen {
    r.instructions = Some(note);
    r
}

// Anticoagulants.
pub const APIXABAN_5: Regimen = daily(703908001, "Apixaban 5mg tablets", "tablet", "One tablet twice a day", 2.0);
pub const APIXABAN_2_5: Regimen = daily(703907006, "Apixaban 2.5mg tablets", "tablet", "One tablet twice a day", 2.0);
pub const RIVAROXABAN_20: Regimen = with_note(
    daily(19842211000001107, "Rivaroxaban 20mg tablets", "tablet", "One tablet once a day", 1.0),
    "Take with food",
);
pub const EDOXABAN_60: Regimen =
    daily(29903411000001101, "Edoxaban 60mg tablets", "tablet", "One tablet once a day", 1.0);
pub const DABIGATRAN_150: Regimen =
    daily(19469811000001101, "Dabigatran etexilate 150mg capsules", "capsule", "One capsule twice a day", 2.0);
pub const WARFARIN_3: Regimen = with_note(
    daily(319734006, "Warfarin 3mg tablets", "tablet", "Take as directed by the anticoagulation clinic", 1.0),
    "Dose according to INR; see yellow book",
);
// Diabetes.
pub const METFORMIN_500_BD: Regimen = with_note(
    daily(42084911000001109, "Metformin 500mg tablets", "tablet", "One tablet twice a day", 2.0),
    "Take with meals",
);
pub const METFORMIN_500_2BD: Regimen = with_note(
    daily(42084911000001109, "Metformin 500mg tablets", "tablet", "Two tablets twice a day", 4.0),
    "Take with meals",
);
pub const METFORMIN_MR_500: Regimen = daily(
    39113511000001101,
    "Metformin 500mg modified-release tablets",
    "tablet",
    "Two tablets once a day with the evening meal",
    2.0,
);
pub const GLICLAZIDE_80: Regimen = with_note(
    daily(325242002, "Gliclazide 80mg tablets", "tablet", "One tablet twice a day", 2.0),
    "Take with breakfast and evening meal",
);
pub const INSULIN_GLARGINE: Regimen = pack(
    400877001,
    "Insulin glargine 100units/ml solution for injection 3ml pre-filled disposable devices",
    "pre-filled disposable injection",
    "Inject 20 units once a day at bedtime",
    5.0,
    75,
);
// Epilepsy.
pub const EPILIM_CHRONO_500: Regimen =
    daily(739111000001100, "Epilim Chrono 500 tablets", "tablet", "One tablet twice a day", 2.0);
pub const VALPROATE_500_GR: Regimen =
    daily(322957006, "Sodium valproate 500mg gastro-resistant tablets", "tablet", "One tablet twice a day", 2.0);
pub const LEVETIRACETAM_500: Regimen =
    daily(323054005, "Levetiracetam 500mg tablets", "tablet", "One tablet twice a day", 2.0);
pub const LAMOTRIGINE_100: Regimen =
    daily(42130611000001108, "Lamotrigine 100mg tablets", "tablet", "One tablet twice a day", 2.0);
pub const CARBAMAZEPINE_200: Regimen =
    daily(40446011000001105, "Carbamazepine 200mg tablets", "tablet", "One tablet twice a day", 2.0);
// Antidepressants.
pub const SERTRALINE_50: Regimen = daily(321959007, "Sertraline 50mg tablets", "tablet", "One tablet once a day", 1.0);
pub const SERTRALINE_100: Regimen =
    daily(321960002, "Sertraline 100mg tablets", "tablet", "One tablet once a day", 1.0);
pub const CITALOPRAM_20: Regimen = daily(321987003, "Citalopram 20mg tablets", "tablet", "One tablet once a day", 1.0);
pub const FLUOXETINE_20: Regimen =
    daily(321949006, "Fluoxetine 20mg capsules", "capsule", "One capsule once a day", 1.0);
pub const MIRTAZAPINE_15: Regimen = daily(375193003, "Mirtazapine 15mg tablets", "tablet", "One tablet at night", 1.0);
pub const AMITRIPTYLINE_10: Regimen =
    daily(321745007, "Amitriptyline 10mg tablets", "tablet", "One to two tablets at night", 2.0);
// Cardiovascular.
pub const AMLODIPINE_5: Regimen = daily(319283006, "Amlodipine 5mg tablets", "tablet", "One tablet once a day", 1.0);
pub const AMLODIPINE_10: Regimen = daily(319284000, "Amlodipine 10mg tablets", "tablet", "One tablet once a day", 1.0);
pub const RAMIPRIL_2_5: Regimen = daily(318901006, "Ramipril 2.5mg capsules", "capsule", "One capsule once a day", 1.0);
pub const RAMIPRIL_5: Regimen = daily(318902004, "Ramipril 5mg capsules", "capsule", "One capsule once a day", 1.0);
pub const RAMIPRIL_10: Regimen = daily(318906001, "Ramipril 10mg capsules", "capsule", "One capsule once a day", 1.0);
pub const LISINOPRIL_10: Regimen = daily(318859000, "Lisinopril 10mg tablets", "tablet", "One tablet once a day", 1.0);
pub const LOSARTAN_50: Regimen = daily(318956006, "Losartan 50mg tablets", "tablet", "One tablet once a day", 1.0);
pub const BISOPROLOL_2_5: Regimen =
    daily(318605000, "Bisoprolol 2.5mg tablets", "tablet", "One tablet once a day", 1.0);
pub const BISOPROLOL_5: Regimen = daily(318590006, "Bisoprolol 5mg tablets", "tablet", "One tablet once a day", 1.0);
pub const PROPRANOLOL_40: Regimen =
    daily(318353009, "Propranolol 40mg tablets", "tablet", "One tablet twice a day", 2.0);
pub const FUROSEMIDE_40: Regimen =
    daily(317972000, "Furosemide 40mg tablets", "tablet", "One tablet in the morning", 1.0);
pub const FUROSEMIDE_20: Regimen =
    daily(317971007, "Furosemide 20mg tablets", "tablet", "One tablet in the morning", 1.0);
pub const ATORVASTATIN_20: Regimen =
    daily(320030001, "Atorvastatin 20mg tablets", "tablet", "One tablet at night", 1.0);
pub const ATORVASTATIN_40: Regimen =
    daily(320031002, "Atorvastatin 40mg tablets", "tablet", "One tablet at night", 1.0);
pub const ATORVASTATIN_80: Regimen =
    daily(134489001, "Atorvastatin 80mg tablets", "tablet", "One tablet at night", 1.0);
pub const SIMVASTATIN_40: Regimen =
    daily(42382311000001100, "Simvastatin 40mg tablets", "tablet", "One tablet at night", 1.0);
pub const ASPIRIN_75: Regimen = with_note(
    daily(319773006, "Aspirin 75mg dispersible tablets", "tablet", "One tablet once a day", 1.0),
    "Take with or after food",
);
pub const CLOPIDOGREL_75: Regimen =
    daily(319799004, "Clopidogrel 75mg tablets", "tablet", "One tablet once a day", 1.0);
// Respiratory.
pub const SALBUTAMOL_INHALER: Regimen = Regimen {
    code: 35936511000001108,
    name: "Salbutamol 100micrograms/dose inhaler",
    unit: "inhaler",
    dose: "Two puffs up to four times a day when required",
    supply: Supply::Pack { quantity: 1.0, days: 60 },
    as_required: true,
    instructions: None,
};
pub const BECLOMETASONE_100: Regimen =
    pack(320537007, "Beclometasone 100micrograms/dose inhaler", "inhaler", "Two puffs twice a day", 1.0, 50);
// Thyroid.
pub const LEVOTHYROXINE_50: Regimen = with_note(
    daily(374295007, "Levothyroxine sodium 50microgram tablets", "tablet", "One tablet once a day", 1.0),
    "Take in the morning before breakfast",
);
pub const LEVOTHYROXINE_75: Regimen = with_note(
    daily(376988009, "Levothyroxine sodium 75microgram tablets", "tablet", "One tablet once a day", 1.0),
    "Take in the morning before breakfast",
);
pub const LEVOTHYROXINE_100: Regimen = with_note(
    daily(374296008, "Levothyroxine sodium 100microgram tablets", "tablet", "One tablet once a day", 1.0),
    "Take in the morning before breakfast",
);
// Pain.
pub const CO_CODAMOL_30_500: Regimen = prn(
    42009811000001101,
    "Co-codamol 30mg/500mg tablets",
    "tablet",
    "One or two tablets up to four times a day when required",
    4.0,
);
pub const CODEINE_30: Regimen =
    prn(42010411000001105, "Codeine 30mg tablets", "tablet", "One tablet up to four times a day when required", 3.0);
pub const TRAMADOL_50: Regimen = prn(
    42017811000001106,
    "Tramadol 50mg capsules",
    "capsule",
    "One or two capsules up to four times a day when required",
    4.0,
);
pub const MORPHINE_MR_10: Regimen =
    daily(36126511000001106, "Morphine 10mg modified-release tablets", "tablet", "One tablet twice a day", 2.0);
pub const BUPRENORPHINE_PATCH_5: Regimen = pack(
    9567211000001104,
    "Buprenorphine 5micrograms/hour transdermal patches",
    "patch",
    "Apply one patch every seven days",
    4.0,
    28,
);
pub const NAPROXEN_500: Regimen = with_note(
    daily(329807003, "Naproxen 500mg tablets", "tablet", "One tablet twice a day", 2.0),
    "Take with or after food",
);
pub const IBUPROFEN_400: Regimen = with_note(
    daily(329653008, "Ibuprofen 400mg tablets", "tablet", "One tablet three times a day", 3.0),
    "Take with or after food",
);
pub const PREGABALIN_75: Regimen =
    daily(415167006, "Pregabalin 75mg capsules", "capsule", "One capsule twice a day", 2.0);
pub const GABAPENTIN_300: Regimen =
    daily(323014008, "Gabapentin 300mg capsules", "capsule", "One capsule three times a day", 3.0);
// Gastro-intestinal.
pub const OMEPRAZOLE_20: Regimen =
    daily(317291008, "Omeprazole 20mg gastro-resistant capsules", "capsule", "One capsule once a day", 1.0);
pub const LANSOPRAZOLE_30: Regimen =
    daily(317309001, "Lansoprazole 30mg gastro-resistant capsules", "capsule", "One capsule once a day", 1.0);
// Other.
pub const METHOTREXATE_2_5: Regimen = with_note(
    daily(
        326874007,
        "Methotrexate 2.5mg tablets",
        "tablet",
        "Four tablets once a week on the same day each week",
        4.0 / 7.0,
    ),
    "Weekly dose - take on Mondays only",
);
pub const PREDNISOLONE_5_COURSE: Regimen =
    daily(325427002, "Prednisolone 5mg tablets", "tablet", "Six tablets once a day in the morning for 5 days", 6.0);
pub const ZOPICLONE_7_5: Regimen =
    daily(321175006, "Zopiclone 7.5mg tablets", "tablet", "One tablet at night when required", 1.0);
pub const SUMATRIPTAN_50: Regimen = prn(
    322815004,
    "Sumatriptan 50mg tablets",
    "tablet",
    "One tablet at onset of migraine, may repeat after 2 hours",
    0.3,
);

/// An acute course: a regimen with its course length.
#[derive(Debug, Clone, Copy)]
pub struct AcuteCourse {
    /// What is given.
    pub regimen: Regimen,
    /// Quantity issued.
    pub quantity: f64,
    /// Days it lasts.
    pub days: u16,
    /// Contains a penicillin: never given to a penicillin-allergic patient.
    pub penicillin: bool,
    /// Why it is typically given, for the consultation note.
    pub indication: &'static str,
}

const fn course(r: Regimen, quantity: f64, days: u16, penicillin: bool, indication: &'static str) -> AcuteCourse {
    AcuteCourse { regimen: r, quantity, days, penicillin, indication }
}

/// Acute courses GPs commonly give, with their usual indication.
pub const ACUTE_COURSES: &[(u32, AcuteCourse)] = &[
    (
        30,
        course(
            daily(39732411000001106, "Amoxicillin 500mg capsules", "capsule", "One capsule three times a day", 3.0),
            15.0,
            5,
            true,
            "Lower respiratory tract infection",
        ),
    ),
    (
        10,
        course(
            daily(41946511000001109, "Clarithromycin 500mg tablets", "tablet", "One tablet twice a day", 2.0),
            10.0,
            5,
            false,
            "Chest infection",
        ),
    ),
    (
        8,
        course(
            daily(
                41948311000001104,
                "Doxycycline 100mg capsules",
                "capsule",
                "Two capsules on the first day then one capsule once a day",
                1.0,
            ),
            6.0,
            5,
            false,
            "Chest infection",
        ),
    ),
    (
        10,
        course(
            daily(
                39108511000001108,
                "Nitrofurantoin 100mg modified-release capsules",
                "capsule",
                "One capsule twice a day",
                2.0,
            ),
            6.0,
            3,
            false,
            "Urinary tract infection",
        ),
    ),
    (
        6,
        course(
            daily(324431001, "Trimethoprim 200mg tablets", "tablet", "One tablet twice a day", 2.0),
            6.0,
            3,
            false,
            "Urinary tract infection",
        ),
    ),
    (
        8,
        course(
            daily(323416001, "Phenoxymethylpenicillin 250mg tablets", "tablet", "Two tablets four times a day", 8.0),
            80.0,
            10,
            true,
            "Sore throat, tonsillitis",
        ),
    ),
    (
        6,
        course(
            daily(39692211000001107, "Flucloxacillin 500mg capsules", "capsule", "One capsule four times a day", 4.0),
            28.0,
            7,
            true,
            "Cellulitis",
        ),
    ),
    (12, course(IBUPROFEN_400, 84.0, 28, false, "Musculoskeletal back pain")),
    (5, course(NAPROXEN_500, 28.0, 14, false, "Acute gout / joint pain")),
    (6, course(CODEINE_30, 28.0, 7, false, "Acute pain")),
    (4, course(ZOPICLONE_7_5, 7.0, 7, false, "Short-term insomnia")),
];

/// Every regimen the generator may prescribe, for code checks in tests.
pub fn all_regimens() -> Vec<Regimen> {
    let mut all = vec![
        APIXABAN_5,
        APIXABAN_2_5,
        RIVAROXABAN_20,
        EDOXABAN_60,
        DABIGATRAN_150,
        WARFARIN_3,
        METFORMIN_500_BD,
        METFORMIN_500_2BD,
        METFORMIN_MR_500,
        GLICLAZIDE_80,
        INSULIN_GLARGINE,
        EPILIM_CHRONO_500,
        VALPROATE_500_GR,
        LEVETIRACETAM_500,
        LAMOTRIGINE_100,
        CARBAMAZEPINE_200,
        SERTRALINE_50,
        SERTRALINE_100,
        CITALOPRAM_20,
        FLUOXETINE_20,
        MIRTAZAPINE_15,
        AMITRIPTYLINE_10,
        AMLODIPINE_5,
        AMLODIPINE_10,
        RAMIPRIL_2_5,
        RAMIPRIL_5,
        RAMIPRIL_10,
        LISINOPRIL_10,
        LOSARTAN_50,
        BISOPROLOL_2_5,
        BISOPROLOL_5,
        PROPRANOLOL_40,
        FUROSEMIDE_40,
        FUROSEMIDE_20,
        ATORVASTATIN_20,
        ATORVASTATIN_40,
        ATORVASTATIN_80,
        SIMVASTATIN_40,
        ASPIRIN_75,
        CLOPIDOGREL_75,
        SALBUTAMOL_INHALER,
        BECLOMETASONE_100,
        LEVOTHYROXINE_50,
        LEVOTHYROXINE_75,
        LEVOTHYROXINE_100,
        CO_CODAMOL_30_500,
        CODEINE_30,
        TRAMADOL_50,
        MORPHINE_MR_10,
        BUPRENORPHINE_PATCH_5,
        NAPROXEN_500,
        IBUPROFEN_400,
        PREGABALIN_75,
        GABAPENTIN_300,
        OMEPRAZOLE_20,
        LANSOPRAZOLE_30,
        METHOTREXATE_2_5,
        PREDNISOLONE_5_COURSE,
        ZOPICLONE_7_5,
        SUMATRIPTAN_50,
    ];
    all.extend(ACUTE_COURSES.iter().map(|(_, c)| c.regimen));
    all
}
