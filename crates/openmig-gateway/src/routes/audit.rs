//! `GET /practices/{ODS}/audit[?patient=&from=&to=&format=csv|json]`: who viewed the
//! practice's patients' records, when, why and on what consent basis, emergency
//! overrides first. For the auditor role only (the `audit` dataset), under an agreement
//! covering the practice; the report itself is audited too.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use openmig_audit::{ReportFilter, ReportSubject};
use openmig_domain::{Dataset, NhsNumber, OdsCode};
use serde::Deserialize;

use crate::Gateway;
use crate::access::Access;
use crate::error::GatewayError;
use crate::policy::{self, Permit};

/// Query of the report.
#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    patient: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

/// The report.
pub async fn report(
    State(gateway): State<Arc<Gateway>>,
    Path(ods): Path<String>,
    Query(query): Query<ReportQuery>,
    headers: HeaderMap,
) -> Result<Response, GatewayError> {
    let access = Access::begin(&gateway, &headers, "audit.report").await?;
    let checked = check_query(&ods, &query);
    let (ods, filter, csv) = match checked {
        Ok(checked) => checked,
        Err(error) => return Err(access.refuse(&gateway, None, None, Dataset::Audit, error).await),
    };
    let permit = access.practice_audit(&gateway, &ods).await?;
    let filter_subject = filter.subject.clone();
    let database = gateway.audit_database.clone();
    let entries = tokio::task::spawn_blocking(move || openmig_audit::report(&database, &filter)).await;
    let Ok(Ok(entries)) = entries else {
        let error = GatewayError::audit_unavailable();
        return Err(access.refuse(&gateway, None, Some(ods), Dataset::Audit, error).await);
    };
    let (body, media) = if csv {
        (openmig_audit::to_csv(&entries), "text/csv; charset=utf-8")
    } else {
        (openmig_audit::to_json(&entries), "application/json")
    };
    let patient = match &filter_subject {
        ReportSubject::Patient(nhs) => Some(*nhs),
        ReportSubject::Practice(_) => None,
    };
    access.record_permitted(&gateway, patient, ods, &permit, entries.len()).await?;
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn check_query(ods: &str, query: &ReportQuery) -> Result<(OdsCode, ReportFilter, bool), GatewayError> {
    let ods = OdsCode::parse(ods).map_err(|_| GatewayError::bad_request("The practice ODS code is not valid."))?;
    let date = |name: &str, value: &Option<String>| {
        value
            .as_deref()
            .map(|text| {
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map_err(|_| GatewayError::bad_request(format!("{name} must be a date written YYYY-MM-DD.")))
            })
            .transpose()
    };
    let (from, to) = (date("from", &query.from)?, date("to", &query.to)?);
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(GatewayError::bad_request("from is after to."));
    }
    let subject = match &query.patient {
        Some(nhs) => ReportSubject::Patient(NhsNumber::parse(nhs).map_err(|_| crate::error::invalid_nhs_number())?),
        None => ReportSubject::Practice(ods.clone()),
    };
    let csv = match query.format.as_deref() {
        None | Some("csv") => true,
        Some("json") => false,
        Some(_) => return Err(GatewayError::bad_request("format must be csv or json.")),
    };
    Ok((ods, ReportFilter { subject, from, to }, csv))
}

impl Access {
    /// Decides whether the requester may read `ods`'s audit report.
    pub(crate) async fn practice_audit(&self, gateway: &Gateway, ods: &OdsCode) -> Result<Permit, GatewayError> {
        let directory = Arc::clone(&gateway.directory);
        let wanted = ods.clone();
        let practice = match tokio::task::spawn_blocking(move || directory.practice(&wanted)).await {
            Ok(Ok(Some(practice))) => practice,
            Ok(Ok(None)) => {
                let error = GatewayError::new(
                    StatusCode::NOT_FOUND,
                    "not-found",
                    "ORGANISATION_NOT_FOUND",
                    "No practice with this ODS code is known to the gateway.",
                );
                return Err(self.refuse(gateway, None, None, Dataset::Audit, error).await);
            }
            _ => {
                return Err(self
                    .refuse(gateway, None, None, Dataset::Audit, GatewayError::directory_unavailable())
                    .await);
            }
        };
        match policy::decide(&gateway.config, &self.requester(), &practice.practice, None, Dataset::Audit) {
            Ok(permit) => Ok(permit),
            Err(refusal) => Err(self.refuse(gateway, None, Some(ods.clone()), Dataset::Audit, refusal.into()).await),
        }
    }
}
