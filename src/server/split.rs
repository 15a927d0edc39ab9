//! The app's files as the browser gets them.
//!
//! - **Preload hints.** `cargo leptos build --split` writes
//!   `__wasm_split_manifest.json`: for each split module (a journey's pages,
//!   see `app::lazy_pages`), the WASM files it needs. When the server renders
//!   a page it adds `<link rel="preload">` for that page's files to the head,
//!   so the browser fetches them while it parses the HTML instead of after
//!   the main module has started hydrating.
//! - **Cached for good.** Pages name the files under `/pkg/v/<build>/`, the
//!   build being a digest of every file's content ([`build_id`]). A build's
//!   files never change under that path, so they are served `immutable` for
//!   a year: a second visit reads them from the browser's cache without
//!   asking the server about each one. A deploy changes the digest and so
//!   every URL; instances serving the same files agree on it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use leptos::prelude::*;
use leptos_meta::Link;

/// Split module (`fence_work`) -> the files it needs, as paths under the
/// package directory (`split_fence_work.wasm`, `chunk_7.wasm`).
static PRELOADS: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();

/// The file the split loader is in (cargo-leptos's fixed name without hashing).
const SPLIT_JS: &str = "__wasm_split.______________________.js";

/// What identifies the app's files of this build (see [`build_id`]).
static BUILD: OnceLock<String> = OnceLock::new();

/// A short digest of the app's files as deployed (their names and
/// content): pages carry it (`x-fence-build`) and name the files under it
/// (`/pkg/v/<build>/`). `None` before [`load`] or without a built site.
pub fn build_id() -> Option<&'static str> {
    BUILD.get().map(String::as_str).filter(|s| !s.is_empty())
}

/// The package directory pages name the files under: `pkg/v/<build>` once
/// the build is known, else the plain one.
pub fn versioned_pkg_dir(pkg_dir: &str) -> String {
    match build_id() {
        Some(build) => format!("{pkg_dir}/v/{build}"),
        None => pkg_dir.to_string(),
    }
}

fn fingerprint(dir: &Path) -> String {
    use sha2::{Digest, Sha256};
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(t) if t.is_file() => files.push(e.path()),
                _ => {}
            }
        }
    }
    if files.is_empty() {
        return String::new();
    }
    files.sort();
    let mut h = Sha256::new();
    for path in files {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let name = path.strip_prefix(dir).unwrap_or(&path);
        h.update(name.to_string_lossy().as_bytes());
        h.update([0]);
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    hex::encode(&h.finalize()[..8])
}

/// Reads the manifest once at start-up and digests the files; without a
/// manifest (a build without `--split`) pages simply carry no hints.
pub fn load(site_root: &str, pkg_dir: &str) {
    let dir = Path::new(site_root).join(pkg_dir);
    BUILD.get_or_init(|| fingerprint(&dir));
    if PRELOADS.get().is_some() {
        return;
    }
    let manifest: HashMap<String, Vec<String>> =
        std::fs::read_to_string(dir.join("__wasm_split_manifest.json"))
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
    let _ = PRELOADS.set(files_from_manifest(manifest));
}

/// The manifest names files by stem (`chunk_7`); they are `.wasm` files.
fn files_from_manifest(manifest: HashMap<String, Vec<String>>) -> HashMap<String, Vec<String>> {
    manifest
        .into_iter()
        .map(|(module, files)| {
            let files = files.iter().map(|f| format!("{f}.wasm")).collect();
            (module, files)
        })
        .collect()
}

/// Adds the preload links for the split module `group` (the page being
/// rendered) to the head, through leptos_meta.
pub fn preload_group(group: &str) {
    let Some(files) = PRELOADS.get().and_then(|m| m.get(group)) else {
        return;
    };
    let dir = format!("/{}", versioned_pkg_dir("pkg"));
    let _ = view! { <Link rel="modulepreload" href=format!("{dir}/{SPLIT_JS}") /> }.to_html();
    for file in files {
        let _ = view! {
            <Link
                rel="preload"
                href=format!("{dir}/{file}")
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
    fn files_from_the_manifest() {
        let manifest = HashMap::from([(
            "fence_work".to_string(),
            vec!["split_fence_work".to_string(), "chunk_7".to_string()],
        )]);
        let files = files_from_manifest(manifest);
        assert_eq!(
            files["fence_work"],
            vec![
                "split_fence_work.wasm".to_string(),
                "chunk_7.wasm".to_string()
            ]
        );
    }

    #[test]
    fn the_build_is_the_files_content_not_their_times() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        for d in [&a, &b] {
            std::fs::write(d.path().join("fence.wasm"), b"same").unwrap();
            std::fs::create_dir(d.path().join("snippets")).unwrap();
            std::fs::write(d.path().join("snippets/x.js"), b"js").unwrap();
        }
        // Written at other times (two instances, two machines): same build.
        assert_eq!(fingerprint(a.path()), fingerprint(b.path()));
        std::fs::write(b.path().join("snippets/x.js"), b"j2").unwrap();
        assert_ne!(
            fingerprint(a.path()),
            fingerprint(b.path()),
            "a file in a folder"
        );
    }
}
