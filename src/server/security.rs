//! Security headers on every response: nosniff, no framing, a referrer
//! policy (none at all on pages whose URL carries a token), HSTS when the
//! platform is served over TLS, and a Content-Security-Policy. The
//! middleware makes a nonce per request; the page puts it on its inline
//! scripts (`use_request_nonce`, called from the shell) and HTML responses
//! get a policy naming it (`page_csp`); every other response gets a
//! locked-down default. (Setting the header from inside Leptos's render was
//! tried first: Leptos sometimes builds the response's headers before the
//! shell runs, and the page then went out with no usable policy.)

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::config::Config;
use super::AppState;

/// Paths whose URL carries a secret: no referrer leaves them.
fn carries_token(path: &str) -> bool {
    path.starts_with("/q/")
        || path.starts_with("/reminders/")
        || path.starts_with("/invite/")
        || path.starts_with("/reset-password")
        || path.starts_with("/auth/handoff")
}

/// The policy for everything that is not a rendered page.
const DEFAULT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The policy for a page whose inline scripts carry `nonce`: its own
/// scripts and WASM (hydration needs `wasm-unsafe-eval`), inline styles
/// (the brand colour), images from here and from the map tile server,
/// fetches to here, forms to here, to tenant hosts (signup's hand-off) and
/// to Stripe's hosted pages (`billing`: a billing form without JavaScript
/// is redirected there).
pub fn page_csp(nonce: &str, config: &Config, billing: &str) -> String {
    let tiles = config
        .map_tile_url
        .as_deref()
        .and_then(|u| url::Url::parse(&u.replace(['{', '}'], "")).ok())
        .map(|u| format!(" {}", u.origin().ascii_serialization()))
        .unwrap_or_default();
    let tenants = format!(
        "{}://*.{}{}",
        config.scheme(),
        config.platform.domain,
        config.port_suffix()
    );
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:{tiles}; connect-src 'self'; \
         font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
         form-action 'self' {tenants} {billing}"
    )
}

/// The nonce of one response's policy, made by the middleware and handed
/// to the page through the request's extensions.
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

fn new_nonce() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Makes the page being rendered put this request's nonce on its inline
/// scripts (called from the shell, before anything renders). The policy
/// header itself is set by the middleware, which made the nonce.
pub fn use_request_nonce() {
    use leptos::prelude::{provide_context, use_context};
    if let Some(n) =
        use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<CspNonce>().cloned())
    {
        provide_context(leptos::nonce::Nonce::from_value(n.0));
    }
}

/// The middleware.
pub async fn headers(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let no_referrer = carries_token(req.uri().path());
    let nonce = new_nonce();
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(if no_referrer {
            "no-referrer"
        } else {
            "strict-origin-when-cross-origin"
        }),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static(
            "camera=(self), geolocation=(self), microphone=(), payment=(), usb=()",
        ),
    );
    if state.config.secure_cookies() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if let (true, Some(build)) = (html, super::split::build_id()) {
        if let Ok(v) = HeaderValue::from_str(build) {
            h.insert("x-fence-build", v);
        }
    }
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = if html {
            HeaderValue::from_str(&page_csp(
                &nonce,
                &state.config,
                state.billing.form_origins(),
            ))
            .unwrap_or_else(|_| HeaderValue::from_static(DEFAULT_CSP))
        } else {
            HeaderValue::from_static(DEFAULT_CSP)
        };
        h.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_policy_allows_hydration_and_nothing_foreign() {
        let mut c = Config::for_tests("postgres://x@h/db");
        c.map_tile_url = Some("https://tiles.example/{z}/{x}/{y}.png".into());
        let p = page_csp("abc", &c, "https://checkout.stripe.com");
        assert!(
            p.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"),
            "{p}"
        );
        assert!(
            p.contains("img-src 'self' data: blob: https://tiles.example;"),
            "{p}"
        );
        assert!(p.contains("frame-ancestors 'none'"), "{p}");
        assert!(
            p.contains("form-action 'self' http://*.localhost:3000"),
            "{p}"
        );
        assert!(!p.contains("unsafe-eval'") || p.contains("wasm-unsafe-eval"));
        assert!(!p.contains("script-src 'self' 'unsafe-inline'"));
    }

    #[test]
    fn token_pages_send_no_referrer() {
        assert!(carries_token("/q/abc"));
        assert!(carries_token("/reset-password"));
        assert!(!carries_token("/quotes"));
    }
}
