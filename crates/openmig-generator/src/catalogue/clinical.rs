//! Codes for everything other than conditions and medicines: allergies, observations,
//! immunisations, referrals, alerts, consent and the sensitive entries the gateway must
//! never share. Each code is in `shared/design/codes.md` (section given per table),
//! with its public source file; tests run the Verhoeff check over all of them.

/// A code and its term.
pub type Code = (u64, &'static str);

/// Allergy kinds, codes.md section 3.
pub struct AllergySpec {
    /// The allergy.
    pub code: Code,
    /// The causative substance, when a substance code was seen.
    pub substance: Option<Code>,
    /// 0 medication, 1 food, 2 environment.
    pub category: u8,
    /// Relative frequency among allergic patients.
    pub weight: u32,
    /// A penicillin allergy (drives antibiotic choice).
    pub penicillin: bool,
}

/// Allergies in rough order of how often GP records carry them (penicillin is by far the
/// commonest drug allergy label in England, around one person in fifteen).
pub const ALLERGIES: &[AllergySpec] = &[
    AllergySpec {
        code: (91936005, "Allergy to penicillin"),
        substance: Some((764146007, "Penicillin")),
        category: 0,
        weight: 60,
        penicillin: true,
    },
    AllergySpec {
        code: (294505008, "Amoxicillin allergy"),
        substance: Some((372687004, "Amoxicillin")),
        category: 0,
        weight: 8,
        penicillin: true,
    },
    AllergySpec { code: (293586001, "Aspirin allergy"), substance: None, category: 0, weight: 5, penicillin: false },
    AllergySpec {
        code: (294971007, "Simvastatin allergy"),
        substance: None,
        category: 0,
        weight: 3,
        penicillin: false,
    },
    AllergySpec {
        code: (609537003, "Angiotensin-converting-enzyme inhibitor pseudoallergy"),
        substance: None,
        category: 0,
        weight: 3,
        penicillin: false,
    },
    AllergySpec {
        code: (91931000, "Allergy to erythromycin"),
        substance: None,
        category: 0,
        weight: 4,
        penicillin: false,
    },
    AllergySpec { code: (294915005, "Iodophore allergy"), substance: None, category: 0, weight: 2, penicillin: false },
    AllergySpec {
        code: (91935009, "Allergy to peanuts"),
        substance: Some((256349002, "Peanut - dietary")),
        category: 1,
        weight: 6,
        penicillin: false,
    },
    AllergySpec {
        code: (213020009, "Allergy to egg protein"),
        substance: None,
        category: 1,
        weight: 2,
        penicillin: false,
    },
    AllergySpec { code: (232348003, "Feather allergy"), substance: None, category: 2, weight: 1, penicillin: false },
    AllergySpec {
        code: (419063004, "Allergy to horse dander"),
        substance: None,
        category: 2,
        weight: 1,
        penicillin: false,
    },
    AllergySpec {
        code: (21719001, "Allergic rhinitis caused by pollen"),
        substance: None,
        category: 2,
        weight: 3,
        penicillin: false,
    },
];

/// Reaction manifestations (codes.md section 3, "Reaction manifestations seen").
pub const REACTIONS: &[Code] = &[
    (247472004, "Urticarial rash"),
    (39579001, "Anaphylaxis"),
    (422400008, "Vomiting"),
    (304386008, "O/E - itchy rash"),
    (23924001, "Tight chest"),
    (49237006, "Allergic diarrhea"),
];

/// No known allergies / no known drug allergies (codes.md section 3).
pub const NO_KNOWN_ALLERGY: Code = (716186003, "No known allergy");
/// No known drug allergy.
pub const NO_KNOWN_DRUG_ALLERGY: Code = (409137002, "No known drug allergy");

/// Observation codes (codes.md "Codes round 2", section B), with UCUM units.
pub mod obs {
    use super::Code;
    /// Blood pressure panel.
    pub const BP_PANEL: Code = (75367002, "Blood pressure");
    /// Systolic.
    pub const SYSTOLIC: Code = (72313002, "Systolic arterial pressure");
    /// Diastolic.
    pub const DIASTOLIC: Code = (1091811000000102, "Diastolic arterial pressure");
    /// HbA1c IFCC, mmol/mol.
    pub const HBA1C: Code = (
        999791000000106,
        "Haemoglobin A1c level - International Federation of Clinical Chemistry and Laboratory Medicine standardised",
    );
    /// eGFR, mL/min/{1.73_m2}.
    pub const EGFR: Code = (
        1011481000000105,
        "eGFR (estimated glomerular filtration rate) using creatinine Chronic Kidney Disease Epidemiology Collaboration equation per 1.73 square metres",
    );
    /// Serum creatinine, umol/L.
    pub const CREATININE: Code = (1000731000000107, "Serum creatinine level");
    /// Serum cholesterol, mmol/L.
    pub const CHOLESTEROL: Code = (1005671000000105, "Serum cholesterol level");
    /// Serum potassium, mmol/L.
    pub const POTASSIUM: Code = (1000651000000109, "Serum potassium level");
    /// TSH, mU/L.
    pub const TSH: Code = (1022791000000101, "Serum thyroid stimulating hormone level");
    /// Weight, kg.
    pub const WEIGHT: Code = (27113001, "Body weight");
    /// Height, m.
    pub const HEIGHT: Code = (50373000, "Body height measure");
    /// BMI, kg/m2.
    pub const BMI: Code = (60621009, "Body mass index");
    /// Pulse rate, /min.
    pub const PULSE: Code = (78564009, "Pulse rate");
    /// Alcohol intake, [arb'U]/wk.
    pub const ALCOHOL: Code = (160573003, "Alcohol intake");
    /// Smoker.
    pub const SMOKER: Code = (77176002, "Smoker");
    /// Ex-smoker.
    pub const EX_SMOKER: Code = (8517006, "Ex-smoker");
    /// Never smoked.
    pub const NEVER_SMOKED: Code = (266919005, "Never smoked tobacco");
}

/// Vaccination codes (codes.md "Codes round 2", section C).
pub mod vacc {
    use super::Code;
    /// Seasonal flu procedure.
    pub const FLU: Code = (822851000000102, "Seasonal influenza vaccination");
    /// Flu vaccine products (dm+d AMPs).
    pub const FLU_PRODUCTS: &[Code] = &[
        (
            11278411000001109,
            "Influenza vaccine (split virion, inactivated) suspension for injection 0.5ml pre-filled syringes (Pfizer Ltd)",
        ),
        (
            22704311000001109,
            "Fluarix Tetra vaccine suspension for injection 0.5ml pre-filled syringes (GlaxoSmithKline UK Ltd)",
        ),
        (
            36509011000001106,
            "Flucelvax Tetra vaccine suspension for injection 0.5ml pre-filled syringes (Seqirus UK Ltd)",
        ),
        (34783811000001108, "Fluad vaccine suspension for injection 0.5ml pre-filled syringes (Seqirus Vaccines)"),
    ];
    /// Pneumococcal procedure.
    pub const PNEUMOCOCCAL: Code = (12866006, "Pneumococcal vaccination");
    /// PPV23 product (VMP).
    pub const PPV23: Code =
        (3439211000001108, "Pneumococcal polysaccharide vaccine solution for injection 0.5ml pre-filled syringes");
    /// Shingles procedure.
    pub const SHINGLES: Code = (859641000000109, "Herpes zoster vaccination");
    /// COVID-19 first dose.
    pub const COVID_FIRST: Code =
        (1324681000000101, "Administration of first dose of severe acute respiratory syndrome coronavirus 2 vaccine");
    /// COVID-19 second dose.
    pub const COVID_SECOND: Code = (1324691000000104, "Administration of second dose of SARS-CoV-2 vaccine");
    /// Comirnaty (VMP).
    pub const COMIRNATY: Code = (
        39116111000001100,
        "Generic Comirnaty COVID-19 mRNA Vaccine 30micrograms/0.3ml dose concentrate for dispersion for injection multidose vials",
    );
}

/// Referral codes (codes.md section D2) with the receiving service.
pub mod referral {
    use super::Code;
    /// Diabetes clinic.
    pub const DIABETES_CLINIC: Code = (809391000000101, "Referral to diabetes clinic");
    /// Diabetic eye screening.
    pub const DIABETIC_EYE: Code = (202461000000102, "Referral to diabetic eye clinic");
    /// Memory clinic.
    pub const MEMORY_CLINIC: Code = (415276009, "Referral to memory clinic");
    /// Rheumatology for osteoarthritis.
    pub const RHEUMATOLOGY_OA: Code = (396159001, "Referral to rheumatology service for osteoarthritis");
    /// Palliative care.
    pub const PALLIATIVE: Code = (306237005, "Referral to palliative care service");
    /// Falls service.
    pub const FALLS: Code = (247541000000106, "Referral to falls service");
}

/// Alerts (codes.md section E).
pub mod alert {
    use super::Code;
    /// DNACPR.
    pub const DNACPR: Code = (450476008, "Not for attempted cardiopulmonary resuscitation");
    /// At risk of falls.
    pub const FALLS_RISK: Code = (129839007, "At risk for falls");
    /// Patient is a carer.
    pub const CARER: Code = (224484003, "Patient themselves providing care");
    /// Palliative care register.
    pub const PALLIATIVE_REGISTER: Code = (526631000000108, "On end of life care register");
    /// Adult safeguarding concern.
    pub const SAFEGUARDING: Code = (766561000000109, "Adult safeguarding concern");
}

/// Consent and dissent (codes.md section 5; security.md).
pub mod consent {
    use super::Code;
    /// Consent to sharing.
    pub const CONSENT: Code = (425691002, "Consent given for electronic record sharing");
    /// Dissent from sharing.
    pub const DISSENT: Code = (416409005, "Refused consent for upload to local shared electronic record");
    /// Retired national type-2 opt-out: secondary use only, does not block direct care.
    pub const TYPE2_OPT_OUT: Code = (
        881561000000100,
        "Dissent from disclosure of personal confidential data by Health and Social Care Information Centre",
    );
}

/// Sensitive entries that must never leave the practice (codes.md "Codes round 2", A).
pub mod sensitive {
    use super::Code;
    /// Chlamydia.
    pub const CHLAMYDIA: Code = (105629000, "Chlamydial infection");
    /// Gonorrhoea.
    pub const GONORRHOEA: Code = (15628003, "Gonorrhea");
    /// Genital herpes.
    pub const GENITAL_HERPES: Code = (33839006, "Genital herpes simplex");
    /// Genital warts.
    pub const GENITAL_WARTS: Code = (266113007, "Genital warts");
    /// HIV.
    pub const HIV: Code = (86406008, "Human immunodeficiency virus infection");
    /// IVF.
    pub const IVF: Code = (52637005, "Test tube ovum fertilization");
    /// Fertility clinic referral.
    pub const FERTILITY_REFERRAL: Code = (183862006, "Referral to fertility clinic");
    /// Termination of pregnancy.
    pub const TOP: Code = (57797005, "Induced termination of pregnancy");
    /// Gender dysphoria.
    pub const GENDER_DYSPHORIA: Code = (93461009, "Gender dysphoria");
}

/// Every code in this module, for the Verhoeff test.
pub fn all_codes() -> Vec<u64> {
    let mut all: Vec<u64> =
        ALLERGIES.iter().flat_map(|a| [Some(a.code.0), a.substance.map(|s| s.0)]).flatten().collect();
    all.extend(REACTIONS.iter().map(|c| c.0));
    all.extend([NO_KNOWN_ALLERGY.0, NO_KNOWN_DRUG_ALLERGY.0]);
    use obs::*;
    all.extend(
        [
            BP_PANEL,
            SYSTOLIC,
            DIASTOLIC,
            HBA1C,
            EGFR,
            CREATININE,
            CHOLESTEROL,
            POTASSIUM,
            TSH,
            WEIGHT,
            HEIGHT,
            BMI,
            PULSE,
            ALCOHOL,
            SMOKER,
            EX_SMOKER,
            NEVER_SMOKED,
        ]
        .map(|c| c.0),
    );
    all.extend(
        [
            vacc::FLU,
            vacc::PNEUMOCOCCAL,
            vacc::PPV23,
            vacc::SHINGLES,
            vacc::COVID_FIRST,
            vacc::COVID_SECOND,
            vacc::COMIRNATY,
        ]
        .map(|c| c.0),
    );
    all.extend(vacc::FLU_PRODUCTS.iter().map(|c| c.0));
    use referral::*;
    all.extend([DIABETES_CLINIC, DIABETIC_EYE, MEMORY_CLINIC, RHEUMATOLOGY_OA, PALLIATIVE, FALLS].map(|c| c.0));
    all.extend(
        [alert::DNACPR, alert::FALLS_RISK, alert::CARER, alert::PALLIATIVE_REGISTER, alert::SAFEGUARDING].map(|c| c.0),
    );
    all.extend([consent::CONSENT, consent::DISSENT, consent::TYPE2_OPT_OUT].map(|c| c.0));
    use sensitive::*;
    all.extend(
        [CHLAMYDIA, GONORRHOEA, GENITAL_HERPES, GENITAL_WARTS, HIV, IVF, FERTILITY_REFERRAL, TOP, GENDER_DYSPHORIA]
            .map(|c| c.0),
    );
    all
}
