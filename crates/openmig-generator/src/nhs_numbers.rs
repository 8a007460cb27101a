//! Minting synthetic NHS numbers: valid by construction, unique, and outside the ranges
//! issued to real people.
//!
//! Live NHS numbers for patients in England and Wales are issued from the 4xx and
//! 6xx-7xx ranges; 9-prefixed numbers are what NHS test environments use (the Spine
//! integration test patients have them). Every synthetic patient therefore gets a
//! 9-prefixed number. Patient index `i` is scrambled by an affine permutation (multiplier coprime
//! with the modulus, offset from the seed) onto a slot; slot `s` selects the 8-digit
//! block `9` + `s / 9` and the `(s % 9)`-th valid ninth digit in it. At most one of the
//! ten ninth digits gives check value 10, so every block has nine valid numbers: the
//! mapping is collision-free for up to [`CAPACITY`] patients.

use openmig_domain::NhsNumber;

use crate::dice::{Purpose, mix};

/// Blocks `9000000..=9999998` (the all-nines block is left out because 9999999999
/// is refused as ten identical digits), nine numbers each.
pub const CAPACITY: u64 = 9 * 9_999_999;

/// Coprime with CAPACITY (= 3^4 x 239 x 4649): not divisible by 3, 239 or 4649.
const MULTIPLIER: u64 = 48_271_007;

/// The NHS number of patient `index` in a region generated with `seed`.
pub fn nhs_number(seed: u64, index: u64) -> NhsNumber {
    assert!(index < CAPACITY, "patient index beyond synthetic NHS number capacity");
    let offset = mix(seed ^ Purpose::NhsNumbers as u64) % CAPACITY;
    let slot = ((u128::from(index) * u128::from(MULTIPLIER) + u128::from(offset)) % u128::from(CAPACITY)) as u64;
    let block = 90_000_000 + slot / 9;
    let rank = slot % 9;
    (0..10u32)
        .filter_map(|d| NhsNumber::from_prefix(block as u32 * 10 + d))
        .nth(rank as usize)
        .expect("every block has nine valid numbers")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn gcd(a: u64, b: u64) -> u64 {
        if b == 0 { a } else { gcd(b, a % b) }
    }

    #[test]
    fn the_multiplier_makes_a_permutation() {
        assert_eq!(gcd(MULTIPLIER, CAPACITY), 1);
    }

    #[test]
    fn numbers_are_valid_unique_and_start_with_nine() {
        let mut seen = HashSet::new();
        for i in 0..200_000 {
            let n = nhs_number(42, i);
            assert!(n.to_string().starts_with('9'));
            assert_eq!(NhsNumber::parse(&n.to_string()), Ok(n));
            assert!(seen.insert(n), "duplicate at {i}");
        }
    }

    #[test]
    fn every_block_has_nine_valid_numbers() {
        for block in [90_000_000u32, 94_347_659, 99_999_998] {
            let valid = (0..10).filter(|d| NhsNumber::from_prefix(block * 10 + d).is_some()).count();
            assert!(valid >= 9, "block {block} has {valid}");
        }
    }
}
