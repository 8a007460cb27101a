//! Which entries never leave the practice.
//!
//! An entry is withheld when the practice marked it confidential or when any code it
//! carries is in the sensitive exclusion set. Withheld entries are dropped before any
//! resource is built, so nothing (no reference, no count, no Practitioner only they
//! refer to) can reveal them; the List they would have been in carries the
//! `confidential-items` warning instead.

use openmig_domain::SnomedCode;
use openmig_domain::codesets::sensitive_category;
use openmig_domain::record::EntryMeta;

/// True when an entry with this metadata and these codes must not be shared.
pub(crate) fn is_withheld(meta: &EntryMeta, codes: impl IntoIterator<Item = SnomedCode>) -> bool {
    meta.confidential || codes.into_iter().any(|code| sensitive_category(code).is_some())
}
