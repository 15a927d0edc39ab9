//! What both benchmarks share: an HTTP client that resolves every
//! `*.localhost` name to loopback, and percentiles.

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::Client;

pub struct Loopback;
impl reqwest::dns::Resolve for Loopback {
    fn resolve(&self, _: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async {
            let a: reqwest::dns::Addrs =
                Box::new(vec![SocketAddr::from(([127, 0, 0, 1], 0))].into_iter());
            Ok(a)
        })
    }
}

/// A client with its own cookie jar that follows no redirects.
pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .dns_resolver(Arc::new(Loopback))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `p` quantile (0..1) of `v`.
pub fn pct(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap());
    s[((s.len() as f64 - 1.0) * p).round() as usize]
}
