//! Device cookies (OWASP's "Slow down online guessing attacks with device
//! cookies"): after a successful login the browser gets a long-lived cookie
//! signed by the server, naming the account and a random device id. A login
//! that presents a valid one for its account is counted in that device's own
//! bucket, so an attacker's failed guesses, which come without it, can never
//! lock the real user out; and it is not charged to a shared network.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The cookie's name.
pub const COOKIE: &str = "fenceline_device";
/// How long a device stays known without a login.
pub const MAX_AGE_DAYS: i64 = 365;

fn mac(key: &[u8], scope: &str, email: &str, device: &str) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    for part in [scope, email, device] {
        m.update(part.as_bytes());
        m.update(b"\n");
    }
    m
}

/// A new device cookie value for `email` on `scope` (a tenant id or
/// `platform`), and the device id it names.
pub fn issue(key: &[u8], scope: &str, email: &str) -> (String, String) {
    let device = uuid::Uuid::new_v4().simple().to_string();
    let sig = hex::encode(mac(key, scope, email, &device).finalize().into_bytes());
    (format!("v1.{device}.{sig}"), device)
}

/// The device id when `value` is a valid cookie for this account.
pub fn verify(key: &[u8], value: &str, scope: &str, email: &str) -> Option<String> {
    let rest = value.strip_prefix("v1.")?;
    let (device, sig) = rest.split_once('.')?;
    if device.len() != 32 || !device.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let sig = hex::decode(sig).ok()?;
    mac(key, scope, email, device)
        .verify_slice(&sig)
        .ok()
        .map(|_| device.to_string())
}

/// The device cookie a request carries, if any.
pub fn from_headers(headers: &http::HeaderMap) -> Option<String> {
    cookie(headers, COOKIE).map(str::to_string)
}

/// The value of the cookie `name` a request carries, if any.
pub fn cookie<'h>(headers: &'h http::HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

/// The `Set-Cookie` value for a device cookie: host-only, HttpOnly, Lax,
/// Secure over TLS.
pub fn set_cookie(value: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}",
        MAX_AGE_DAYS * 86_400,
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_cookie_is_good_only_for_its_account_and_key() {
        let key = [7u8; 32];
        let (cookie, device) = issue(&key, "org-a", "ann@a.example");
        assert_eq!(
            verify(&key, &cookie, "org-a", "ann@a.example"),
            Some(device)
        );
        assert_eq!(verify(&key, &cookie, "org-a", "bob@a.example"), None);
        assert_eq!(verify(&key, &cookie, "org-b", "ann@a.example"), None);
        assert_eq!(verify(&[8u8; 32], &cookie, "org-a", "ann@a.example"), None);
        let flipped = if cookie.ends_with('0') { '1' } else { '0' };
        let forged = format!("{}{flipped}", &cookie[..cookie.len() - 1]);
        assert_eq!(verify(&key, &forged, "org-a", "ann@a.example"), None);
        assert_eq!(verify(&key, "v1.zz.00", "org-a", "ann@a.example"), None);
        assert_eq!(verify(&key, "", "org-a", "ann@a.example"), None);
    }

    #[test]
    fn the_cookie_is_read_from_the_request() {
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::COOKIE,
            "a=1; fenceline_device=v1.x.y; fenceline_session=s"
                .parse()
                .unwrap(),
        );
        assert_eq!(from_headers(&h).as_deref(), Some("v1.x.y"));
        assert!(set_cookie("v", true).ends_with("SameSite=Lax; Secure"));
    }
}
