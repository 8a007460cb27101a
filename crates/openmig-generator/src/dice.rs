//! The generator's source of randomness: a seeded ChaCha stream per purpose and index.
//!
//! Every practice and every patient gets its own stream derived from (seed, purpose,
//! index), so patient 1,234,567 is the same whichever order or thread generates it. That
//! is what makes generation both parallel and reproducible byte for byte.

use chrono::{Days, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Purposes, so streams for different things never coincide.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub enum Purpose {
    /// The region plan (practice sizes, sharing flags).
    Region = 1,
    /// One practice.
    Practice = 2,
    /// One patient.
    Patient = 3,
    /// The NHS-number permutation.
    NhsNumbers = 4,
}

/// SplitMix64 finaliser: spreads nearby inputs far apart.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seeded random stream with the draws the generator needs.
pub struct Dice(ChaCha8Rng);

impl Dice {
    /// The stream for `purpose` and `index` under `seed`.
    pub fn new(seed: u64, purpose: Purpose, index: u64) -> Self {
        Dice(ChaCha8Rng::seed_from_u64(mix(seed ^ mix((purpose as u64) << 56 ^ mix(index)))))
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.0.random::<f64>() < p
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        if hi <= lo { lo } else { lo + (hi - lo) * self.0.random::<f64>() }
    }

    /// Uniform integer in `[lo, hi]`.
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo { lo } else { self.0.random_range(lo..=hi) }
    }

    /// Normal draw (Box-Muller; one value per call keeps streams simple).
    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let u1: f64 = 1.0 - self.0.random::<f64>();
        let u2: f64 = self.0.random::<f64>();
        mean + sd * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// Poisson draw (Knuth's method; the generator's rates are small).
    pub fn poisson(&mut self, lambda: f64) -> u32 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 30.0 {
            return self.normal(lambda, lambda.sqrt()).round().max(0.0) as u32;
        }
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut p = 1.0;
        loop {
            p *= self.0.random::<f64>();
            if p <= limit {
                return k;
            }
            k += 1;
        }
    }

    /// One element, uniformly.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.0.random_range(0..items.len())]
    }

    /// One element by integer weight.
    pub fn weighted<'a, T>(&mut self, items: &'a [(u32, T)]) -> &'a T {
        let total: u32 = items.iter().map(|(w, _)| w).sum();
        let mut roll = self.0.random_range(0..total.max(1));
        for (w, item) in items {
            if roll < *w {
                return item;
            }
            roll -= w;
        }
        &items[items.len() - 1].1
    }

    /// A day uniformly in `[from, to]` (returns `from` when the range is empty).
    pub fn day_between(&mut self, from: NaiveDate, to: NaiveDate) -> NaiveDate {
        let span = (to - from).num_days();
        if span <= 0 {
            return from;
        }
        from + Days::new(self.int(0, span) as u64)
    }

    /// A capital letter from `letters`.
    pub fn letter(&mut self, letters: &str) -> char {
        let bytes = letters.as_bytes();
        bytes[self.0.random_range(0..bytes.len())] as char
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_purpose_and_index_give_the_same_stream() {
        let mut a = Dice::new(7, Purpose::Patient, 42);
        let mut b = Dice::new(7, Purpose::Patient, 42);
        let mut c = Dice::new(7, Purpose::Patient, 43);
        let xs: Vec<i64> = (0..8).map(|_| a.int(0, 1_000_000)).collect();
        let ys: Vec<i64> = (0..8).map(|_| b.int(0, 1_000_000)).collect();
        let zs: Vec<i64> = (0..8).map(|_| c.int(0, 1_000_000)).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn poisson_and_normal_have_roughly_the_right_mean() {
        let mut d = Dice::new(1, Purpose::Region, 0);
        let n = 20_000;
        let p: f64 = (0..n).map(|_| f64::from(d.poisson(3.0))).sum::<f64>() / f64::from(n);
        let g: f64 = (0..n).map(|_| d.normal(10.0, 2.0)).sum::<f64>() / f64::from(n);
        assert!((p - 3.0).abs() < 0.1, "poisson mean {p}");
        assert!((g - 10.0).abs() < 0.1, "normal mean {g}");
    }
}
