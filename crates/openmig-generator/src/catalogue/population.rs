//! The age and sex structure of the synthetic region.
//!
//! Shares per five-year band are shaped on the ONS Census 2021 age structure of the
//! North East region (rounded; an older population than England's, with a large
//! 50-64 cohort). The generator's tests check the realised structure against these
//! targets, and `docs/population.md` states them.

/// (youngest age in band, share of the population, share of the band that is male).
/// The last band is 90-104.
pub const AGE_SEX_PYRAMID: &[(u32, f64, f64)] = &[
    (0, 0.050, 0.512),
    (5, 0.056, 0.512),
    (10, 0.057, 0.512),
    (15, 0.054, 0.512),
    (20, 0.065, 0.505),
    (25, 0.066, 0.495),
    (30, 0.066, 0.495),
    (35, 0.062, 0.495),
    (40, 0.059, 0.495),
    (45, 0.061, 0.490),
    (50, 0.069, 0.490),
    (55, 0.071, 0.488),
    (60, 0.064, 0.488),
    (65, 0.058, 0.480),
    (70, 0.055, 0.475),
    (75, 0.040, 0.455),
    (80, 0.026, 0.430),
    (85, 0.014, 0.390),
    (90, 0.007, 0.320),
];

/// Oldest age generated.
pub const MAX_AGE: u32 = 104;
