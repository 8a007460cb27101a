//! Identifiers that are validated once, on the way in ("parse, don't validate").
//!
//! Holding an [`NhsNumber`], [`OdsCode`] or [`SnomedCode`] means the value passed its
//! check: the constructors are the only way to make one. Safety rule 1 of the brief
//! ("right patient") starts here: a mistyped NHS number is refused before any lookup.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A 10-digit NHS number whose Modulus 11 check digit is correct.
///
/// Accepted spellings: `9434765919` and the grouped form `943 476 5919`. Displayed as
/// the plain ten digits; [`NhsNumber::grouped`] gives the 3-3-4 form clinicians read.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NhsNumber(u64);

/// Why a text is not an NHS number. Each variant says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NhsNumberError {
    /// Nothing was given.
    #[error("NHS number is empty")]
    Empty,
    /// A character other than a digit (or the grouping spaces) was found.
    #[error("NHS number may contain only digits (optionally grouped as 3 3 4 with single spaces)")]
    InvalidCharacter,
    /// Spaces were present but not in the `NNN NNN NNNN` layout.
    #[error("NHS number grouping must be 'NNN NNN NNNN'")]
    BadGrouping,
    /// The number of digits is not ten.
    #[error("NHS number must have 10 digits, found {found}")]
    WrongLength {
        /// How many digits were given.
        found: usize,
    },
    /// The first nine digits give a check value of 10, which is never issued.
    #[error("NHS number is invalid: its first nine digits can never form a valid number")]
    NeverIssued,
    /// The tenth digit does not match the Modulus 11 check of the first nine.
    #[error("NHS number check digit is wrong (the number is probably mistyped)")]
    CheckDigitMismatch,
    /// Ten identical digits pass the arithmetic but are never issued.
    #[error("NHS number of ten identical digits is not a real NHS number")]
    RepeatedDigits,
}

impl NhsNumber {
    /// Parses either `9434765919` or `943 476 5919`.
    pub fn parse(text: &str) -> Result<Self, NhsNumberError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(NhsNumberError::Empty);
        }
        if text.chars().any(|c| !(c.is_ascii_digit() || c == ' ')) {
            return Err(NhsNumberError::InvalidCharacter);
        }
        let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
        if text.contains(' ') {
            let groups: Vec<&str> = text.split(' ').collect();
            let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
            if digits.len() == 10 && lengths != [3, 3, 4] {
                return Err(NhsNumberError::BadGrouping);
            }
        }
        if digits.len() != 10 {
            return Err(NhsNumberError::WrongLength { found: digits.len() });
        }
        let nine: [u8; 9] = digits[..9].try_into().expect("ten digits checked above");
        match check_digit(&nine) {
            None => return Err(NhsNumberError::NeverIssued),
            Some(expected) if expected != digits[9] => return Err(NhsNumberError::CheckDigitMismatch),
            Some(_) => {}
        }
        if digits.iter().all(|d| *d == digits[0]) {
            return Err(NhsNumberError::RepeatedDigits);
        }
        Ok(NhsNumber(digits.iter().fold(0u64, |acc, d| acc * 10 + u64::from(*d))))
    }

    /// Builds the NHS number whose first nine digits are `prefix` (0..=999_999_999),
    /// or `None` when those digits can never carry a valid check digit (or are all equal).
    ///
    /// Used by the synthetic generator to mint numbers that are valid by construction.
    pub fn from_prefix(prefix: u32) -> Option<Self> {
        if prefix > 999_999_999 {
            return None;
        }
        let mut nine = [0u8; 9];
        let mut rest = prefix;
        for slot in nine.iter_mut().rev() {
            *slot = (rest % 10) as u8;
            rest /= 10;
        }
        let check = check_digit(&nine)?;
        let number = u64::from(prefix) * 10 + u64::from(check);
        NhsNumber::parse(&format!("{number:010}")).ok()
    }

    /// The ten digits as one number (leading zeros are implied).
    pub fn value(self) -> u64 {
        self.0
    }

    /// The clinician-facing `NNN NNN NNNN` form.
    pub fn grouped(self) -> String {
        let s = self.to_string();
        format!("{} {} {}", &s[..3], &s[3..6], &s[6..])
    }
}

/// Modulus 11: weights 10..2 over the first nine digits; `11 - (sum mod 11)`, where 11
/// becomes 0 and 10 means the prefix is never issued.
fn check_digit(nine: &[u8; 9]) -> Option<u8> {
    let sum: u32 = nine.iter().zip((2..=10).rev()).map(|(d, w)| u32::from(*d) * w).sum();
    match 11 - (sum % 11) {
        11 => Some(0),
        10 => None,
        c => Some(c as u8),
    }
}

impl fmt::Display for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:010}", self.0)
    }
}

/// Redacted: an NHS number identifies a patient, so it never reaches logs by accident.
impl fmt::Debug for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NhsNumber(***{:04})", self.0 % 10_000)
    }
}

impl FromStr for NhsNumber {
    type Err = NhsNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NhsNumber::parse(s)
    }
}

impl TryFrom<String> for NhsNumber {
    type Error = NhsNumberError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        NhsNumber::parse(&value)
    }
}

impl From<NhsNumber> for String {
    fn from(value: NhsNumber) -> Self {
        value.to_string()
    }
}

/// An Organisation Data Service code (e.g. a GP practice `A81001`), upper-case letters
/// and digits, 3 to 10 characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OdsCode(String);

/// Why a text is not an ODS code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OdsCodeError {
    /// Length outside 3..=10.
    #[error("ODS code must be 3 to 10 characters, found {found}")]
    WrongLength {
        /// How many characters were given.
        found: usize,
    },
    /// Something other than a letter or digit.
    #[error("ODS code may contain only letters and digits")]
    InvalidCharacter,
}

impl OdsCode {
    /// Parses an ODS code; lower-case letters are accepted and stored upper-case.
    pub fn parse(text: &str) -> Result<Self, OdsCodeError> {
        let text = text.trim();
        let len = text.chars().count();
        if !(3..=10).contains(&len) {
            return Err(OdsCodeError::WrongLength { found: len });
        }
        if !text.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(OdsCodeError::InvalidCharacter);
        }
        Ok(OdsCode(text.to_ascii_uppercase()))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OdsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for OdsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OdsCode({})", self.0)
    }
}

impl FromStr for OdsCode {
    type Err = OdsCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OdsCode::parse(s)
    }
}

impl TryFrom<String> for OdsCode {
    type Error = OdsCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        OdsCode::parse(&value)
    }
}

impl From<OdsCode> for String {
    fn from(value: OdsCode) -> Self {
        value.0
    }
}

/// A SNOMED CT concept identifier (dm+d product identifiers are SNOMED concept ids too).
///
/// Checked on construction: 6 to 18 digits, a concept partition identifier (`00` for the
/// international release, `10` for a namespaced extension such as the UK's), and a valid
/// Verhoeff check digit. The check catches the typos that public code lists are known
/// to contain (see `shared/design/codes.md`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct SnomedCode(u64);

/// Why a number is not a SNOMED CT concept id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Not 6 to 18 digits.
    #[error("SNOMED CT identifier must have 6 to 18 digits")]
    WrongLength,
    /// Not digits at all.
    #[error("SNOMED CT identifier must be digits only")]
    NotDigits,
    /// The partition identifier says this is not a concept (e.g. a description id).
    #[error("SNOMED CT identifier is not a concept identifier (partition {0:02})")]
    NotAConcept(u64),
    /// The Verhoeff check digit does not match.
    #[error("SNOMED CT identifier fails its Verhoeff check digit")]
    CheckDigit,
}

impl SnomedCode {
    /// Validates a concept id given as a number.
    pub fn new(id: u64) -> Result<Self, CodeError> {
        let digits = id.to_string();
        if !(6..=18).contains(&digits.len()) {
            return Err(CodeError::WrongLength);
        }
        let partition = (id / 10) % 100;
        if partition != 0 && partition != 10 {
            return Err(CodeError::NotAConcept(partition));
        }
        if !verhoeff_valid(&digits) {
            return Err(CodeError::CheckDigit);
        }
        Ok(SnomedCode(id))
    }

    /// Validates a concept id given as text.
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        let text = text.trim();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::NotDigits);
        }
        if text.len() > 18 || text.starts_with('0') {
            return Err(CodeError::WrongLength);
        }
        SnomedCode::new(text.parse().map_err(|_| CodeError::WrongLength)?)
    }

    /// A code from one of this repository's verified, cited tables, usable in `const`
    /// context. It is not checked here: every table built with it has a test that runs
    /// [`SnomedCode::new`] over all its entries, so a typo fails the build's tests.
    pub const fn known(id: u64) -> Self {
        SnomedCode(id)
    }

    /// The identifier as a number.
    pub fn value(self) -> u64 {
        self.0
    }
}

impl fmt::Display for SnomedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for SnomedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SCT({})", self.0)
    }
}

impl TryFrom<u64> for SnomedCode {
    type Error = CodeError;
    fn try_from(value: u64) -> Result<Self, Self::Error> {
        SnomedCode::new(value)
    }
}

impl From<SnomedCode> for u64 {
    fn from(value: SnomedCode) -> Self {
        value.0
    }
}

/// Verhoeff dihedral-group check, as SNOMED CT identifiers use.
pub fn verhoeff_valid(digits: &str) -> bool {
    const D: [[u8; 10]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const P: [[u8; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    let mut c = 0u8;
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        c = D[c as usize][P[i % 8][(b - b'0') as usize] as usize];
    }
    c == 0
}

/// Identifies one entry within one patient's record (unique across entry kinds), so that
/// encounters can link to the entries made in them and later layers can derive stable
/// resource ids.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
pub struct EntryId(pub u32);

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_documented_example_number_is_accepted_in_both_spellings() {
        let plain = NhsNumber::parse("9434765919").unwrap();
        let grouped = NhsNumber::parse("943 476 5919").unwrap();
        assert_eq!(plain, grouped);
        assert_eq!(plain.to_string(), "9434765919");
        assert_eq!(plain.grouped(), "943 476 5919");
    }

    #[test]
    fn each_kind_of_bad_nhs_number_gets_its_own_error() {
        assert_eq!(NhsNumber::parse(""), Err(NhsNumberError::Empty));
        assert_eq!(NhsNumber::parse("943-476-5919"), Err(NhsNumberError::InvalidCharacter));
        assert_eq!(NhsNumber::parse("94347659"), Err(NhsNumberError::WrongLength { found: 8 }));
        assert_eq!(NhsNumber::parse("94347659190"), Err(NhsNumberError::WrongLength { found: 11 }));
        assert_eq!(NhsNumber::parse("9434 765 919"), Err(NhsNumberError::BadGrouping));
        assert_eq!(NhsNumber::parse("943  476 5919"), Err(NhsNumberError::BadGrouping));
        assert_eq!(NhsNumber::parse("9434765918"), Err(NhsNumberError::CheckDigitMismatch));
        assert_eq!(NhsNumber::parse("1111111111"), Err(NhsNumberError::RepeatedDigits));
        // 000000001 weights to sum 2 -> 11 - 2 = 9; 0000000060 sums to 12 -> check 10.
        assert_eq!(NhsNumber::parse("0000000060"), Err(NhsNumberError::NeverIssued));
    }

    #[test]
    fn debug_output_hides_all_but_the_last_four_digits() {
        let n = NhsNumber::parse("9434765919").unwrap();
        assert_eq!(format!("{n:?}"), "NhsNumber(***5919)");
    }

    #[test]
    fn prefixes_whose_check_value_is_ten_make_no_number() {
        assert!(NhsNumber::from_prefix(943_476_591).is_some());
        assert_eq!(NhsNumber::from_prefix(943_476_591).unwrap().to_string(), "9434765919");
        assert!(NhsNumber::from_prefix(6).is_none());
    }

    proptest! {
        #[test]
        fn valid_numbers_round_trip_through_both_spellings(prefix in 0u32..=999_999_999) {
            if let Some(n) = NhsNumber::from_prefix(prefix) {
                prop_assert_eq!(NhsNumber::parse(&n.to_string()), Ok(n));
                prop_assert_eq!(NhsNumber::parse(&n.grouped()), Ok(n));
                let json = serde_json_like(&n);
                prop_assert_eq!(json, n.to_string());
            }
        }

        #[test]
        fn any_single_digit_change_is_rejected(prefix in 0u32..=999_999_999, pos in 0usize..10, delta in 1u8..10) {
            if let Some(n) = NhsNumber::from_prefix(prefix) {
                let mut digits: Vec<u8> = n.to_string().into_bytes();
                digits[pos] = b'0' + (digits[pos] - b'0' + delta) % 10;
                let changed = String::from_utf8(digits).unwrap();
                prop_assert!(NhsNumber::parse(&changed).is_err(), "{} accepted", changed);
            }
        }

        #[test]
        fn arbitrary_text_never_panics_the_parser(text in ".{0,20}") {
            let _ = NhsNumber::parse(&text);
            let _ = OdsCode::parse(&text);
            let _ = SnomedCode::parse(&text);
        }

        #[test]
        fn a_single_digit_change_breaks_a_snomed_code(pos in 0usize..9, delta in 1u8..10) {
            let code = "319734006"; // Warfarin 3mg tablets
            let mut digits = code.as_bytes().to_vec();
            digits[pos] = b'0' + (digits[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(digits).unwrap();
            prop_assert!(!verhoeff_valid(&changed));
        }
    }

    fn serde_json_like(n: &NhsNumber) -> String {
        String::from(*n)
    }

    #[test]
    fn snomed_codes_are_checked() {
        assert!(SnomedCode::parse("319734006").is_ok());
        assert!(SnomedCode::parse("42084911000001109").is_ok());
        assert_eq!(SnomedCode::parse("39732411000001104"), Err(CodeError::CheckDigit));
        assert_eq!(SnomedCode::parse("3200818006"), Err(CodeError::CheckDigit));
        assert_eq!(SnomedCode::parse("12a"), Err(CodeError::NotDigits));
        assert_eq!(SnomedCode::parse("12345"), Err(CodeError::WrongLength));
    }

    #[test]
    fn ods_codes_are_normalised_to_upper_case() {
        assert_eq!(OdsCode::parse("a81001").unwrap().as_str(), "A81001");
        assert!(matches!(OdsCode::parse("A8"), Err(OdsCodeError::WrongLength { found: 2 })));
        assert_eq!(OdsCode::parse("A81-01"), Err(OdsCodeError::InvalidCharacter));
    }
}
