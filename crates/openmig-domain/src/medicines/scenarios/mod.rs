//! Scenario tests: hand-built records with exact expected answers for every medicines
//! rule, including the awkward cases the issue lists (56-day cycles, early re-issue,
//! switched brands, dose change mid-course, acute repeated often, stopped then restarted,
//! no issues ever, prescribed elsewhere).

mod adherence;
mod asked;
mod changes;
mod current;
mod flags;
mod history;
mod json;
