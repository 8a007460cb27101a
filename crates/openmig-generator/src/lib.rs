//! The synthetic population generator: a deterministic North East-like region of GP
//! practices and patients with realistic records, from a seed.
//!
//! Same configuration, same bytes: every practice and patient draws from its own seeded
//! stream, so generation can run on many threads and any patient can be regenerated
//! alone. The region plan (practices, staff, list sizes) is cheap and made up front;
//! patient records are made on demand by index with [`Region::record`].
//!
//! Architecture invariant: the generator knows the domain and nothing else: no storage,
//! no FHIR, no IO. It emits only codes from its cited catalogue, each checked by tests.

pub mod catalogue;
pub mod demographics;
pub mod dice;
pub mod nhs_numbers;
pub mod practices;
pub mod record;
pub mod stats;

use chrono::NaiveDate;
use openmig_domain::GpRecord;

pub use practices::PracticePlan;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorConfig {
    /// Number of patients.
    pub patients: u64,
    /// Number of practices.
    pub practices: u32,
    /// Random seed.
    pub seed: u64,
    /// The day the records are "as of": the region's present.
    pub as_of: NaiveDate,
}

impl GeneratorConfig {
    /// The North East of England: about 2.7 million patients in about 350 practices.
    pub const NORTH_EAST_PATIENTS: u64 = 2_700_000;
    /// Practices in the North East region.
    pub const NORTH_EAST_PRACTICES: u32 = 350;
    /// Most practices the ODS code scheme (`Z90001`…`Z99999`) can name.
    pub const MAX_PRACTICES: u32 = 9_999;
}

/// Why a configuration cannot be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Zero patients.
    #[error("--patients must be at least 1")]
    NoPatients,
    /// Zero practices.
    #[error("--practices must be at least 1")]
    NoPractices,
    /// More practices than patients.
    #[error("--practices ({practices}) cannot exceed --patients ({patients})")]
    MorePracticesThanPatients {
        /// Practices asked for.
        practices: u32,
        /// Patients asked for.
        patients: u64,
    },
    /// More practices than the ODS scheme can name.
    #[error("--practices must be at most {}", GeneratorConfig::MAX_PRACTICES)]
    TooManyPractices,
    /// More patients than synthetic NHS numbers.
    #[error("--patients must be at most {}", nhs_numbers::CAPACITY)]
    TooManyPatients,
}

impl GeneratorConfig {
    /// Checks the configuration before any work starts.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.patients == 0 {
            return Err(ConfigError::NoPatients);
        }
        if self.practices == 0 {
            return Err(ConfigError::NoPractices);
        }
        if self.practices > Self::MAX_PRACTICES {
            return Err(ConfigError::TooManyPractices);
        }
        if self.patients > nhs_numbers::CAPACITY {
            return Err(ConfigError::TooManyPatients);
        }
        if u64::from(self.practices) > self.patients {
            return Err(ConfigError::MorePracticesThanPatients { practices: self.practices, patients: self.patients });
        }
        Ok(())
    }
}

/// A planned region: practices with their staff and patient ranges. Records are made on
/// demand, so planning 2.7 million patients costs almost nothing.
#[derive(Debug, Clone)]
pub struct Region {
    config: GeneratorConfig,
    practices: Vec<PracticePlan>,
}

impl Region {
    /// Plans the region for a validated configuration.
    pub fn plan(config: GeneratorConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let sizes = practices::list_sizes(config.seed, config.patients, config.practices);
        let disabled = practices::sharing_disabled(config.seed, config.practices);
        let mut first = 0;
        let practices = sizes
            .iter()
            .zip(&disabled)
            .enumerate()
            .map(|(i, (size, off))| {
                let plan = practices::practice(config.seed, i as u32, first, *size, *off);
                first += size;
                plan
            })
            .collect();
        Ok(Region { config, practices })
    }

    /// The configuration.
    pub fn config(&self) -> &GeneratorConfig {
        &self.config
    }

    /// The practices, in index order.
    pub fn practices(&self) -> &[PracticePlan] {
        &self.practices
    }

    /// The practice holding patient `index`.
    pub fn practice_of(&self, index: u64) -> &PracticePlan {
        let i = self.practices.partition_point(|p| p.first_patient + p.patients <= index);
        &self.practices[i]
    }

    /// The record of patient `index` (0-based, below `config().patients`).
    pub fn record(&self, index: u64) -> GpRecord {
        record::generate(self.config.seed, index, self.practice_of(index), self.config.as_of, self.has_stories())
    }

    /// True when the brief's story patients are planted: whenever the first practice is
    /// big enough to hold them all.
    pub fn has_stories(&self) -> bool {
        self.practices[0].patients >= record::stories::STORIES.len() as u64
    }

    /// The planted story patients with their NHS numbers (empty in tiny regions).
    pub fn stories(&self) -> Vec<(record::stories::Story, openmig_domain::NhsNumber)> {
        if !self.has_stories() {
            return Vec::new();
        }
        record::stories::STORIES.iter().map(|s| (*s, nhs_numbers::nhs_number(self.config.seed, s.index))).collect()
    }
}
