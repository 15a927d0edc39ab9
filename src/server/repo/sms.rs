//! Text messages: queued in the action's transaction (tenant path), and
//! the worker's and the provider webhooks' platform-path calls (security
//! definer functions in `0027_sms.sql`, each confined to the rows it is
//! given).

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::sms::SmsKind;
use crate::server::TenantTx;

/// A text to queue.
pub struct NewText<'a> {
    pub kind: SmsKind,
    /// E.164.
    pub to: &'a str,
    pub body: &'a str,
    pub about: Option<Uuid>,
    /// The recipient's time zone (quiet hours).
    pub zone: &'a str,
    pub segments: i32,
    /// Not before (quiet hours).
    pub at: DateTime<Utc>,
    pub by: Option<Uuid>,
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), kind = t.kind.code()))]
pub async fn insert(tx: &mut TenantTx, t: &NewText<'_>) -> Result<Uuid, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        "insert into sms_messages
                (org_id, to_phone, body, kind, about_id, zone, segments, next_attempt_at, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         returning id",
        org,
        t.to,
        t.body,
        t.kind.code(),
        t.about,
        t.zone,
        t.segments,
        t.at as _,
        t.by
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Whether `phone` (E.164) replied STOP to this tenant.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn opted_out(tx: &mut TenantTx, phone: &str) -> Result<bool, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select exists (select 1 from sms_opt_outs where org_id = $1 and phone = $2) as "x!""#,
        org,
        phone
    )
    .fetch_one(tx.conn())
    .await?)
}

/// When the latest text of `kind` about `about` was queued.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %about))]
pub async fn last_about(
    tx: &mut TenantTx,
    kind: SmsKind,
    about: Uuid,
) -> Result<Option<DateTime<Utc>>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select max(created_at) as "at: DateTime<Utc>" from sms_messages
            where org_id = $1 and about_id = $2 and kind = $3 and status <> 'superseded'"#,
        org,
        about,
        kind.code()
    )
    .fetch_one(tx.conn())
    .await?)
}

/// The latest text of `kind` for each of `about`.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn last_about_each(
    tx: &mut TenantTx,
    kind: SmsKind,
    about: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, DateTime<Utc>>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select about_id as "about!", max(created_at) as "at!: DateTime<Utc>" from sms_messages
            where org_id = $1 and about_id = any($2) and kind = $3 and status <> 'superseded'
            group by about_id"#,
        org,
        about,
        kind.code()
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|r| (r.about, r.at)).collect())
}

/// A customer as a text needs them: name, phone as stored, state.
pub struct Contact {
    pub name: String,
    pub phone: Option<String>,
    pub state: String,
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %customer))]
pub async fn contact(tx: &mut TenantTx, customer: Uuid) -> Result<Option<Contact>, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "select name, phone, state from customers where org_id = $1 and id = $2",
        org,
        customer
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(r.map(|r| Contact {
        name: r.name,
        phone: r.phone,
        state: r.state,
    }))
}

/// Texts sent per month in `zone`, newest first: (month start, messages,
/// segments).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn months(
    tx: &mut TenantTx,
    zone: &str,
) -> Result<Vec<(chrono::NaiveDate, i64, i64)>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select (date_trunc('month', sent_at at time zone $2))::date as "month!: chrono::NaiveDate",
                  count(*) as "messages!", coalesce(sum(segments), 0)::bigint as "segments!"
             from sms_messages
            where org_id = $1 and sent_at is not null
            group by 1 order by 1 desc limit 12"#,
        org,
        zone
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.month, r.messages, r.segments))
        .collect())
}

/// One stored text, for the office's list.
pub struct Row {
    pub created_at: DateTime<Utc>,
    pub to_phone: String,
    pub kind: String,
    pub status: String,
    pub error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn recent(tx: &mut TenantTx, limit: i64) -> Result<Vec<Row>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select created_at as "created_at: DateTime<Utc>", to_phone, kind, status, error,
                  next_attempt_at as "next_attempt_at: DateTime<Utc>"
             from sms_messages where org_id = $1
            order by created_at desc, id limit $2"#,
        org,
        limit
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Row {
            created_at: r.created_at,
            to_phone: r.to_phone,
            kind: r.kind,
            status: r.status,
            error: r.error,
            next_attempt_at: r.next_attempt_at,
        })
        .collect())
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn opt_out_count(tx: &mut TenantTx) -> Result<i64, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select count(*) as "n!" from sms_opt_outs where org_id = $1"#,
        org
    )
    .fetch_one(tx.conn())
    .await?)
}

// ---- platform path: the worker and the provider's webhooks ---------------

/// A text claimed for sending.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub org_id: Uuid,
    pub id: Uuid,
    pub to_phone: String,
    pub body: String,
    pub attempts: i32,
    pub kind: String,
    pub zone: String,
    pub opted_out: bool,
}

#[tracing::instrument(skip_all)]
pub async fn claim(
    pool: &PgPool,
    limit: i32,
    lease_seconds: i32,
    now: DateTime<Utc>,
) -> Result<Vec<Claimed>, AppError> {
    let rows = sqlx::query!(
        r#"select org_id as "org_id!", id as "id!", to_phone as "to_phone!", body as "body!",
                  attempts as "attempts!", kind as "kind!", zone as "zone!", opted_out as "opted_out!"
             from platform.claim_sms($1, $2, $3)"#,
        limit,
        lease_seconds,
        now as _
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Claimed {
            org_id: r.org_id,
            id: r.id,
            to_phone: r.to_phone,
            body: r.body,
            attempts: r.attempts,
            kind: r.kind,
            zone: r.zone,
            opted_out: r.opted_out,
        })
        .collect())
}

pub async fn sent(
    pool: &PgPool,
    org: Uuid,
    id: Uuid,
    sid: &str,
    segments: Option<i32>,
) -> Result<(), AppError> {
    sqlx::query!(
        "select platform.sms_sent($1, $2, $3, $4)",
        org,
        id,
        sid,
        segments
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A failed send: retried at `retry_at`, or (with `None`) given up;
/// `opt_out` when the provider says the recipient opted out.
pub async fn failed(
    pool: &PgPool,
    org: Uuid,
    id: Uuid,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    opt_out: bool,
) -> Result<(), AppError> {
    sqlx::query!(
        "select platform.sms_failed($1, $2, $3, $4, $5)",
        org,
        id,
        error,
        retry_at as _,
        opt_out
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Holds a text until `at` (quiet hours).
pub async fn hold(pool: &PgPool, org: Uuid, id: Uuid, at: DateTime<Utc>) -> Result<(), AppError> {
    sqlx::query!("select platform.sms_hold($1, $2, $3)", org, id, at as _)
        .execute(pool)
        .await?;
    Ok(())
}

/// A STOP (or START) from `phone`; returns the tenants it changed.
pub async fn reply(pool: &PgPool, phone: &str, stop: bool) -> Result<i32, AppError> {
    Ok(
        sqlx::query_scalar!(r#"select platform.sms_reply($1, $2) as "n!""#, phone, stop)
            .fetch_one(pool)
            .await?,
    )
}

/// The provider's delivery report; `false` when no text has that SID.
pub async fn status(
    pool: &PgPool,
    sid: &str,
    status: &str,
    error: &str,
    opt_out: bool,
) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select platform.sms_status($1, $2, $3, $4) as "found!""#,
        sid,
        status,
        error,
        opt_out
    )
    .fetch_one(pool)
    .await?)
}

/// A job as a text about it needs: status, crew, customer, and whether
/// the signed-in member is on its crew.
pub struct JobForText {
    pub status: String,
    pub customer_id: Uuid,
    pub on_crew: bool,
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %job))]
pub async fn job(
    tx: &mut TenantTx,
    job: Uuid,
    member: Uuid,
) -> Result<Option<JobForText>, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select j.status, j.customer_id,
                  exists (select 1 from crew_members m
                           where m.org_id = j.org_id and m.crew_id = j.crew_id and m.user_id = $3) as "on_crew!"
             from jobs j where j.org_id = $1 and j.id = $2"#,
        org,
        job,
        member
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(r.map(|r| JobForText {
        status: r.status,
        customer_id: r.customer_id,
        on_crew: r.on_crew,
    }))
}

/// The tenant (and member) a homeowner's reply from `phone` goes to.
pub async fn reply_to(
    pool: &PgPool,
    phone: &str,
) -> Result<Option<(Uuid, Option<Uuid>)>, AppError> {
    let r = sqlx::query!(
        r#"select org_id as "org_id!", created_by from platform.sms_reply_to($1)"#,
        phone
    )
    .fetch_optional(pool)
    .await?;
    Ok(r.map(|r| (r.org_id, r.created_by)))
}

/// The customer with `phone` (as stored, e.g. "(512) 555-0142").
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn customer_by_phone(
    tx: &mut TenantTx,
    phone: &str,
) -> Result<Option<(Uuid, String)>, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "select id, name from customers
          where org_id = $1 and phone = $2 and archived_at is null
          order by updated_at desc limit 1",
        org,
        phone
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(r.map(|r| (r.id, r.name)))
}

/// Who reads a reply: the member who sent the text, else the owners and
/// admins.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn reply_readers(tx: &mut TenantTx, by: Option<Uuid>) -> Result<Vec<String>, AppError> {
    let org = tx.org_id();
    if let Some(by) = by {
        if let Some(e) = sqlx::query_scalar!(
            "select email from users where org_id = $1 and id = $2",
            org,
            by
        )
        .fetch_optional(tx.conn())
        .await?
        {
            return Ok(vec![e]);
        }
    }
    super::orgs::owner_emails(tx).await
}
