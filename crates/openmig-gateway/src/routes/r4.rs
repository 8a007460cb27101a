//! The FHIR R4 UK Core read API at `/fhir/R4` (api.md).
//!
//! - `GET metadata` — CapabilityStatement (no token needed, as FHIR servers do);
//! - `GET Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|N` — searchset;
//! - `GET Patient/{id}` and `GET Patient/{id}/$everything`;
//! - `GET {MedicationRequest,MedicationStatement,AllergyIntolerance,Condition,Observation,Immunization,Encounter}?patient={id}`.
//!
//! The Patient logical id is the NHS number, as NHS England's PDS FHIR API uses it.
//! Demographic reads need the `demographics` dataset; everything else `clinical`.
//! Search parameters the server does not support are ignored (FHIR's default lenient
//! handling) and left out of the `self` link, which is how FHIR tells a client what
//! was applied. JSON only: other formats get 406.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use openmig_domain::{Dataset, NhsNumber};
use openmig_fhir::r4::{self, ResourceType};
use serde_json::Value;

use crate::access::{Access, Granted};
use crate::error::GatewayError;
use crate::federation::Fetched;
use crate::routes::no_such_route;
use crate::{Gateway, fhir_json, with_source};

/// The NHS number identifier system.
const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";

type Params = Query<Vec<(String, String)>>;

/// `GET /fhir/R4/metadata`.
pub async fn metadata(
    State(gateway): State<Arc<Gateway>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Result<Response, GatewayError> {
    check_format(&headers, &params)?;
    let date = gateway.today().format("%Y-%m-%d").to_string();
    Ok(fhir_json(StatusCode::OK, &r4::capability_statement(&gateway.r4_base(), &date)))
}

/// `GET /fhir/R4/Patient?identifier=…`.
pub async fn patient_search(
    State(gateway): State<Arc<Gateway>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Result<Response, GatewayError> {
    check_format(&headers, &params)?;
    let access = Access::begin(&gateway, &headers, "fhir-r4.patient-search").await?;
    let nhs_number = match identifier(&params) {
        Ok(nhs_number) => nhs_number,
        Err(error) => return Err(access.refuse(&gateway, None, None, Dataset::Demographics, error).await),
    };
    let base = gateway.r4_base();
    let self_url = format!("{base}/Patient?identifier={NHS_NUMBER_SYSTEM}|{nhs_number}");
    match access.patient(&gateway, nhs_number, Dataset::Demographics).await {
        Ok(granted) => {
            let patient = r4::patient(&granted.patient, &granted.practice.practice);
            access.release(&gateway, &granted, 1).await?;
            Ok(fhir_json(StatusCode::OK, &r4::searchset(&self_url, &base, vec![patient], Vec::new())))
        }
        // A search that finds no patient the gateway may disclose is an empty result,
        // not an error (the refusal is audited all the same).
        Err(error) if error.code() == "PATIENT_NOT_FOUND" => {
            Ok(fhir_json(StatusCode::OK, &r4::searchset(&self_url, &base, Vec::new(), Vec::new())))
        }
        Err(error) => Err(error),
    }
}

/// `GET /fhir/R4/Patient/{id}`.
pub async fn patient_read(
    State(gateway): State<Arc<Gateway>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(params): Params,
) -> Result<Response, GatewayError> {
    check_format(&headers, &params)?;
    let access = Access::begin(&gateway, &headers, "fhir-r4.patient-read").await?;
    let nhs_number = nhs_of_id(&access, &gateway, &id, Dataset::Demographics).await?;
    let granted = access.patient(&gateway, nhs_number, Dataset::Demographics).await?;
    let patient = r4::patient(&granted.patient, &granted.practice.practice);
    access.release(&gateway, &granted, 1).await?;
    Ok(fhir_json(StatusCode::OK, &patient))
}

/// `GET /fhir/R4/Patient/{id}/$everything`.
pub async fn everything(
    State(gateway): State<Arc<Gateway>>,
    Path((id, operation)): Path<(String, String)>,
    headers: HeaderMap,
    Query(params): Params,
) -> Result<Response, GatewayError> {
    if operation != "$everything" {
        return Err(no_such_route());
    }
    check_format(&headers, &params)?;
    let access = Access::begin(&gateway, &headers, "fhir-r4.everything").await?;
    let (granted, fetched) = record_by_id(&access, &gateway, &id).await?;
    let today = gateway.today();
    let resources = r4::everything(&fetched.record, &granted.practice.practice, &fetched.clinicians, today);
    let base = gateway.r4_base();
    let self_url = format!("{base}/Patient/{}/$everything", r4::patient_id(granted.patient.nhs_number));
    let count = resources.len();
    let bundle = labelled(r4::searchset(&self_url, &base, resources, Vec::new()), &fetched);
    access.release(&gateway, &granted, count).await?;
    Ok(with_source(fhir_json(StatusCode::OK, &bundle), &fetched.freshness))
}

/// A searchset with `outcome` entries (FHIR R4 search semantics for information about
/// the search): the practice's warnings (e.g. items withheld), and the last-good warning
/// when the record is not live.
fn labelled(mut bundle: Value, fetched: &Fetched) -> Value {
    let outcomes =
        [crate::federation::practice_warnings_outcome(&fetched.caveats.warnings), fetched.freshness.outcome()];
    if let Some(entries) = bundle.get_mut("entry").and_then(Value::as_array_mut) {
        for outcome in outcomes.into_iter().flatten() {
            entries.push(serde_json::json!({ "resource": outcome, "search": { "mode": "outcome" } }));
        }
    }
    bundle
}

/// `GET /fhir/R4/{type}?patient={id}`.
pub async fn type_search(
    State(gateway): State<Arc<Gateway>>,
    Path(resource_type): Path<String>,
    headers: HeaderMap,
    Query(params): Params,
) -> Result<Response, GatewayError> {
    let Some(kind) = ResourceType::parse(&resource_type) else {
        return Err(GatewayError::new(
            StatusCode::NOT_FOUND,
            "not-supported",
            "RESOURCE_TYPE_NOT_SUPPORTED",
            format!(
                "This server does not serve {}; searchable types: {}.",
                resource_type.chars().take(40).collect::<String>(),
                ResourceType::SEARCHABLE.map(ResourceType::name).join(", ")
            ),
        ));
    };
    check_format(&headers, &params)?;
    let access = Access::begin(&gateway, &headers, "fhir-r4.search").await?;
    let id = match single(&params, "patient") {
        Ok(Some(reference)) => reference.rsplit('/').next().unwrap_or_default().to_string(),
        Ok(None) => {
            let error = GatewayError::bad_request(format!(
                "Searching {} needs the patient parameter (patient=<NHS number>); unfiltered searches are not supported.",
                kind.name()
            ));
            return Err(access.refuse(&gateway, None, None, Dataset::Clinical, error).await);
        }
        Err(error) => return Err(access.refuse(&gateway, None, None, Dataset::Clinical, error).await),
    };
    let (granted, fetched) = record_by_id(&access, &gateway, &id).await?;
    let practice = &granted.practice.practice;
    let resources = r4::resources(&fetched.record, practice, &fetched.clinicians, kind, gateway.today());
    let base = gateway.r4_base();
    let self_url = format!("{base}/{}?patient={}", kind.name(), r4::patient_id(granted.patient.nhs_number));
    let count = resources.len();
    let bundle = labelled(r4::searchset(&self_url, &base, resources, Vec::new()), &fetched);
    access.release(&gateway, &granted, count).await?;
    Ok(with_source(fhir_json(StatusCode::OK, &bundle), &fetched.freshness))
}

/// The NHS number a logical id names; an id that is not an NHS number names nobody (the
/// refusal is audited against `dataset`).
async fn nhs_of_id(access: &Access, gateway: &Gateway, id: &str, dataset: Dataset) -> Result<NhsNumber, GatewayError> {
    match NhsNumber::parse(id) {
        Ok(nhs_number) => Ok(nhs_number),
        Err(_) => Err(access.refuse(gateway, None, None, dataset, GatewayError::patient_not_found()).await),
    }
}

/// The record of the patient named by a logical id, fetched from their practice.
async fn record_by_id(access: &Access, gateway: &Gateway, id: &str) -> Result<(Granted, Fetched), GatewayError> {
    let nhs_number = nhs_of_id(access, gateway, id, Dataset::Clinical).await?;
    access.record(gateway, nhs_number).await
}

/// The NHS number in `identifier=system|value`; the system is required, so that a local
/// hospital number can never be mistaken for an NHS number.
fn identifier(params: &[(String, String)]) -> Result<NhsNumber, GatewayError> {
    let value = single(params, "identifier")?.ok_or_else(|| {
        GatewayError::bad_request(format!("Patient search needs identifier={NHS_NUMBER_SYSTEM}|<NHS number>."))
    })?;
    let Some((system, number)) = value.split_once('|') else {
        return Err(GatewayError::bad_request(format!(
            "The identifier must name its system: identifier={NHS_NUMBER_SYSTEM}|<NHS number>."
        )));
    };
    if system != NHS_NUMBER_SYSTEM {
        return Err(GatewayError::new(
            StatusCode::BAD_REQUEST,
            "invalid",
            "INVALID_IDENTIFIER_SYSTEM",
            format!("Only NHS numbers ({NHS_NUMBER_SYSTEM}) can be searched."),
        ));
    }
    NhsNumber::parse(number).map_err(|_| crate::error::invalid_nhs_number())
}

/// The one value of a search parameter; repeating it is refused rather than guessed.
fn single<'a>(params: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, GatewayError> {
    let mut values = params.iter().filter(|(key, _)| key == name).map(|(_, value)| value.as_str());
    let first = values.next();
    if values.next().is_some() {
        return Err(GatewayError::bad_request(format!("The parameter {name} may be given once only.")));
    }
    Ok(first)
}

/// JSON only: a `_format` or `Accept` that excludes FHIR JSON gets 406.
fn check_format(headers: &HeaderMap, params: &[(String, String)]) -> Result<(), GatewayError> {
    let not_acceptable = |what: &str| {
        GatewayError::new(
            StatusCode::NOT_ACCEPTABLE,
            "not-supported",
            "FORMAT_NOT_SUPPORTED",
            format!("{what}: this server answers in application/fhir+json only."),
        )
    };
    for (_, format) in params.iter().filter(|(name, _)| name == "_format") {
        if !matches!(format.as_str(), "json" | "application/json" | "application/fhir+json") {
            return Err(not_acceptable("_format asks for another format"));
        }
    }
    let Some(accept) = headers.get(header::ACCEPT) else { return Ok(()) };
    let accept = accept.to_str().map_err(|_| not_acceptable("The Accept header is not readable"))?;
    let acceptable = accept.split(',').any(|range| {
        let media = range.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        matches!(media.as_str(), "application/fhir+json" | "application/json" | "application/*" | "*/*" | "json")
    });
    if acceptable { Ok(()) } else { Err(not_acceptable("The Accept header asks for another format")) }
}
