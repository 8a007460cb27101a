//! Entry ids for the resources that are record entries.
//!
//! A resource whose id the writer derived (`{kind}-{NHS number}-{entry}`, see
//! [`ids`]) gets its entry id back, so that the record read back
//! keeps its ids; every other entry resource (another system's ids, or an id already
//! taken) gets the smallest id not yet used, in Bundle order. The plans and orders of a
//! medicine are aliases of its MedicationStatement's entry (consultations and problems
//! may refer to either).

use std::collections::{HashMap, HashSet};

use openmig_domain::{EntryId, NhsNumber};

use super::super::ids;
use super::bundle::{Index, ResId};

/// The resource types that are record entries, with the kind their writer ids use.
const ENTRY_KINDS: &[(&str, &str)] = &[
    ("AllergyIntolerance", "allergy-intolerance"),
    ("MedicationStatement", "medication-statement"),
    ("Condition", "condition"),
    ("Encounter", "encounter"),
    ("Observation", "observation"),
    ("Immunization", "immunization"),
    ("ReferralRequest", "referral-request"),
];

/// The entry id of each entry resource.
#[derive(Default)]
pub(super) struct EntryIds {
    ids: HashMap<ResId, EntryId>,
}

impl EntryIds {
    /// Gives every entry resource (except the consultation narratives, which belong to
    /// their Encounter) its entry id.
    pub fn allocate(index: &Index<'_>, nhs: NhsNumber, narratives: &HashMap<ResId, ResId>) -> Self {
        let mut used: HashSet<EntryId> = HashSet::new();
        let mut ids = HashMap::new();
        let mut pending = Vec::new();
        for (kind, id_kind) in ENTRY_KINDS {
            let prefix = writer_prefix(id_kind, nhs);
            for res in index.of_kind(kind) {
                if narratives.contains_key(&res) {
                    continue;
                }
                let recovered =
                    index.get(res).value.get("id").and_then(|v| v.as_str()).and_then(|id| recover(id, &prefix));
                match recovered {
                    Some(entry) if used.insert(entry) => {
                        ids.insert(res, entry);
                    }
                    _ => pending.push(res),
                }
            }
        }
        pending.sort_unstable();
        let mut next: u32 = 1;
        for res in pending {
            while used.contains(&EntryId(next)) {
                next = next.saturating_add(1);
            }
            used.insert(EntryId(next));
            ids.insert(res, EntryId(next));
        }
        EntryIds { ids }
    }

    /// The entry a resource stands for.
    pub fn get(&self, res: ResId) -> Option<EntryId> {
        self.ids.get(&res).copied()
    }

    /// Makes `alias` (a medicine's plan or order) stand for `entry`.
    pub fn alias(&mut self, alias: ResId, entry: EntryId) {
        self.ids.entry(alias).or_insert(entry);
    }
}

/// `{kind}-{nhs}-`: what the writer's id of that kind starts with.
fn writer_prefix(kind: &str, nhs: NhsNumber) -> String {
    let zero = ids::entry(kind, nhs, EntryId(0));
    zero.strip_suffix('0').unwrap_or(&zero).to_owned()
}

/// The entry id in a writer id, when `id` is exactly `prefix` and a number written as
/// the writer writes it (no sign, no leading zero).
fn recover(id: &str, prefix: &str) -> Option<EntryId> {
    let number = id.strip_prefix(prefix)?;
    let value: u32 = number.parse().ok()?;
    (value.to_string() == number).then_some(EntryId(value))
}

/// The issue number (from 1) in a writer order id, when `id` is one of this medicine's.
pub(super) fn issue_number(id: &str, nhs: NhsNumber, entry: EntryId) -> Option<usize> {
    let zero = ids::issue(nhs, entry, 0);
    let prefix = zero.strip_suffix('0')?;
    let number = id.strip_prefix(prefix)?;
    let value: usize = number.parse().ok()?;
    (value.to_string() == number).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nhs() -> NhsNumber {
        NhsNumber::parse("9434765919").expect("valid")
    }

    #[test]
    fn writer_ids_give_their_entry_back() {
        let prefix = writer_prefix("condition", nhs());
        assert_eq!(recover(&ids::entry("condition", nhs(), EntryId(7)), &prefix), Some(EntryId(7)));
        assert_eq!(recover("condition-9434765919-07", &prefix), None);
        assert_eq!(recover("condition-9434765919-+7", &prefix), None);
        assert_eq!(recover("condition-9434765919-99999999999", &prefix), None);
        assert_eq!(recover("condition-9434765928-7", &prefix), None, "another patient's id");
        assert_eq!(issue_number(&ids::issue(nhs(), EntryId(3), 12), nhs(), EntryId(3)), Some(12));
        assert_eq!(issue_number(&ids::issue(nhs(), EntryId(3), 12), nhs(), EntryId(31)), None);
    }
}
