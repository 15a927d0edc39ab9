//! Where the server sends a browser next. Every redirect target that came
//! from a request (`next=`, a form field) passes [`same_site_path`], and
//! every `Location` header is built by [`see_other`] or [`after_action`],
//! which never panic on the bytes they are given.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use url::Url;

/// The placeholder origin a target is resolved against.
const BASE: &str = "https://same-site.invalid/";

/// Bytes no target may hold: control bytes (browsers drop tab, CR and LF
/// from URLs, so `/\t/evil` becomes `//evil`), space, backslash (read as a
/// slash) and anything outside ASCII (look-alike slashes and dots).
fn clean(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .all(|b| (0x21..=0x7e).contains(b) && *b != b'\\')
}

/// A path on this site to send the browser to, or `None` for anything that
/// could leave it: absolute and scheme-relative URLs, `//`, backslashes,
/// control bytes (raw or percent-encoded), non-ASCII, dot segments that
/// collapse into `//`, and encodings of any of these.
pub fn same_site_path(next: &str) -> Option<String> {
    if next.is_empty() || next.len() > 2048 || !clean(next.as_bytes()) {
        return None;
    }
    if !next.starts_with('/') || next.starts_with("//") {
        return None;
    }
    let base = Url::parse(BASE).ok()?;
    // Decoded (up to three times, for double encodings) it must stay as
    // tame: an intermediary or a later hop may decode it.
    let mut text = next.to_string();
    for _ in 0..3 {
        let decoded = percent_encoding::percent_decode_str(&text).collect::<Vec<u8>>();
        if decoded.starts_with(b"//")
            || decoded
                .iter()
                .any(|b| *b < 0x20 || *b == 0x7f || *b == b'\\')
        {
            return None;
        }
        let decoded = String::from_utf8(decoded).ok()?;
        if decoded == text {
            break;
        }
        stays(&base, &decoded)?;
        text = decoded;
    }
    // The URL parser is the browser's view: resolved here, it must stay here.
    let url = stays(&base, next)?;
    let mut out = url.path().to_string();
    if let Some(q) = url.query() {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = url.fragment() {
        out.push('#');
        out.push_str(f);
    }
    // Dot segments can collapse `/a/..//evil` into `//evil`, and
    // `/%2e/%2f..` into `/%2f..` (which a later hop may decode to `//..`).
    (out.starts_with('/')
        && !out.starts_with("//")
        && clean(out.as_bytes())
        && !decodes_to_double_slash(&out))
    .then_some(out)
}

/// Whether `path`, percent-decoded up to three times, begins with `//`.
fn decodes_to_double_slash(path: &str) -> bool {
    let mut text = path.to_string();
    for _ in 0..3 {
        let decoded = percent_encoding::percent_decode_str(&text)
            .decode_utf8_lossy()
            .into_owned();
        if decoded.starts_with("//") {
            return true;
        }
        if decoded == text {
            return false;
        }
        text = decoded;
    }
    false
}

/// `target` resolved against `base`, if it stays on `base`'s origin with
/// no user info and a path that does not begin `//`.
fn stays(base: &Url, target: &str) -> Option<Url> {
    let url = base.join(target).ok()?;
    (url.origin() == base.origin()
        && url.username().is_empty()
        && url.password().is_none()
        && !url.path().starts_with("//"))
    .then_some(url)
}

/// [`same_site_path`], or `/`.
pub fn safe_next(next: &str) -> String {
    same_site_path(next).unwrap_or_else(|| "/".to_string())
}

/// A `303 See Other` to `location`. A location that cannot be a header
/// (which only a bug could produce) goes to `/` instead of panicking.
pub fn see_other(location: &str) -> Response {
    let value = HeaderValue::from_str(location).unwrap_or_else(|_| {
        tracing::error!("refused to redirect to a location that is not a valid header");
        HeaderValue::from_static("/")
    });
    (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response()
}

/// Sends the browser to `location` after a server function: a real redirect
/// for a plain form post, the redirect header for Leptos's client. Never
/// panics (Leptos's own `redirect` does on a bad header value).
pub fn after_action(location: &str) {
    if HeaderValue::from_str(location).is_ok() {
        leptos_axum::redirect(location);
    } else {
        tracing::error!("refused to redirect to a location that is not a valid header");
        leptos_axum::redirect("/");
    }
}

/// Where a plain form post (no JavaScript) returns to from a page that
/// sends no referrer (its URL holds a token): `path`, with an error encoded
/// the way Leptos's forms read it back. Leptos would otherwise return such
/// a form to `/`. JavaScript callers are left alone.
pub fn form_returns_to<T>(
    server_fn_path: &str,
    path: &str,
    result: &Result<T, crate::error::AppError>,
) {
    use leptos::prelude::use_context;
    use leptos::server_fn::error::ServerFnUrlError;
    let (Some(parts), Some(res)) = (
        use_context::<http::request::Parts>(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let plain_form = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if !plain_form || same_site_path(path).is_none() {
        return;
    }
    let location = match result {
        Ok(_) => path.to_string(),
        Err(e) => Url::parse(BASE)
            .ok()
            .and_then(|base| base.join(path).ok())
            .and_then(|url| {
                ServerFnUrlError::new(server_fn_path, e.clone())
                    .to_url(url.as_str())
                    .ok()
            })
            .map(|u| format!("{}?{}", u.path(), u.query().unwrap_or_default()))
            .unwrap_or_else(|| path.to_string()),
    };
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.set_status(StatusCode::FOUND);
        res.insert_header(header::LOCATION, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known open-redirect bypasses (OWASP's cheat sheet, PayloadsAllTheThings,
    /// browser URL-parsing quirks). None may survive.
    const BYPASSES: &[&str] = &[
        "//evil.example",
        "///evil.example",
        "////evil.example/",
        "/\\evil.example",
        "\\/evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/%09/evil.example",
        "/\n/evil.example",
        "/%0A/evil.example",
        "/%0a",
        "/\r/evil.example",
        "/%0D/evil.example",
        "/%00/evil.example",
        "/\0/evil.example",
        "https://evil.example",
        "http:evil.example",
        "https:/evil.example",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "evil.example",
        " /evil.example",
        "/%2F/evil.example",
        "/%2f%2fevil.example",
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "/%5c%5cevil.example",
        "/%252F%252Fevil.example",
        "/%25252f%25252fevil.example",
        "/.//evil.example",
        "/a/..//evil.example",
        "/%2e%2e//evil.example",
        "/%2E/%2Fevil.example",
        "/\u{FF0F}evil.example",
        "/\u{2215}evil.example",
        "/\u{3031}evil.example",
        "/\u{FF3C}evil.example",
        "/\u{3002}evil.example",
        "/\u{200B}/evil.example",
        "//evil.example@good.example",
        "/\\/evil.example/",
        "/%09%09/evil.example",
        // Found by the property test: a dot segment removed leaves `/%2f..`.
        "/%2e/%2f..",
        "",
    ];

    #[test]
    fn no_known_bypass_leaves_the_site() {
        assert!(BYPASSES.len() >= 30);
        for b in BYPASSES {
            assert_eq!(same_site_path(b), None, "{b:?}");
            assert_eq!(safe_next(b), "/", "{b:?}");
        }
    }

    #[test]
    fn ordinary_paths_survive_intact() {
        for p in [
            "/",
            "/customers?q=a",
            "/customers?q=Jos%C3%A9&page=2",
            "/quotes/5b0e9d1c-7a36-4d52-9d6e-0b9b2e6b6c9a",
            "/jobs/1#photos",
            "/settings/team",
            "/@evil.example",
        ] {
            assert_eq!(same_site_path(p).as_deref(), Some(p), "{p}");
        }
        assert_eq!(same_site_path("/a/../b").as_deref(), Some("/b"));
    }

    mod generated {
        use super::super::*;
        use proptest::prelude::*;

        /// The pieces open-redirect payloads are made of.
        const PIECES: &[&str] = &[
            "/",
            "//",
            "\\",
            "\t",
            "\n",
            "\r",
            "%",
            "%2f",
            "%2F",
            "%5c",
            "%09",
            "%0a",
            "%00",
            "%25",
            "%2e",
            ".",
            "..",
            ":",
            "@",
            "?",
            "#",
            " ",
            "\u{FF0F}",
            "\u{2215}",
            "http",
            "https:",
            "javascript:",
            "evil.example",
            "a",
            "q=1",
            "&",
            "=",
            "~",
            "-",
        ];

        fn payload() -> impl Strategy<Value = String> {
            (
                any::<bool>(),
                prop::collection::vec(prop::sample::select(PIECES), 0..12),
            )
                .prop_map(|(slash, parts)| {
                    let body = parts.concat();
                    if slash {
                        format!("/{body}")
                    } else {
                        body
                    }
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(4000))]

            #[test]
            fn whatever_comes_in_only_a_same_site_path_goes_out(input in payload()) {
                if let Some(p) = same_site_path(&input) {
                    prop_assert!(p.starts_with('/') && !p.starts_with("//"), "{p:?}");
                    prop_assert!(p.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b'\\'), "{p:?}");
                    let base = Url::parse(BASE).unwrap();
                    let url = base.join(&p).unwrap();
                    prop_assert_eq!(url.origin(), base.origin());
                    let decoded = percent_encoding::percent_decode_str(&p).decode_utf8_lossy();
                    prop_assert!(!decoded.starts_with("//"), "{p:?}");
                    prop_assert_eq!(same_site_path(&p), Some(p.clone()), "stable");
                    prop_assert!(HeaderValue::from_str(&p).is_ok());
                }
            }
        }
    }

    #[test]
    fn bad_locations_never_panic() {
        let r = see_other("/ok\nSet-Cookie: x=1");
        assert_eq!(r.headers()[header::LOCATION], "/");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
}
