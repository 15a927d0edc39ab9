//! Logs, request ids, metrics and the last line of defence against panics.
//!
//! Every request gets an id (the `x-request-id` response header, and the
//! reference an internal error shows the user), a tracing span carrying
//! that id, the route, the tenant and the user (tower-http's trace layer),
//! and a latency and status in the Prometheus metrics (`metrics` with its
//! Prometheus exporter). A panic anywhere in a request answers 500 with the
//! reference and is logged; it never drops the connection.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use futures::FutureExt;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::Span;
use tracing_subscriber::EnvFilter;

use super::config::Config;

/// The header carrying a request's id, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// A request's id, in its extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

tokio::task_local! {
    static CURRENT: String;
}

/// Starts the log subscriber once (text, or JSON with `LOG_FORMAT=json`).
pub fn init_logging(config: &Config) {
    let filter =
        EnvFilter::try_new(&config.log_filter).unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if config.log_json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// The id of the request being served, where one is known: the task's own,
/// else (inside a Leptos resource running on another task) the request
/// parts Leptos provides.
pub fn current_request_id() -> String {
    if let Ok(id) = CURRENT.try_with(|id| id.clone()) {
        return id;
    }
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|p| {
            p.headers
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_default()
}

/// Runs `f` with `id` as the current request id (background work).
pub async fn with_request_id<F: Future>(id: String, f: F) -> F::Output {
    CURRENT.scope(id, f).await
}

/// A new request id: 16 hex digits, short enough to read over the phone.
pub fn new_request_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    id[..16].to_string()
}

/// The Prometheus recorder, installed once per process.
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let buckets = [
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ];
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &buckets)
            .expect("valid buckets")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may exist (a test harness); ours still renders.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// The route a request matched (a pattern such as `/q/{token}`, never the
/// path itself, which may carry a token), or `other`.
fn route_of(req: &Request) -> String {
    req.extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| {
            let p = req.uri().path();
            if p.starts_with("/pkg/") || p.starts_with("/static/") {
                "static".into()
            } else {
                "other".into()
            }
        })
}

/// The tracing span of a request (tower-http's trace layer calls this).
pub fn make_span(req: &Request) -> Span {
    let id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.as_str())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        route = %route_of(req),
        tenant = tracing::field::Empty,
        user = tracing::field::Empty,
    )
}

/// The outermost middleware: gives the request its id, times it into the
/// metrics, and turns a panic into a logged 500 that names the id.
pub async fn observe(mut req: Request, next: Next) -> Response {
    let id = new_request_id();
    if let Ok(v) = HeaderValue::from_str(&id) {
        // Replaces any id the client sent: ours are the ones in our logs.
        req.headers_mut().insert(REQUEST_ID, v);
    }
    req.extensions_mut().insert(RequestId(id.clone()));
    let route = route_of(&req);
    let method = req.method().to_string();
    let start = Instant::now();
    let run = CURRENT.scope(id.clone(), AssertUnwindSafe(next.run(req)).catch_unwind());
    let mut response = match run.await {
        Ok(r) => r,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic".into());
            tracing::error!(request_id = %id, %route, %message, "request panicked");
            metrics::counter!("app_panics_total").increment(1);
            internal_error_page(&id)
        }
    };
    let status = response.status();
    let secs = start.elapsed().as_secs_f64();
    metrics::histogram!("http_request_duration_seconds", "route" => route.clone(), "method" => method.clone())
        .record(secs);
    metrics::counter!("http_requests_total", "route" => route, "method" => method, "status" => status.as_u16().to_string())
        .increment(1);
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, v);
    }
    response
}

/// The page a browser gets when the server fails: the reference to quote.
pub fn internal_error_page(id: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>Something went wrong</title><style>body{{font-family:system-ui,sans-serif;\
         max-width:36rem;margin:15vh auto;padding:0 1.5rem;color:#1d2b27;line-height:1.5}}h1{{font-size:1.6rem}}</style></head>\
         <body><h1>Something went wrong on our side</h1><p>Please try again in a moment. If it keeps happening, give \
         support this reference: <code>{}</code>.</p></body></html>",
        html_escape(id)
    );
    (StatusCode::INTERNAL_SERVER_ERROR, Html(html)).into_response()
}

pub(crate) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Records who the request is for on its span, once the context is known.
pub fn record_principal(tenant: Option<&str>, user: Option<uuid::Uuid>) {
    let span = Span::current();
    if let Some(t) = tenant {
        span.record("tenant", t);
    }
    if let Some(u) = user {
        span.record("user", tracing::field::display(u));
    }
}

/// The error chain of `e`, outermost first, joined by ": ".
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_short_hex() {
        let a = new_request_id();
        assert_eq!(a.len(), 16);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, new_request_id());
    }

    #[test]
    fn an_error_chain_names_every_cause() {
        let io = std::io::Error::other("disk on fire");
        let wrapped = std::io::Error::other(WithSource(io));
        assert!(
            chain(&wrapped).contains("outer: disk on fire"),
            "{}",
            chain(&wrapped)
        );
    }

    #[tokio::test]
    async fn a_panic_answers_500_with_the_request_id_and_keeps_the_connection() {
        use axum::body::Body;
        use tower::Service;
        let mut app = axum::Router::new()
            .route(
                "/boom",
                axum::routing::get(|| async {
                    if true {
                        panic!("kaboom");
                    }
                    "unreachable"
                }),
            )
            .layer(axum::middleware::from_fn(observe));
        let res = app
            .call(Request::builder().uri("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let id = res.headers()[REQUEST_ID].to_str().unwrap().to_string();
        let body = axum::body::to_bytes(res.into_body(), 10_000).await.unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains(&format!("<code>{id}</code>")), "{text}");
    }

    #[derive(Debug)]
    struct WithSource(std::io::Error);
    impl std::fmt::Display for WithSource {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "outer")
        }
    }
    impl std::error::Error for WithSource {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
}
