//! Turning a `--database` value into an opened store.
//!
//! `api.md`: `--database` accepts a SQLite file path (bare, or `sqlite:FILE`) and, once
//! the PostgreSQL backend exists, `postgres://…`.

use std::path::PathBuf;

use anyhow::bail;

/// Where the store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    Sqlite(PathBuf),
}

/// Parses a `--database` value.
pub fn parse(value: &str) -> anyhow::Result<Location> {
    if value.starts_with("postgres://") || value.starts_with("postgresql://") {
        bail!("the PostgreSQL backend is not available in this release; use a SQLite file");
    }
    let path = value.strip_prefix("sqlite://").or_else(|| value.strip_prefix("sqlite:")).unwrap_or(value);
    if path.is_empty() {
        bail!("--database needs a file path");
    }
    Ok(Location::Sqlite(PathBuf::from(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_locations_accept_bare_paths_and_the_sqlite_scheme() {
        assert_eq!(parse("a.db").unwrap(), Location::Sqlite("a.db".into()));
        assert_eq!(parse("sqlite:a.db").unwrap(), Location::Sqlite("a.db".into()));
        assert_eq!(parse("sqlite:///tmp/a.db").unwrap(), Location::Sqlite("/tmp/a.db".into()));
        assert!(parse("postgres://localhost/test").is_err());
        assert!(parse("sqlite:").is_err());
    }
}
