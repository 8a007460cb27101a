//! GP Connect's protocol, as both ends of the structured-record call read it: the
//! practice's provider (`openmig-provider`) and the gateway, which takes the same
//! operation from consumers and makes it to practices (`openmig-gateway`).
//!
//! - [`headers`]: the Spine Secure Proxy headers and the media types;
//! - [`jwt`]: the GP Connect bearer JWT (claims, audience, times);
//! - [`parameters`]: the `$gpc.getstructuredrecord` `Parameters` body, every part checked;
//! - [`error`]: errors as GP Connect `OperationOutcome`s with their Spine codes;
//! - [`capability`]: the CapabilityStatement.
//!
//! Its own crate so that the gateway shares the provider's reading of the standard without
//! depending on the provider, which holds a practice's clinical store: the gateway can
//! name nothing that reads a record (ARCHITECTURE.md, "The gateway holds no record").
//! Pure request handling: no IO, no state, no patient data in any message.

pub mod capability;
pub mod error;
pub mod headers;
pub mod jwt;
pub mod parameters;

/// The operation's name as it appears in the path.
pub const GET_STRUCTURED_RECORD: &str = "$gpc.getstructuredrecord";
