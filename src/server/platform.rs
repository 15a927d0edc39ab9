//! The platform path: the only cross-tenant operations the server performs,
//! each a call to one SECURITY DEFINER function in schema `platform`
//! (migration 0011). Nothing here reads a tenant table directly.

use sqlx::PgPool;
use uuid::Uuid;

use super::db::internal;
use crate::error::AppError;
use crate::model::{TenantList, TenantRow};

/// A subdomain or verified custom domain to (tenant id, status).
pub async fn tenant_for_host(
    pool: &PgPool,
    subdomain: Option<&str>,
    custom_domain: Option<&str>,
) -> Result<Option<(Uuid, String)>, AppError> {
    sqlx::query_as("select id, status from platform.tenant_for_host($1, $2)")
        .bind(subdomain)
        .bind(custom_domain)
        .fetch_optional(pool)
        .await
        .map_err(internal)
}

pub async fn subdomain_taken(pool: &PgPool, subdomain: &str) -> Result<bool, AppError> {
    sqlx::query_scalar("select platform.subdomain_taken($1)")
        .bind(subdomain)
        .fetch_one(pool)
        .await
        .map_err(internal)
}

/// What signup provisions.
pub struct NewTenant<'a> {
    pub org_id: Uuid,
    pub company: &'a str,
    pub subdomain: &'a str,
    pub plan: &'a str,
    pub owner_id: Uuid,
    pub owner_name: &'a str,
    pub owner_email: &'a str,
    pub password_hash: &'a str,
    pub handoff_hash: &'a str,
    pub trial_days: i32,
}

/// Provisions a tenant in one transaction. `Ok(false)` when the subdomain
/// was taken in the meantime.
pub async fn provision(pool: &PgPool, t: &NewTenant<'_>) -> Result<bool, AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let result =
        sqlx::query("select platform.provision_tenant($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(t.org_id)
            .bind(t.company)
            .bind(t.subdomain)
            .bind(t.plan)
            .bind(t.owner_id)
            .bind(t.owner_name)
            .bind(t.owner_email)
            .bind(t.password_hash)
            .bind(t.handoff_hash)
            .bind(t.trial_days)
            .execute(&mut *tx)
            .await;
    match result {
        Ok(_) => {
            tx.commit().await.map_err(internal)?;
            Ok(true)
        }
        Err(e) if super::db::constraint(&e) == Some("organizations_subdomain_key") => Ok(false),
        Err(e) => Err(internal(e)),
    }
}

pub async fn list_tenants(
    pool: &PgPool,
    search: &str,
    limit: i64,
    offset: i64,
) -> Result<TenantList, AppError> {
    type Row = (
        Uuid,
        String,
        String,
        String,
        String,
        chrono::DateTime<chrono::Utc>,
        i64,
        i64,
        chrono::DateTime<chrono::Utc>,
        i64,
    );
    let rows: Vec<Row> =
        sqlx::query_as("select * from platform.list_tenants($1, $2::int, $3::int)")
            .bind(search)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await
            .map_err(internal)?;
    let total = rows.first().map(|r| r.9).unwrap_or(0);
    Ok(TenantList {
        rows: rows
            .into_iter()
            .map(|r| TenantRow {
                id: r.0,
                company_name: r.1,
                subdomain: r.2,
                plan: r.3,
                status: r.4,
                trial_ends_at: r.5,
                users: r.6,
                customers: r.7,
                created_at: r.8,
            })
            .collect(),
        total,
    })
}

/// Suspends or reactivates; returns the new status, `None` if no such tenant.
pub async fn set_suspended(
    pool: &PgPool,
    id: Uuid,
    suspended: bool,
) -> Result<Option<String>, AppError> {
    sqlx::query_scalar("select platform.set_tenant_suspended($1, $2)")
        .bind(id)
        .bind(suspended)
        .fetch_one(pool)
        .await
        .map_err(internal)
}

pub async fn admin_by_email(
    pool: &PgPool,
    email: &str,
) -> Result<Option<(Uuid, String)>, AppError> {
    sqlx::query_as("select id, password_hash from platform.admins where email = $1")
        .bind(email)
        .fetch_optional(pool)
        .await
        .map_err(internal)
}

pub async fn admin_by_id(
    pool: &PgPool,
    id: Uuid,
) -> Result<Option<(Uuid, String, String)>, AppError> {
    sqlx::query_as("select id, name, email from platform.admins where id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(internal)
}
