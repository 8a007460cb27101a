//! Synthetic patients' demographics and registration.

use chrono::{Datelike, Days, Months, NaiveDate};
use openmig_domain::{Patient, PersonName, Registration, RegistrationStatus, Sex};

use crate::catalogue::names;
use crate::catalogue::places::TOWNS;
use crate::catalogue::population::{AGE_SEX_PYRAMID, MAX_AGE};
use crate::dice::Dice;
use crate::practices::{PracticePlan, address, drama_landline, drama_mobile};

/// Why a registration ended, as GP systems record it.
const DEREGISTRATION_REASONS: &[&str] = &[
    "Moved out of area",
    "Registered with another practice",
    "Emigrated",
    "Removed after failing to respond to list cleaning",
];

/// Draws an age and sex from the regional pyramid.
pub fn age_and_sex(dice: &mut Dice) -> (u32, Sex) {
    let bands: Vec<(u32, usize)> =
        AGE_SEX_PYRAMID.iter().enumerate().map(|(i, (_, share, _))| ((share * 1_000_000.0) as u32, i)).collect();
    let band = *dice.weighted(&bands);
    let (start, _, male_share) = AGE_SEX_PYRAMID[band];
    let end = AGE_SEX_PYRAMID.get(band + 1).map_or(MAX_AGE, |next| next.0 - 1);
    // Within the oldest band, survival falls steeply: favour the younger end.
    let age = if end == MAX_AGE {
        start + (dice.uniform(0.0, 1.0).powi(2) * f64::from(end - start + 1)) as u32
    } else {
        dice.int(i64::from(start), i64::from(end)) as u32
    };
    let sex = if dice.chance(male_share) { Sex::Male } else { Sex::Female };
    (age, sex)
}

/// Builds a patient's demographics and registration on `as_of`.
pub fn patient(
    dice: &mut Dice,
    nhs_number: openmig_domain::NhsNumber,
    plan: &PracticePlan,
    as_of: NaiveDate,
) -> Patient {
    let (age, sex) = age_and_sex(dice);
    let birthday_this_year = dice.int(0, 364) as u64;
    let birth_date = as_of
        .checked_sub_months(Months::new(age * 12))
        .and_then(|d| d.checked_sub_days(Days::new(birthday_this_year)))
        .expect("ages are bounded");
    let female = sex == Sex::Female;
    let first = if female { dice.pick(names::FEMALE) } else { dice.pick(names::MALE) };
    let mut given = vec![first.to_string()];
    if dice.chance(0.35) {
        given.push(if female { dice.pick(names::FEMALE) } else { dice.pick(names::MALE) }.to_string());
    }
    let prefix = if age < 16 {
        String::new()
    } else if dice.chance(0.004) {
        "Dr".into()
    } else if female {
        dice.pick(names::FEMALE_TITLES).to_string()
    } else {
        "Mr".into()
    };
    let town = if dice.chance(0.9) { &TOWNS[plan.town] } else { dice.pick(TOWNS) };
    // Years registered: children mostly since birth; adults move practice now and then.
    let years_here = if age < 16 && dice.chance(0.7) {
        f64::from(age)
    } else {
        (-dice.uniform(0.0, 1.0).ln() * 14.0).min(f64::from(age))
    };
    let registered_on = (as_of - Days::new((years_here * 365.25) as u64)).max(birth_date);
    let usual_gp = {
        let gps: Vec<_> = plan.gps().collect();
        dice.pick(&gps).id.clone()
    };
    // Deaths concentrate in old age; the record stays at the practice for a while.
    let death_risk = match age {
        0..=59 => 0.0008,
        60..=79 => 0.008,
        _ => 0.04,
    };
    let deceased = dice.chance(death_risk).then(|| dice.day_between(as_of - Days::new(700), as_of - Days::new(1)));
    let status = if deceased.is_none() && dice.chance(0.012) {
        RegistrationStatus::Deregistered {
            on: dice.day_between(registered_on.max(as_of - Days::new(700)), as_of - Days::new(1)),
            reason: dice.pick(DEREGISTRATION_REASONS).to_string(),
        }
    } else {
        RegistrationStatus::Registered
    };
    let telephone = if dice.chance(0.6) {
        Some(drama_mobile(dice))
    } else if dice.chance(0.5) {
        Some(drama_landline(dice))
    } else {
        None
    };
    Patient {
        nhs_number,
        name: PersonName { prefix, given, family: dice.pick(names::SURNAMES).to_string() },
        birth_date,
        sex,
        address: address(dice, town),
        telephone,
        registration: Registration { practice: plan.practice.ods_code.clone(), registered_on, usual_gp, status },
        deceased,
        restricted: dice.chance(0.001),
    }
}

/// The last day anything can happen in the record: death, leaving, or `as_of`.
pub fn record_end(patient: &Patient, as_of: NaiveDate) -> NaiveDate {
    let left = match &patient.registration.status {
        RegistrationStatus::Deregistered { on, .. } => Some(*on),
        RegistrationStatus::Registered => None,
    };
    [Some(as_of), patient.deceased, left].into_iter().flatten().min().expect("as_of is always there")
}

/// Age in whole years on a day.
pub fn age_on(birth: NaiveDate, day: NaiveDate) -> u32 {
    let mut age = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age.max(0) as u32
}
