//! `openmig bench --gateway`: audited views per second through the gateway, and the
//! latency the gateway adds over calling the practice's provider directly.
//!
//! Both routers are the ones `openmig serve` runs, called in-process (tower `oneshot`);
//! the gateway federates to the practice's system over a real mutual-TLS loopback
//! socket, as it always does. So the difference between the two is the gateway's work:
//! token signature check, locate in the directory, policy, the federated fetch (the
//! provider's rendering, TLS, the STU3 read-back), durable audit append (group commit,
//! `synchronous=FULL`) and the consumer's Bundle rendering. The request is the GP Connect
//! structured record with allergies and medication (issues included), for random
//! patients of the region.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Router;
use axum::body::Body;
use axum::http::Request;
use openmig_auth::TrustedIssuers;
use openmig_domain::NhsNumber;
use openmig_gateway::federation::{FederationOptions, unsigned_jwt};
use openmig_generator::nhs_numbers;
use serde::Serialize;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::cli::BenchArgs;
use crate::commands::bench::{percentile, write_results};
use crate::commands::bench_region::BenchRegion;

#[derive(Debug, Serialize)]
struct GatewayResults {
    command: String,
    patients: u64,
    sequential_requests: usize,
    provider_p50_ms: f64,
    provider_p99_ms: f64,
    gateway_p50_ms: f64,
    gateway_p99_ms: f64,
    gateway_added_p50_ms: f64,
    concurrency: Vec<Throughput>,
    cpus: usize,
}

#[derive(Debug, Serialize)]
struct Throughput {
    target: &'static str,
    concurrent_clients: usize,
    views: usize,
    views_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// The gateway's GP Connect operation.
const GATEWAY_OPERATION: &str = "/gpconnect/fhir/Patient/$gpc.getstructuredrecord";

/// Runs the benchmark.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let region = BenchRegion::generate(args, 1)?;
    let now = region.now;
    let practice = region.practices.first().context("the region has a practice")?.practice.clone();
    let issuers = TrustedIssuers::from_key(&region.issuer);
    let identity = issuers.verify(Some(&format!("Bearer {}", region.token)), openmig_auth::DEFAULT_AUDIENCE, now)?;
    let provider_audience = format!("http://bench/{}/STU3/1/gpconnect/structured", practice.ods_code);
    let gp_connect_jwt =
        unsigned_jwt(&Value::Object(identity.gp_connect_claims("openmig-gateway", &provider_audience, now)));
    let provider_router = openmig_provider::router(region.stores.clone(), move || now);
    let patients: Vec<NhsNumber> = (0..args.patients).map(|i| nhs_numbers::nhs_number(args.seed, i)).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let results = runtime.block_on(async {
        let directory = region.start_practices(openmig_provider::Faults::new()).await?;
        let gateway = region.gateway(directory, FederationOptions::default(), None)?;
        let calls = Calls {
            gateway: openmig_gateway::router(Arc::new(gateway)),
            provider: provider_router,
            token: region.token.clone(),
            gp_connect_jwt,
            provider_path: format!(
                "{}/Patient/$gpc.getstructuredrecord",
                openmig_provider::base_path(&practice.ods_code)
            ),
            asid: practice.asid.clone(),
        };
        // Only patients both paths may show (not dissented, deceased, …) are timed.
        let shown = calls.shown_patients(&patients).await?;
        let sequential = args.reads.min(shown.len() * 4).max(1);
        let (mut provider, mut through_gateway) = (Vec::new(), Vec::new());
        for i in 0..sequential {
            let nhs = shown[i % shown.len()];
            provider.push(ms(calls.provider(nhs).await?.1));
            through_gateway.push(ms(calls.gateway(nhs).await?.1));
        }
        provider.sort_by(f64::total_cmp);
        through_gateway.sort_by(f64::total_cmp);
        let mut concurrency = Vec::new();
        for clients in [1, 16, 64] {
            for target in [Target::Provider, Target::Gateway, Target::GatewayPatientRead] {
                concurrency.push(calls.throughput(&shown, clients, sequential.max(clients), target).await?);
            }
        }
        anyhow::Ok(GatewayResults {
            command: std::env::args().collect::<Vec<_>>().join(" "),
            patients: args.patients,
            sequential_requests: sequential,
            provider_p50_ms: percentile(&provider, 0.50),
            provider_p99_ms: percentile(&provider, 0.99),
            gateway_p50_ms: percentile(&through_gateway, 0.50),
            gateway_p99_ms: percentile(&through_gateway, 0.99),
            gateway_added_p50_ms: percentile(&through_gateway, 0.50) - percentile(&provider, 0.50),
            concurrency,
            cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        })
    })?;
    drop(runtime);
    region.finish(args.keep)?;
    write_results(&args.out, &results)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// What a throughput run calls.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// The practice's provider directly: the structured record, no gateway.
    Provider,
    /// The same structured record through the gateway (audited).
    Gateway,
    /// A demographic read through the gateway (`GET /fhir/R4/Patient/{nhs}`): the
    /// gateway's own work (token, locate, policy, durable audit) with little rendering.
    GatewayPatientRead,
}

impl Target {
    fn label(self) -> &'static str {
        match self {
            Target::Provider => "provider structured record (allergies + medication with issues)",
            Target::Gateway => "gateway structured record (allergies + medication with issues), audited",
            Target::GatewayPatientRead => "gateway R4 Patient read, audited",
        }
    }
}

/// The two ways of asking for the same record.
struct Calls {
    gateway: Router,
    provider: Router,
    token: String,
    gp_connect_jwt: String,
    provider_path: String,
    asid: String,
}

impl Calls {
    fn body(nhs: NhsNumber) -> String {
        json!({ "resourceType": "Parameters", "parameter": [
            { "name": "patientNHSNumber", "valueIdentifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs.to_string() } },
            { "name": "includeAllergies", "part": [{ "name": "includeResolvedAllergies", "valueBoolean": true }] },
            { "name": "includeMedication", "part": [{ "name": "includePrescriptionIssues", "valueBoolean": true }] },
        ]})
        .to_string()
    }

    fn request(path: &str, bearer: &str) -> axum::http::request::Builder {
        Request::post(path)
            .header("Ssp-TraceID", "2b1a8d5e-9f44-4c3b-8a6e-2f0c1d3e4b5a")
            .header("Ssp-From", "200000000359")
            .header("Ssp-InteractionID", openmig_provider::headers::GET_STRUCTURED_RECORD_INTERACTION)
            .header("Authorization", format!("Bearer {bearer}"))
            .header("Content-Type", "application/fhir+json")
    }

    async fn send(router: &Router, request: Request<Body>) -> anyhow::Result<(u16, Duration)> {
        let started = Instant::now();
        let response = router.clone().oneshot(request).await?;
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
        if status >= 500 || status == 400 || status == 401 {
            // Not a patient-level refusal: the benchmark itself is wrong; say why.
            let outcome: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            bail!("HTTP {status}: {}", outcome["issue"][0]["diagnostics"]);
        }
        Ok((status, started.elapsed()))
    }

    async fn gateway(&self, nhs: NhsNumber) -> anyhow::Result<(u16, Duration)> {
        let request = Self::request(GATEWAY_OPERATION, &self.token).body(Body::from(Self::body(nhs)))?;
        Self::send(&self.gateway, request).await
    }

    async fn provider(&self, nhs: NhsNumber) -> anyhow::Result<(u16, Duration)> {
        let request = Self::request(&self.provider_path, &self.gp_connect_jwt)
            .header("Ssp-To", &self.asid)
            .body(Body::from(Self::body(nhs)))?;
        Self::send(&self.provider, request).await
    }

    /// The patients the provider shows (up to 2,000), checked to be shown by the gateway too.
    async fn shown_patients(&self, patients: &[NhsNumber]) -> anyhow::Result<Vec<NhsNumber>> {
        let mut shown = Vec::new();
        for &nhs in patients.iter().take(2_000) {
            if self.provider(nhs).await?.0 == 200 {
                shown.push(nhs);
            }
        }
        let Some(&first) = shown.first() else { bail!("no patient in the region can be shown") };
        let status = self.gateway(first).await?.0;
        if status != 200 {
            bail!("the gateway refused a patient the provider shows (HTTP {status})");
        }
        Ok(shown)
    }

    /// `views` views by `clients` concurrent clients of `target`.
    async fn throughput(
        &self,
        shown: &[NhsNumber],
        clients: usize,
        views: usize,
        target: Target,
    ) -> anyhow::Result<Throughput> {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for client in 0..clients {
            let (router, bearer) = match target {
                Target::Provider => (self.provider.clone(), self.gp_connect_jwt.clone()),
                Target::Gateway | Target::GatewayPatientRead => (self.gateway.clone(), self.token.clone()),
            };
            let (provider_path, asid) = (self.provider_path.clone(), self.asid.clone());
            let mine: Vec<NhsNumber> = (client..views).step_by(clients).map(|i| shown[i % shown.len()]).collect();
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                for nhs in mine {
                    let request = match target {
                        Target::Provider => Self::request(&provider_path, &bearer)
                            .header("Ssp-To", &asid)
                            .body(Body::from(Self::body(nhs)))?,
                        Target::Gateway => {
                            Self::request(GATEWAY_OPERATION, &bearer).body(Body::from(Self::body(nhs)))?
                        }
                        Target::GatewayPatientRead => Request::get(format!("/fhir/R4/Patient/{nhs}"))
                            .header("Authorization", format!("Bearer {bearer}"))
                            .body(Body::empty())?,
                    };
                    let (status, elapsed) = Self::send(&router, request).await?;
                    if status != 200 {
                        bail!("a view failed under load (HTTP {status})");
                    }
                    latencies.push(ms(elapsed));
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
        Ok(Throughput {
            target: target.label(),
            concurrent_clients: clients,
            views: latencies.len(),
            views_per_second: latencies.len() as f64 / seconds,
            p50_ms: percentile(&latencies, 0.50),
            p99_ms: percentile(&latencies, 0.99),
        })
    }
}
