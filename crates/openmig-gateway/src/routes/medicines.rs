//! The medicines review API (api.md): `GET /api/v1/patients/{nhs}/medicines[?since=]`
//! and `POST /api/v1/patients/{nhs}/medicines/requested-check`.
//!
//! The JSON is exactly `openmig medicines --json` / `openmig asked --json`: the domain's
//! review serialised, so the CLI, the API and the viewer can never disagree.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use openmig_domain::medicines::{
    ClinicRequest, MedicineQuery, RequestAction, RequestedChange, ReviewConfig, check_request, review as review_of,
};
use openmig_domain::{Dataset, NhsNumber, SnomedCode};
use serde::Deserialize;

use crate::access::Access;
use crate::error::{GatewayError, invalid_nhs_number};
use crate::{Gateway, json_response, with_source};

const JSON: &str = "application/json";
/// More items than any clinic letter asks for: a guard against abuse, not a clinical rule.
const MAX_ITEMS: usize = 50;

/// Query of the review.
#[derive(Debug, Deserialize)]
pub struct ReviewQuery {
    since: Option<String>,
}

/// `GET /api/v1/patients/{nhs}/medicines`.
pub async fn review(
    State(gateway): State<Arc<Gateway>>,
    Path(nhs): Path<String>,
    Query(query): Query<ReviewQuery>,
    headers: HeaderMap,
) -> Result<Response, GatewayError> {
    let access = Access::begin(&gateway, &headers, "medicines.review").await?;
    let nhs_number = parse_nhs(&access, &gateway, &nhs).await?;
    let today = gateway.today();
    let since = match query.since.as_deref().map(|since| parse_date("since", since, today)).transpose() {
        Ok(since) => since,
        Err(error) => return Err(access.refuse(&gateway, Some(nhs_number), None, Dataset::Clinical, error).await),
    };
    let (granted, fetched) = access.record(&gateway, nhs_number).await?;
    let config = ReviewConfig { changes_since: since, ..ReviewConfig::default() };
    let review = review_of(&fetched.record, today, &config);
    let mut body = serde_json::to_value(&review).map_err(|_| GatewayError::internal())?;
    body["recordSource"] = fetched.freshness.json();
    // What the practice said must be told (e.g. items withheld as confidential).
    body["practiceWarnings"] = serde_json::json!(fetched.caveats.warnings);
    access.release(&gateway, &granted, review.current.len()).await?;
    Ok(with_source(json_response(StatusCode::OK, &body, JSON), &fetched.freshness))
}

/// The body of a "prescribed as asked?" check.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestedCheckBody {
    /// The day the clinic asked (the letter's date).
    requested_on: String,
    /// What was asked.
    items: Vec<RequestedItem>,
}

/// One medicine asked for.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestedItem {
    /// `start` or `stop`.
    action: String,
    /// dm+d code, when the request named one.
    code: Option<String>,
    /// Name or free text ("atorvastatin 80mg").
    name: Option<String>,
    /// The dose asked for, as written.
    dose: Option<String>,
}

/// `POST /api/v1/patients/{nhs}/medicines/requested-check`.
pub async fn requested_check(
    State(gateway): State<Arc<Gateway>>,
    Path(nhs): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, GatewayError> {
    let access = Access::begin(&gateway, &headers, "medicines.requested-check").await?;
    let nhs_number = parse_nhs(&access, &gateway, &nhs).await?;
    let today = gateway.today();
    let request = match parse_request(&body, today) {
        Ok(request) => request,
        Err(error) => return Err(access.refuse(&gateway, Some(nhs_number), None, Dataset::Clinical, error).await),
    };
    let (granted, fetched) = access.record(&gateway, nhs_number).await?;
    let checks = check_request(&fetched.record, &request, today);
    let body = serde_json::to_value(&checks).map_err(|_| GatewayError::internal())?;
    access.release(&gateway, &granted, checks.len()).await?;
    Ok(with_source(json_response(StatusCode::OK, &body, JSON), &fetched.freshness))
}

/// Parses an NHS number from the path; a bad one is audited and refused.
pub(crate) async fn parse_nhs(access: &Access, gateway: &Gateway, text: &str) -> Result<NhsNumber, GatewayError> {
    match NhsNumber::parse(text) {
        Ok(nhs_number) => Ok(nhs_number),
        Err(_) => Err(access.refuse(gateway, None, None, Dataset::Demographics, invalid_nhs_number()).await),
    }
}

fn parse_date(name: &str, text: &str, today: NaiveDate) -> Result<NaiveDate, GatewayError> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| GatewayError::bad_request(format!("{name} must be a date written YYYY-MM-DD.")))?;
    if date > today {
        return Err(GatewayError::bad_request(format!("{name} is in the future.")));
    }
    Ok(date)
}

fn parse_request(body: &[u8], today: NaiveDate) -> Result<ClinicRequest, GatewayError> {
    let body: RequestedCheckBody = serde_json::from_slice(body).map_err(|error| {
        GatewayError::bad_request(format!(
            "The body must be {{\"requestedOn\": \"YYYY-MM-DD\", \"items\": [{{\"action\": \"start\"|\"stop\", \"code\"?, \"name\"?, \"dose\"?}}]}}: {error}"
        ))
    })?;
    let date = parse_date("requestedOn", &body.requested_on, today)?;
    if body.items.is_empty() || body.items.len() > MAX_ITEMS {
        return Err(GatewayError::bad_request(format!("items must list between 1 and {MAX_ITEMS} medicines.")));
    }
    let items =
        body.items.into_iter().enumerate().map(|(index, item)| parse_item(index, item)).collect::<Result<_, _>>()?;
    Ok(ClinicRequest { date, items })
}

fn parse_item(index: usize, item: RequestedItem) -> Result<RequestedChange, GatewayError> {
    let action = match item.action.as_str() {
        "start" => RequestAction::Start,
        "stop" => RequestAction::Stop,
        _ => return Err(GatewayError::bad_request(format!("items[{index}].action must be \"start\" or \"stop\"."))),
    };
    let name = item.name.map(|name| name.trim().to_string()).filter(|name| !name.is_empty());
    let medicine = match (item.code, name) {
        (Some(code), name) => {
            let code = SnomedCode::parse(&code).map_err(|_| {
                GatewayError::bad_request(format!("items[{index}].code is not a valid dm+d (SNOMED CT) code."))
            })?;
            MedicineQuery::Code { code, name }
        }
        (None, Some(name)) => MedicineQuery::Text(name),
        (None, None) => {
            return Err(GatewayError::bad_request(format!("items[{index}] needs a dm+d code or a medicine name.")));
        }
    };
    let dose = item.dose.map(|dose| dose.trim().to_string()).filter(|dose| !dose.is_empty());
    Ok(RequestedChange { action, medicine, dose })
}
