//! Quotes, their versions, and customer approval links.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::pricing::{Priced, QuoteTerms};
use crate::model::{Drawing, QuoteRow, QuoteStatus, TakeOff};
use crate::server::TenantTx;

/// Versions one quote may have (each save is one).
pub const MAX_VERSIONS: i32 = 500;

/// A status read back from the database.
fn status(value: &str) -> Result<QuoteStatus, AppError> {
    QuoteStatus::parse(value).ok_or_else(|| super::corrupt("quotes.status", value))
}

/// Serialises numbering within a tenant (quotes and jobs each count from 1).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn lock_numbering(tx: &mut TenantTx, what: &str) -> Result<(), AppError> {
    let key = format!("{}:{what}", tx.org_id());
    sqlx::query!("select pg_advisory_xact_lock(hashtextextended($1, 0))", key)
        .execute(tx.conn())
        .await?;
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
pub struct QuoteRec {
    pub id: Uuid,
    pub number: i32,
    pub property_id: Uuid,
    pub customer_id: Uuid,
    pub status: QuoteStatus,
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
        self.status
    }
}

macro_rules! quote_rec {
    ($r:expr) => {
        QuoteRec {
            id: $r.id,
            number: $r.number,
            property_id: $r.property_id,
            customer_id: $r.customer_id,
            status: status(&$r.status)?,
            version: $r.version,
            total: $r.total,
            manager_approved_version: $r.manager_approved_version,
            decided_name: $r.decided_name,
            decline_reason: $r.decline_reason,
            decided_at: $r.decided_at,
            created_at: $r.created_at,
        }
    };
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
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
    let number = sqlx::query_scalar!(
        "insert into quotes (org_id, id, number, property_id, customer_id, total, created_by)
         values ($1, $2, (select coalesce(max(number), 0) + 1 from quotes where org_id = $1), $3, $4, $5, $6)
         returning number",
        org,
        id,
        property_id,
        customer_id,
        v.priced.total,
        by
    )
    .fetch_one(tx.conn())
    .await?;
    insert_version(tx, id, 1, by, v).await?;
    Ok((id, number))
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn insert_version(
    tx: &mut TenantTx,
    quote_id: Uuid,
    version: i32,
    by: Uuid,
    v: &Version,
) -> Result<(), AppError> {
    if version > MAX_VERSIONS {
        return Err(AppError::Conflict(format!(
            "This quote has reached {MAX_VERSIONS} versions. Create a new quote for further changes."
        )));
    }
    let org = tx.org_id();
    sqlx::query!(
        "insert into quote_versions (org_id, quote_id, version, drawing, terms, takeoff, priced, total, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        org,
        quote_id,
        version,
        Json(&v.drawing) as _,
        Json(&v.terms) as _,
        Json(&v.takeoff) as _,
        Json(&v.priced) as _,
        v.priced.total,
        by
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The quote row.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<QuoteRec>, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select id, number, property_id, customer_id, status, version, total,
                manager_approved_version, decided_name, decline_reason,
                decided_at as "decided_at: DateTime<Utc>", created_at as "created_at: DateTime<Utc>"
           from quotes where org_id = $1 and id = $2"#,
        org,
        id
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(match r {
        Some(r) => Some(quote_rec!(r)),
        None => None,
    })
}

/// The quote row, locked for the rest of the transaction.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn get_for_update(tx: &mut TenantTx, id: Uuid) -> Result<Option<QuoteRec>, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select id, number, property_id, customer_id, status, version, total,
                manager_approved_version, decided_name, decline_reason,
                decided_at as "decided_at: DateTime<Utc>", created_at as "created_at: DateTime<Utc>"
           from quotes where org_id = $1 and id = $2 for update"#,
        org,
        id
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(match r {
        Some(r) => Some(quote_rec!(r)),
        None => None,
    })
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn version(tx: &mut TenantTx, id: Uuid, version: i32) -> Result<Version, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select drawing as "drawing: Json<Drawing>", terms as "terms: Json<QuoteTerms>",
                  takeoff as "takeoff: Json<TakeOff>", priced as "priced: Json<Priced>"
             from quote_versions where org_id = $1 and quote_id = $2 and version = $3"#,
        org,
        id,
        version
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(Version {
        drawing: r.drawing.0,
        terms: r.terms.0,
        takeoff: r.takeoff.0,
        priced: r.priced.0,
    })
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn versions(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Vec<(i32, Decimal, DateTime<Utc>)>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select version, total, created_at as "created_at: DateTime<Utc>" from quote_versions
            where org_id = $1 and quote_id = $2 order by version desc"#,
        org,
        id
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.version, r.total, r.created_at))
        .collect())
}

/// Records a new version and returns the quote to draft (old links die).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn revise(
    tx: &mut TenantTx,
    id: Uuid,
    version: i32,
    total: Decimal,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "update quotes set version = $3, total = $4, status = 'draft', manager_approved_version = null,
                manager_approved_by = null, decided_name = null, decline_reason = null, decided_at = null,
                updated_at = now()
          where org_id = $1 and id = $2",
        org,
        id,
        version,
        total
    )
    .execute(tx.conn())
    .await?;
    revoke_links(tx, id).await
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn set_status(tx: &mut TenantTx, id: Uuid, status: QuoteStatus) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "update quotes set status = $3, updated_at = now() where org_id = $1 and id = $2",
        org,
        id,
        status.code()
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn manager_approve(
    tx: &mut TenantTx,
    id: Uuid,
    version: i32,
    by: Uuid,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "update quotes set status = 'draft', manager_approved_version = $3, manager_approved_by = $4,
                updated_at = now() where org_id = $1 and id = $2",
        org,
        id,
        version,
        by
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The customer's answer through a link.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn decide(
    tx: &mut TenantTx,
    id: Uuid,
    approved: bool,
    name: &str,
    reason: Option<&str>,
) -> Result<(), AppError> {
    let org = tx.org_id();
    let status = if approved {
        QuoteStatus::Approved
    } else {
        QuoteStatus::Declined
    };
    sqlx::query!(
        "update quotes set status = $3, decided_name = $4, decline_reason = $5, decided_at = now(),
                updated_at = now() where org_id = $1 and id = $2",
        org,
        id,
        status.code(),
        name,
        reason
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn list(
    tx: &mut TenantTx,
    status_filter: Option<QuoteStatus>,
    property_id: Option<Uuid>,
) -> Result<Vec<QuoteRow>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select q.id, q.number, q.status, q.version, q.total, c.name as customer_name, p.street,
                q.updated_at as "updated_at: DateTime<Utc>"
           from quotes q
           join customers c on c.org_id = q.org_id and c.id = q.customer_id
           join properties p on p.org_id = q.org_id and p.id = q.property_id
          where q.org_id = $1 and ($2::text is null or q.status = $2)
            and ($3::uuid is null or q.property_id = $3)
          order by q.updated_at desc limit 200"#,
        org,
        status_filter.map(|s| s.code()),
        property_id
    )
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(QuoteRow {
                id: r.id,
                number: r.number,
                status: status(&r.status)?,
                version: r.version,
                total: r.total,
                customer_name: r.customer_name,
                street: r.street,
                updated_at: r.updated_at,
            })
        })
        .collect()
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn revoke_links(tx: &mut TenantTx, quote_id: Uuid) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "update quote_links set revoked_at = now() where org_id = $1 and quote_id = $2 and revoked_at is null",
        org,
        quote_id
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn add_link(
    tx: &mut TenantTx,
    quote_id: Uuid,
    hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<(), AppError> {
    let org = tx.org_id();
    revoke_links(tx, quote_id).await?;
    sqlx::query!(
        "insert into quote_links (org_id, token_hash, quote_id, expires_at) values ($1, $2, $3, $4)",
        org,
        hash,
        quote_id,
        expires_at as _
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The quote a live link opens, and when the link expires.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn by_link(
    tx: &mut TenantTx,
    hash: &[u8],
) -> Result<Option<(Uuid, DateTime<Utc>)>, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select quote_id, expires_at as "expires_at: DateTime<Utc>" from quote_links
            where org_id = $1 and token_hash = $2 and revoked_at is null and expires_at > now()"#,
        org,
        hash
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(r.map(|r| (r.quote_id, r.expires_at)))
}

/// When the quote's live link expires, if it has one.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn live_link_expiry(
    tx: &mut TenantTx,
    quote_id: Uuid,
) -> Result<Option<DateTime<Utc>>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select max(expires_at) as "max: DateTime<Utc>" from quote_links
            where org_id = $1 and quote_id = $2 and revoked_at is null and expires_at > now()"#,
        org,
        quote_id
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Whether the tenant's plan includes approval workflows.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn workflow_enabled(tx: &mut TenantTx) -> Result<bool, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select coalesce((features->>'approval_workflow')::boolean, false) as "on!"
             from organizations where id = $1"#,
        org
    )
    .fetch_one(tx.conn())
    .await?)
}
