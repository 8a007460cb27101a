//! Practices and their clinicians.

use openmig_domain::{Address, ClinicalSystem, Clinician, ClinicianId, ClinicianRole, OdsCode, Practice};

use crate::catalogue::names;
use crate::catalogue::places::{PRACTICE_NAME_KINDS, STREET_KINDS, STREETS, TOWNS, Town};
use crate::dice::{Dice, Purpose};

/// Share of practices that have enabled sharing (the brief: 96% in the North East).
pub const SHARING_ENABLED_SHARE: f64 = 0.96;

/// A practice, its staff and which slice of patient indices it holds.
#[derive(Debug, Clone)]
pub struct PracticePlan {
    /// The practice.
    pub practice: Practice,
    /// Its clinicians; the first is always a GP.
    pub clinicians: Vec<Clinician>,
    /// Index of its first patient.
    pub first_patient: u64,
    /// How many patients are registered.
    pub patients: u64,
    /// Index into the town table (patients mostly live there).
    pub town: usize,
}

impl PracticePlan {
    /// The GPs.
    pub fn gps(&self) -> impl Iterator<Item = &Clinician> {
        self.clinicians.iter().filter(|c| c.role == ClinicianRole::GeneralPractitioner)
    }

    /// The first clinician with `role`, falling back to the first GP.
    pub fn someone(&self, role: ClinicianRole) -> &Clinician {
        self.clinicians.iter().find(|c| c.role == role).unwrap_or(&self.clinicians[0])
    }
}

/// Splits `patients` over `count` practices with a realistic spread of list sizes
/// (log-normal around the mean, as English practice list sizes are), summing exactly.
pub fn list_sizes(seed: u64, patients: u64, count: u32) -> Vec<u64> {
    let mut dice = Dice::new(seed, Purpose::Region, 1);
    let weights: Vec<f64> = (0..count).map(|_| dice.normal(0.0, 0.45).exp()).collect();
    let total: f64 = weights.iter().sum();
    let spare = patients - u64::from(count); // every practice gets at least one patient
    let mut sizes: Vec<u64> = weights.iter().map(|w| 1 + (w / total * spare as f64).floor() as u64).collect();
    let mut assigned: u64 = sizes.iter().sum();
    let mut i = 0;
    let count = sizes.len();
    while assigned < patients {
        sizes[i % count] += 1;
        assigned += 1;
        i += 1;
    }
    sizes
}

/// Which practices have sharing disabled: about 4%, and at least one whenever there are
/// two or more practices, so every region can demonstrate a refusal.
pub fn sharing_disabled(seed: u64, count: u32) -> Vec<bool> {
    let disabled =
        if count >= 2 { ((f64::from(count) * (1.0 - SHARING_ENABLED_SHARE)).round() as u32).max(1) } else { 0 };
    let mut dice = Dice::new(seed, Purpose::Region, 2);
    let mut flags = vec![false; count as usize];
    let mut chosen = 0;
    while chosen < disabled {
        // The first practice always shares, so small demo regions start with a sharing one.
        let i = dice.int(1, i64::from(count) - 1) as usize;
        if !flags[i] {
            flags[i] = true;
            chosen += 1;
        }
    }
    flags
}

/// Builds practice `index` with `patients` patients starting at `first_patient`.
pub fn practice(seed: u64, index: u32, first_patient: u64, patients: u64, sharing_disabled: bool) -> PracticePlan {
    let mut dice = Dice::new(seed, Purpose::Practice, u64::from(index));
    let weighted_towns: Vec<(u32, usize)> = TOWNS.iter().enumerate().map(|(i, t)| (t.weight, i)).collect();
    let town_index = *dice.weighted(&weighted_towns);
    let town = &TOWNS[town_index];
    let ods_code = OdsCode::parse(&format!("Z{:05}", 90_001 + index)).expect("Z + 5 digits is a valid ODS code");
    let stem = dice.pick(STREETS);
    let name = format!("{} {}", stem, dice.pick(PRACTICE_NAME_KINDS));
    let clinical_system =
        *dice.weighted(&[(60, ClinicalSystem::EmisWeb), (35, ClinicalSystem::SystmOne), (5, ClinicalSystem::Vision)]);
    let practice = Practice {
        ods_code: ods_code.clone(),
        name,
        address: address(&mut dice, town),
        telephone: drama_landline(&mut dice),
        clinical_system,
        sharing_enabled: !sharing_disabled,
        asid: format!("9{:011}", 10_000_000 + u64::from(index)),
    };
    let clinicians = staff(&mut dice, index, &ods_code, patients);
    PracticePlan { practice, clinicians, first_patient, patients, town: town_index }
}

fn staff(dice: &mut Dice, practice_index: u32, ods: &OdsCode, patients: u64) -> Vec<Clinician> {
    let gps = patients.div_ceil(1_800).max(1);
    let nurses = patients.div_ceil(3_500).max(1);
    let pharmacists = u64::from(patients > 5_000);
    let mut roles = Vec::new();
    roles.extend(std::iter::repeat_n(ClinicianRole::GeneralPractitioner, gps as usize));
    roles.extend(std::iter::repeat_n(ClinicianRole::PracticeNurse, nurses as usize));
    roles.extend(std::iter::repeat_n(ClinicianRole::Pharmacist, pharmacists as usize));
    roles.push(ClinicianRole::HealthcareAssistant);
    roles
        .into_iter()
        .enumerate()
        .map(|(k, role)| {
            let female = dice.chance(0.55);
            let given = if female { dice.pick(names::FEMALE) } else { dice.pick(names::MALE) };
            let serial = u64::from(practice_index) * 1_000 + k as u64;
            let (prefix, registration) = match role {
                ClinicianRole::GeneralPractitioner => ("Dr", Some(format!("{}", 7_000_000 + serial % 2_999_999))),
                ClinicianRole::PracticeNurse => {
                    (if female { "Mrs" } else { "Mr" }, Some(format!("{:02}A{:04}E", serial % 100, serial % 10_000)))
                }
                ClinicianRole::Pharmacist => {
                    (if female { "Ms" } else { "Mr" }, Some(format!("2{:06}", serial % 1_000_000)))
                }
                ClinicianRole::HealthcareAssistant => ("", None),
            };
            Clinician {
                id: ClinicianId(format!("{:012}", 555_000_000_000 + serial)),
                practice: ods.clone(),
                prefix: prefix.to_string(),
                given: given.to_string(),
                family: dice.pick(names::SURNAMES).to_string(),
                role,
                registration,
            }
        })
        .collect()
}

/// A street address in `town` with a well-formed (not necessarily real) postcode.
pub fn address(dice: &mut Dice, town: &Town) -> Address {
    // Royal Mail inward codes never use C, I, K, M, O or V.
    const INWARD: &str = "ABDEFGHJLNPQRSTUWXYZ";
    let district = dice.pick(town.districts);
    let postcode = format!("{} {}{}{}", district, dice.int(1, 9), dice.letter(INWARD), dice.letter(INWARD));
    Address {
        lines: vec![format!("{} {} {}", dice.int(1, 240), dice.pick(STREETS), dice.pick(STREET_KINDS))],
        town: town.name.to_string(),
        postcode,
    }
}

/// A Tyneside number from Ofcom's range reserved for drama (0191 498 0000-0999), so it
/// can never ring a real person.
pub fn drama_landline(dice: &mut Dice) -> String {
    format!("0191 498 {:04}", dice.int(0, 999))
}

/// A mobile number from Ofcom's drama range (07700 900000-900999).
pub fn drama_mobile(dice: &mut Dice) -> String {
    format!("07700 900{:03}", dice.int(0, 999))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_sizes_sum_exactly_and_vary() {
        let sizes = list_sizes(3, 2_700_000, 350);
        assert_eq!(sizes.iter().sum::<u64>(), 2_700_000);
        let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
        assert!(*min >= 1 && max > &(2 * min), "sizes should vary: {min}..{max}");
    }

    #[test]
    fn about_four_percent_of_practices_do_not_share_and_small_regions_have_one() {
        let flags = sharing_disabled(9, 350);
        assert_eq!(flags.iter().filter(|f| **f).count(), 14);
        let small = sharing_disabled(9, 4);
        assert_eq!(small.iter().filter(|f| **f).count(), 1);
        assert!(!small[0], "the first practice always shares");
        assert_eq!(sharing_disabled(9, 1), vec![false]);
    }
}
