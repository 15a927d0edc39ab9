//! Which site a `Host` names: the platform domain, a tenant subdomain, a
//! candidate custom domain, or nothing. Matching is exact after lower-casing
//! and removing the port; anything odd (IP literals, trailing dots, nested
//! labels, bad characters) names nothing.

use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostMatch {
    Platform,
    Subdomain(String),
    CustomDomain(String),
    Invalid,
}

pub fn classify(host: &str, platform_domain: &str) -> HostMatch {
    let host = host.trim();
    if host.is_empty() || host.starts_with('[') {
        return HostMatch::Invalid;
    }
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()) => name,
        Some(_) => return HostMatch::Invalid,
        None => host,
    };
    let name = name.to_ascii_lowercase();
    if name.is_empty() || name.ends_with('.') || name.parse::<IpAddr>().is_ok() {
        return HostMatch::Invalid;
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    {
        return HostMatch::Invalid;
    }
    if name
        .split('.')
        .any(|label| label.is_empty() || label.len() > 63)
    {
        return HostMatch::Invalid;
    }
    if name == platform_domain {
        return HostMatch::Platform;
    }
    if let Some(label) = name
        .strip_suffix(platform_domain)
        .and_then(|s| s.strip_suffix('.'))
    {
        if label.contains('.') {
            return HostMatch::Invalid;
        }
        return match crate::model::subdomain(label) {
            Ok(s) if s == label => HostMatch::Subdomain(s),
            _ => HostMatch::Invalid,
        };
    }
    if name.contains('.') {
        HostMatch::CustomDomain(name)
    } else {
        HostMatch::Invalid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use HostMatch::*;

    #[test]
    fn hosts_are_matched_exactly_and_case_insensitively() {
        let d = "localhost";
        assert_eq!(classify("localhost:3000", d), Platform);
        assert_eq!(classify("LOCALHOST", d), Platform);
        assert_eq!(classify("Acme.localhost:3000", d), Subdomain("acme".into()));
        assert_eq!(
            classify("portal.acmefence.com", d),
            CustomDomain("portal.acmefence.com".into())
        );
    }

    #[test]
    fn odd_hosts_select_nothing() {
        let d = "localhost";
        for h in [
            "",
            "acme.localhost.",
            "acme.localhost.:3000",
            "127.0.0.1:3000",
            "[::1]:3000",
            "a.b.localhost",
            "acme.localhost:",
            "acme.localhost:x",
            "ac_me.localhost",
            "acme..localhost",
            "www.localhost",
            "evil.com.",
            "acme localhost",
            "localhost.",
        ] {
            assert_eq!(classify(h, d), Invalid, "{h:?}");
        }
    }

    mod generated {
        use super::super::*;
        use proptest::prelude::*;

        const PIECES: &[&str] = &[
            "acme",
            "ACME",
            "a",
            "z9",
            "-",
            "--",
            ".",
            "..",
            "localhost",
            "LocalHost",
            "fenceline",
            "app",
            ":",
            ":3000",
            ":x",
            "[",
            "]",
            "::1",
            "127.0.0.1",
            "_",
            " ",
            "\u{0430}",
            "www",
            "evil.com",
            "0",
        ];

        fn host() -> impl Strategy<Value = String> {
            prop::collection::vec(prop::sample::select(PIECES), 0..8).prop_map(|p| p.concat())
        }

        fn name_of(h: &str) -> String {
            let h = h.trim();
            match h.rsplit_once(':') {
                Some((n, _)) => n.to_ascii_lowercase(),
                None => h.to_ascii_lowercase(),
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(4000))]

            #[test]
            fn a_host_names_exactly_one_site_or_none(h in host()) {
                let d = "localhost";
                let got = classify(&h, d);
                prop_assert_eq!(classify(&h.to_ascii_uppercase(), d), got.clone(), "case does not matter");
                match got {
                    HostMatch::Platform => prop_assert_eq!(name_of(&h), d),
                    HostMatch::Subdomain(s) => {
                        prop_assert_eq!(crate::model::subdomain(&s), Ok(s.clone()));
                        prop_assert_eq!(name_of(&h), format!("{s}.{d}"));
                    }
                    HostMatch::CustomDomain(c) => {
                        prop_assert_eq!(&name_of(&h), &c);
                        let suffix = format!(".{}", d);
                        prop_assert!(c.contains('.') && !c.ends_with(&suffix) && c != d, "{}", c);
                        prop_assert!(c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'));
                    }
                    HostMatch::Invalid => {}
                }
            }
        }
    }

    #[test]
    fn a_lookalike_platform_domain_is_not_the_platform() {
        assert_eq!(classify("acmelocalhost", "localhost"), Invalid);
        assert_eq!(
            classify("fenceline.app.evil.com", "fenceline.app"),
            CustomDomain("fenceline.app.evil.com".into())
        );
        assert_eq!(
            classify("xfenceline.app", "fenceline.app"),
            CustomDomain("xfenceline.app".into())
        );
    }
}
