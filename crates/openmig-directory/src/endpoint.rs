//! A practice system's URL, parsed once: an `https` URL with a host, without a query,
//! fragment or credentials, kept without a trailing slash so that `{base}/metadata` is
//! always one slash.
//!
//! `http` is refused: the gateway reaches practices over mutually authenticated TLS only
//! (security.md), so a plain-HTTP entry is a mistake to report at start, not a channel.

use std::fmt;

/// A practice system's base URL (see the module docs).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Endpoint(String);

/// Why a URL is not a usable endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// Not a URL at all.
    #[error("the endpoint {0:?} is not a URL")]
    NotAUrl(String),
    /// Not `https`.
    #[error("the endpoint {0:?} is not https (practices are reached over mutual TLS only)")]
    NotHttps(String),
    /// No host.
    #[error("the endpoint {0:?} names no host")]
    NoHost(String),
    /// A query, fragment or user name: not part of a FHIR base.
    #[error("the endpoint {0:?} has a query, fragment or credentials; give the FHIR base URL only")]
    NotABase(String),
}

impl Endpoint {
    /// Parses `text` (see the module docs).
    pub fn parse(text: &str) -> Result<Endpoint, EndpointError> {
        let text = text.trim();
        if text.contains(['#', '@']) || text.contains('?') {
            return Err(EndpointError::NotABase(text.to_string()));
        }
        let uri: http::Uri = text.parse().map_err(|_| EndpointError::NotAUrl(text.to_string()))?;
        match uri.scheme_str() {
            Some("https") => {}
            Some(_) => return Err(EndpointError::NotHttps(text.to_string())),
            None => return Err(EndpointError::NotAUrl(text.to_string())),
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(EndpointError::NoHost(text.to_string()));
        }
        Ok(Endpoint(text.trim_end_matches('/').to_string()))
    }

    /// The URL, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `{self}/{path}`, with exactly one slash between.
    pub fn join(&self, path: &str) -> String {
        format!("{}/{}", self.0, path.trim_start_matches('/'))
    }

    /// The scheme and authority, e.g. `https://gp.example:9443`.
    pub fn origin(&self) -> &str {
        let after_scheme = "https://".len();
        match self.0[after_scheme..].find('/') {
            Some(slash) => &self.0[..after_scheme + slash],
            None => &self.0,
        }
    }

    /// The path after the origin, e.g. `/A81001/STU3/1/gpconnect/structured/fhir`.
    pub fn path(&self) -> &str {
        &self.0[self.origin().len()..]
    }

    /// The same path at another origin (`https://host:port`), e.g. the port the demo's
    /// practices listener was given at start.
    pub fn at_origin(&self, origin: &str) -> Result<Endpoint, EndpointError> {
        Endpoint::parse(&format!("{}{}", origin.trim_end_matches('/'), self.path()))
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Endpoint({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_https_base_is_kept_without_its_trailing_slash() {
        let endpoint = Endpoint::parse("https://gp.example:9443/A81001/STU3/1/gpconnect/structured/fhir/").unwrap();
        assert_eq!(endpoint.as_str(), "https://gp.example:9443/A81001/STU3/1/gpconnect/structured/fhir");
        assert_eq!(
            endpoint.join("/metadata"),
            "https://gp.example:9443/A81001/STU3/1/gpconnect/structured/fhir/metadata"
        );
        assert_eq!(endpoint.origin(), "https://gp.example:9443");
        assert_eq!(endpoint.path(), "/A81001/STU3/1/gpconnect/structured/fhir");
        let moved = endpoint.at_origin("https://127.0.0.1:40001").unwrap();
        assert_eq!(moved.as_str(), "https://127.0.0.1:40001/A81001/STU3/1/gpconnect/structured/fhir");
    }

    #[test]
    fn an_origin_alone_is_a_base_too() {
        let endpoint = Endpoint::parse("https://[::1]:9443").unwrap();
        assert_eq!(endpoint.origin(), "https://[::1]:9443");
        assert_eq!(endpoint.path(), "");
    }

    #[test]
    fn what_is_not_an_https_base_is_refused_with_its_reason() {
        assert!(matches!(Endpoint::parse("gp.example/fhir"), Err(EndpointError::NotAUrl(_))));
        assert!(matches!(Endpoint::parse("not a url"), Err(EndpointError::NotAUrl(_))));
        assert!(matches!(Endpoint::parse("http://gp.example/fhir"), Err(EndpointError::NotHttps(_))));
        assert!(matches!(Endpoint::parse("https:///fhir"), Err(EndpointError::NotAUrl(_) | EndpointError::NoHost(_))));
        assert!(matches!(Endpoint::parse("https://gp.example/fhir?x=1"), Err(EndpointError::NotABase(_))));
        assert!(matches!(Endpoint::parse("https://user@gp.example/fhir"), Err(EndpointError::NotABase(_))));
    }
}
