//! The referrals area: `ReferralRequest` (`CareConnect-GPC-ReferralRequest-1`) in the
//! "Outbound referral" List.
//!
//! gpconnect.md §1: `referralSearchPeriod` filters on `ReferralRequest.authoredOn`; the
//! period is inclusive at both ends. Referral dates are always whole days in the record.
//!
//! STU3 mapping (not fixed by gpconnect.md, openmig's choices):
//! - `status` is `unknown`: the record says a referral was made, not whether it is still
//!   open or was completed.
//! - `intent` is `order`.
//! - `priority`: routine → `routine`, urgent → `urgent`, two-week wait (suspected cancer)
//!   → `asap` (STU3 request-priority has no two-week-wait code; `asap` ranks above
//!   `urgent`, and the referral's code carries the detail).
//! - `type` is the coded referral procedure, `reasonCode` the referrer's reason as text,
//!   `authoredOn` the referral date, `requester.agent` the practice Organization (the
//!   record does not say which clinician referred), `recipient` the receiving service as
//!   display text only (the record holds no ODS code or HealthcareService for it, and a
//!   reference must never dangle).

use chrono::NaiveDate;
use openmig_domain::GpRecord;
use openmig_domain::record::{Referral, ReferralPriority};
use serde_json::{Value, json};

use super::context::Context;
use super::lists::ListBuilder;
use super::withholding::is_withheld;
use super::{ReferralOptions, day, ids, profile_meta, snomed_concept, urls};

/// The area's List followed by its resources.
pub(crate) fn area(cx: &mut Context<'_>, record: &GpRecord, options: &ReferralOptions) -> Vec<Value> {
    let mut list = ListBuilder::new(urls::REFERRALS_LIST);
    let mut resources = Vec::new();
    for referral in &record.referrals {
        if !in_period(referral.date, options.period) {
            continue;
        }
        if withheld(referral) {
            list.withheld();
            continue;
        }
        list.item(reference(cx, referral));
        resources.push(referral_request(cx, referral));
    }
    let mut out = vec![list.build(cx)];
    out.extend(resources);
    out
}

/// Inclusive at both ends; no period means every referral.
fn in_period(date: NaiveDate, period: Option<(NaiveDate, NaiveDate)>) -> bool {
    period.is_none_or(|(start, end)| start <= date && date <= end)
}

/// True when the referral must not leave the practice.
pub(crate) fn withheld(referral: &Referral) -> bool {
    is_withheld(&referral.meta, [referral.code.code])
}

/// `ReferralRequest/…`.
pub(crate) fn reference(cx: &Context<'_>, referral: &Referral) -> String {
    format!("ReferralRequest/{}", ids::entry("referral-request", cx.nhs, referral.meta.id))
}

/// `CareConnect-GPC-ReferralRequest-1`. The caller has checked [`withheld`].
pub(crate) fn referral_request(cx: &mut Context<'_>, referral: &Referral) -> Value {
    let mut resource = json!({
        "resourceType": "ReferralRequest",
        "id": ids::entry("referral-request", cx.nhs, referral.meta.id),
        "meta": profile_meta(urls::REFERRAL_REQUEST_PROFILE),
        "status": "unknown",
        "intent": "order",
        "priority": priority(referral.priority),
        "subject": cx.patient_ref(),
        "authoredOn": day(referral.date),
        "requester": { "agent": cx.organization_ref() },
        "recipient": [{ "display": referral.recipient }],
    });
    // GP Connect's ReferralRequest page: `type` is not in use; the referral's code is the
    // first `reasonCode`, the referrer's words a second, text only.
    let mut reasons = vec![snomed_concept(referral.code.code, &referral.code.display)];
    if !referral.reason.trim().is_empty() {
        reasons.push(json!({ "text": referral.reason }));
    }
    resource["reasonCode"] = json!(reasons);
    resource
}

fn priority(priority: ReferralPriority) -> &'static str {
    match priority {
        ReferralPriority::Routine => "routine",
        ReferralPriority::Urgent => "urgent",
        ReferralPriority::TwoWeekWait => "asap",
    }
}
