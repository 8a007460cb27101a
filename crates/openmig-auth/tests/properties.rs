//! Properties: any change to a valid token is refused; any valid request round-trips.

mod common;

use std::sync::OnceLock;
use std::time::Duration;

use common::*;
use openmig_auth::{DEFAULT_AUDIENCE, IssuerKey, TokenRequest, TrustedIssuers};
use openmig_domain::{ConsentBasis, OdsCode, Role};
use proptest::prelude::*;

struct Valid {
    trusted: TrustedIssuers,
    key: IssuerKey,
    token: String,
}

fn valid() -> &'static Valid {
    static VALID: OnceLock<Valid> = OnceLock::new();
    VALID.get_or_init(|| {
        let key = IssuerKey::generate().unwrap();
        let trusted = TrustedIssuers::from_key(&key);
        let token = openmig_auth::mint(&key, &request(), now()).unwrap();
        Valid { trusted, key, token }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Flipping any bits of any byte (header, payload, signature or a separator) gives a
    /// token that is refused: by shape, by algorithm, by key or by signature.
    #[test]
    fn flipping_any_byte_of_a_valid_token_is_refused(index in any::<prop::sample::Index>(), mask in 1u8..=255) {
        let valid = valid();
        let mut bytes = valid.token.clone().into_bytes();
        let at = index.index(bytes.len());
        bytes[at] ^= mask;
        let tampered = String::from_utf8_lossy(&bytes).into_owned();
        let result = valid.trusted.verify(Some(&bearer(&tampered)), DEFAULT_AUDIENCE, now());
        prop_assert!(result.is_err(), "byte {} ^ {:#04x} was accepted", at, mask);
    }

    /// Replacing one base64url character of the payload or signature by another base64url
    /// character (so the token stays well-formed) still fails, including changes that
    /// touch only the unused bits of the last character.
    #[test]
    fn swapping_one_base64url_character_is_refused(index in any::<prop::sample::Index>(), replacement in "[A-Za-z0-9_-]") {
        let valid = valid();
        let header_length = valid.token.find('.').unwrap() + 1;
        let tail = &valid.token[header_length..];
        let positions: Vec<usize> = tail.char_indices().filter(|(_, c)| *c != '.').map(|(i, _)| header_length + i).collect();
        let at = positions[index.index(positions.len())];
        prop_assume!(valid.token.as_bytes()[at] != replacement.as_bytes()[0]);
        let mut tampered = valid.token.clone();
        tampered.replace_range(at..=at, &replacement);
        let result = valid.trusted.verify(Some(&bearer(&tampered)), DEFAULT_AUDIENCE, now());
        prop_assert!(result.is_err());
        let code = result.unwrap_err().code();
        prop_assert!(code == "TOKEN_BAD_SIGNATURE" || code == "TOKEN_MALFORMED", "{}", code);
    }

    /// Whatever a valid request holds comes back out of the verified token.
    #[test]
    fn mint_then_verify_gives_back_the_identity(
        user_id in "[A-Za-z0-9][A-Za-z0-9._-]{0,30}",
        user_name in "[A-Za-z][A-Za-z'-]{0,12}( [A-Za-z][A-Za-z'-]{0,12}){0,3}",
        role_index in 0..Role::ALL.len(),
        ods in "[A-Z][A-Z0-9]{2,9}",
        device in "[A-Za-z0-9][A-Za-z0-9 ._-]{0,30}",
        consent_index in 0..=ConsentBasis::ALL.len(),
        reason in "[A-Za-z0-9][ -~]{0,200}",
        ttl_seconds in 1u64..=3600,
        seconds_later in 0i64..3600,
    ) {
        let valid = valid();
        let consent = ConsentBasis::ALL.get(consent_index).copied();
        let mut request = TokenRequest::new(user_id.clone(), Role::ALL[role_index], OdsCode::parse(&ods).unwrap());
        request.user_name = user_name.clone();
        request.device = device.clone();
        request.consent = consent;
        request.override_reason = (consent == Some(ConsentBasis::Emergency)).then(|| reason.clone());
        request.ttl = Duration::from_secs(ttl_seconds);
        let token = openmig_auth::mint(&valid.key, &request, now()).unwrap();
        let at = now() + chrono::TimeDelta::seconds(seconds_later.min(ttl_seconds as i64 - 1));
        let identity = valid.trusted.verify(Some(&bearer(&token)), DEFAULT_AUDIENCE, at).unwrap();
        prop_assert_eq!(identity.user_id, user_id);
        prop_assert_eq!(identity.user_name, user_name);
        prop_assert_eq!(identity.role, request.role);
        prop_assert_eq!(identity.organisation, request.organisation);
        prop_assert_eq!(identity.device, device);
        prop_assert_eq!(identity.consent, consent);
        prop_assert_eq!(identity.override_reason, request.override_reason);
        prop_assert_eq!(identity.expires_at, now() + chrono::TimeDelta::seconds(ttl_seconds as i64));
    }
}
