//! What a medicine *is*, read from its dm+d name: the substance, the strength, and a
//! normalised dose instruction.
//!
//! The questions clinicians ask ("did the GP start atorvastatin?", "what changed?") are
//! about substances, not dm+d products: "Atorvastatin 40mg tablets" and "Atorvastatin 80mg
//! tablets" are different products of one substance, and "Epilim Chrono 500 tablets" is a
//! brand of sodium valproate. openmig holds no dm+d VTM/VMP/AMP hierarchy (that is a
//! licensed, monthly-updated data set), so the substance is derived from the name:
//!
//! * **Rule (substance).** Lower-case the dm+d name and take its leading words up to the
//!   first word that starts with a digit (the strength) or names a form ("tablets",
//!   "gastro-resistant", "oral"…). dm+d VMP names follow exactly that pattern
//!   (`<substance> <strength> <form>`, NHSBSA "dm+d Editorial Policy", naming of VMPs), so
//!   "Atorvastatin 40mg tablets" → `atorvastatin`.
//! * Salt and ester words are dropped so that salts of one substance meet ("Sodium
//!   valproate" → `valproate`, "Levothyroxine sodium" → `levothyroxine`), unless nothing
//!   would be left.
//! * **Brands.** AMP names may start with a brand instead of the substance. A short table,
//!   [`BRAND_SUBSTANCES`], maps the brands of the AMPs in `shared/design/codes.md` (Epilim,
//!   Epilim Chrono, Lantus, Lyrica, OxyContin, Clenil Modulite, Timoptol) to their
//!   substance, so **Epilim Chrono 500 (739111000001100) and sodium valproate 500mg
//!   (322957006) are the same substance** for changes and "prescribed as asked?". A brand
//!   missing from the table is treated as its own substance: a switch to it reads as
//!   "stopped / started" rather than "switched", which is visible, never hidden.
//! * **Strength** is the first word starting with a digit after the substance, with its
//!   unit joined when written apart ("80 mg"), and "micrograms"/"mcg"/"units" normalised.
//!   Brand AMP names often omit the unit ("Epilim Chrono 500"), so a bare number matches a
//!   strength with the same leading number ("500" matches "500mg").

use serde::Serialize;

use crate::record::Product;

/// Brand (AMP name prefix, lower case, longest first) → substance key. Only brands of the
/// AMPs listed in `shared/design/codes.md` section 2 and 2d; extend it with the AMPs the
/// formulary gains, never from memory.
pub const BRAND_SUBSTANCES: &[(&str, &str)] = &[
    ("clenil modulite", "beclometasone"),
    ("epilim chrono", "valproate"),
    ("epilim", "valproate"),
    ("lantus", "insulin glargine"),
    ("lyrica", "pregabalin"),
    ("oxycontin", "oxycodone"),
    ("timoptol", "timolol"),
];

/// Words that end the substance part of a dm+d name: forms, release types and routes.
const FORM_WORDS: &[&str] = &[
    "m/r",
    "caplets",
    "capsule",
    "capsules",
    "cartridges",
    "chewable",
    "cream",
    "dispersible",
    "drops",
    "e/c",
    "effervescent",
    "for",
    "gastro-resistant",
    "gel",
    "inhaler",
    "injection",
    "liquid",
    "modified-release",
    "mr",
    "nasal",
    "ointment",
    "oral",
    "orodispersible",
    "patch",
    "patches",
    "powder",
    "pre-filled",
    "prolonged-release",
    "solution",
    "soluble",
    "spray",
    "suppositories",
    "suspension",
    "syrup",
    "tablet",
    "tablets",
    "transdermal",
];

/// Salt, ester and hydrate words dropped from a substance so that salts meet.
const SALT_WORDS: &[&str] = &[
    "acetate",
    "besilate",
    "carbonate",
    "citrate",
    "dihydrate",
    "dipropionate",
    "etexilate",
    "fumarate",
    "hydrobromide",
    "hydrochloride",
    "maleate",
    "mesilate",
    "monohydrate",
    "phosphate",
    "potassium",
    "propionate",
    "semisodium",
    "sodium",
    "succinate",
    "sulfate",
    "sulphate",
    "tartrate",
];

/// Unit words that may follow a bare number ("80 mg").
const UNIT_WORDS: &[&str] = &["%", "g", "mcg", "mg", "microgram", "micrograms", "ml", "unit", "units"];

/// The matching key for a medicine: a lower-case substance name such as `atorvastatin`
/// or `valproate` (see the module rule).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Substance(String);

impl Substance {
    /// The substance of a product. Never fails: a name with no leading words (e.g. one
    /// starting with a number) falls back to its whole lower-cased text, then to the code.
    #[must_use]
    pub fn of_product(product: &Product) -> Substance {
        Substance::from_text(&product.name)
            .or_else(|| {
                let whole = normalise_words(&product.name).join(" ");
                (!whole.is_empty()).then_some(Substance(whole))
            })
            .unwrap_or_else(|| Substance(format!("dm+d {}", product.code)))
    }

    /// The substance named by free text ("atorvastatin 80mg", "Naproxen 500mg tablets",
    /// "Epilim Chrono 500"). `None` when the text names nothing before a number or form.
    #[must_use]
    pub fn from_text(text: &str) -> Option<Substance> {
        let words = normalise_words(text);
        let leading: Vec<&str> = words.iter().map(String::as_str).take_while(|w| !ends_substance(w)).collect();
        if leading.is_empty() {
            return None;
        }
        let joined = leading.join(" ");
        if let Some((_, substance)) = BRAND_SUBSTANCES.iter().find(|(brand, _)| starts_with_words(&joined, brand)) {
            return Some(Substance((*substance).to_string()));
        }
        let without_salts: Vec<&str> = leading.iter().copied().filter(|w| !SALT_WORDS.contains(w)).collect();
        let kept = if without_salts.is_empty() { leading } else { without_salts };
        Some(Substance(kept.join(" ")))
    }

    /// The key as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A strength as written in a dm+d name or a request, normalised ("40mg",
/// "100microgram/dose", "30mg/500mg", or a bare "500" from a brand name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Strength(String);

impl Strength {
    /// The strength in a product name or request text: the first word after the
    /// substance that starts with a digit. `None` when there is none.
    #[must_use]
    pub fn from_text(text: &str) -> Option<Strength> {
        let words = normalise_words(text);
        let at = words.iter().position(|w| starts_with_digit(w))?;
        Some(Strength::from_words(&words[at..]))
    }

    /// A strength that is written with a unit somewhere in `text` ("80mg at night",
    /// "take 2.5 mg"). Bare numbers are not strengths here: in a dose instruction "1"
    /// means one tablet.
    #[must_use]
    pub fn with_unit_in(text: &str) -> Option<Strength> {
        let words = normalise_words(text);
        (0..words.len()).filter(|&i| starts_with_digit(&words[i])).map(|i| Strength::from_words(&words[i..])).find(
            |s| {
                s.0.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.')
                    .chars()
                    .next()
                    .is_some_and(|c| c != '/')
            },
        )
    }

    /// True when the two strengths are the same, reading a bare number as matching any
    /// strength with the same leading number ("500" matches "500mg").
    #[must_use]
    pub fn matches(&self, other: &Strength) -> bool {
        if self == other {
            return true;
        }
        let bare = |s: &Strength| s.0.chars().all(|c| c.is_ascii_digit() || c == '.');
        let number = |s: &Strength| s.0.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect::<String>();
        (bare(self) || bare(other)) && number(self) == number(other)
    }

    /// The strength as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn from_words(words: &[String]) -> Strength {
        let mut text = words.first().cloned().unwrap_or_default();
        let is_number = text.chars().all(|c| c.is_ascii_digit() || c == '.');
        if is_number && let Some(unit) = words.get(1).filter(|w| UNIT_WORDS.contains(&w.as_str())) {
            text.push_str(unit);
        }
        Strength(normalise_units(&text))
    }
}

/// A dose instruction reduced for comparison: lower case, punctuation removed, "one" to
/// "four" as digits, plural forms singular ("One tablet twice a day" and "1 tablet twice
/// a day." compare equal). Free-text doses vary, so a mismatch means "check", and both
/// texts are always shown.
#[must_use]
pub fn normalise_dose(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '.')
        .map(|w| w.trim_matches('.'))
        .filter(|w| !w.is_empty())
        .map(|w| match w {
            "one" => "1",
            "two" => "2",
            "three" => "3",
            "four" => "4",
            "tablets" => "tablet",
            "capsules" => "capsule",
            "puffs" => "puff",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The strength of a product, from its dm+d name.
#[must_use]
pub fn strength_of(product: &Product) -> Option<Strength> {
    Strength::from_text(&product.name)
}

fn normalise_words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')' | ';'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// True when `text` is `prefix` or starts with `prefix` followed by a space.
pub(crate) fn starts_with_words(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
}

fn ends_substance(word: &str) -> bool {
    starts_with_digit(word) || FORM_WORDS.contains(&word)
}

fn starts_with_digit(word: &str) -> bool {
    word.chars().next().is_some_and(|c| c.is_ascii_digit())
}

fn normalise_units(text: &str) -> String {
    text.replace("micrograms", "microgram").replace("mcg", "microgram").replace("units", "unit")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identifiers::SnomedCode;

    fn product(code: u64, name: &str) -> Product {
        Product { code: SnomedCode::known(code), name: name.into() }
    }

    fn substance(name: &str) -> String {
        Substance::of_product(&product(320031002, name)).as_str().to_string()
    }

    #[test]
    fn the_substance_is_the_leading_words_before_the_strength() {
        assert_eq!(substance("Atorvastatin 40mg tablets"), "atorvastatin");
        assert_eq!(substance("Co-codamol 30mg/500mg tablets"), "co-codamol");
        assert_eq!(substance("Insulin glargine 100units/ml solution for injection 3ml cartridges"), "insulin glargine");
        assert_eq!(substance("Salbutamol 100micrograms/dose inhaler CFC free (Mylan)"), "salbutamol");
        assert_eq!(substance("Dabigatran etexilate 150mg capsules"), "dabigatran");
    }

    #[test]
    fn salts_and_brands_meet_their_substance() {
        assert_eq!(substance("Sodium valproate 500mg gastro-resistant tablets"), "valproate");
        assert_eq!(substance("Epilim Chrono 500 tablets"), "valproate");
        assert_eq!(substance("Epilim 200 gastro-resistant tablets"), "valproate");
        assert_eq!(substance("Levothyroxine sodium 50microgram tablets"), "levothyroxine");
        assert_eq!(
            substance("Lantus 100units/ml solution for injection 3ml pre-filled SoloStar pen"),
            "insulin glargine"
        );
        assert_eq!(
            substance("Morphine sulfate 10mg/5ml oral solution"),
            substance("Morphine 10mg modified-release tablets")
        );
    }

    #[test]
    fn a_name_without_leading_words_falls_back_to_its_text() {
        assert_eq!(substance("5% cream"), "5% cream");
        assert_eq!(Substance::of_product(&product(320031002, "")).as_str(), "dm+d 320031002");
        assert_eq!(Substance::from_text("80mg"), None);
    }

    #[test]
    fn strengths_are_read_and_compared_with_units_normalised() {
        assert_eq!(Strength::from_text("Atorvastatin 40mg tablets").unwrap().as_str(), "40mg");
        assert_eq!(Strength::from_text("atorvastatin 80 mg").unwrap().as_str(), "80mg");
        assert_eq!(Strength::from_text("Levothyroxine 50mcg").unwrap().as_str(), "50microgram");
        let brand = Strength::from_text("Epilim Chrono 500 tablets").unwrap();
        assert!(brand.matches(&Strength::from_text("Sodium valproate 500mg gastro-resistant tablets").unwrap()));
        assert!(!Strength::from_text("80mg").unwrap().matches(&Strength::from_text("40mg").unwrap()));
        assert_eq!(Strength::from_text("naproxen"), None);
    }

    #[test]
    fn a_dose_instruction_strength_needs_a_unit() {
        assert_eq!(Strength::with_unit_in("80mg at night").unwrap().as_str(), "80mg");
        assert_eq!(Strength::with_unit_in("take 2.5 mg weekly").unwrap().as_str(), "2.5mg");
        assert_eq!(Strength::with_unit_in("1 tablet at night"), None);
    }

    #[test]
    fn dose_instructions_compare_after_normalising_wording() {
        assert_eq!(normalise_dose("One tablet twice a day"), normalise_dose("1 tablets, twice a day."));
        assert_ne!(normalise_dose("Two tablets twice a day"), normalise_dose("One tablet twice a day"));
    }
}
