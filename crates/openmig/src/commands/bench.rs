//! `openmig bench`: generation throughput, size, peak memory and whole-record read
//! latency, written to a JSON file (numbers for BENCHMARKS.md come from here, never from
//! timed unit tests).

use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use openmig_directory::{Directory, SqliteDirectory};
use openmig_generator::{GeneratorConfig, nhs_numbers};
use openmig_store::Store;
use openmig_store_sqlite::SqliteStore;
use serde::Serialize;

use crate::cli::{BenchArgs, DEFAULT_PRACTICES_URL};
use crate::commands::generate::{generate_file, remove_layout};
use crate::output;
use crate::region::Layout;

#[derive(Debug, Serialize)]
struct Results {
    command: String,
    patients: u64,
    practices: u32,
    seed: u64,
    generate_seconds: f64,
    patients_per_second: f64,
    entries: u64,
    entries_per_second: f64,
    file_bytes: u64,
    bytes_per_patient: f64,
    document_bytes_per_patient: f64,
    peak_rss_bytes: Option<u64>,
    reads: usize,
    read_p50_ms: f64,
    read_p90_ms: f64,
    read_p99_ms: f64,
    read_max_ms: f64,
    cpus: usize,
}

/// Runs the command.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.medicines {
        return run_medicines(&args);
    }
    if args.federation {
        return crate::commands::bench_federation::run(&args);
    }
    if args.gateway {
        return crate::commands::bench_gateway::run(&args);
    }
    let practices =
        args.practices.unwrap_or_else(|| ((args.patients / 7_700).max(1) as u32).min(GeneratorConfig::MAX_PRACTICES));
    let config = GeneratorConfig {
        patients: args.patients,
        practices,
        seed: args.seed,
        as_of: NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date"),
    };
    if let Some(dir) = args.database.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let started = Instant::now();
    let produced = generate_file(config, &args.database, true, DEFAULT_PRACTICES_URL)?;
    let generate_seconds = started.elapsed().as_secs_f64();
    let peak_rss_bytes = peak_rss();
    let layout = Layout::of(&args.database);
    let mut file_bytes = std::fs::metadata(&layout.directory)?.len();
    for path in layout.practice_stores()?.values() {
        file_bytes += std::fs::metadata(path)?.len();
    }
    let stores = layout.open_practice_stores()?;
    let directory = SqliteDirectory::open_read_only(&layout.directory)?;
    let mut latencies = Vec::with_capacity(args.reads);
    let mut state = args.seed ^ 0x5DEE_CE66;
    for _ in 0..args.reads {
        // A cheap LCG picks patients uniformly; the bench needs no cryptographic randomness.
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let index = (state >> 33) % args.patients;
        let nhs = nhs_numbers::nhs_number(args.seed, index);
        let t = Instant::now();
        // As the practice's system reads it: its own store, keyed by NHS number (the
        // directory lookup is the gateway's, timed separately in --gateway).
        let practice = directory.patient(nhs)?.context("a generated patient is missing")?.registration.practice;
        let store = stores.store_of(&practice).context("a practice's store is missing")?;
        let record = store.record(nhs)?.context("a generated patient is missing")?;
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(record);
    }
    latencies.sort_by(f64::total_cmp);
    let results = Results {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        patients: produced.patients,
        practices,
        seed: args.seed,
        generate_seconds,
        patients_per_second: produced.patients as f64 / generate_seconds,
        entries: produced.entries,
        entries_per_second: produced.entries as f64 / generate_seconds,
        file_bytes,
        bytes_per_patient: file_bytes as f64 / produced.patients as f64,
        document_bytes_per_patient: produced.document_bytes as f64 / produced.patients as f64,
        peak_rss_bytes,
        reads: latencies.len(),
        read_p50_ms: percentile(&latencies, 0.50),
        read_p90_ms: percentile(&latencies, 0.90),
        read_p99_ms: percentile(&latencies, 0.99),
        read_max_ms: latencies.last().copied().unwrap_or(0.0),
        cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    };
    drop((directory, stores));
    if !args.keep {
        remove_layout(&layout);
    }
    write_results(&args.out, &results)
}

/// Peak resident set size of this process (Linux `VmHWM`), when available.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[derive(Debug, Serialize)]
struct MedicinesResults {
    command: String,
    patients: u64,
    review_p50_ms: f64,
    review_p95_ms: f64,
    review_p99_ms: f64,
    review_max_ms: f64,
    review_with_read_p95_ms: f64,
    practice_query_seconds: f64,
    practice_overdue_anticoagulants: usize,
    cpus: usize,
}

/// Medicines reviews over a one-practice region: per-patient review latency (pure
/// domain, and including the record read), and the practice-wide "all overdue
/// anticoagulants" query.
fn run_medicines(args: &BenchArgs) -> anyhow::Result<()> {
    use openmig_domain::medicines::{FlagCode, ReviewConfig, review};
    let as_of = crate::commands::bench_region::bench_day();
    crate::commands::bench_region::generate_region(args, 1)?;
    let layout = Layout::of(&args.database);
    let (ods, path) = layout.practice_stores()?.into_iter().next().context("the region has a practice")?;
    let store = SqliteStore::open_read_only(&path)?;

    let mut pure = Vec::new();
    let mut with_read = Vec::new();
    for index in 0..args.patients {
        let nhs = nhs_numbers::nhs_number(args.seed, index);
        let t = Instant::now();
        let record = store.record(nhs)?.context("a generated patient is missing")?;
        let read = t.elapsed();
        let t = Instant::now();
        std::hint::black_box(review(&record, as_of, &ReviewConfig::default()));
        let reviewed = t.elapsed();
        pure.push(reviewed.as_secs_f64() * 1000.0);
        with_read.push((read + reviewed).as_secs_f64() * 1000.0);
    }
    pure.sort_by(f64::total_cmp);
    with_read.sort_by(f64::total_cmp);

    let t = Instant::now();
    let overdue =
        crate::commands::overdue::overdue_in_practice(&store, &ods, Some(FlagCode::Anticoagulant), 14, as_of)?;
    let practice_query_seconds = t.elapsed().as_secs_f64();

    let results = MedicinesResults {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        patients: args.patients,
        review_p50_ms: percentile(&pure, 0.50),
        review_p95_ms: percentile(&pure, 0.95),
        review_p99_ms: percentile(&pure, 0.99),
        review_max_ms: pure.last().copied().unwrap_or(0.0),
        review_with_read_p95_ms: percentile(&with_read, 0.95),
        practice_query_seconds,
        practice_overdue_anticoagulants: overdue.len(),
        cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    };
    drop(store);
    if !args.keep {
        remove_layout(&layout);
    }
    write_results(&args.out, &results)
}

pub(crate) fn write_results(out: &std::path::Path, results: &impl Serialize) -> anyhow::Result<()> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let json = serde_json::to_string_pretty(results)?;
    std::fs::write(out, &json).with_context(|| format!("cannot write {}", out.display()))?;
    output::line(&json.to_string())?;
    Ok(())
}

/// The `p` quantile (nearest rank) of values sorted ascending; 0 when there are none.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted.get(((sorted.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0.0)
}
