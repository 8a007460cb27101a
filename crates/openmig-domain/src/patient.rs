//! The patient: demographics and registration with a practice.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::identifiers::{NhsNumber, OdsCode};
use crate::practice::ClinicianId;

/// A patient's demographics and registration, as the GP practice holds them.
///
/// `Debug` is redacted: the struct identifies a person, so printing it by accident must
/// not leak who they are.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Patient {
    /// The patient's NHS number.
    pub nhs_number: NhsNumber,
    /// Official name.
    pub name: PersonName,
    /// Date of birth (always a full date for a registered patient).
    #[serde(with = "crate::dates::serde_day")]
    pub birth_date: NaiveDate,
    /// Administrative sex/gender as recorded.
    pub sex: Sex,
    /// Home address.
    pub address: Address,
    /// Home telephone, when recorded.
    pub telephone: Option<String>,
    /// Registration with a GP practice.
    pub registration: Registration,
    /// Date of death, when the patient has died.
    #[serde(with = "crate::dates::serde_day::option")]
    pub deceased: Option<NaiveDate>,
    /// Demographics restricted on the Spine (the PDS "S" flag): address and contact
    /// details must not be disclosed, and GP Connect answers "patient not found".
    pub restricted: bool,
}

impl Patient {
    /// Age in whole years on `today`.
    pub fn age_on(&self, today: NaiveDate) -> u32 {
        let mut age = today.year() - self.birth_date.year();
        if (today.month(), today.day()) < (self.birth_date.month(), self.birth_date.day()) {
            age -= 1;
        }
        age.max(0) as u32
    }

    /// True when the patient is alive and still registered with the practice.
    pub fn is_active(&self) -> bool {
        self.deceased.is_none() && matches!(self.registration.status, RegistrationStatus::Registered)
    }
}

impl fmt::Debug for Patient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Patient")
            .field("nhs_number", &self.nhs_number)
            .field("practice", &self.registration.practice)
            .finish_non_exhaustive()
    }
}

/// A person's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName {
    /// Title, e.g. "Mrs"; may be empty.
    pub prefix: String,
    /// Given names, first name first.
    pub given: Vec<String>,
    /// Family name.
    pub family: String,
}

impl PersonName {
    /// "SURNAME, Given Middle (Title)" as clinical systems show patient names.
    pub fn banner(&self) -> String {
        let given = self.given.join(" ");
        if self.prefix.is_empty() {
            format!("{}, {}", self.family.to_uppercase(), given)
        } else {
            format!("{}, {} ({})", self.family.to_uppercase(), given, self.prefix)
        }
    }
}

/// Administrative sex as GP systems record it (the FHIR AdministrativeGender values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    /// Male.
    Male,
    /// Female.
    Female,
    /// Other.
    Other,
    /// Not known.
    Unknown,
}

impl Sex {
    /// The label used on screen.
    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "Male",
            Sex::Female => "Female",
            Sex::Other => "Other",
            Sex::Unknown => "Unknown",
        }
    }
}

/// A UK postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// House and street lines.
    pub lines: Vec<String>,
    /// Post town.
    pub town: String,
    /// Postcode, e.g. "NE1 4LP".
    pub postcode: String,
}

impl Address {
    /// One line, comma separated.
    pub fn one_line(&self) -> String {
        let mut parts = self.lines.clone();
        parts.push(self.town.clone());
        parts.push(self.postcode.clone());
        parts.join(", ")
    }
}

/// Registration with a GP practice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    /// The practice holding the record.
    pub practice: OdsCode,
    /// When the patient registered there.
    #[serde(with = "crate::dates::serde_day")]
    pub registered_on: NaiveDate,
    /// The patient's usual GP.
    pub usual_gp: ClinicianId,
    /// Still registered, or left.
    pub status: RegistrationStatus,
}

/// Whether the registration is current.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegistrationStatus {
    /// Currently registered.
    Registered,
    /// Left the practice; the practice still holds the record until it is transferred.
    Deregistered {
        /// When the registration ended.
        #[serde(with = "crate::dates::serde_day")]
        on: NaiveDate,
        /// Why, e.g. "Moved out of area".
        reason: String,
    },
}
