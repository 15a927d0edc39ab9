//! Per-request context, built by one middleware before any page or server
//! function runs: which site the `Host` names, who is signed in there, and
//! the cross-site check for every mutation.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

use super::host::{classify, HostMatch};
use super::{platform, repo, AppState, TenantTx};
use crate::error::AppError;
use crate::model::billing::ReadOnly;
use crate::model::{OrgStatus, Role};

/// The session key holding who is signed in.
pub const AUTH_KEY: &str = "auth";

/// What the session remembers: the account, the organization it belongs
/// to (`None` for a platform administrator), and the account's session epoch
/// when it signed in (a password reset or role change moves the epoch on,
/// which ends the session).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionAuth {
    pub org_id: Option<Uuid>,
    pub user_id: Uuid,
    #[serde(default)]
    pub epoch: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Site {
    Platform,
    Tenant {
        id: Uuid,
        status: OrgStatus,
        /// Its plan: the request budget (see `budget`).
        plan: crate::model::PlanCode,
        /// Why nothing may be saved (a trial ended without a card, a
        /// payment overdue past its grace, a cancelled subscription).
        read_only: Option<ReadOnly>,
    },
}

#[derive(Debug, Clone)]
pub struct UserRef {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub session_epoch: i32,
}

#[derive(Debug, Clone)]
pub enum Principal {
    User(UserRef),
    Admin {
        id: Uuid,
        name: String,
        email: String,
    },
}

/// Everything a page or server function knows about its request.
#[derive(Clone)]
pub struct RequestCtx {
    pub state: AppState,
    pub site: Site,
    pub principal: Option<Principal>,
    pub session: Session,
    pub client_ip: Option<IpAddr>,
    /// The device cookie the request carries (see `server::device`).
    pub device_cookie: Option<String>,
    /// Why this request may read but not save: a read-only workspace's
    /// server-function call (the browser calls reads as POSTs too). Its
    /// tenant transactions are read-only, so PostgreSQL refuses any write.
    pub writes_refused: Option<ReadOnly>,
    /// When this reader last saved something (its cookie, see `replica`).
    pub wrote_at: Option<i64>,
}

/// Signs someone in on this session: a new session id first (so an id
/// planted before login is worthless), then who they are.
pub async fn sign_in(session: &Session, auth: SessionAuth) -> Result<(), AppError> {
    session
        .cycle_id()
        .await
        .map_err(|e| super::db::internal(&e))?;
    session
        .insert(AUTH_KEY, auth)
        .await
        .map_err(|e| super::db::internal(&e))
}

/// How the reader of the current request writes dates and times (their
/// browser's `Accept-Language`); the US style outside a request.
pub fn reader_date_style() -> crate::model::time::DateStyle {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|p| {
            p.headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(crate::model::time::DateStyle::from_accept_language)
        })
        .unwrap_or_default()
}

/// The current request's context, inside a server function or SSR.
pub fn ctx() -> Result<RequestCtx, AppError> {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<RequestCtx>().cloned())
        .ok_or_else(|| super::db::internal_msg("request context missing"))
}

impl RequestCtx {
    /// What logins and limits on this site are counted under: the tenant's
    /// id, or `platform`.
    pub fn scope(&self) -> String {
        match &self.site {
            Site::Tenant { id, .. } => id.to_string(),
            Site::Platform => "platform".into(),
        }
    }

    /// The client's network for rate limits and fair queues (see
    /// `throttle::client_network`), or `unknown`.
    pub fn client_network(&self) -> String {
        self.client_ip
            .map(super::throttle::client_network)
            .unwrap_or_else(|| "unknown".into())
    }

    /// Who a slow job (a password hash) is done for, for the fair queue.
    pub fn requester(&self) -> super::password::Requester {
        super::password::Requester {
            tenant: self.scope(),
            client: self.client_network(),
        }
    }

    /// The tenant this host belongs to; platform pages have none.
    pub fn tenant_id(&self) -> Result<Uuid, AppError> {
        match &self.site {
            Site::Tenant { id, .. } => Ok(*id),
            Site::Platform => Err(AppError::NotFound),
        }
    }

    /// A transaction scoped to this host's tenant.
    pub async fn tx(&self) -> Result<TenantTx, AppError> {
        match self.writes_refused {
            None => TenantTx::begin(&self.state.pool, self.tenant_id()?).await,
            Some(_) => TenantTx::begin_read_only(&self.state.pool, self.tenant_id()?).await,
        }
    }

    /// A read-only transaction for a list or a board: on the streaming
    /// replica when it holds everything this reader must see (see
    /// `replica`), else on the primary as [`RequestCtx::tx`].
    pub async fn list_tx(&self) -> Result<TenantTx, AppError> {
        let org = self.tenant_id()?;
        let replica = &self.state.replica;
        if let Some(pool) = replica.for_reading(org, self.wrote_at) {
            match TenantTx::begin_on_replica(&pool, org).await {
                Ok(tx) => {
                    replica.counted(true);
                    return Ok(tx);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "replica: refused a list read; reading from the primary");
                    replica.failed();
                }
            }
        }
        if replica.configured() {
            replica.counted(false);
        }
        self.tx().await
    }

    /// The signed-in member of this tenant.
    pub fn member(&self) -> Result<&UserRef, AppError> {
        self.tenant_id()?;
        match &self.principal {
            Some(Principal::User(u)) => Ok(u),
            _ => Err(AppError::Unauthorized),
        }
    }

    /// The signed-in member, if their role passes `allowed`.
    pub fn member_who(&self, allowed: fn(Role) -> bool, doing: &str) -> Result<&UserRef, AppError> {
        let m = self.member()?;
        if allowed(m.role) {
            Ok(m)
        } else {
            Err(AppError::Forbidden(format!(
                "Your role ({}) cannot {doing}. Ask an owner or admin.",
                m.role.label()
            )))
        }
    }

    /// The signed-in platform administrator (platform domain only).
    pub fn admin(&self) -> Result<Uuid, AppError> {
        match (&self.site, &self.principal) {
            (Site::Platform, Some(Principal::Admin { id, .. })) => Ok(*id),
            (Site::Platform, _) => Err(AppError::Unauthorized),
            _ => Err(AppError::NotFound),
        }
    }
}

/// Paths on a tenant's host that need no login.
fn public_tenant_path(path: &str) -> bool {
    matches!(
        path,
        "/login"
            | "/forgot-password"
            | "/favicon.ico"
            | "/auth/handoff"
            | "/brand/logo"
            | "/brand/favicon"
    ) || [
        "/reset-password",
        "/invite/",
        "/pkg/",
        "/static/",
        "/api/",
        "/q/",
        "/reminders/",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

/// The request's host: `X-Forwarded-Host` only from a configured proxy.
fn request_host(headers: &HeaderMap, uri_host: Option<&str>, trusted: bool) -> Option<String> {
    let forwarded = trusted
        .then(|| headers.get("x-forwarded-host"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').next().unwrap_or("").trim().to_string());
    forwarded
        .or_else(|| {
            headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .or_else(|| uri_host.map(str::to_string))
}

/// The client address: the peer, or the nearest untrusted hop that a
/// configured proxy reports.
fn client_ip(
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    trusted_proxies: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.rsplit(',')
                .filter_map(|s| s.trim().parse::<IpAddr>().ok())
                .find(|ip| !trusted_proxies.contains(ip))
        })
        .or(Some(peer))
}

/// Warns once when requests arrive with `X-Forwarded-For` from a peer that
/// is not a configured proxy: every client behind it then shares one
/// address, and so one network rate limit.
fn warn_untrusted_proxy(peer: Option<IpAddr>, headers: &HeaderMap) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if headers.contains_key("x-forwarded-for")
        && !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed)
    {
        tracing::warn!(
            peer = ?peer,
            "requests carry X-Forwarded-For from a peer not in TRUSTED_PROXIES: every client \
             behind it shares one address for rate limits. Add the proxy to TRUSTED_PROXIES."
        );
    }
}

/// The middleware. Unknown hosts get a plain 404 here, before any page.
pub async fn resolve(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let trusted = peer.is_some_and(|ip| state.config.platform.trusted_proxies.contains(&ip));
    if !trusted {
        warn_untrusted_proxy(peer, req.headers());
    }
    let Some(host) = request_host(req.headers(), req.uri().host(), trusted) else {
        return not_found();
    };
    let matched = classify(&host, &state.config.platform.domain);
    let found = match &matched {
        HostMatch::Platform => None,
        HostMatch::Subdomain(s) => Some(host_tenant(&state, format!("s:{s}")).await),
        HostMatch::CustomDomain(d) => Some(host_tenant(&state, format!("d:{d}")).await),
        HostMatch::Invalid => return not_found(),
    };
    // A tenant this cell does not hold may live in another (see `cells`).
    if let (Some(Ok(None)), HostMatch::Subdomain(sub), Some(cells)) =
        (&found, &matched, &state.cells)
    {
        return match cells.elsewhere(sub).await {
            Ok(Some((cell, base))) => {
                let ip = client_ip(req.headers(), peer, &state.config.platform.trusted_proxies);
                let scheme = trusted
                    .then(|| req.headers().get("x-forwarded-proto"))
                    .flatten()
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(state.config.scheme())
                    .to_string();
                cells.pass(&cell, &base, &host, ip, &scheme, req).await
            }
            Ok(None) => not_found(),
            Err(_) => server_error(),
        };
    }
    let site = match found {
        None => Site::Platform,
        Some(Ok(Some((id, standing, plan)))) => Site::Tenant {
            id,
            plan,
            status: standing.status,
            read_only: standing.read_only(chrono::Utc::now(), state.billing.grace_days),
        },
        Some(Ok(None)) => return not_found(),
        Some(Err(_)) => return server_error(),
    };

    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        let scheme = trusted
            .then(|| req.headers().get("x-forwarded-proto"))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .unwrap_or(state.config.scheme());
        let expected = format!("{scheme}://{host}").to_ascii_lowercase();
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok());
        // Pages whose URL holds a token send no referrer, and browsers then
        // send `Origin: null` with their forms; for those, the browser's
        // own Fetch Metadata vouches that the post came from this site.
        let same_site_fetch = req
            .headers()
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes() == b"same-origin");
        let origin_ok = match origin {
            Some(o) if o.eq_ignore_ascii_case(&expected) => true,
            None | Some("null") => same_site_fetch,
            Some(_) => false,
        };
        if !origin_ok {
            return (
                StatusCode::FORBIDDEN,
                "Cross-site request refused: the Origin header must match this site.",
            )
                .into_response();
        }
    }

    admitted(state, site, peer, req, next).await
}

/// The tenant a host names (`s:` subdomain or `d:` custom domain), from
/// memory when current (see `cache`).
async fn host_tenant(
    state: &AppState,
    key: String,
) -> Result<Option<super::cache::HostTenant>, AppError> {
    if let Some(hit) = state.caches.host(&key) {
        return Ok(hit);
    }
    let before = state.caches.host_ticket();
    let (sub, domain) = match key.split_at(2) {
        ("s:", s) => (Some(s), None),
        (_, d) => (None, Some(d)),
    };
    let found = platform::host_tenant(&state.pool, sub, domain).await?;
    state.caches.keep_host(key, before, found.clone());
    Ok(found)
}

/// The rest of the middleware, for a request within its tenant's budget.
async fn admitted(
    state: AppState,
    site: Site,
    peer: Option<IpAddr>,
    mut req: Request,
    next: Next,
) -> Response {
    let mut writes_refused = None;
    if let Site::Tenant {
        id,
        status,
        read_only,
        ..
    } = &site
    {
        let path = req.uri().path();
        if *status == OrgStatus::Suspended && !path.starts_with("/pkg/") {
            if homeowner_path(path) {
                return unavailable_to_homeowner(&state, *id, path, req.headers()).await;
            }
            return suspended(path, req.headers());
        }
        if let Some(why) = read_only {
            if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
                && !writable_when_read_only(path)
            {
                // A server function called by the app may read (the pages
                // the browser moves to call them): it runs with read-only
                // transactions. Any other post (a plain form, which only
                // ever saves; an upload) is refused here with the way back.
                if wants_json(path, req.headers()) {
                    writes_refused = Some(*why);
                } else {
                    return refused_read_only(*why, path, req.headers());
                }
            }
        }
    }

    let Some(session) = req.extensions().get::<Session>().cloned() else {
        return server_error();
    };
    let principal = match load_principal(&state, &site, &session).await {
        Ok(p) => p,
        Err(_) => return server_error(),
    };
    // The tenant's request budget, spent by its signed-in people (anyone
    // can request a login page; those requests have their own throttles,
    // so nobody outside a tenant can spend its budget). Decided in memory:
    // a tenant at its limit costs the others nothing.
    let mut budget = None;
    if let (Site::Tenant { id, plan, .. }, Some(Principal::User(_))) = (&site, &principal) {
        if super::budget::counted(req.uri().path()) {
            match state
                .budgets
                .check(*id, *plan, chrono::Utc::now().timestamp())
            {
                super::budget::Verdict::Limited { limit, reset_secs } => {
                    metrics::counter!("rate_limited_total", "what" => "tenant_requests")
                        .increment(1);
                    let words = super::budget::refusal(limit, reset_secs.max(1));
                    let res = if wants_json(req.uri().path(), req.headers()) {
                        let e = AppError::Throttled(words);
                        (StatusCode::TOO_MANY_REQUESTS, axum::Json(e)).into_response()
                    } else {
                        plain_page(StatusCode::TOO_MANY_REQUESTS, "Too many requests", &words)
                    };
                    return super::budget::refused(res, limit, reset_secs);
                }
                super::budget::Verdict::Allowed {
                    limit,
                    remaining,
                    reset_secs,
                } => budget = Some((limit, remaining, reset_secs)),
            }
        }
    }
    super::telemetry::record_principal(
        match &site {
            Site::Tenant { id, .. } => Some(id.to_string()),
            Site::Platform => Some("platform".to_string()),
        }
        .as_deref(),
        match &principal {
            Some(Principal::User(u)) => Some(u.id),
            Some(Principal::Admin { id, .. }) => Some(*id),
            None => None,
        },
    );

    let path = req.uri().path().to_string();
    if *req.method() == Method::GET {
        let needs_login = match &site {
            // The event stream answers 401 itself (an EventSource cannot
            // follow a login page).
            Site::Tenant { .. } => {
                !public_tenant_path(&path)
                    && path != "/events"
                    && !matches!(principal, Some(Principal::User(_)))
            }
            Site::Platform => {
                path.starts_with("/admin")
                    && path != "/admin/login"
                    && !matches!(principal, Some(Principal::Admin { .. }))
            }
        };
        if needs_login {
            let login = if site == Site::Platform {
                "/admin/login"
            } else {
                "/login"
            };
            let next = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let target = format!("{login}?next={}", urlencode(next));
            return super::redirect::see_other(&target);
        }
    }

    let client_ip = client_ip(req.headers(), peer, &state.config.platform.trusted_proxies);
    let device_cookie = super::device::from_headers(req.headers());
    let wrote_at = super::replica::wrote_at(req.headers());
    let saves = state.replica.configured() && super::replica::saves(req.method(), &path);
    let rc = RequestCtx {
        state,
        site,
        principal,
        session,
        client_ip,
        device_cookie,
        writes_refused,
        wrote_at,
    };
    // Back from Stripe Checkout: the new state is read from Stripe before
    // anything of the page renders (its header included), webhook or not.
    if *req.method() == Method::GET && path == "/settings/billing" {
        if let Some(notice) = super::billing::sync_on_return(&rc, req.uri().query()).await {
            req.extensions_mut().insert(notice);
        }
    }
    let caches = rc.state.caches.clone();
    let secure = rc.state.config.secure_cookies();
    req.extensions_mut().insert(rc);
    let mut res = super::cache::serving(caches, next.run(req)).await;
    if saves {
        // After the handler (and its commit): the reader's next lists
        // come from the primary until the replica has this write.
        super::replica::mark_wrote(&mut res, secure);
    }
    if let Some((limit, remaining, reset_secs)) = budget {
        super::budget::headers(res.headers_mut(), limit, remaining, reset_secs);
    }
    res
}

/// Who the session names, if the session is still good here: made for this
/// site, for an account that still exists, at the account's current epoch.
async fn load_principal(
    state: &AppState,
    site: &Site,
    session: &Session,
) -> Result<Option<Principal>, AppError> {
    let auth: Option<SessionAuth> = session
        .get(AUTH_KEY)
        .await
        .map_err(|e| super::db::internal(&e))?;
    let Some(auth) = auth else { return Ok(None) };
    match (site, auth.org_id) {
        (Site::Tenant { id, .. }, Some(org)) if *id == org => {
            let user = match state.caches.user(org, auth.user_id) {
                Some(hit) => hit,
                None => {
                    let before = state.caches.user_ticket(org);
                    let mut tx = TenantTx::begin_read_only(&state.pool, org).await?;
                    let user = repo::users::by_id(&mut tx, auth.user_id).await?;
                    tx.commit().await?;
                    state
                        .caches
                        .keep_user(org, auth.user_id, before, user.clone());
                    user
                }
            };
            Ok(user
                .filter(|u| u.session_epoch == auth.epoch)
                .map(Principal::User))
        }
        (Site::Platform, None) => Ok(platform::admin_by_id(&state.pool, auth.user_id)
            .await?
            .map(|(id, name, email)| Principal::Admin { id, name, email })),
        // A session made for another site is worth nothing here.
        _ => Ok(None),
    }
}

/// Percent-encodes a path for a query value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn plain_page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>{title}</title><style>body{{font-family:system-ui,sans-serif;\
         max-width:36rem;margin:15vh auto;padding:0 1.5rem;color:#1d2b27;line-height:1.5}}h1{{font-size:1.6rem}}\
         a{{color:#1f6f5c}}</style></head><body><h1>{title}</h1><p>{body}</p></body></html>"
    );
    (status, Html(html)).into_response()
}

pub fn not_found() -> Response {
    plain_page(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no site at this address. Check the spelling of your company's address, e.g. <code>yourcompany.fenceline.app</code>.",
    )
}

const SUSPENDED: &str = "Access to this company's workspace is paused. Your data is safe and \
     unchanged. Please contact the platform's support to reactivate it.";

/// Whether a refusal should be the server function's JSON error (a call
/// from the app) rather than a page (a browser's own form post or a visit).
fn wants_json(path: &str, headers: &HeaderMap) -> bool {
    let form_post = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    path.starts_with("/api/") && !form_post
}

/// A suspended tenant's answer: the plain page, or for a server function
/// called from the app the same words as its error, which the page shows.
fn suspended(path: &str, headers: &HeaderMap) -> Response {
    if wants_json(path, headers) {
        let e = AppError::Forbidden(SUSPENDED.into());
        return (StatusCode::FORBIDDEN, axum::Json(e)).into_response();
    }
    plain_page(
        StatusCode::FORBIDDEN,
        "This account is suspended",
        SUSPENDED,
    )
}

/// What a tenant's customers open (the quote link, the reminder switch,
/// and the server functions those pages call): never the business's own
/// notices.
fn homeowner_path(path: &str) -> bool {
    path.starts_with("/q/")
        || path.starts_with("/reminders/")
        || matches!(
            path,
            "/api/quotes/public"
                | "/api/quotes/respond"
                | "/api/reminders/link"
                | "/api/reminders/set"
        )
}

/// A suspended tenant's quote link, as its homeowner sees it: the
/// installer's name and a neutral message, nothing about the account.
async fn unavailable_to_homeowner(
    state: &AppState,
    org: Uuid,
    path: &str,
    headers: &HeaderMap,
) -> Response {
    let company = match TenantTx::begin(&state.pool, org).await {
        Ok(mut tx) => repo::orgs::brand(&mut tx)
            .await
            .ok()
            .map(|b| b.company_name),
        Err(_) => None,
    };
    let who = company.as_deref().unwrap_or("the company that sent it");
    let message = format!(
        "This link cannot be opened at the moment. Please contact {who} directly about your quote."
    );
    if wants_json(path, headers) {
        let e = AppError::Forbidden(message);
        return (StatusCode::FORBIDDEN, axum::Json(e)).into_response();
    }
    let title = company.unwrap_or_else(|| "Quote unavailable".to_string());
    plain_page(
        StatusCode::FORBIDDEN,
        &super::telemetry::html_escape(&title),
        &super::telemetry::html_escape(&message),
    )
}

/// What a read-only tenant may still post: signing in and out, password
/// resets, billing (the way back), exporting its data and deleting the
/// workspace (the ways out),
/// and its homeowners' answers to quotes already sent (the homeowner never
/// meets the installer's account state).
fn writable_when_read_only(path: &str) -> bool {
    (path.starts_with("/api/auth/") && path != "/api/auth/accept")
        || path.starts_with("/api/billing/")
        || matches!(
            path,
            "/api/settings/deletion"
                | "/api/settings/delete_workspace"
                | "/api/settings/keep_workspace"
                | "/api/data/overview"
                | "/api/data/export"
        )
        || homeowner_path(path)
}

/// A read-only tenant's refused write: the server function's error (the
/// page shows it), or for a plain form post a page saying what to do.
fn refused_read_only(why: ReadOnly, path: &str, headers: &HeaderMap) -> Response {
    metrics::counter!("read_only_refusals_total").increment(1);
    if wants_json(path, headers) {
        let e = AppError::Forbidden(why.message().into());
        return (StatusCode::FORBIDDEN, axum::Json(e)).into_response();
    }
    plain_page(
        StatusCode::FORBIDDEN,
        "Your workspace is read-only",
        &format!(
            "{} <a href=\"/settings/billing\">Open billing</a>",
            super::telemetry::html_escape(why.message())
        ),
    )
}

fn server_error() -> Response {
    plain_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Temporarily unavailable",
        "Please try again in a moment.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_hosts_count_only_from_trusted_proxies() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "acme.localhost:3000".parse().unwrap());
        h.insert("x-forwarded-host", "victim.localhost".parse().unwrap());
        assert_eq!(
            request_host(&h, None, false).unwrap(),
            "acme.localhost:3000"
        );
        assert_eq!(request_host(&h, None, true).unwrap(), "victim.localhost");
    }

    #[test]
    fn client_ips_skip_trusted_hops() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "1.2.3.4, 5.6.7.8, 10.0.0.1".parse().unwrap(),
        );
        assert_eq!(
            client_ip(&h, Some(proxy), &[proxy]).unwrap().to_string(),
            "5.6.7.8"
        );
        let other: IpAddr = "9.9.9.9".parse().unwrap();
        assert_eq!(client_ip(&h, Some(other), &[proxy]).unwrap(), other);
    }

    #[test]
    fn login_pages_are_public_and_the_rest_is_not() {
        assert!(public_tenant_path("/login"));
        assert!(public_tenant_path("/invite/abc"));
        assert!(!public_tenant_path("/customers"));
        assert!(!public_tenant_path("/"));
        assert!(!public_tenant_path("/loginx"));
    }
}
