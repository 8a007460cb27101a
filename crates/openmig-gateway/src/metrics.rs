//! `/metrics`: what operations staff need to see the gateway is healthy, in the
//! Prometheus text format: requests and latency per route, fetches and latency per
//! practice by outcome (live, last-good copy, unavailable, refused), each practice's
//! circuit-breaker state, how long audit appends take (the audit "lag" every answer
//! waits for), and write-back: delivery attempts per practice by outcome and how many
//! documents are waiting in the outbox (a practice down for long shows as a growing
//! backlog).
//!
//! Every request is also logged as one structured line (`tracing`, target
//! `openmig::request`): method, route template, status, time, trace id and record source.
//!
//! Labels are route *templates* (`/api/v1/patients/{nhs}/medicines`), ODS codes and
//! outcomes only: never an NHS number, a user or clinical content.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::Gateway;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteOnly {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PracticeLabels {
    practice: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PracticeOnly {
    practice: String,
}

/// Latency buckets from 0.5 ms to about 8 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

/// The gateway's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RouteLabels, Counter>,
    request_seconds: Family<RouteOnly, Histogram>,
    fetches: Family<PracticeLabels, Counter>,
    fetch_seconds: Family<PracticeOnly, Histogram>,
    breaker_state: Family<PracticeOnly, Gauge>,
    audit_append_seconds: Histogram,
    deliveries: Family<PracticeLabels, Counter>,
    outbox_pending: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Empty metrics, registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("openmig_gateway");
        let requests = Family::<RouteLabels, Counter>::default();
        let request_seconds = Family::<RouteOnly, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        let fetches = Family::<PracticeLabels, Counter>::default();
        let fetch_seconds = Family::<PracticeOnly, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        let breaker_state = Family::<PracticeOnly, Gauge>::default();
        let audit_append_seconds = latency_histogram();
        registry.register("requests", "HTTP requests by route template and status", requests.clone());
        registry.register("request_seconds", "HTTP request latency by route template", request_seconds.clone());
        registry.register(
            "practice_fetches",
            "Record fetches from practices by outcome (live, last_good, unavailable, refused)",
            fetches.clone(),
        );
        registry.register("practice_fetch_seconds", "Record fetch latency by practice", fetch_seconds.clone());
        registry.register(
            "practice_breaker_state",
            "Circuit breaker per practice: 0 closed, 1 half-open, 2 open",
            breaker_state.clone(),
        );
        registry.register(
            "audit_append_seconds",
            "Time for an audit entry to be durable (every answer waits for it)",
            audit_append_seconds.clone(),
        );
        let deliveries = Family::<PracticeLabels, Counter>::default();
        let outbox_pending = Gauge::default();
        registry.register(
            "writeback_deliveries",
            "Write-back delivery attempts to practices by outcome (delivered, failed)",
            deliveries.clone(),
        );
        registry.register(
            "writeback_pending",
            "Write-back documents accepted and not yet delivered to their practice",
            outbox_pending.clone(),
        );
        Metrics {
            registry,
            requests,
            request_seconds,
            fetches,
            fetch_seconds,
            breaker_state,
            audit_append_seconds,
            deliveries,
            outbox_pending,
        }
    }

    /// Records one write-back delivery attempt to `practice`.
    pub fn delivery_attempted(&self, practice: &str, delivered: bool) {
        let outcome = if delivered { "delivered" } else { "failed" };
        self.deliveries.get_or_create(&PracticeLabels { practice: practice.into(), outcome: outcome.into() }).inc();
    }

    /// Records how many write-back documents wait for delivery.
    pub fn outbox_pending(&self, documents: u64) {
        self.outbox_pending.set(i64::try_from(documents).unwrap_or(i64::MAX));
    }

    /// Records one fetch from `practice`.
    pub fn fetched(&self, practice: &str, outcome: &str, took: Duration) {
        self.fetches.get_or_create(&PracticeLabels { practice: practice.into(), outcome: outcome.into() }).inc();
        self.fetch_seconds.get_or_create(&PracticeOnly { practice: practice.into() }).observe(took.as_secs_f64());
    }

    /// Records one durable audit append.
    pub fn audit_appended(&self, took: Duration) {
        self.audit_append_seconds.observe(took.as_secs_f64());
    }

    fn request(&self, route: &str, status: StatusCode, took: Duration) {
        let labels = RouteLabels { route: route.into(), status: status.as_u16().to_string() };
        self.requests.get_or_create(&labels).inc();
        self.request_seconds.get_or_create(&RouteOnly { route: route.into() }).observe(took.as_secs_f64());
    }

    /// The text exposition, with breaker states read now.
    pub fn render(&self, breakers: &[(String, &'static str)]) -> String {
        for (practice, state) in breakers {
            let value = match *state {
                "closed" => 0,
                "half-open" => 1,
                _ => 2,
            };
            self.breaker_state.get_or_create(&PracticeOnly { practice: practice.clone() }).set(value);
        }
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// Middleware: counts and times every request by its route template.
pub async fn track(State(gateway): State<Arc<Gateway>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |path| path.as_str().to_string());
    let trace_id = crate::access::consumer_trace_id(request.headers()).unwrap_or("-").to_string();
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    let took = started.elapsed();
    gateway.metrics.request(&route, response.status(), took);
    // The route template, never the path: paths carry NHS numbers.
    tracing::info!(
        target: "openmig::request",
        method = %method,
        route = %route,
        status = response.status().as_u16(),
        millis = took.as_secs_f64() * 1e3,
        trace_id = %trace_id,
        record_source = response.headers().get("openmig-record-source").and_then(|v| v.to_str().ok()).unwrap_or("-"),
    );
    response
}

/// `GET /metrics`.
pub async fn exposition(State(gateway): State<Arc<Gateway>>) -> Response {
    let breakers: Vec<(String, &'static str)> =
        gateway.federation.breaker_states().into_iter().map(|(ods, state)| (ods.to_string(), state)).collect();
    let mut response = (StatusCode::OK, gateway.metrics.render(&breakers)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}
