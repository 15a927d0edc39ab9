//! Cells: tenants placed on several PostgreSQL clusters. A cell is a whole
//! deployment (its cluster, its app instances); `CELL_NAME` names this one
//! and `CELL_DIRECTORY_URL` the directory every cell shares: which cell
//! each tenant's subdomain lives in (`migrations_directory/`).
//!
//! - Signup claims the subdomain in the directory first (its primary key:
//!   no two cells can take one), provisions the tenant in this cell's own
//!   database, then records the tenant's id there; a failed provisioning
//!   gives the claim back.
//! - A request for a host this cell's database does not hold is looked up
//!   in the directory and, when another cell holds it, passed to that cell
//!   as a reverse proxy would (`X-Forwarded-Host`, `-For`, `-Proto`; the
//!   cells trust each other through `TRUSTED_PROXIES`). In production each
//!   tenant's DNS name points at its own cell, so this hop is for names
//!   still moving and for a balancer that does not know the cells.
//! - A request that already made its hop is never passed on again.
//!
//! The directory holds no tenant data (subdomains and ids), so one role
//! migrates and uses it. Its queries are checked at run time, not by
//! `query!`: the compile-time check knows one database, the cell's.

use std::net::IpAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::AppError;

/// The directory's migrations (its own database).
pub static DIRECTORY: sqlx::migrate::Migrator = sqlx::migrate!("./migrations_directory");

/// Set on a request passed to another cell: it is never passed on again.
const HOP: &str = "x-fence-cell-hop";

/// This cell and the directory.
#[derive(Clone)]
pub struct Cells {
    pub name: String,
    directory: PgPool,
    client: reqwest::Client,
    /// Subdomain → the cell holding it and that cell's address, for a
    /// few seconds (a tenant moves rarely, and its old cell then answers
    /// from the directory again).
    placed: moka::sync::Cache<String, Option<(String, String)>>,
}

/// Applies the directory's migrations (`fence migrate` with a directory).
pub async fn migrate(url: &str) -> Result<(), String> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .map_err(|e| format!("cannot connect to the cell directory: {e}"))?;
    DIRECTORY
        .run(&pool)
        .await
        .map_err(|e| format!("cell directory migrations failed: {e}"))?;
    pool.close().await;
    Ok(())
}

impl Cells {
    /// Connects to the directory (lazily: the cell serves its own tenants
    /// while the directory is away).
    pub fn connect(name: &str, url: &str) -> Result<Cells, String> {
        let opts = url
            .parse::<PgConnectOptions>()
            .map_err(|e| format!("CELL_DIRECTORY_URL: {e}"))?;
        let directory = PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(3))
            .connect_lazy_with(opts);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Cells {
            name: name.to_string(),
            directory,
            client,
            placed: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(5))
                .build(),
        })
    }

    /// Registers this cell's address (each instance at start, so the
    /// directory follows the deployment).
    #[tracing::instrument(skip(self))]
    pub async fn register(&self, url: &str) -> Result<(), AppError> {
        sqlx::query(
            "insert into cells (name, url) values ($1, $2) on conflict (name) do update set url = excluded.url",
        )
        .bind(&self.name)
        .bind(url)
        .execute(&self.directory)
        .await?;
        Ok(())
    }

    /// Whether any cell holds (or is provisioning) the subdomain.
    #[tracing::instrument(skip(self))]
    pub async fn taken(&self, subdomain: &str) -> Result<bool, AppError> {
        Ok(
            sqlx::query_scalar("select exists (select 1 from tenants where subdomain = $1)")
                .bind(subdomain)
                .fetch_one(&self.directory)
                .await?,
        )
    }

    /// Claims the subdomain for a tenant about to be provisioned here;
    /// `false` when a cell already holds it.
    #[tracing::instrument(skip(self))]
    pub async fn claim(&self, subdomain: &str) -> Result<bool, AppError> {
        let done = sqlx::query(
            "insert into tenants (subdomain, cell) values ($1, $2) on conflict (subdomain) do nothing",
        )
        .bind(subdomain)
        .bind(&self.name)
        .execute(&self.directory)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The tenant is provisioned: its id goes beside its claim.
    #[tracing::instrument(skip(self))]
    pub async fn placed(&self, subdomain: &str, org_id: Uuid) -> Result<(), AppError> {
        sqlx::query("update tenants set org_id = $3 where subdomain = $1 and cell = $2")
            .bind(subdomain)
            .bind(&self.name)
            .bind(org_id)
            .execute(&self.directory)
            .await?;
        Ok(())
    }

    /// Provisioning failed: the claim is given back.
    #[tracing::instrument(skip(self))]
    pub async fn release(&self, subdomain: &str) {
        let gone = sqlx::query(
            "delete from tenants where subdomain = $1 and cell = $2 and org_id is null",
        )
        .bind(subdomain)
        .bind(&self.name)
        .execute(&self.directory)
        .await;
        if let Err(e) = gone {
            tracing::error!(error = %e, subdomain, "cell directory: a claim could not be given back");
        }
    }

    /// The other cell (name, address) holding the subdomain, if any.
    #[tracing::instrument(skip(self))]
    pub async fn elsewhere(&self, subdomain: &str) -> Result<Option<(String, String)>, AppError> {
        if let Some(hit) = self.placed.get(subdomain) {
            return Ok(hit);
        }
        let found: Option<(String, String)> = sqlx::query_as(
            "select c.name, c.url from tenants t join cells c on c.name = t.cell
              where t.subdomain = $1 and t.org_id is not null",
        )
        .bind(subdomain)
        .fetch_optional(&self.directory)
        .await?;
        let found = found.filter(|(cell, _)| *cell != self.name);
        self.placed.insert(subdomain.to_string(), found.clone());
        Ok(found)
    }

    /// Passes the request to the cell at `base` and its answer back, both
    /// streamed.
    #[tracing::instrument(skip(self, req), fields(cell))]
    pub async fn pass(
        &self,
        cell: &str,
        base: &str,
        host: &str,
        client_ip: Option<IpAddr>,
        scheme: &str,
        req: Request,
    ) -> Response {
        tracing::Span::current().record("cell", cell);
        if req.headers().contains_key(HOP) {
            // The directory and the cells disagree (a tenant mid-move):
            // never a loop.
            return (StatusCode::NOT_FOUND, "Not found").into_response();
        }
        let (parts, body) = req.into_parts();
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let url = format!("{}{path}", base.trim_end_matches('/'));
        let mut out = self.client.request(parts.method.clone(), url);
        // The forwarding headers are this cell's own, from what it
        // resolved (a client's X-Forwarded-* were already believed or not
        // by `TRUSTED_PROXIES`): never the client's copies beside them.
        for (name, value) in &parts.headers {
            if !hop_by_hop(name) && !forwarding(name) && *name != axum::http::header::HOST {
                out = out.header(name, value);
            }
        }
        out = out
            .header("x-forwarded-host", host)
            .header("x-forwarded-proto", scheme)
            .header(HOP, self.name.as_str());
        if let Some(ip) = client_ip {
            out = out.header("x-forwarded-for", ip.to_string());
        }
        let out = out.body(reqwest::Body::wrap_stream(body.into_data_stream()));
        let answer = match out.send().await {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(error = %e, cell, "cells: the tenant's cell did not answer");
                metrics::counter!("cell_pass_failures_total").increment(1);
                return (
                    StatusCode::BAD_GATEWAY,
                    "This workspace's servers did not answer. Try again in a minute.",
                )
                    .into_response();
            }
        };
        metrics::counter!("cell_passes_total").increment(1);
        let mut res = Response::builder().status(answer.status().as_u16());
        for (name, value) in answer.headers() {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_str().as_bytes()),
                HeaderValue::from_bytes(value.as_bytes()),
            ) {
                if !hop_by_hop(&n) {
                    res = res.header(n, v);
                }
            }
        }
        res.body(Body::from_stream(answer.bytes_stream()))
            .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
    }
}

/// Headers a proxy writes itself.
fn forwarding(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "x-forwarded-host" | "x-forwarded-for" | "x-forwarded-proto" | "forwarded" | HOP
    )
}

/// Headers that belong to one connection, not to the request.
fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "content-length"
    )
}
