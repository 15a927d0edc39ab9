#![recursion_limit = "512"]
//! Fenceline: the multi-tenant platform invisible-fence installers run their
//! trade on. One crate, two builds: the axum server (`ssr`) and the WASM
//! client (`hydrate`) share the models, validation and pages.

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
