//! PEM armour (RFC 7468): base64 of DER between `-----BEGIN label-----` and
//! `-----END label-----` lines. Only what key files need; no crypto here.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// PKCS#8 private key.
pub(crate) const PRIVATE_KEY: &str = "PRIVATE KEY";
/// X.509 SubjectPublicKeyInfo.
pub(crate) const PUBLIC_KEY: &str = "PUBLIC KEY";
/// PKCS#1 RSAPublicKey (older OpenSSL output).
pub(crate) const RSA_PUBLIC_KEY: &str = "RSA PUBLIC KEY";

/// Armours DER: 64 base64 characters a line, a final newline.
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

/// The label and DER of the first PEM block in `text` (text before it is ignored, as
/// OpenSSL does; e.g. "Bag Attributes" lines).
pub(crate) fn decode(text: &str) -> Result<(String, Vec<u8>), &'static str> {
    let mut lines = text.lines().map(str::trim);
    let label = loop {
        let Some(line) = lines.next() else { return Err("no PEM block (-----BEGIN ...-----) found") };
        if let Some(label) = line.strip_prefix("-----BEGIN ").and_then(|rest| rest.strip_suffix("-----")) {
            break label.to_string();
        }
    };
    let end = format!("-----END {label}-----");
    let mut body = String::new();
    for line in lines.by_ref() {
        if line == end {
            let der = STANDARD.decode(body.as_bytes()).map_err(|_| "the PEM block is not valid base64")?;
            if der.is_empty() {
                return Err("the PEM block is empty");
            }
            return Ok((label, der));
        }
        if line.contains(':') {
            return Err("encrypted or annotated PEM blocks are not supported");
        }
        body.push_str(line);
    }
    Err("the PEM block has no END line")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn armour_round_trips_and_wraps_at_64_characters() {
        let der: Vec<u8> = (0..=255).collect();
        let pem = encode(PUBLIC_KEY, &der);
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(pem.lines().all(|line| line.len() <= 64));
        assert_eq!(decode(&pem), Ok((PUBLIC_KEY.to_string(), der)));
    }

    #[test]
    fn text_without_a_complete_block_is_refused() {
        assert!(decode("hello").is_err());
        assert!(decode("-----BEGIN PUBLIC KEY-----\nAAAA\n").is_err());
        assert!(decode("-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n").is_err());
        assert!(decode("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n").is_err());
    }
}
