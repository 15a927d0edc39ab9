//! Fenceline: the multi-tenant platform invisible-fence installers run their
//! trade on. One crate, two builds: the axum server (`ssr`) and the WASM
//! client (`hydrate`) share the models, validation and pages.
#![recursion_limit = "512"]

pub mod api;
pub mod app;
pub mod error;
pub mod model;

#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the WASM client: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // A marker for browser tests (and a hook for styling): the page is live.
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-hydrated", "");
    }
}

/// Benchmark hook (BENCHMARKS.md): take-off plus pricing of a 200-point
/// boundary, `n` times, in this WASM build; returns milliseconds per run.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn bench_takeoff(n: u32) -> f64 {
    let (c, d, terms) = model::pricing::bench_input(200);
    let perf = web_sys::window().and_then(|w| w.performance());
    let now = || perf.as_ref().map(|p| p.now()).unwrap_or(0.0);
    let start = now();
    let mut sink = rust_decimal::Decimal::ZERO;
    for _ in 0..n.max(1) {
        let (_, p) = model::pricing::price_drawing(
            &c,
            (
                rust_decimal::Decimal::new(1107, 3),
                model::pricing::MultiplierSource::Zone,
            ),
            &d,
            None,
            2,
            &terms,
            Some((30.27, -97.74)),
        );
        sink += p.total;
    }
    let per_run = (now() - start) / f64::from(n.max(1));
    if sink.is_sign_negative() {
        return -1.0;
    }
    per_run
}
