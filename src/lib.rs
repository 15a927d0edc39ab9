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

/// Entry point of the WASM client: hydrates the server-rendered page. Pages
/// are lazy routes (see `app`), so hydration waits for the current page's
/// WASM chunk; `data-hydrated` on `<body>` marks the moment the page is live
/// (browser tests wait for it).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        let mounted = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
        mounted.forget();
        let _ = body.set_attribute("data-hydrated", "");
    });
}

/// Benchmark hook (BENCHMARKS.md): take-off plus pricing of a 200-point
/// boundary, `n` times, in this WASM build; resolves to milliseconds per run.
/// Lazy (its own module, fetched on the first call and timed after that).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub async fn bench_takeoff(n: u32) -> f64 {
    bench_takeoff_runs(n).await
}

#[cfg(feature = "hydrate")]
#[leptos::lazy]
fn bench_takeoff_runs(n: u32) -> f64 {
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
