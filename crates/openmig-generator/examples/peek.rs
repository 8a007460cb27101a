//! Prints population statistics for a region (a development aid for tuning the tables
//! documented in docs/population.md): `cargo run --release --example peek -- 50000`.
use chrono::NaiveDate;
use openmig_generator::stats::PopulationStats;
use openmig_generator::{GeneratorConfig, Region};

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date");
    let region = Region::plan(GeneratorConfig { patients: n, practices: 7, seed: 1, as_of }).expect("valid config");
    let mut stats = PopulationStats::default();
    for i in 0..n {
        stats.add(&region.record(i), as_of);
    }
    let s = &stats;
    for (condition, count) in &s.with_condition {
        println!("{condition:?}: {:.2}%", 100.0 * s.share(*count));
    }
    println!(
        "male {:.1}% 65+ {:.1}% under18 {:.1}%",
        100.0 * s.share(s.males),
        100.0 * s.share(s.aged_65_plus),
        100.0 * s.share(s.under_18)
    );
    println!(
        "any repeat {:.1}%  >=5 repeats {:.1}%  overdue {:.1}%  high-risk {:.1}%",
        100.0 * s.share(s.on_any_repeat),
        100.0 * s.share(s.on_five_or_more),
        100.0 * s.share(s.with_overdue_repeat),
        100.0 * s.share(s.with_high_risk_medicine)
    );
    println!(
        "AF anticoagulated {:.1}%  T2DM metformin {:.1}%  epilepsy treated {:.1}%",
        100.0 * PopulationStats::ratio(s.active_af_anticoagulated, s.active_af),
        100.0 * PopulationStats::ratio(s.active_t2dm_on_metformin, s.active_t2dm),
        100.0 * PopulationStats::ratio(s.active_epilepsy_treated, s.active_epilepsy)
    );
    println!(
        "penicillin allergy {:.2}%  NKA {:.1}%  dissent {:.2}%  deceased {:.2}%",
        100.0 * s.share(s.penicillin_allergy),
        100.0 * s.share(s.no_known_allergies),
        100.0 * s.share(s.dissent),
        100.0 * s.share(s.deceased)
    );
    println!(
        "56-day issues {:.1}%  entries/patient {:.1}",
        100.0 * PopulationStats::ratio(s.issues_56_day, s.repeat_issues),
        s.entries as f64 / s.patients as f64
    );
}
