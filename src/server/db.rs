//! The database: migrations as the owner, the application pool, the start-up
//! safety checks, and the tenant-scoped transaction every repository takes.

use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::error::AppError;

/// The migrations compiled into this binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Runs the migrations as the owner (who must be a superuser or BYPASSRLS so
/// the platform functions can work across tenants). This is `fence migrate`:
/// the serving process never runs it and never has these credentials.
pub async fn migrate(owner_url: &str) -> Result<(), String> {
    let opts = PgConnectOptions::from_str(owner_url).map_err(|e| e.to_string())?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .map_err(|e| format!("cannot connect as the owner: {e}"))?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| format!("migrations failed: {e}"))?;
    super::keys::ensure(&pool).await?;
    pool.close().await;
    Ok(())
}

/// Connects as the application role and refuses a role that could bypass
/// row-level security or that owns anything, and a database whose schema is
/// not the one this build expects.
pub async fn connect_app(app_url: &str, size: u32) -> Result<PgPool, String> {
    let opts = PgConnectOptions::from_str(app_url).map_err(|e| e.to_string())?;
    let pool = PgPoolOptions::new()
        .max_connections(size)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(opts)
        .await
        .map_err(|e| format!("cannot connect as the application role: {e}"))?;
    check_app_role(&pool).await?;
    check_schema(&pool).await?;
    Ok(pool)
}

/// The start-up guard: the server's role must be subject to RLS.
pub async fn check_app_role(pool: &PgPool) -> Result<(), String> {
    let r = sqlx::query!(
        r#"select r.rolname::text as "name!", r.rolsuper as "superuser!", r.rolbypassrls as "bypass!",
                  (select count(*) from pg_class c where c.relowner = r.oid)
                  + (select count(*) from pg_namespace n where n.nspowner = r.oid) as "owned!"
             from pg_roles r where r.rolname = current_user"#
    )
    .fetch_one(pool)
    .await
    .map_err(|e| e.to_string())?;
    if r.superuser || r.bypass {
        return Err(format!(
            "refusing to start: database role {} can bypass row-level security \
             (superuser or BYPASSRLS). Connect as the application role (APP_DATABASE_URL).",
            r.name
        ));
    }
    if r.owned > 0 {
        return Err(format!(
            "refusing to start: database role {} owns {} objects; table owners \
             can disable row-level security. Connect as the application role.",
            r.name, r.owned
        ));
    }
    Ok(())
}

/// Refuses to serve a database that `fence migrate` has not brought to this
/// build's schema.
pub async fn check_schema(pool: &PgPool) -> Result<(), String> {
    let applied: Vec<i64> =
        sqlx::query_scalar!("select version from _sqlx_migrations where success order by version")
            .fetch_all(pool)
            .await
            .map_err(|e| {
                format!("cannot read the schema version ({e}); run `fence migrate` first")
            })?;
    let missing: Vec<i64> = MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| m.version)
        .filter(|v| !applied.contains(v))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the database is missing migrations {missing:?}; run `fence migrate` (as the owner) first"
        ));
    }
    Ok(())
}

/// Whether the database answers (`/ready`).
pub async fn ping(pool: &PgPool) -> bool {
    tokio::time::timeout(Duration::from_secs(2), async {
        let mut c = pool.acquire().await?;
        sqlx::query_scalar!("select 1 as \"one!\"")
            .fetch_one(&mut *c)
            .await
    })
    .await
    .is_ok_and(|r| r.is_ok())
}

/// Begins a transaction on the application pool, counting the wait for a
/// connection into the metrics (`db_pool_waiting`, `db_pool_acquire_seconds`).
pub async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>, AppError> {
    Ok(begin_with(pool, None).await?)
}

/// [`begin`] with a statement of its own (`BEGIN ...; ...`), sent in the
/// same round trip.
async fn begin_with(
    pool: &PgPool,
    statement: Option<String>,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let start = Instant::now();
    metrics::gauge!("db_pool_waiting").increment(1.0);
    let tx = match statement {
        Some(s) => pool.begin_with(s).await,
        None => pool.begin().await,
    };
    metrics::gauge!("db_pool_waiting").decrement(1.0);
    metrics::histogram!("db_pool_acquire_seconds").record(start.elapsed().as_secs_f64());
    tx
}

/// A transaction bound to one tenant. It is the only way repositories reach
/// tenant data: `app.current_tenant` is set transaction-locally first, so the
/// setting dies with the transaction and never leaks through the pool.
pub struct TenantTx {
    tx: Transaction<'static, Postgres>,
    org_id: Uuid,
    /// The tenant's organization row or a user changed: the caches drop
    /// the tenant at commit (see `cache`).
    identity_changed: bool,
}

impl TenantTx {
    /// Begins and binds in one round trip (one simple-protocol message:
    /// `BEGIN; SELECT set_config(...)`). The id is a `Uuid`, written as
    /// hex digits and dashes, so it cannot break out of its quotes.
    pub async fn begin(pool: &PgPool, org_id: Uuid) -> Result<TenantTx, AppError> {
        let tx = begin_with(pool, Some(TenantTx::opening("BEGIN", org_id))).await?;
        Ok(TenantTx::wrap(tx, org_id))
    }

    /// A transaction that may read but not write (a read-only workspace):
    /// PostgreSQL refuses any write in it (SQLSTATE 25006), which
    /// [`internal`] turns into the read-only refusal.
    pub async fn begin_read_only(pool: &PgPool, org_id: Uuid) -> Result<TenantTx, AppError> {
        let tx = begin_with(pool, Some(TenantTx::opening("BEGIN READ ONLY", org_id))).await?;
        Ok(TenantTx::wrap(tx, org_id))
    }

    /// [`TenantTx::begin_read_only`] on a streaming replica: a failure is
    /// the caller's to handle (it reads from the primary instead), not an
    /// internal error.
    pub async fn begin_on_replica(pool: &PgPool, org_id: Uuid) -> Result<TenantTx, sqlx::Error> {
        let tx = begin_with(pool, Some(TenantTx::opening("BEGIN READ ONLY", org_id))).await?;
        Ok(TenantTx::wrap(tx, org_id))
    }

    fn opening(begin: &str, org_id: Uuid) -> String {
        format!(
            "{begin}; SELECT set_config('app.current_tenant', '{}', true)",
            org_id.as_hyphenated()
        )
    }

    fn wrap(tx: Transaction<'static, Postgres>, org_id: Uuid) -> TenantTx {
        TenantTx {
            tx,
            org_id,
            identity_changed: false,
        }
    }

    /// Marks that this transaction changes the tenant's organization row
    /// or one of its users: at commit, this instance's caches drop the
    /// tenant at once (the others hear of it from the database's trigger).
    pub fn identity_changed(&mut self) {
        self.identity_changed = true;
    }

    /// A read-only transaction over one consistent snapshot of the tenant's
    /// rows (an export), with times rendered in UTC.
    pub async fn snapshot(pool: &PgPool, org_id: Uuid) -> Result<TenantTx, AppError> {
        let mut tx = begin(pool).await?;
        sqlx::query!("set transaction isolation level repeatable read, read only")
            .execute(&mut *tx)
            .await?;
        sqlx::query_scalar!("select set_config('TimeZone', 'UTC', true)")
            .fetch_one(&mut *tx)
            .await?;
        TenantTx::bound(tx, org_id).await
    }

    /// Binds an open transaction to the tenant (transaction-locally).
    async fn bound(
        mut tx: Transaction<'static, Postgres>,
        org_id: Uuid,
    ) -> Result<TenantTx, AppError> {
        sqlx::query_scalar!(
            "select set_config('app.current_tenant', $1, true)",
            org_id.to_string()
        )
        .fetch_one(&mut *tx)
        .await?;
        Ok(TenantTx::wrap(tx, org_id))
    }

    pub fn org_id(&self) -> Uuid {
        self.org_id
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<(), AppError> {
        let (org, changed) = (self.org_id, self.identity_changed);
        let done = self.tx.commit().await;
        if changed {
            // After the commit (a read in between would keep the old value
            // under the old generation, which this bump retires).
            super::cache::tenant_changed(org);
        }
        Ok(done?)
    }
}

/// Logs an internal error with its whole cause chain, where it happened
/// and the request it belongs to, and returns the plain message (which
/// carries the request id for the user to quote).
///
/// A write refused in a read-only transaction (SQLSTATE 25006: a
/// read-only workspace's request, see `RequestCtx::writes_refused`) is no
/// internal error but the read-only refusal, with its reason.
#[track_caller]
pub fn internal(e: &(dyn std::error::Error + 'static)) -> AppError {
    if let Some(refused) = read_only_refusal(e) {
        return refused;
    }
    let at = std::panic::Location::caller();
    tracing::error!(error = %super::telemetry::chain(e), %at, "internal error");
    metrics::counter!("app_internal_errors_total").increment(1);
    AppError::Internal(super::telemetry::current_request_id())
}

fn read_only_refusal(e: &(dyn std::error::Error + 'static)) -> Option<AppError> {
    let code = e
        .downcast_ref::<sqlx::Error>()?
        .as_database_error()?
        .code()?;
    if code != "25006" {
        return None;
    }
    metrics::counter!("read_only_refusals_total").increment(1);
    let why = leptos::prelude::use_context::<http::request::Parts>().and_then(|p| {
        p.extensions
            .get::<super::RequestCtx>()
            .and_then(|c| c.writes_refused)
    });
    Some(AppError::Forbidden(
        why.map(|w| w.message())
            .unwrap_or(
                "This workspace is read-only: nothing new can be saved. See Settings → Plan & billing.",
            )
            .to_string(),
    ))
}

/// The same for a failure that is not an error value.
#[track_caller]
pub fn internal_msg(message: &str) -> AppError {
    let at = std::panic::Location::caller();
    tracing::error!(error = message, %at, "internal error");
    metrics::counter!("app_internal_errors_total").increment(1);
    AppError::Internal(super::telemetry::current_request_id())
}

/// The name of the constraint a database error violated, if any.
pub fn constraint(e: &sqlx::Error) -> Option<&str> {
    match e {
        sqlx::Error::Database(d) => d.constraint(),
        _ => None,
    }
}
