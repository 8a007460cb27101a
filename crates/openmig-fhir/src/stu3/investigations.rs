//! The investigations area: laboratory results (`ObservationCategory::Laboratory`) as
//! `DiagnosticReport`s (`CareConnect-GPC-DiagnosticReport-1`) in the "Investigations and
//! results" List, each report referring to its results (`CareConnect-GPC-Observation-1`)
//! through `DiagnosticReport.result`.
//!
//! The record keeps results, not the laboratory's reports, so openmig groups them: one
//! DiagnosticReport per effective date, holding every laboratory result of that date (a
//! partial date is its own group: results dated only `2019-03` share one report, apart
//! from those dated `2019-03-14`). Reports come in date order, results in record order; a partial date sorts by its first day.
//!
//! - `DiagnosticReport.issued` (an instant, mandatory) is the latest day any of its
//!   results was recorded in the practice, at midnight UTC: the record keeps no time, and
//!   midnight UTC is the same calendar day in UK time.
//! - `investigationSearchPeriod` (gpconnect.md §1) filters on `issued`, both ends
//!   inclusive.
//! - `code` is 721981007 "Diagnostic studies report" and `category` Laboratory, as the GP
//!   Connect DiagnosticReport page asks; `effective` is not sent (that page lists it as
//!   not in use); the date is on the results. No `performer` (the record does not say
//!   which laboratory), no `identifier` (the record holds no persistent GUID), no
//!   `ProcedureRequest`, `Specimen`, test group or filing-comment Observation (the record
//!   holds none of them).
//! - Results are the uncategorised area's Observation (same id, `valueQuantity` in UCUM,
//!   reference range) plus `interpretation` `L`/`H` when a numeric value lies below or
//!   above a documented limit.
//! - Withholding: a withheld result is left out; the List warns `confidential-items` when
//!   the report it belonged to would have been returned for the period (judged with the
//!   withheld results counted, since the consumer asked about that report). A report is
//!   built from the shared results only, its `issued` from them too, and is left out when
//!   none is shared or when that `issued` falls outside the period.
//! - Ids: `diagnostic-report-<NHS number>-<date as recorded>`, unique because there is
//!   one report per date.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use openmig_domain::record::{Observation, ObservationCategory, ObservationValue};
use openmig_domain::{GpRecord, PartialDate};
use serde_json::{Value, json};

use super::context::Context;
use super::lists::ListBuilder;
use super::{InvestigationOptions, partial, profile_meta, snomed_concept, uncategorised, urls};

/// The area's List followed by its resources, report by report.
pub(crate) fn area(cx: &mut Context<'_>, record: &GpRecord, options: &InvestigationOptions) -> Vec<Value> {
    let mut list = ListBuilder::new(urls::INVESTIGATIONS_LIST);
    let mut resources = Vec::new();
    for (date, results) in reports(record) {
        let in_period = |issued: NaiveDate| options.period.is_none_or(|(start, end)| start <= issued && issued <= end);
        let whole_issued = issued(&results);
        let (withheld, shared): (Vec<&Observation>, Vec<&Observation>) =
            results.into_iter().partition(|o| uncategorised::withheld(o));
        if !withheld.is_empty() && whole_issued.is_some_and(in_period) {
            list.withheld();
        }
        let Some(shared_issued) = issued(&shared).filter(|day| in_period(*day)) else { continue };
        let report = diagnostic_report(cx, date, shared_issued, &shared);
        list.item(format!("DiagnosticReport/{}", report["id"].as_str().expect("id")));
        resources.push(report);
        for observation in shared {
            resources.push(result(cx, observation));
        }
    }
    let mut out = vec![list.build(cx)];
    out.extend(resources);
    out
}

/// The laboratory results grouped by effective date, in date order.
fn reports(record: &GpRecord) -> Vec<(PartialDate, Vec<&Observation>)> {
    let mut groups: BTreeMap<(NaiveDate, NaiveDate), (PartialDate, Vec<&Observation>)> = BTreeMap::new();
    for observation in record.observations.iter().filter(|o| o.category == ObservationCategory::Laboratory) {
        let date = observation.effective;
        groups.entry((date.earliest(), date.latest())).or_insert_with(|| (date, Vec::new())).1.push(observation);
    }
    groups.into_values().collect()
}

/// The latest day any of the results was recorded.
fn issued(results: &[&Observation]) -> Option<NaiveDate> {
    results.iter().map(|o| o.meta.recorded_on).max()
}

/// `CareConnect-GPC-DiagnosticReport-1` for the results of one date.
fn diagnostic_report(cx: &Context<'_>, date: PartialDate, issued: NaiveDate, results: &[&Observation]) -> Value {
    json!({
        "resourceType": "DiagnosticReport",
        "id": format!("diagnostic-report-{}-{}", cx.nhs, partial(date)),
        "meta": profile_meta(urls::DIAGNOSTIC_REPORT_PROFILE),
        "status": "final",
        "category": {
            "coding": [{ "system": urls::DIAGNOSTIC_SERVICE_SECTION_SYSTEM, "code": "LAB", "display": "Laboratory" }],
        },
        "code": snomed_concept(urls::DIAGNOSTIC_STUDIES_REPORT.0, urls::DIAGNOSTIC_STUDIES_REPORT.1),
        "subject": cx.patient_ref(),
        "issued": format!("{}T00:00:00+00:00", issued.format("%Y-%m-%d")),
        "result": results.iter().map(|o| json!({ "reference": uncategorised::reference(cx, o) })).collect::<Vec<_>>(),
    })
}

/// A test result: the Observation with its interpretation when outside the range. The
/// caller has checked `uncategorised::withheld`.
pub(crate) fn result(cx: &mut Context<'_>, observation: &Observation) -> Value {
    let mut resource = uncategorised::observation_resource(cx, observation);
    if let Some((code, display)) = interpretation(observation) {
        resource["interpretation"] = json!({
            "coding": [{ "system": urls::OBSERVATION_INTERPRETATION_SYSTEM, "code": code, "display": display }],
        });
    }
    resource
}

/// `L` below the documented lower limit, `H` above the upper one; nothing when inside,
/// when no limit is documented on that side or when the value is not a single number.
fn interpretation(observation: &Observation) -> Option<(&'static str, &'static str)> {
    let ObservationValue::Quantity { value, .. } = &observation.value else { return None };
    let range = observation.reference_range.as_ref()?;
    if range.low.is_some_and(|low| *value < low) {
        Some(("L", "Low"))
    } else if range.high.is_some_and(|high| *value > high) {
        Some(("H", "High"))
    } else {
        None
    }
}
