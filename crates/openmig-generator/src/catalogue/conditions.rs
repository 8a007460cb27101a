//! Long-term conditions: SNOMED CT codes, age-specific prevalence and the medicines
//! each brings.
//!
//! Prevalence is the share of people in each age band with the condition on their
//! record. The figures are modelling targets shaped on the published QOF registers for
//! England (2023-24 register sizes; the North East runs a little above the England
//! average for hypertension, COPD and diabetes) and on the age gradients of those
//! conditions; `docs/population.md` lists the resulting crude targets and the tolerances
//! the generator's tests enforce. Codes: `shared/design/codes.md` section 1.

use super::formulary::*;

/// Age bands used by the prevalence tables: 0-17, 18-39, 40-49, 50-59, 60-69, 70-79, 80+.
pub const AGE_BANDS: [u32; 7] = [0, 18, 40, 50, 60, 70, 80];

/// The band index for an age.
pub fn band_of(age: u32) -> usize {
    AGE_BANDS.iter().rposition(|start| age >= *start).unwrap_or(0)
}

/// Conditions the generator models. The order is stable (tests and stats refer to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Condition {
    /// Hypertension.
    Hypertension,
    /// Type 2 diabetes.
    Type2Diabetes,
    /// Type 1 diabetes.
    Type1Diabetes,
    /// Asthma.
    Asthma,
    /// COPD.
    Copd,
    /// Atrial fibrillation.
    AtrialFibrillation,
    /// Heart failure.
    HeartFailure,
    /// Epilepsy.
    Epilepsy,
    /// Depression.
    Depression,
    /// Anxiety.
    Anxiety,
    /// Chronic kidney disease stage 3-5.
    ChronicKidneyDisease,
    /// Hypothyroidism.
    Hypothyroidism,
    /// Osteoarthritis.
    Osteoarthritis,
    /// Rheumatoid arthritis.
    RheumatoidArthritis,
    /// Ischaemic heart disease.
    IschaemicHeartDisease,
    /// Stroke or TIA.
    Stroke,
    /// Hypercholesterolaemia.
    Hypercholesterolaemia,
    /// Gastro-oesophageal reflux disease.
    Gord,
    /// Migraine.
    Migraine,
    /// Dementia.
    Dementia,
    /// Osteoporosis.
    Osteoporosis,
    /// Gout.
    Gout,
    /// Obesity.
    Obesity,
    /// Diabetic neuropathy (only with diabetes).
    DiabeticNeuropathy,
}

/// One therapy line for a condition: with what probability a patient with the condition
/// is on it, and the interchangeable regimens with relative weights.
pub struct Therapy {
    /// Probability that a patient with the condition has this therapy.
    pub probability: f64,
    /// Weighted choices.
    pub options: &'static [(u32, Regimen)],
}

/// How a condition appears in the generated population.
pub struct ConditionSpec {
    /// Which condition.
    pub condition: Condition,
    /// SNOMED CT concept id.
    pub code: u64,
    /// Term.
    pub display: &'static str,
    /// Share of people with it in each band of [`AGE_BANDS`].
    pub prevalence: [f64; 7],
    /// Relative risk for women compared with men.
    pub female_factor: f64,
    /// Youngest age at which it is diagnosed.
    pub min_age: u32,
    /// Major problem (else minor).
    pub major: bool,
    /// Medicines it brings.
    pub therapies: &'static [Therapy],
}

/// The condition table.
pub const CONDITIONS: &[ConditionSpec] = &[
    ConditionSpec {
        condition: Condition::Hypertension,
        code: 38341003,
        display: "Hypertensive disorder, systemic arterial",
        prevalence: [0.002, 0.02, 0.08, 0.17, 0.32, 0.47, 0.60],
        female_factor: 0.9,
        min_age: 18,
        major: true,
        therapies: &[
            Therapy {
                probability: 0.75,
                options: &[
                    (45, AMLODIPINE_5),
                    (15, AMLODIPINE_10),
                    (40, RAMIPRIL_5),
                    (10, RAMIPRIL_10),
                    (12, LISINOPRIL_10),
                    (15, LOSARTAN_50),
                ],
            },
            Therapy { probability: 0.45, options: &[(50, BISOPROLOL_5), (40, AMLODIPINE_5), (20, RAMIPRIL_2_5)] },
            // Primary prevention of cardiovascular disease (QRISK-driven statins).
            Therapy { probability: 0.5, options: &[(70, ATORVASTATIN_20), (30, SIMVASTATIN_40)] },
        ],
    },
    ConditionSpec {
        condition: Condition::Type2Diabetes,
        code: 44054006,
        display: "Diabetes mellitus type 2",
        prevalence: [0.0005, 0.012, 0.05, 0.10, 0.15, 0.19, 0.18],
        female_factor: 0.8,
        min_age: 18,
        major: true,
        therapies: &[
            Therapy {
                probability: 0.86,
                options: &[(55, METFORMIN_500_BD), (30, METFORMIN_500_2BD), (15, METFORMIN_MR_500)],
            },
            Therapy { probability: 0.20, options: &[(1, GLICLAZIDE_80)] },
            Therapy { probability: 0.08, options: &[(1, INSULIN_GLARGINE)] },
            Therapy {
                probability: 0.65,
                options: &[(60, ATORVASTATIN_20), (25, ATORVASTATIN_40), (15, SIMVASTATIN_40)],
            },
            // ACE inhibitors protect diabetic kidneys.
            Therapy { probability: 0.35, options: &[(1, RAMIPRIL_5)] },
        ],
    },
    ConditionSpec {
        condition: Condition::Type1Diabetes,
        code: 46635009,
        display: "Diabetes mellitus type 1",
        prevalence: [0.003, 0.005, 0.005, 0.005, 0.004, 0.003, 0.002],
        female_factor: 0.9,
        min_age: 1,
        major: true,
        therapies: &[Therapy { probability: 0.97, options: &[(1, INSULIN_GLARGINE)] }],
    },
    ConditionSpec {
        condition: Condition::Asthma,
        code: 195967001,
        display: "Asthma",
        prevalence: [0.07, 0.075, 0.07, 0.07, 0.07, 0.065, 0.06],
        female_factor: 1.2,
        min_age: 5,
        major: false,
        therapies: &[
            Therapy { probability: 0.85, options: &[(1, SALBUTAMOL_INHALER)] },
            Therapy { probability: 0.55, options: &[(1, BECLOMETASONE_100)] },
        ],
    },
    ConditionSpec {
        condition: Condition::Copd,
        code: 13645005,
        display: "Chronic obstructive lung disease",
        prevalence: [0.0, 0.001, 0.01, 0.03, 0.065, 0.10, 0.105],
        female_factor: 0.9,
        min_age: 35,
        major: true,
        therapies: &[
            Therapy { probability: 0.9, options: &[(1, SALBUTAMOL_INHALER)] },
            Therapy { probability: 0.5, options: &[(1, BECLOMETASONE_100)] },
        ],
    },
    ConditionSpec {
        condition: Condition::AtrialFibrillation,
        code: 49436004,
        display: "Atrial fibrillation",
        prevalence: [0.0, 0.0005, 0.002, 0.008, 0.028, 0.08, 0.17],
        female_factor: 0.75,
        min_age: 30,
        major: true,
        therapies: &[
            Therapy {
                probability: 0.94,
                options: &[
                    (52, APIXABAN_5),
                    (10, APIXABAN_2_5),
                    (15, RIVAROXABAN_20),
                    (5, EDOXABAN_60),
                    (3, DABIGATRAN_150),
                    (15, WARFARIN_3),
                ],
            },
            Therapy { probability: 0.6, options: &[(60, BISOPROLOL_2_5), (40, BISOPROLOL_5)] },
            Therapy { probability: 0.3, options: &[(1, ATORVASTATIN_20)] },
        ],
    },
    ConditionSpec {
        condition: Condition::HeartFailure,
        code: 84114007,
        display: "Heart failure",
        prevalence: [0.0, 0.0005, 0.002, 0.005, 0.013, 0.035, 0.09],
        female_factor: 0.8,
        min_age: 30,
        major: true,
        therapies: &[
            Therapy { probability: 0.8, options: &[(65, FUROSEMIDE_40), (35, FUROSEMIDE_20)] },
            Therapy { probability: 0.7, options: &[(1, BISOPROLOL_2_5)] },
            Therapy { probability: 0.6, options: &[(1, RAMIPRIL_2_5)] },
            Therapy { probability: 0.5, options: &[(1, ATORVASTATIN_20)] },
        ],
    },
    ConditionSpec {
        condition: Condition::Epilepsy,
        code: 84757009,
        display: "Epilepsy",
        prevalence: [0.005, 0.008, 0.009, 0.009, 0.009, 0.009, 0.009],
        female_factor: 1.0,
        min_age: 2,
        major: true,
        therapies: &[Therapy {
            probability: 0.92,
            options: &[
                (20, EPILIM_CHRONO_500),
                (8, VALPROATE_500_GR),
                (35, LEVETIRACETAM_500),
                (27, LAMOTRIGINE_100),
                (10, CARBAMAZEPINE_200),
            ],
        }],
    },
    ConditionSpec {
        condition: Condition::Depression,
        code: 35489007,
        display: "Depressive disorder",
        prevalence: [0.01, 0.13, 0.14, 0.13, 0.11, 0.09, 0.09],
        female_factor: 1.7,
        min_age: 12,
        major: false,
        therapies: &[Therapy {
            probability: 0.6,
            options: &[
                (35, SERTRALINE_50),
                (8, SERTRALINE_100),
                (27, CITALOPRAM_20),
                (15, FLUOXETINE_20),
                (15, MIRTAZAPINE_15),
            ],
        }],
    },
    ConditionSpec {
        condition: Condition::Anxiety,
        code: 197480006,
        display: "Anxiety disorder",
        prevalence: [0.01, 0.06, 0.05, 0.04, 0.03, 0.02, 0.02],
        female_factor: 1.8,
        min_age: 12,
        major: false,
        therapies: &[Therapy { probability: 0.3, options: &[(60, SERTRALINE_50), (40, CITALOPRAM_20)] }],
    },
    ConditionSpec {
        condition: Condition::ChronicKidneyDisease,
        code: 433144002,
        display: "Chronic kidney disease stage 3",
        prevalence: [0.0, 0.003, 0.008, 0.02, 0.05, 0.13, 0.30],
        female_factor: 1.2,
        min_age: 18,
        major: true,
        therapies: &[
            Therapy { probability: 0.4, options: &[(1, RAMIPRIL_5)] },
            Therapy { probability: 0.3, options: &[(1, AMLODIPINE_5)] },
            Therapy { probability: 0.4, options: &[(1, ATORVASTATIN_20)] },
        ],
    },
    ConditionSpec {
        condition: Condition::Hypothyroidism,
        code: 40930008,
        display: "Hypothyroidism",
        prevalence: [0.001, 0.01, 0.025, 0.04, 0.06, 0.08, 0.09],
        female_factor: 4.0,
        min_age: 1,
        major: false,
        therapies: &[Therapy {
            probability: 0.95,
            options: &[(35, LEVOTHYROXINE_50), (30, LEVOTHYROXINE_75), (35, LEVOTHYROXINE_100)],
        }],
    },
    ConditionSpec {
        condition: Condition::Osteoarthritis,
        code: 396275006,
        display: "Osteoarthritis",
        prevalence: [0.0, 0.005, 0.04, 0.10, 0.18, 0.26, 0.33],
        female_factor: 1.4,
        min_age: 30,
        major: false,
        therapies: &[
            Therapy {
                probability: 0.30,
                options: &[
                    (55, CO_CODAMOL_30_500),
                    (15, CODEINE_30),
                    (20, TRAMADOL_50),
                    (5, BUPRENORPHINE_PATCH_5),
                    (5, MORPHINE_MR_10),
                ],
            },
            Therapy { probability: 0.10, options: &[(70, NAPROXEN_500), (30, IBUPROFEN_400)] },
            Therapy { probability: 0.06, options: &[(60, OMEPRAZOLE_20), (40, LANSOPRAZOLE_30)] },
        ],
    },
    ConditionSpec {
        condition: Condition::RheumatoidArthritis,
        code: 69896004,
        display: "Rheumatoid arthritis",
        prevalence: [0.0, 0.002, 0.006, 0.01, 0.013, 0.015, 0.015],
        female_factor: 2.5,
        min_age: 18,
        major: true,
        therapies: &[Therapy { probability: 0.6, options: &[(1, METHOTREXATE_2_5)] }],
    },
    ConditionSpec {
        condition: Condition::IschaemicHeartDisease,
        code: 414545008,
        display: "Ischemic heart disease",
        prevalence: [0.0, 0.001, 0.01, 0.03, 0.07, 0.12, 0.17],
        female_factor: 0.55,
        min_age: 30,
        major: true,
        therapies: &[
            Therapy { probability: 0.75, options: &[(80, ASPIRIN_75), (20, CLOPIDOGREL_75)] },
            // Gastro-protection alongside antiplatelets.
            Therapy { probability: 0.35, options: &[(65, OMEPRAZOLE_20), (35, LANSOPRAZOLE_30)] },
            Therapy { probability: 0.85, options: &[(70, ATORVASTATIN_80), (30, ATORVASTATIN_40)] },
            Therapy { probability: 0.5, options: &[(1, BISOPROLOL_5)] },
            Therapy { probability: 0.6, options: &[(1, RAMIPRIL_5)] },
        ],
    },
    ConditionSpec {
        condition: Condition::Stroke,
        code: 230690007,
        display: "Cerebrovascular accident",
        prevalence: [0.0, 0.001, 0.005, 0.014, 0.032, 0.065, 0.11],
        female_factor: 0.9,
        min_age: 30,
        major: true,
        therapies: &[
            Therapy { probability: 0.8, options: &[(75, CLOPIDOGREL_75), (25, ASPIRIN_75)] },
            Therapy { probability: 0.8, options: &[(1, ATORVASTATIN_80)] },
            Therapy { probability: 0.5, options: &[(60, AMLODIPINE_5), (40, RAMIPRIL_5)] },
        ],
    },
    ConditionSpec {
        condition: Condition::Hypercholesterolaemia,
        code: 13644009,
        display: "Hypercholesterolemia",
        prevalence: [0.0, 0.01, 0.05, 0.10, 0.14, 0.14, 0.10],
        female_factor: 1.0,
        min_age: 18,
        major: false,
        therapies: &[Therapy {
            probability: 0.7,
            options: &[(60, ATORVASTATIN_20), (20, ATORVASTATIN_40), (20, SIMVASTATIN_40)],
        }],
    },
    ConditionSpec {
        condition: Condition::Gord,
        code: 235595009,
        display: "Gastroesophageal reflux disease",
        prevalence: [0.002, 0.03, 0.06, 0.08, 0.09, 0.10, 0.10],
        female_factor: 1.1,
        min_age: 10,
        major: false,
        therapies: &[Therapy { probability: 0.7, options: &[(65, OMEPRAZOLE_20), (35, LANSOPRAZOLE_30)] }],
    },
    ConditionSpec {
        condition: Condition::Migraine,
        code: 37796009,
        display: "Migraine",
        prevalence: [0.01, 0.06, 0.06, 0.04, 0.02, 0.01, 0.01],
        female_factor: 3.0,
        min_age: 8,
        major: false,
        therapies: &[
            Therapy { probability: 0.5, options: &[(1, SUMATRIPTAN_50)] },
            Therapy { probability: 0.15, options: &[(60, PROPRANOLOL_40), (40, AMITRIPTYLINE_10)] },
        ],
    },
    ConditionSpec {
        condition: Condition::Dementia,
        code: 52448006,
        display: "Dementia",
        prevalence: [0.0, 0.0, 0.0, 0.001, 0.006, 0.03, 0.10],
        female_factor: 1.3,
        min_age: 50,
        major: true,
        therapies: &[],
    },
    ConditionSpec {
        condition: Condition::Osteoporosis,
        code: 64859006,
        display: "Osteoporosis",
        prevalence: [0.0, 0.0, 0.002, 0.01, 0.03, 0.06, 0.10],
        female_factor: 4.0,
        min_age: 40,
        major: false,
        therapies: &[],
    },
    ConditionSpec {
        condition: Condition::Gout,
        code: 90560007,
        display: "Gout",
        prevalence: [0.0, 0.005, 0.02, 0.03, 0.04, 0.05, 0.05],
        female_factor: 0.3,
        min_age: 20,
        major: false,
        therapies: &[],
    },
    ConditionSpec {
        condition: Condition::Obesity,
        code: 414916001,
        display: "Obesity",
        prevalence: [0.02, 0.10, 0.15, 0.17, 0.17, 0.14, 0.08],
        female_factor: 1.1,
        min_age: 5,
        major: false,
        therapies: &[],
    },
];

/// Diabetic neuropathy: coded for a share of people with diabetes, not by age.
pub const DIABETIC_NEUROPATHY: ConditionSpec = ConditionSpec {
    condition: Condition::DiabeticNeuropathy,
    code: 866003,
    display: "Diabetic neuropathy",
    prevalence: [0.15; 7],
    female_factor: 1.0,
    min_age: 18,
    major: true,
    therapies: &[Therapy { probability: 0.7, options: &[(55, PREGABALIN_75), (45, GABAPENTIN_300)] }],
};

/// Looks a condition's spec up.
pub fn spec(condition: Condition) -> &'static ConditionSpec {
    if condition == Condition::DiabeticNeuropathy {
        return &DIABETIC_NEUROPATHY;
    }
    CONDITIONS.iter().find(|c| c.condition == condition).expect("every condition has a spec")
}
