//! Jobs, their status history, photos, and the monthly jobs count.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{JobEvent, JobRow, JobStatus, JobUsage, PhotoInfo, PlanCode};
use crate::server::db::internal;
use crate::server::TenantTx;

/// This month's job count and the plan's limit. With `lock`, the
/// organization row is locked so concurrent creations count one at a time.
pub async fn usage(tx: &mut TenantTx, lock: bool) -> Result<(JobUsage, PlanCode), AppError> {
    let org = tx.org_id();
    let sql = format!(
        "select plan, monthly_jobs_limit, to_char(now(), 'FMMonth YYYY') from organizations where id = $1{}",
        if lock { " for update" } else { "" }
    );
    let (plan, limit, month): (String, Option<i32>, String) = sqlx::query_as(&sql)
        .bind(org)
        .fetch_one(tx.conn())
        .await
        .map_err(internal)?;
    let used: i64 = sqlx::query_scalar(
        "select count(*) from jobs where org_id = $1 and created_at >= date_trunc('month', now())",
    )
    .bind(org)
    .fetch_one(tx.conn())
    .await
    .map_err(internal)?;
    Ok((
        JobUsage { used, limit, month },
        PlanCode::parse(&plan).unwrap_or(PlanCode::Starter),
    ))
}

pub async fn for_quote(tx: &mut TenantTx, quote_id: Uuid) -> Result<Option<Uuid>, AppError> {
    let org = tx.org_id();
    sqlx::query_scalar("select id from jobs where org_id = $1 and quote_id = $2")
        .bind(org)
        .bind(quote_id)
        .fetch_optional(tx.conn())
        .await
        .map_err(internal)
}

#[allow(clippy::too_many_arguments)]
pub async fn create(
    tx: &mut TenantTx,
    by: Uuid,
    quote_id: Uuid,
    property_id: Uuid,
    customer_id: Uuid,
    total: Decimal,
    note: &str,
) -> Result<(Uuid, i32), AppError> {
    super::quotes::lock_numbering(tx, "jobs").await?;
    let org = tx.org_id();
    let id = Uuid::new_v4();
    let number: i32 = sqlx::query_scalar(
        "insert into jobs (org_id, id, number, quote_id, property_id, customer_id, status, total, created_by)
         values ($1, $2, (select coalesce(max(number), 0) + 1 from jobs where org_id = $1), $3, $4, $5, 'approved', $6, $7)
         returning number",
    )
    .bind(org)
    .bind(id)
    .bind(quote_id)
    .bind(property_id)
    .bind(customer_id)
    .bind(total)
    .bind(by)
    .fetch_one(tx.conn())
    .await
    .map_err(|e| match crate::server::db::constraint(&e) {
        Some("jobs_org_id_quote_id_key") => {
            AppError::Conflict("This quote already has a job.".into())
        }
        _ => internal(e),
    })?;
    record(tx, id, None, JobStatus::Approved, Some(by), note).await?;
    Ok((id, number))
}

pub async fn record(
    tx: &mut TenantTx,
    job_id: Uuid,
    from: Option<JobStatus>,
    to: JobStatus,
    by: Option<Uuid>,
    note: &str,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query(
        "insert into job_events (org_id, id, job_id, from_status, to_status, by_user, note)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(org)
    .bind(Uuid::new_v4())
    .bind(job_id)
    .bind(from.map(|s| s.code()))
    .bind(to.code())
    .bind(by)
    .bind(note)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    Ok(())
}

/// The job's status, locked for the transaction.
pub async fn status_for_update(tx: &mut TenantTx, id: Uuid) -> Result<Option<JobStatus>, AppError> {
    let org = tx.org_id();
    let s: Option<String> =
        sqlx::query_scalar("select status from jobs where org_id = $1 and id = $2 for update")
            .bind(org)
            .bind(id)
            .fetch_optional(tx.conn())
            .await
            .map_err(internal)?;
    Ok(s.and_then(|s| JobStatus::parse(&s)))
}

pub async fn set_status(
    tx: &mut TenantTx,
    id: Uuid,
    to: JobStatus,
    scheduled_for: Option<NaiveDate>,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query(
        "update jobs set status = $3, scheduled_for = coalesce($4, case when $3 = 'approved' then null else scheduled_for end),
                updated_at = now()
          where org_id = $1 and id = $2",
    )
    .bind(org)
    .bind(id)
    .bind(to.code())
    .bind(scheduled_for)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    Ok(())
}

/// (job id, number, status, quote id, quote number, customer id, name, phone, property id,
/// address, lat, lon, scheduled, total)
#[derive(sqlx::FromRow)]
pub struct JobRec {
    pub id: Uuid,
    pub number: i32,
    pub status: String,
    pub quote_id: Uuid,
    pub quote_number: i32,
    pub quote_version: i32,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub customer_phone: Option<String>,
    pub property_id: Uuid,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub scheduled_for: Option<NaiveDate>,
    pub total: Decimal,
}

pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<JobRec>, AppError> {
    let org = tx.org_id();
    sqlx::query_as(
        "select j.id, j.number, j.status, j.quote_id, q.number as quote_number, q.version as quote_version,
                j.customer_id, c.name as customer_name, c.phone as customer_phone, j.property_id,
                p.street, p.city, p.state::text as state, p.zip, p.lat, p.lon, j.scheduled_for, j.total
           from jobs j
           join quotes q on q.org_id = j.org_id and q.id = j.quote_id
           join customers c on c.org_id = j.org_id and c.id = j.customer_id
           join properties p on p.org_id = j.org_id and p.id = j.property_id
          where j.org_id = $1 and j.id = $2",
    )
    .bind(org)
    .bind(id)
    .fetch_optional(tx.conn())
    .await
    .map_err(internal)
}

#[derive(sqlx::FromRow)]
struct EventRow {
    from_status: Option<String>,
    to_status: String,
    by_name: Option<String>,
    note: String,
    at: DateTime<Utc>,
}

pub async fn events(tx: &mut TenantTx, id: Uuid) -> Result<Vec<JobEvent>, AppError> {
    let org = tx.org_id();
    let rows: Vec<EventRow> = sqlx::query_as(
        "select e.from_status, e.to_status, u.name as by_name, e.note, e.at from job_events e
           left join users u on u.org_id = e.org_id and u.id = e.by_user
          where e.org_id = $1 and e.job_id = $2 order by e.at, e.id",
    )
    .bind(org)
    .bind(id)
    .fetch_all(tx.conn())
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(JobEvent {
                from: r.from_status.and_then(|f| JobStatus::parse(&f)),
                to: JobStatus::parse(&r.to_status)?,
                by: r.by_name,
                note: r.note,
                at: r.at,
            })
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct ListRow {
    id: Uuid,
    number: i32,
    status: String,
    customer_name: String,
    street: String,
    city: String,
    scheduled_for: Option<NaiveDate>,
    total: Decimal,
}

pub async fn list(tx: &mut TenantTx, status: Option<JobStatus>) -> Result<Vec<JobRow>, AppError> {
    let org = tx.org_id();
    let rows: Vec<ListRow> = sqlx::query_as(
        "select j.id, j.number, j.status, c.name as customer_name, p.street, p.city, j.scheduled_for, j.total
           from jobs j
           join customers c on c.org_id = j.org_id and c.id = j.customer_id
           join properties p on p.org_id = j.org_id and p.id = j.property_id
          where j.org_id = $1 and ($2::text is null or j.status = $2)
          order by case j.status when 'in_progress' then 0 when 'scheduled' then 1 when 'approved' then 2 else 3 end,
                   j.scheduled_for nulls last, j.number desc
          limit 300",
    )
    .bind(org)
    .bind(status.map(|s| s.code()))
    .fetch_all(tx.conn())
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(JobRow {
                id: r.id,
                number: r.number,
                status: JobStatus::parse(&r.status)?,
                customer_name: r.customer_name,
                street: r.street,
                city: r.city,
                scheduled_for: r.scheduled_for,
                total: r.total,
            })
        })
        .collect())
}

pub struct NewPhoto<'a> {
    pub id: Uuid,
    pub job_id: Uuid,
    pub kind: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i32,
    pub width: i32,
    pub height: i32,
    pub taken_at: Option<DateTime<Utc>>,
    pub location: Option<(f64, f64)>,
    pub by: Uuid,
}

pub async fn add_photo(tx: &mut TenantTx, p: &NewPhoto<'_>) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query(
        "insert into photos (org_id, id, job_id, kind, content_type, size_bytes, width, height, taken_at, lat, lon, uploaded_by)
         select $1, $2, j.id, $4, $5, $6, $7, $8, $9, $10, $11, $12 from jobs j where j.org_id = $1 and j.id = $3",
    )
    .bind(org)
    .bind(p.id)
    .bind(p.job_id)
    .bind(p.kind)
    .bind(p.content_type)
    .bind(p.size_bytes)
    .bind(p.width)
    .bind(p.height)
    .bind(p.taken_at)
    .bind(p.location.map(|l| l.0))
    .bind(p.location.map(|l| l.1))
    .bind(p.by)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    Ok(r.rows_affected() == 1)
}

#[derive(sqlx::FromRow)]
struct PhotoRow {
    id: Uuid,
    kind: String,
    width: i32,
    height: i32,
    size_bytes: i32,
    taken_at: Option<DateTime<Utc>>,
    lat: Option<f64>,
    lon: Option<f64>,
    uploaded_by: Option<String>,
    created_at: DateTime<Utc>,
}

pub async fn photos(tx: &mut TenantTx, job_id: Uuid) -> Result<Vec<PhotoInfo>, AppError> {
    let org = tx.org_id();
    let rows: Vec<PhotoRow> = sqlx::query_as(
        "select p.id, p.kind, p.width, p.height, p.size_bytes, p.taken_at, p.lat, p.lon, u.name as uploaded_by, p.created_at
           from photos p left join users u on u.org_id = p.org_id and u.id = p.uploaded_by
          where p.org_id = $1 and p.job_id = $2 order by p.created_at, p.id",
    )
    .bind(org)
    .bind(job_id)
    .fetch_all(tx.conn())
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|r| PhotoInfo {
            id: r.id,
            kind: r.kind,
            width: r.width,
            height: r.height,
            size_bytes: r.size_bytes,
            taken_at: r.taken_at,
            lat: r.lat,
            lon: r.lon,
            uploaded_by: r.uploaded_by,
            created_at: r.created_at,
        })
        .collect())
}

/// A photo's content type, if the photo belongs to this tenant.
pub async fn photo_type(tx: &mut TenantTx, id: Uuid) -> Result<Option<String>, AppError> {
    let org = tx.org_id();
    sqlx::query_scalar("select content_type from photos where org_id = $1 and id = $2")
        .bind(org)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
        .map_err(internal)
}
