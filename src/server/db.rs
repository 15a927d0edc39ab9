//! The database: migrations as the owner, the application pool, the start-up
//! safety check, and the tenant-scoped transaction every repository takes.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use std::str::FromStr;
use uuid::Uuid;

use crate::error::AppError;

/// Runs the migrations as the owner (who must be a superuser or BYPASSRLS so
/// the platform functions can work across tenants).
pub async fn migrate(owner_url: &str) -> Result<(), String> {
    let opts = PgConnectOptions::from_str(owner_url).map_err(|e| e.to_string())?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .map_err(|e| format!("cannot connect as the owner: {e}"))?;
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .map_err(|e| format!("migrations failed: {e}"))?;
    pool.close().await;
    Ok(())
}

/// Connects as the application role and refuses a role that could bypass
/// row-level security or that owns anything.
pub async fn connect_app(app_url: &str, size: u32) -> Result<PgPool, String> {
    let opts = PgConnectOptions::from_str(app_url).map_err(|e| e.to_string())?;
    let pool = PgPoolOptions::new()
        .max_connections(size)
        .min_connections(1)
        .connect_with(opts)
        .await
        .map_err(|e| format!("cannot connect as the application role: {e}"))?;
    check_app_role(&pool).await?;
    Ok(pool)
}

/// The start-up guard: the server's role must be subject to RLS.
pub async fn check_app_role(pool: &PgPool) -> Result<(), String> {
    let (name, superuser, bypass, owned): (String, bool, bool, i64) = sqlx::query_as(
        "select r.rolname::text, r.rolsuper, r.rolbypassrls,
                (select count(*) from pg_class c where c.relowner = r.oid)
                + (select count(*) from pg_namespace n where n.nspowner = r.oid)
           from pg_roles r where r.rolname = current_user",
    )
    .fetch_one(pool)
    .await
    .map_err(|e| e.to_string())?;
    if superuser || bypass {
        return Err(format!(
            "refusing to start: database role {name} can bypass row-level security \
             (superuser or BYPASSRLS). Connect as the application role (APP_DATABASE_URL)."
        ));
    }
    if owned > 0 {
        return Err(format!(
            "refusing to start: database role {name} owns {owned} objects; table owners \
             can disable row-level security. Connect as the application role."
        ));
    }
    Ok(())
}

/// A transaction bound to one tenant. It is the only way repositories reach
/// tenant data: `app.current_tenant` is set transaction-locally first, so the
/// setting dies with the transaction and never leaks through the pool.
pub struct TenantTx {
    tx: Transaction<'static, Postgres>,
    org_id: Uuid,
}

impl TenantTx {
    pub async fn begin(pool: &PgPool, org_id: Uuid) -> Result<TenantTx, AppError> {
        let mut tx = pool.begin().await.map_err(internal)?;
        sqlx::query("select set_config('app.current_tenant', $1, true)")
            .bind(org_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        Ok(TenantTx { tx, org_id })
    }

    pub fn org_id(&self) -> Uuid {
        self.org_id
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<(), AppError> {
        self.tx.commit().await.map_err(internal)
    }
}

/// Logs a database error with its context and returns the plain message.
pub fn internal(e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "internal error");
    AppError::Internal
}

/// The name of the constraint a database error violated, if any.
pub fn constraint(e: &sqlx::Error) -> Option<&str> {
    match e {
        sqlx::Error::Database(d) => d.constraint(),
        _ => None,
    }
}
