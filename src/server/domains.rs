//! Custom domains: the owner names a domain, the app shows the two DNS
//! records to create (a TXT token proving control, a CNAME pointing at the
//! platform) and checks them with a resolver (the system's, or
//! `DNS_RESOLVER`); once verified the host serves the tenant, links and
//! emails use it, and the reverse proxy's on-demand TLS `ask` endpoint says
//! yes for it.

use std::collections::BTreeSet;
use std::net::IpAddr;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::Resolver;
use serde::Deserialize;

use super::host::{classify, HostMatch};
use super::{billing, platform, repo, AppState, RequestCtx};
use crate::error::AppError;
use crate::model::billing::Feature;
use crate::model::domain::{custom_domain, CustomDomain, DnsRecord, DomainSettings, VERIFY_LABEL};
use crate::model::Role;

/// The TXT value that proves control of a domain.
fn txt_value(token: &str) -> String {
    format!("fence-verify={token}")
}

/// The records to create for `domain`.
fn records(domain: &str, token: &str, target: &str) -> Vec<DnsRecord> {
    vec![
        DnsRecord {
            kind: "TXT".into(),
            name: format!("{VERIFY_LABEL}.{domain}"),
            value: txt_value(token),
        },
        DnsRecord {
            kind: "CNAME".into(),
            name: domain.to_string(),
            value: target.to_string(),
        },
    ]
}

fn resolver(state: &AppState) -> Result<Resolver<TokioRuntimeProvider>, String> {
    let provider = TokioRuntimeProvider::default();
    let builder = match state.config.dns_resolver {
        Some(addr) => {
            let mut udp = ConnectionConfig::udp();
            udp.port = addr.port();
            let mut tcp = ConnectionConfig::tcp();
            tcp.port = addr.port();
            let ns = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
            Resolver::builder_with_config(ResolverConfig::from_name_servers(vec![ns]), provider)
        }
        None => Resolver::builder(provider).map_err(|e| format!("no DNS resolver: {e}"))?,
    };
    builder.build().map_err(|e| format!("no DNS resolver: {e}"))
}

fn fqdn(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.'))
}

fn plain(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The addresses `name` resolves to (empty when none).
async fn addresses(r: &Resolver<TokioRuntimeProvider>, name: &str) -> BTreeSet<IpAddr> {
    r.lookup_ip(fqdn(name))
        .await
        .map(|l| l.iter().collect())
        .unwrap_or_default()
}

/// Checks both records; `Err` says what is missing, in words for the owner.
#[tracing::instrument(skip(state, token))]
pub async fn check_dns(state: &AppState, domain: &str, token: &str) -> Result<(), String> {
    let r = resolver(state)?;
    let target = plain(&state.config.domain_target());
    let txt_name = format!("{VERIFY_LABEL}.{domain}");
    let want = txt_value(token);
    let texts: Vec<String> = match r.lookup(fqdn(&txt_name), RecordType::TXT).await {
        Ok(l) => l
            .answers()
            .iter()
            .filter_map(|rec| match &rec.data {
                RData::TXT(t) => Some(
                    t.txt_data
                        .iter()
                        .map(|b| String::from_utf8_lossy(b).into_owned())
                        .collect::<String>(),
                ),
                _ => None,
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let mut missing = Vec::new();
    if !texts.iter().any(|t| t.trim() == want) {
        missing.push(format!(
            "no TXT record {txt_name} with the value {want} was found"
        ));
    }
    let cname = match r.lookup(fqdn(domain), RecordType::CNAME).await {
        Ok(l) => l.answers().iter().find_map(|rec| match &rec.data {
            RData::CNAME(c) => Some(plain(&c.0.to_string())),
            _ => None,
        }),
        Err(_) => None,
    };
    let points = match &cname {
        Some(c) => *c == target,
        // An apex domain cannot have a CNAME; a DNS host that flattens it
        // (ALIAS/ANAME) answers with the target's addresses instead.
        None => {
            let mine = addresses(&r, domain).await;
            let theirs = addresses(&r, &target).await;
            !mine.is_empty() && mine.is_subset(&theirs)
        }
    };
    if !points {
        missing.push(match cname {
            Some(c) => format!("{domain} points at {c}, not at {target}"),
            None => format!("no CNAME record {domain} pointing at {target} was found"),
        });
    }
    if missing.is_empty() {
        Ok(())
    } else {
        let mut m = missing.join("; ");
        m.push_str(". DNS changes can take a while to show: check again in a few minutes.");
        Err(capitalise(&m))
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The custom-domain section of Settings.
#[tracing::instrument(skip_all)]
pub async fn settings(cx: &RequestCtx) -> Result<DomainSettings, AppError> {
    cx.member_who(Role::manages_settings, "manage the custom domain")?;
    let mut tx = cx.tx().await?;
    let allowed = billing::require(&mut tx, Feature::CustomDomain)
        .await
        .is_ok();
    let row = repo::orgs::custom_domain(&mut tx).await?;
    let brand = repo::orgs::brand(&mut tx).await?;
    tx.commit().await?;
    let config = &cx.state.config;
    let target = config.domain_target();
    Ok(DomainSettings {
        domain: row.map(|r| CustomDomain {
            records: records(&r.domain, &r.token, &target),
            url: config.tenant_base(&brand.subdomain, Some(&r.domain)),
            domain: r.domain,
            verified: r.verified,
            checked_at: r.checked_at,
            error: r.error,
        }),
        allowed,
        workspace_url: config.tenant_url(&brand.subdomain),
    })
}

/// Names the domain (replacing any earlier one, which stops being served).
#[tracing::instrument(skip_all)]
pub async fn set(cx: &RequestCtx, domain: &str) -> Result<(), AppError> {
    let me = cx.member_who(Role::manages_settings, "manage the custom domain")?;
    let domain = custom_domain(domain, &cx.state.config.platform.domain)
        .map_err(|m| AppError::field("domain", m))?;
    let mut tx = cx.tx().await?;
    billing::require(&mut tx, Feature::CustomDomain).await?;
    let (token, _) = super::tokens::new_token();
    let token: String = token
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(32)
        .collect();
    repo::orgs::set_custom_domain(&mut tx, Some(&domain), Some(&token)).await?;
    repo::audit::record(
        &mut tx,
        Some(me.id),
        "custom_domain.set",
        None,
        serde_json::json!({ "domain": domain }),
    )
    .await?;
    tx.commit().await
}

/// Removes the domain: the host stops serving the tenant at once.
#[tracing::instrument(skip_all)]
pub async fn remove(cx: &RequestCtx) -> Result<(), AppError> {
    let me = cx.member_who(Role::manages_settings, "manage the custom domain")?;
    let mut tx = cx.tx().await?;
    repo::orgs::set_custom_domain(&mut tx, None, None).await?;
    repo::audit::record(
        &mut tx,
        Some(me.id),
        "custom_domain.removed",
        None,
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await
}

/// Checks the records now and records the outcome: `true` when verified.
#[tracing::instrument(skip_all)]
pub async fn check(cx: &RequestCtx) -> Result<bool, AppError> {
    let me = cx.member_who(Role::manages_settings, "manage the custom domain")?;
    let (domain, token) = {
        let mut tx = cx.tx().await?;
        billing::require(&mut tx, Feature::CustomDomain).await?;
        let row = repo::orgs::custom_domain(&mut tx)
            .await?
            .ok_or_else(|| AppError::Conflict("Add a domain first.".into()))?;
        tx.commit().await?;
        (row.domain, row.token)
    };
    // The lookup happens outside any transaction (it may take seconds).
    let outcome = check_dns(&cx.state, &domain, &token).await;
    let mut tx = cx.tx().await?;
    let verified = repo::orgs::record_domain_check(
        &mut tx,
        &domain,
        outcome.is_ok(),
        outcome.as_ref().err().map(String::as_str),
    )
    .await?;
    if verified {
        repo::audit::record(
            &mut tx,
            Some(me.id),
            "custom_domain.verified",
            None,
            serde_json::json!({ "domain": domain }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(verified)
}

#[derive(Deserialize)]
pub struct Ask {
    domain: Option<String>,
}

/// `GET /tls/ask?domain=…`: the question a reverse proxy with on-demand
/// certificates (Caddy's `on_demand_tls { ask … }`) asks before it
/// requests one: 200 for the platform, a tenant's subdomain or a verified
/// custom domain, 404 for anything else (so nobody can make the proxy
/// request certificates for names that are not ours).
pub async fn ask(State(state): State<AppState>, Query(q): Query<Ask>) -> Response {
    let Some(domain) = q.domain else {
        return (StatusCode::BAD_REQUEST, "domain= is required").into_response();
    };
    let known = match classify(&domain, &state.config.platform.domain) {
        HostMatch::Platform => Ok(true),
        HostMatch::Subdomain(s) => platform::tenant_for_host(&state.pool, Some(&s), None)
            .await
            .map(|t| t.is_some()),
        HostMatch::CustomDomain(d) => platform::tenant_for_host(&state.pool, None, Some(&d))
            .await
            .map(|t| t.is_some()),
        HostMatch::Invalid => Ok(false),
    };
    match known {
        Ok(true) => (StatusCode::OK, "yes").into_response(),
        Ok(false) => (StatusCode::NOT_FOUND, "no").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response(),
    }
}
