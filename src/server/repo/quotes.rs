//! Quotes, their versions, and customer approval links.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::pricing::{Priced, QuoteTerms};
use crate::model::{Drawing, QuoteRow, QuoteStatus, TakeOff};
use crate::server::db::internal;
use crate::server::TenantTx;

/// Serialises numbering within a tenant (quotes and jobs each count from 1).
pub async fn lock_numbering(tx: &mut TenantTx, what: &str) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("{org}:{what}"))
        .execute(tx.conn())
        .await
        .map_err(internal)?;
    Ok(())
}

/// One stored version's content.
pub struct Version {
    pub drawing: Drawing,
    pub terms: QuoteTerms,
    pub takeoff: TakeOff,
    pub priced: Priced,
}

/// The quote row.
#[derive(sqlx::FromRow)]
pub struct QuoteRec {
    pub id: Uuid,
    pub number: i32,
    pub property_id: Uuid,
    pub customer_id: Uuid,
    pub status: String,
    pub version: i32,
    pub total: Decimal,
    pub manager_approved_version: Option<i32>,
    pub decided_name: Option<String>,
    pub decline_reason: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl QuoteRec {
    pub fn status(&self) -> QuoteStatus {
        QuoteStatus::parse(&self.status)
    }
}

const QUOTE_COLUMNS: &str = "id, number, property_id, customer_id, status, version, total,
    manager_approved_version, decided_name, decline_reason, decided_at, created_at";

pub async fn create(
    tx: &mut TenantTx,
    by: Uuid,
    property_id: Uuid,
    customer_id: Uuid,
    v: &Version,
) -> Result<(Uuid, i32), AppError> {
    lock_numbering(tx, "quotes").await?;
    let org = tx.org_id();
    let id = Uuid::new_v4();
    let number: i32 = sqlx::query_scalar(
        "insert into quotes (org_id, id, number, property_id, customer_id, total, created_by)
         values ($1, $2, (select coalesce(max(number), 0) + 1 from quotes where org_id = $1), $3, $4, $5, $6)
         returning number",
    )
    .bind(org)
    .bind(id)
    .bind(property_id)
    .bind(customer_id)
    .bind(v.priced.total)
    .bind(by)
    .fetch_one(tx.conn())
    .await
    .map_err(internal)?;
    insert_version(tx, id, 1, by, v).await?;
    Ok((id, number))
}

pub async fn insert_version(
    tx: &mut TenantTx,
    quote_id: Uuid,
    version: i32,
    by: Uuid,
    v: &Version,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query(
        "insert into quote_versions (org_id, quote_id, version, drawing, terms, takeoff, priced, total, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(org)
    .bind(quote_id)
    .bind(version)
    .bind(Json(&v.drawing))
    .bind(Json(&v.terms))
    .bind(Json(&v.takeoff))
    .bind(Json(&v.priced))
    .bind(v.priced.total)
    .bind(by)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    Ok(())
}

/// The quote row, locked for the rest of the transaction when `lock`.
pub async fn get(tx: &mut TenantTx, id: Uuid, lock: bool) -> Result<Option<QuoteRec>, AppError> {
    let org = tx.org_id();
    let sql = format!(
        "select {QUOTE_COLUMNS} from quotes where org_id = $1 and id = $2{}",
        if lock { " for update" } else { "" }
    );
    sqlx::query_as(&sql)
        .bind(org)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
        .map_err(internal)
}

pub async fn version(tx: &mut TenantTx, id: Uuid, version: i32) -> Result<Version, AppError> {
    let org = tx.org_id();
    let (drawing, terms, takeoff, priced): (
        Json<Drawing>,
        Json<QuoteTerms>,
        Json<TakeOff>,
        Json<Priced>,
    ) = sqlx::query_as(
        "select drawing, terms, takeoff, priced from quote_versions
              where org_id = $1 and quote_id = $2 and version = $3",
    )
    .bind(org)
    .bind(id)
    .bind(version)
    .fetch_one(tx.conn())
    .await
    .map_err(internal)?;
    Ok(Version {
        drawing: drawing.0,
        terms: terms.0,
        takeoff: takeoff.0,
        priced: priced.0,
    })
}

pub async fn versions(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Vec<(i32, Decimal, DateTime<Utc>)>, AppError> {
    let org = tx.org_id();
    sqlx::query_as(
        "select version, total, created_at from quote_versions where org_id = $1 and quote_id = $2
          order by version desc",
    )
    .bind(org)
    .bind(id)
    .fetch_all(tx.conn())
    .await
    .map_err(internal)
}

/// Records a new version and returns the quote to draft (old links die).
pub async fn revise(
    tx: &mut TenantTx,
    id: Uuid,
    version: i32,
    total: Decimal,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query(
        "update quotes set version = $3, total = $4, status = 'draft', manager_approved_version = null,
                manager_approved_by = null, decided_name = null, decline_reason = null, decided_at = null,
                updated_at = now()
          where org_id = $1 and id = $2",
    )
    .bind(org)
    .bind(id)
    .bind(version)
    .bind(total)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    revoke_links(tx, id).await
}

pub async fn set_status(tx: &mut TenantTx, id: Uuid, status: QuoteStatus) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query("update quotes set status = $3, updated_at = now() where org_id = $1 and id = $2")
        .bind(org)
        .bind(id)
        .bind(status.code())
        .execute(tx.conn())
        .await
        .map_err(internal)?;
    Ok(())
}

pub async fn manager_approve(
    tx: &mut TenantTx,
    id: Uuid,
    version: i32,
    by: Uuid,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query(
        "update quotes set status = 'draft', manager_approved_version = $3, manager_approved_by = $4,
                updated_at = now() where org_id = $1 and id = $2",
    )
    .bind(org)
    .bind(id)
    .bind(version)
    .bind(by)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    Ok(())
}

/// The customer's answer through a link.
pub async fn decide(
    tx: &mut TenantTx,
    id: Uuid,
    approved: bool,
    name: &str,
    reason: Option<&str>,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query(
        "update quotes set status = $3, decided_name = $4, decline_reason = $5, decided_at = now(),
                updated_at = now() where org_id = $1 and id = $2",
    )
    .bind(org)
    .bind(id)
    .bind(if approved { "approved" } else { "declined" })
    .bind(name)
    .bind(reason)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ListRow {
    id: Uuid,
    number: i32,
    status: String,
    version: i32,
    total: Decimal,
    customer_name: String,
    street: String,
    updated_at: DateTime<Utc>,
}

pub async fn list(
    tx: &mut TenantTx,
    status: Option<QuoteStatus>,
    property_id: Option<Uuid>,
) -> Result<Vec<QuoteRow>, AppError> {
    let org = tx.org_id();
    let rows: Vec<ListRow> = sqlx::query_as(
        "select q.id, q.number, q.status, q.version, q.total, c.name as customer_name, p.street, q.updated_at
           from quotes q
           join customers c on c.org_id = q.org_id and c.id = q.customer_id
           join properties p on p.org_id = q.org_id and p.id = q.property_id
          where q.org_id = $1 and ($2::text is null or q.status = $2)
            and ($3::uuid is null or q.property_id = $3)
          order by q.updated_at desc limit 200",
    )
    .bind(org)
    .bind(status.map(|s| s.code()))
    .bind(property_id)
    .fetch_all(tx.conn())
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|r| QuoteRow {
            id: r.id,
            number: r.number,
            status: QuoteStatus::parse(&r.status),
            version: r.version,
            total: r.total,
            customer_name: r.customer_name,
            street: r.street,
            updated_at: r.updated_at,
        })
        .collect())
}

pub async fn revoke_links(tx: &mut TenantTx, quote_id: Uuid) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query(
        "update quote_links set revoked_at = now() where org_id = $1 and quote_id = $2 and revoked_at is null",
    )
    .bind(org)
    .bind(quote_id)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    Ok(())
}

pub async fn add_link(
    tx: &mut TenantTx,
    quote_id: Uuid,
    hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<(), AppError> {
    let org = tx.org_id();
    revoke_links(tx, quote_id).await?;
    sqlx::query("insert into quote_links (org_id, token_hash, quote_id, expires_at) values ($1, $2, $3, $4)")
        .bind(org)
        .bind(hash)
        .bind(quote_id)
        .bind(expires_at)
        .execute(tx.conn())
        .await
        .map_err(internal)?;
    Ok(())
}

/// The quote a live link opens, and when the link expires.
pub async fn by_link(
    tx: &mut TenantTx,
    hash: &[u8],
) -> Result<Option<(Uuid, DateTime<Utc>)>, AppError> {
    let org = tx.org_id();
    sqlx::query_as(
        "select quote_id, expires_at from quote_links
          where org_id = $1 and token_hash = $2 and revoked_at is null and expires_at > now()",
    )
    .bind(org)
    .bind(hash)
    .fetch_optional(tx.conn())
    .await
    .map_err(internal)
}

/// When the quote's live link expires, if it has one.
pub async fn live_link_expiry(
    tx: &mut TenantTx,
    quote_id: Uuid,
) -> Result<Option<DateTime<Utc>>, AppError> {
    let org = tx.org_id();
    sqlx::query_scalar(
        "select max(expires_at) from quote_links
          where org_id = $1 and quote_id = $2 and revoked_at is null and expires_at > now()",
    )
    .bind(org)
    .bind(quote_id)
    .fetch_one(tx.conn())
    .await
    .map_err(internal)
}

/// Whether the tenant's plan includes approval workflows.
pub async fn workflow_enabled(tx: &mut TenantTx) -> Result<bool, AppError> {
    let org = tx.org_id();
    sqlx::query_scalar(
        "select coalesce((features->>'approval_workflow')::boolean, false) from organizations where id = $1",
    )
    .bind(org)
    .fetch_one(tx.conn())
    .await
    .map_err(internal)
}
