//! Orders from shops: verifying their webhooks' signatures, and the secrets they sign with.
//!
//! Shopify (`X-Shopify-Hmac-Sha256`) and WooCommerce (`X-WC-Webhook-Signature`) sign alike:
//! the header is the standard, padded base64 of HMAC-SHA-256(secret, raw body). The body is
//! checked as it arrived, before any parsing (`domain::shop`), and compared in constant time.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// Whether `header` is the signature of `body` under `secret`. A header that is not base64,
/// or an empty secret (a connection not yet set up), is never valid.
pub fn signature_valid(secret: &[u8], body: &[u8], header: &str) -> bool {
    if secret.is_empty() {
        return false;
    }
    let Ok(signature) = STANDARD.decode(header.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&signature).is_ok()
}

/// A new webhook secret for a shop connection: 256 random bits, base64url without padding
/// (43 characters), to paste into the shop's webhook settings.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    // python3 -c 'import hmac,hashlib,base64;print(base64.b64encode(hmac.new(b"secret", b"body", hashlib.sha256).digest()).decode())'
    const KNOWN: &str = "3EaYNVf+oSe0OvchRn65s/3iM4/j4U9RlSqoR4wT01U=";

    #[test]
    fn a_known_signature_is_valid() {
        assert!(signature_valid(b"secret", b"body", KNOWN));
        assert!(signature_valid(b"secret", b"body", &format!(" {KNOWN}\n")));
    }

    #[test]
    fn a_tampered_body_or_another_secret_is_not() {
        assert!(!signature_valid(b"secret", b"body ", KNOWN));
        assert!(!signature_valid(b"secret", b"Body", KNOWN));
        assert!(!signature_valid(b"secret2", b"body", KNOWN));
        assert!(!signature_valid(b"", b"body", KNOWN));
    }

    #[test]
    fn a_header_that_is_not_the_signature_is_not() {
        assert!(!signature_valid(b"secret", b"body", "not base64!"));
        assert!(!signature_valid(b"secret", b"body", ""));
        assert!(!signature_valid(
            b"secret",
            b"body",
            &KNOWN[..KNOWN.len() - 1]
        ));
        assert!(!signature_valid(
            b"secret",
            b"body",
            &STANDARD.encode([0u8; 32])
        ));
        assert!(!signature_valid(
            b"secret",
            b"body",
            &STANDARD.encode([0u8; 16])
        ));
    }

    #[test]
    fn new_secrets_are_long_url_safe_and_different() {
        let (a, b) = (new_secret(), new_secret());
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).map(|v| v.len()).ok(), Some(32));
        assert_ne!(a, b);
    }
}
