//! A tenant's custom domain (the $10 add-on): the name, the DNS records
//! that prove and point it, and where verification stands.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The label under the domain that carries the verification token.
pub const VERIFY_LABEL: &str = "_fence-verify";

/// One DNS record the owner creates at their DNS host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DnsRecord {
    pub kind: String,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomDomain {
    pub domain: String,
    pub verified: bool,
    pub checked_at: Option<DateTime<Utc>>,
    /// What the last check found missing.
    pub error: Option<String>,
    pub records: Vec<DnsRecord>,
    /// `https://portal.acme.com` once verified.
    pub url: String,
}

/// The custom-domain section of Settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainSettings {
    pub domain: Option<CustomDomain>,
    /// The plan (or its add-on) includes a custom domain.
    pub allowed: bool,
    pub workspace_url: String,
}

/// A domain as typed: lower-cased, without scheme, path or port; at least
/// two labels, letters, digits and hyphens; never the platform's own.
pub fn custom_domain(value: &str, platform_domain: &str) -> Result<String, String> {
    let mut v = value.trim().to_ascii_lowercase();
    for scheme in ["https://", "http://"] {
        if let Some(rest) = v.strip_prefix(scheme) {
            v = rest.to_string();
        }
    }
    let v = v.trim_end_matches('/').trim_end_matches('.').to_string();
    let example = "Enter the domain only, like portal.yourcompany.com.";
    if v.is_empty() {
        return Err(example.into());
    }
    if v.len() > 253 || v.contains(['/', ':', '@', ' ']) {
        return Err(example.into());
    }
    let labels: Vec<&str> = v.split('.').collect();
    if labels.len() < 2
        || labels.iter().any(|l| {
            l.is_empty()
                || l.len() > 63
                || l.starts_with('-')
                || l.ends_with('-')
                || !l
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
        || labels
            .last()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(example.into());
    }
    if v == platform_domain || v.ends_with(&format!(".{platform_domain}")) {
        return Err(
            "That is an address of the platform itself: use a domain your company owns.".into(),
        );
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::custom_domain;

    #[test]
    fn domains_are_normalised_and_odd_ones_refused() {
        let ok = |v| custom_domain(v, "fenceline.app").unwrap();
        assert_eq!(ok(" Portal.AcmeFence.com "), "portal.acmefence.com");
        assert_eq!(ok("https://portal.acme.com/"), "portal.acme.com");
        assert_eq!(ok("acme.co.uk."), "acme.co.uk");
        for bad in [
            "",
            "localhost",
            "portal..acme.com",
            "-a.acme.com",
            "acme.com:8443",
            "acme.com/x",
            "user@acme.com",
            "10.0.0.1",
            "a b.com",
            "acme.fenceline.app",
            "fenceline.app",
            "ünïcode.com",
        ] {
            assert!(custom_domain(bad, "fenceline.app").is_err(), "{bad}");
        }
    }
}
