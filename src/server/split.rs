//! Preload hints for the lazy routes. `cargo leptos build --split` writes
//! `__wasm_split_manifest.json`: for each lazy function, the WASM files it
//! needs. When the server renders a page it adds `<link rel="preload">` for
//! that page's files to the head, so the browser fetches them while it parses
//! the HTML instead of after the main module has started hydrating.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use leptos::prelude::*;
use leptos_meta::Link;

/// Route view (`quote_page_route`) -> the hrefs of the files it needs.
static PRELOADS: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();

/// The file the split loader is in (cargo-leptos's fixed name without hashing).
const SPLIT_JS: &str = "__wasm_split.______________________.js";

/// Reads the manifest once at start-up; without one (a build without
/// `--split`) pages simply carry no hints.
pub fn load(site_root: &str, pkg_dir: &str) {
    let path = Path::new(site_root)
        .join(pkg_dir)
        .join("__wasm_split_manifest.json");
    let manifest: HashMap<String, Vec<String>> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let _ = PRELOADS.set(routes_from_manifest(manifest, pkg_dir));
}

/// Keys look like `__quote_page_route_view_<hash>` (the view function the
/// `lazy_route` macro generates for `QuotePageRoute`); other lazy functions
/// are left to load on demand.
fn routes_from_manifest(
    manifest: HashMap<String, Vec<String>>,
    pkg_dir: &str,
) -> HashMap<String, Vec<String>> {
    manifest
        .into_iter()
        .filter_map(|(key, files)| {
            let (name, _hash) = key.strip_prefix("__")?.rsplit_once("_view_")?;
            let hrefs = files
                .iter()
                .map(|f| format!("/{pkg_dir}/{f}.wasm"))
                .collect();
            Some((name.to_string(), hrefs))
        })
        .collect()
}

/// `QuotePageRoute` -> `quote_page_route`.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Adds the preload links for the lazy route type `route` to the page being
/// rendered (through leptos_meta, which puts them in the head).
pub fn preload_route(route: &str) {
    let Some(hrefs) = PRELOADS.get().and_then(|m| m.get(&snake(route))) else {
        return;
    };
    let _ = view! { <Link rel="modulepreload" href=format!("/pkg/{SPLIT_JS}") /> }.to_html();
    for href in hrefs {
        let _ = view! {
            <Link
                rel="preload"
                href=href.clone()
                as_="fetch"
                type_="application/wasm"
                crossorigin="anonymous"
            />
        }
        .to_html();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_names_and_files_from_the_manifest() {
        assert_eq!(snake("QuotePageRoute"), "quote_page_route");
        assert_eq!(snake("HomeRoute"), "home_route");
        let manifest = HashMap::from([
            (
                "__quote_page_route_view_123".to_string(),
                vec![
                    "split___quote_page_route_view_123".to_string(),
                    "chunk_7".to_string(),
                ],
            ),
            (
                "bench_takeoff_runs_99".to_string(),
                vec!["chunk_1".to_string()],
            ),
        ]);
        let routes = routes_from_manifest(manifest, "pkg");
        assert_eq!(routes.len(), 1);
        assert_eq!(
            routes["quote_page_route"],
            vec![
                "/pkg/split___quote_page_route_view_123.wasm".to_string(),
                "/pkg/chunk_7.wasm".to_string()
            ]
        );
    }
}
