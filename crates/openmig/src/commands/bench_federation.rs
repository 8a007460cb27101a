//! `openmig bench --federation`: end-to-end latency of a clinical view through the gateway
//! and a practice's provider over loopback (p50 / p99, 1 and 16 concurrent clients), and
//! what happens to other practices when one practice is down.
//!
//! Both legs are real sockets, as `openmig serve` runs them. Consumer → gateway: the
//! gateway's router served by `axum::serve` on a loopback port, plain HTTP/1.1, each
//! client on a pooled keep-alive connection. Gateway → practices: every practice's
//! system on one mutual-TLS listener (as `serve --role practices` runs them), at the
//! endpoints the directory names, the gateway's pooled HTTPS client, the
//! resilience policies and the last-good cache. The view is the medicines review
//! (`GET /api/v1/patients/{nhs}/medicines`), which needs the whole record: the provider
//! renders it as GP Connect, the gateway reads it back.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use axum::body::Body;
use axum::http::Request;
use openmig_domain::{NhsNumber, OdsCode};
use openmig_gateway::federation::FederationOptions;
use openmig_gateway::lastgood::LastGoodCache;
use openmig_generator::nhs_numbers;
use openmig_provider::{FaultSettings, Faults};
use serde::Serialize;

use crate::cli::BenchArgs;
use crate::commands::bench::{percentile, write_results};
use crate::commands::bench_region::{BenchRegion, HttpClient, LoopbackServer, http_client};

#[derive(Debug, Serialize)]
struct Run {
    scenario: String,
    clients: usize,
    views: usize,
    p50_ms: f64,
    p99_ms: f64,
    views_per_second: f64,
}

#[derive(Debug, Serialize)]
struct FederationResults {
    command: String,
    patients: u64,
    runs: Vec<Run>,
    cpus: usize,
}

/// Runs the benchmark.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let region = BenchRegion::generate(args, 3)?;
    let token = region.token.clone();
    let practices: Vec<_> =
        region.practices.iter().map(|entry| &entry.practice).filter(|p| p.sharing_enabled).collect();
    let [down, healthy, ..] = practices.as_slice() else { bail!("the region needs two practices that share") };
    let (down, healthy) = (down.ods_code.clone(), healthy.ods_code.clone());
    let cache = LastGoodCache::open(region.database(), &[3; 32], 100_000, chrono::Duration::hours(24))?;

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let results = runtime.block_on(async {
        let faults = Faults::new();
        let directory = region.start_practices(faults.clone()).await?;
        let gateway = region.gateway(directory, FederationOptions::default(), Some(Arc::new(cache)))?;
        let server = LoopbackServer::start(openmig_gateway::router(Arc::new(gateway))).await?;
        let consumer = Consumer { client: http_client(), gateway_url: server.base_url.clone(), token };

        // The patients the gateway shows live, by practice (one warm-up view each, which
        // also fills the last-good cache).
        let mut shown: HashMap<OdsCode, Vec<NhsNumber>> = HashMap::new();
        for index in 0..args.patients.min(3_000) {
            let nhs = nhs_numbers::nhs_number(args.seed, index);
            let Some(record) = region.record(nhs)? else { continue };
            let ods = record.patient.registration.practice.clone();
            if (ods == down || ods == healthy) && consumer.view(nhs).await?.0 == 200 {
                shown.entry(ods).or_default().push(nhs);
            }
        }
        let (at_down, at_healthy) = (
            shown.remove(&down).context("no patient shown at the first practice")?,
            shown.remove(&healthy).context("no patient shown at the second practice")?,
        );
        let views = args.reads.max(16);
        let mut runs = Vec::new();
        for clients in [1, 16] {
            runs.push(measure(&consumer, &at_healthy, clients, views, "all practices up").await?);
        }
        faults.set(&down, FaultSettings { down: true, ..FaultSettings::default() }).map_err(anyhow::Error::msg)?;
        for clients in [1, 16] {
            runs.push(measure(&consumer, &at_healthy, clients, views, "another practice down").await?);
        }
        runs.push(measure(&consumer, &at_down, 16, views, "practice down: last-good copy").await?);
        drop(consumer);
        server.stop().await?;
        anyhow::Ok(FederationResults {
            command: std::env::args().collect::<Vec<_>>().join(" "),
            patients: args.patients,
            runs,
            cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        })
    })?;
    drop(runtime);
    region.finish(args.keep)?;
    write_results(&args.out, &results)
}

/// The consumer: a doctor's token and a keep-alive HTTP client of the gateway's socket.
#[derive(Debug, Clone)]
struct Consumer {
    client: HttpClient,
    gateway_url: String,
    token: String,
}

impl Consumer {
    /// One medicines view: status and milliseconds, the whole answer read.
    async fn view(&self, nhs: NhsNumber) -> anyhow::Result<(u16, f64)> {
        let request = Request::get(format!("{}/api/v1/patients/{nhs}/medicines", self.gateway_url))
            .header("Authorization", format!("Bearer {}", self.token))
            .body(Body::empty())?;
        let started = Instant::now();
        let response = self.client.request(request).await?;
        let status = response.status().as_u16();
        axum::body::to_bytes(Body::new(response.into_body()), usize::MAX).await?;
        Ok((status, started.elapsed().as_secs_f64() * 1e3))
    }
}

/// `views` views of `patients` by `clients` concurrent clients; every view must be 200.
async fn measure(
    consumer: &Consumer,
    patients: &[NhsNumber],
    clients: usize,
    views: usize,
    scenario: &str,
) -> anyhow::Result<Run> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let consumer = consumer.clone();
        let mine: Vec<NhsNumber> = (client..views).step_by(clients).map(|i| patients[i % patients.len()]).collect();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for nhs in mine {
                let (status, ms) = consumer.view(nhs).await?;
                if status != 200 {
                    bail!("a view failed (HTTP {status})");
                }
                latencies.push(ms);
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    Ok(Run {
        scenario: scenario.to_string(),
        clients,
        views: latencies.len(),
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        views_per_second: latencies.len() as f64 / seconds,
    })
}
