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

/// What identifies the app's files of this build (see [`build_id`]).
static BUILD: OnceLock<String> = OnceLock::new();

/// A short fingerprint of the app's files as deployed (their names, sizes
/// and times): pages carry it (`x-fence-build`), so the crew phone's service
/// worker can tell that the files it keeps are from an earlier build and
/// fetch them again. `None` before [`load`] or without a built site.
pub fn build_id() -> Option<&'static str> {
    BUILD.get().map(String::as_str).filter(|s| !s.is_empty())
}

fn fingerprint(dir: &Path) -> String {
    use sha2::{Digest, Sha256};
    let Ok(entries) = std::fs::read_dir(dir) else {
        return String::new();
    };
    let mut files: Vec<(String, u64, u128)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            Some((
                e.file_name().to_string_lossy().into_owned(),
                meta.len(),
                modified,
            ))
        })
        .collect();
    if files.is_empty() {
        return String::new();
    }
    files.sort();
    let mut h = Sha256::new();
    for (name, len, modified) in files {
        h.update(format!("{name}\0{len}\0{modified}\n"));
    }
    hex::encode(&h.finalize()[..8])
}

/// Reads the manifest once at start-up; without one (a build without
/// `--split`) pages simply carry no hints.
pub fn load(site_root: &str, pkg_dir: &str) {
    let _ = BUILD.set(fingerprint(&Path::new(site_root).join(pkg_dir)));
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
    fn the_build_fingerprint_changes_with_the_apps_files() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(fingerprint(dir.path()), "", "no files, no build");
        assert_eq!(fingerprint(&dir.path().join("missing")), "");
        std::fs::write(dir.path().join("fence.wasm"), b"one").unwrap();
        let a = fingerprint(dir.path());
        assert_eq!(a.len(), 16);
        assert_eq!(fingerprint(dir.path()), a, "stable while nothing changes");
        std::fs::write(dir.path().join("fence.wasm"), b"a deploy").unwrap();
        let b = fingerprint(dir.path());
        assert_ne!(a, b, "new content");
        std::fs::write(dir.path().join("chunk_1.wasm"), b"x").unwrap();
        assert_ne!(fingerprint(dir.path()), b, "a new file");
    }

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
