//! Stripe's webhook signature scheme, checked on the raw body: the
//! `Stripe-Signature` header carries `t=<unix seconds>` and one or more
//! `v1=<hex HMAC-SHA256 of "t.body">` (several while a secret is rotated).
//! A signature counts when any `v1` matches any configured secret and the
//! timestamp is within the tolerance of now, either way. async-stripe's own
//! check keeps only one `v1` per header, so rotation needs this.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Stripe's default tolerance.
pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    Missing,
    Malformed,
    NoMatch,
    Stale,
}

impl SignatureError {
    pub fn message(&self) -> &'static str {
        match self {
            SignatureError::Missing => "Missing Stripe-Signature header.",
            SignatureError::Malformed => {
                "Malformed Stripe-Signature header: expected t=<timestamp>,v1=<signature>."
            }
            SignatureError::NoMatch => "No signature matches the payload for any webhook secret.",
            SignatureError::Stale => "The signature's timestamp is outside the 300 s tolerance.",
        }
    }
}

/// Checks `header` against `payload` for any of `secrets` at `now`.
pub fn verify(
    header: Option<&str>,
    payload: &[u8],
    secrets: &[&str],
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp: Option<i64> = None;
    let mut signatures: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            return Err(SignatureError::Malformed);
        };
        match k {
            "t" => {
                if timestamp.is_some() {
                    return Err(SignatureError::Malformed);
                }
                timestamp = Some(v.parse().map_err(|_| SignatureError::Malformed)?);
            }
            "v1" => signatures.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?),
            // v0 (test-mode legacy) and future schemes are ignored.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let matched = secrets.iter().any(|secret| {
        signatures.iter().any(|sig| {
            let mut mac =
                Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(payload);
            // Constant-time comparison.
            mac.verify_slice(sig).is_ok()
        })
    });
    if !matched {
        return Err(SignatureError::NoMatch);
    }
    if (now - timestamp).abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fake::sign;
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_1","type":"invoice.paid"}"#;

    fn header(secret: &str, t: i64) -> String {
        sign(secret, t, std::str::from_utf8(BODY).unwrap())
    }

    #[test]
    fn a_good_signature_passes_and_a_changed_byte_fails() {
        let now = 1_700_000_000;
        let h = header("whsec_a", now);
        assert_eq!(verify(Some(&h), BODY, &["whsec_a"], now), Ok(()));
        let mut changed = BODY.to_vec();
        changed[5] ^= 1;
        assert_eq!(
            verify(Some(&h), &changed, &["whsec_a"], now),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(Some(&h), BODY, &["whsec_b"], now),
            Err(SignatureError::NoMatch)
        );
    }

    #[test]
    fn timestamps_outside_the_tolerance_fail_both_ways() {
        let now = 1_700_000_000;
        for t in [now - 301, now + 301] {
            let h = header("whsec_a", t);
            assert_eq!(
                verify(Some(&h), BODY, &["whsec_a"], now),
                Err(SignatureError::Stale)
            );
        }
        let h = header("whsec_a", now - 299);
        assert_eq!(verify(Some(&h), BODY, &["whsec_a"], now), Ok(()));
    }

    #[test]
    fn rotation_accepts_any_v1_and_any_secret() {
        let now = 1_700_000_000;
        let old = header("whsec_old", now);
        let new = header("whsec_new", now);
        let both = format!("{old},{}", new.split_once(',').unwrap().1);
        assert_eq!(verify(Some(&both), BODY, &["whsec_new"], now), Ok(()));
        assert_eq!(verify(Some(&both), BODY, &["whsec_old"], now), Ok(()));
        assert_eq!(
            verify(Some(&old), BODY, &["whsec_new", "whsec_old"], now),
            Ok(())
        );
    }

    #[test]
    fn missing_or_garbled_headers_fail() {
        let now = 1_700_000_000;
        assert_eq!(
            verify(None, BODY, &["s"], now),
            Err(SignatureError::Missing)
        );
        for h in [
            "",
            "garbage",
            "t=abc,v1=00",
            "v1=00ff",
            "t=1700000000",
            "t=1700000000,v1=zz",
        ] {
            assert_eq!(
                verify(Some(h), BODY, &["s"], now),
                Err(SignatureError::Malformed),
                "{h}"
            );
        }
    }
}
