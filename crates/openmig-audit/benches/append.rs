//! `cargo bench -p openmig-audit`: durable appends per second, and each append's latency,
//! with 1 to 256 threads appending at once (each thread stands for a gateway request
//! waiting on its audit entry). Every append is synced (`synchronous=FULL`); the gain
//! with more threads is group commit.
//!
//! The log is written under the target directory (a real disk, not a tmpfs), so the
//! numbers include real syncs. `OPENMIG_BENCH_APPENDS` changes the appends per run.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use chrono::Utc;
use openmig_audit::{AuditEvent, AuditLog, AuditOptions, CheckpointKey, Outcome};
use openmig_domain::{ConsentBasis, Dataset, NhsNumber, OdsCode, Role};

fn event(i: u64) -> AuditEvent {
    AuditEvent {
        time: Utc::now(),
        interaction: "gpconnect.getstructuredrecord".into(),
        user_id: format!("user-{}", i % 50),
        user_name: "Dr Bench Mark".into(),
        role: Some(Role::Doctor),
        organisation: "RX1".into(),
        device: "ed-system".into(),
        patient: NhsNumber::from_prefix(900_000_000 + (i % 100_000) as u32 * 3)
            .or_else(|| NhsNumber::from_prefix(900_000_001)),
        practice: Some(OdsCode::parse("Z90001").unwrap()),
        purpose: "directcare".into(),
        consent: Some(ConsentBasis::Given),
        override_reason: None,
        datasets: vec![Dataset::Demographics, Dataset::Clinical],
        items_returned: 57,
        outcome: Outcome::Permitted,
        error_code: None,
        trace_id: format!("bench-{i}"),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn run(threads: usize, appends: usize) -> serde_json::Value {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let log = Arc::new(
        AuditLog::open(&dir.path().join("audit.db"), CheckpointKey::generate().unwrap(), AuditOptions::default())
            .unwrap(),
    );
    let each = appends / threads;
    let start = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let log = Arc::clone(&log);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                let events: Vec<AuditEvent> = (0..each).map(|i| event((t * each + i) as u64)).collect();
                start.wait();
                events
                    .into_iter()
                    .map(|e| {
                        let begun = Instant::now();
                        log.append(e).unwrap();
                        begun.elapsed()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    start.wait();
    let begun = Instant::now();
    let mut latencies: Vec<Duration> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    let elapsed = begun.elapsed();
    latencies.sort_unstable();
    let total = latencies.len();
    let per_second = total as f64 / elapsed.as_secs_f64();
    let p50 = percentile(&latencies, 0.50).as_secs_f64() * 1e3;
    let p99 = percentile(&latencies, 0.99).as_secs_f64() * 1e3;
    println!(
        "{threads:>4} threads  {total:>7} appends  {per_second:>9.0} appends/s  latency p50 {p50:>8.3} ms  p99 {p99:>8.3} ms"
    );
    Arc::try_unwrap(log).unwrap().close().unwrap();
    serde_json::json!({ "threads": threads, "appends": total, "appends_per_second": per_second, "p50_ms": p50, "p99_ms": p99 })
}

fn main() {
    // `cargo test --benches` runs this with `--bench` absent: keep that quick.
    let benching = std::env::args().any(|a| a == "--bench");
    let appends: usize = std::env::var("OPENMIG_BENCH_APPENDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if benching { 40_000 } else { 512 });
    println!("openmig-audit append benchmark (synchronous=FULL, group commit), {appends} appends per run");
    let runs: Vec<serde_json::Value> = [1, 4, 16, 64, 256]
        .into_iter()
        .map(|threads| {
            let appends = if threads == 1 { appends / 10 } else { appends };
            run(threads, appends.max(threads))
        })
        .collect();
    // The result file BENCHMARKS.md quotes (only for real runs, not `cargo test --benches`).
    if benching {
        let out = std::env::var("OPENMIG_BENCH_OUT").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench-results/audit-append.json").to_string()
        });
        let result = serde_json::json!({ "benchmark": "openmig-audit append", "synchronous": "FULL", "runs": runs });
        std::fs::write(&out, serde_json::to_string_pretty(&result).unwrap()).unwrap();
        println!("wrote {out}");
    }
}
