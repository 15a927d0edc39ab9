//! Jobs, their status history, photos, and the monthly jobs count.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{JobEvent, JobRow, JobStatus, JobUsage, PhotoInfo, PlanCode};
use crate::server::db::{constraint, internal};
use crate::server::TenantTx;

/// Photos one job may have.
pub const MAX_PHOTOS_PER_JOB: i64 = 60;

/// A job status read back from the database.
pub fn parse_status(column_value: &str) -> Result<JobStatus, AppError> {
    status("jobs.status", column_value)
}

/// A job's kind from its column.
pub fn kind(value: &str) -> Result<crate::model::job::JobKind, AppError> {
    crate::model::job::JobKind::parse(value).ok_or_else(|| super::corrupt("jobs.kind", value))
}

fn status(column: &str, value: &str) -> Result<JobStatus, AppError> {
    JobStatus::parse(value).ok_or_else(|| super::corrupt(column, value))
}

/// This month's job count and the plan's limit. The organization row is
/// locked, so concurrent creations count one at a time.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn usage_for_update(tx: &mut TenantTx) -> Result<(JobUsage, PlanCode), AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select plan, monthly_jobs_limit, to_char(now(), 'FMMonth YYYY') as "month!"
             from organizations where id = $1 for update"#,
        org
    )
    .fetch_one(tx.conn())
    .await?;
    let used = used_this_month(tx).await?;
    Ok((
        JobUsage {
            used,
            limit: r.monthly_jobs_limit,
            month: r.month,
        },
        super::orgs::plan(&r.plan)?,
    ))
}

/// This month's job count and the plan's limit, for display.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn usage(tx: &mut TenantTx) -> Result<JobUsage, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select monthly_jobs_limit, to_char(now(), 'FMMonth YYYY') as "month!"
             from organizations where id = $1"#,
        org
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(JobUsage {
        used: used_this_month(tx).await?,
        limit: r.monthly_jobs_limit,
        month: r.month,
    })
}

async fn used_this_month(tx: &mut TenantTx) -> Result<i64, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select count(*) as "n!" from jobs
            where org_id = $1 and kind = 'install' and created_at >= date_trunc('month', now())"#,
        org
    )
    .fetch_one(tx.conn())
    .await?)
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn for_quote(tx: &mut TenantTx, quote_id: Uuid) -> Result<Option<Uuid>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        "select id from jobs where org_id = $1 and quote_id = $2",
        org,
        quote_id
    )
    .fetch_optional(tx.conn())
    .await?)
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
#[allow(clippy::too_many_arguments)]
pub async fn create(
    tx: &mut TenantTx,
    by: Uuid,
    quote_id: Uuid,
    property_id: Uuid,
    customer_id: Uuid,
    total: Decimal,
    minutes: u32,
    note: &str,
) -> Result<(Uuid, i32), AppError> {
    super::quotes::lock_numbering(tx, "jobs").await?;
    let org = tx.org_id();
    let id = Uuid::new_v4();
    let number = sqlx::query_scalar!(
        "insert into jobs (org_id, id, number, quote_id, property_id, customer_id, status, total, created_by,
                           duration_minutes)
         values ($1, $2, (select coalesce(max(number), 0) + 1 from jobs where org_id = $1), $3, $4, $5, 'approved', $6, $7, $8)
         returning number",
        org,
        id,
        quote_id,
        property_id,
        customer_id,
        total,
        by,
        minutes as i32
    )
    .fetch_one(tx.conn())
    .await
    .map_err(|e| match constraint(&e) {
        Some("jobs_org_id_quote_id_key") => {
            AppError::Conflict("This quote already has a job.".into())
        }
        _ => internal(&e),
    })?;
    record(tx, id, None, JobStatus::Approved, Some(by), note).await?;
    Ok((id, number))
}

/// Creates a battery visit for `pets` of a property (approved, waiting to
/// be booked), with its first history entry. A property has at most one
/// open visit: a second is refused.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn create_battery_visit(
    tx: &mut TenantTx,
    by: Uuid,
    property_id: Uuid,
    pets: &[Uuid],
    total: Decimal,
    minutes: u32,
    note: &str,
) -> Result<(Uuid, i32), AppError> {
    super::quotes::lock_numbering(tx, "jobs").await?;
    let org = tx.org_id();
    let id = Uuid::new_v4();
    let number = sqlx::query_scalar!(
        "insert into jobs (org_id, id, number, kind, pet_ids, property_id, customer_id, status, total,
                           created_by, duration_minutes)
         select $1, $2, (select coalesce(max(number), 0) + 1 from jobs where org_id = $1), 'battery', $4,
                p.id, p.customer_id, 'approved', $5, $6, $7
           from properties p where p.org_id = $1 and p.id = $3
         returning number",
        org,
        id,
        property_id,
        pets,
        total,
        by,
        minutes as i32
    )
    .fetch_optional(tx.conn())
    .await
    .map_err(|e| match constraint(&e) {
        Some("jobs_open_battery_visit_idx") => AppError::Conflict(
            "This property already has a battery visit booked: open it from the board.".into(),
        ),
        _ => internal(&e),
    })?
    .ok_or(AppError::NotFound)?;
    record(tx, id, None, JobStatus::Approved, Some(by), note).await?;
    Ok((id, number))
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn record(
    tx: &mut TenantTx,
    job_id: Uuid,
    from: Option<JobStatus>,
    to: JobStatus,
    by: Option<Uuid>,
    note: &str,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "insert into job_events (org_id, id, job_id, from_status, to_status, by_user, note)
         values ($1, $2, $3, $4, $5, $6, $7)",
        org,
        Uuid::new_v4(),
        job_id,
        from.map(|s| s.code()),
        to.code(),
        by,
        note
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The crew a job is booked on, if any.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn crew_of(tx: &mut TenantTx, id: Uuid) -> Result<Option<Uuid>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        "select crew_id from jobs where org_id = $1 and id = $2",
        org,
        id
    )
    .fetch_optional(tx.conn())
    .await?
    .flatten())
}

/// The job's status, locked for the transaction.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn status_for_update(tx: &mut TenantTx, id: Uuid) -> Result<Option<JobStatus>, AppError> {
    let org = tx.org_id();
    let s = sqlx::query_scalar!(
        "select status from jobs where org_id = $1 and id = $2 for update",
        org,
        id
    )
    .fetch_optional(tx.conn())
    .await?;
    s.map(|s| status("jobs.status", &s)).transpose()
}

/// A job's status, kind and (for a battery visit) pets, the job locked
/// for a status change.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn for_transition(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<(JobStatus, crate::model::job::JobKind, Vec<Uuid>)>, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "select status, kind, pet_ids from jobs where org_id = $1 and id = $2 for update",
        org,
        id
    )
    .fetch_optional(tx.conn())
    .await?;
    r.map(|r| Ok((status("jobs.status", &r.status)?, kind(&r.kind)?, r.pet_ids)))
        .transpose()
}

/// Records fresh batteries fitted on `day` in the collars of `pets` (those
/// on the job's property; a pet removed since is left out).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %job))]
pub async fn record_batteries(
    tx: &mut TenantTx,
    job: Uuid,
    pets: &[Uuid],
    day: NaiveDate,
) -> Result<u64, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query!(
        "update pets p set battery_installed = $4
           from jobs j
          where p.org_id = $1 and j.org_id = $1 and j.id = $2
            and p.property_id = j.property_id and p.id = any($3)",
        org,
        job,
        pets,
        day as NaiveDate
    )
    .execute(tx.conn())
    .await?
    .rows_affected())
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn set_status(
    tx: &mut TenantTx,
    id: Uuid,
    to: JobStatus,
    scheduled_for: Option<NaiveDate>,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "update jobs set status = $3,
                scheduled_for = coalesce($4::date, case when $3 = 'approved' then null else scheduled_for end),
                crew_id = case when $3 = 'approved' or $4::date is not null then null else crew_id end,
                starts_at = case when $3 = 'approved' or $4::date is not null then null else starts_at end,
                updated_at = now()
          where org_id = $1 and id = $2",
        org,
        id,
        to.code(),
        scheduled_for as _
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Sets what was invoiced or paid; returns the amount it replaced.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %id))]
pub async fn set_amount(
    tx: &mut TenantTx,
    id: Uuid,
    kind: crate::model::AmountKind,
    amount: Decimal,
) -> Result<Option<Decimal>, AppError> {
    let org = tx.org_id();
    let paid = kind == crate::model::AmountKind::Paid;
    let old = sqlx::query_scalar!(
        r#"update jobs j set
                invoiced_amount = case when $3 then j.invoiced_amount else $4 end,
                paid_amount = case when $3 then $4 else j.paid_amount end,
                updated_at = now()
            from jobs before
           where j.org_id = $1 and j.id = $2 and before.org_id = j.org_id and before.id = j.id
       returning case when $3 then before.paid_amount else before.invoiced_amount end as "old""#,
        org,
        id,
        paid,
        amount
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(old.flatten())
}

/// A job with its quote, customer and property.
pub struct JobRec {
    pub id: Uuid,
    pub number: i32,
    pub status: JobStatus,
    pub kind: crate::model::job::JobKind,
    pub quote_id: Option<Uuid>,
    pub quote_number: Option<i32>,
    pub quote_version: Option<i32>,
    pub pet_ids: Vec<Uuid>,
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
    pub invoiced_amount: Option<Decimal>,
    pub paid_amount: Option<Decimal>,
    pub notes: String,
    pub gate_notes: String,
    pub checklist_done: Vec<String>,
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<JobRec>, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select j.id, j.number, j.status, j.kind, j.pet_ids, j.quote_id,
                  q.number as "quote_number?", q.version as "quote_version?",
                  j.customer_id, c.name as customer_name, c.phone as customer_phone, j.property_id,
                  p.street, p.city, p.state::text as "state!", p.zip, p.lat, p.lon,
                  j.scheduled_for as "scheduled_for: NaiveDate", j.total, j.invoiced_amount, j.paid_amount,
                  p.notes, p.gate_notes, j.checklist_done
             from jobs j
             left join quotes q on q.org_id = j.org_id and q.id = j.quote_id
             join customers c on c.org_id = j.org_id and c.id = j.customer_id
             join properties p on p.org_id = j.org_id and p.id = j.property_id
            where j.org_id = $1 and j.id = $2"#,
        org,
        id
    )
    .fetch_optional(tx.conn())
    .await?;
    let Some(r) = r else { return Ok(None) };
    Ok(Some(JobRec {
        id: r.id,
        number: r.number,
        status: status("jobs.status", &r.status)?,
        kind: kind(&r.kind)?,
        pet_ids: r.pet_ids,
        quote_id: r.quote_id,
        quote_number: r.quote_number,
        quote_version: r.quote_version,
        customer_id: r.customer_id,
        customer_name: r.customer_name,
        customer_phone: r.customer_phone,
        property_id: r.property_id,
        street: r.street,
        city: r.city,
        state: r.state,
        zip: r.zip,
        lat: r.lat,
        lon: r.lon,
        scheduled_for: r.scheduled_for,
        total: r.total,
        invoiced_amount: r.invoiced_amount,
        paid_amount: r.paid_amount,
        notes: r.notes,
        gate_notes: r.gate_notes,
        checklist_done: r.checklist_done,
    }))
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn events(tx: &mut TenantTx, id: Uuid) -> Result<Vec<JobEvent>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select e.from_status, e.to_status, u.name as "by_name?", e.note, e.at as "at: DateTime<Utc>" from job_events e
             left join users u on u.org_id = e.org_id and u.id = e.by_user
            where e.org_id = $1 and e.job_id = $2 order by e.at, e.id"#,
        org,
        id
    )
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(JobEvent {
                from: r
                    .from_status
                    .map(|f| status("job_events.from_status", &f))
                    .transpose()?,
                to: status("job_events.to_status", &r.to_status)?,
                by: r.by_name,
                note: r.note,
                at: r.at,
            })
        })
        .collect()
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
/// Jobs, optionally by status; for a crew member (`crew_member`), only the
/// jobs booked on their crews.
pub async fn list(
    tx: &mut TenantTx,
    filter: Option<JobStatus>,
    crew_member: Option<Uuid>,
) -> Result<Vec<JobRow>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select j.id, j.number, j.status, c.name as customer_name, p.street, p.city,
                j.scheduled_for as "scheduled_for: NaiveDate", j.total
           from jobs j
           join customers c on c.org_id = j.org_id and c.id = j.customer_id
           join properties p on p.org_id = j.org_id and p.id = j.property_id
          where j.org_id = $1 and ($2::text is null or j.status = $2)
            and ($3::uuid is null or j.crew_id in
                 (select m.crew_id from crew_members m where m.org_id = $1 and m.user_id = $3))
          order by case j.status when 'in_progress' then 0 when 'scheduled' then 1 when 'approved' then 2 else 3 end,
                   j.scheduled_for nulls last, j.number desc
          limit 300"#,
        org,
        filter.map(|s| s.code()),
        crew_member
    )
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(JobRow {
                id: r.id,
                number: r.number,
                status: status("jobs.status", &r.status)?,
                customer_name: r.customer_name,
                street: r.street,
                city: r.city,
                scheduled_for: r.scheduled_for,
                total: r.total,
            })
        })
        .collect()
}

pub struct NewPhoto<'a> {
    pub id: Uuid,
    pub job_id: Uuid,
    pub kind: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i32,
    pub thumb_bytes: i32,
    pub width: i32,
    pub height: i32,
    pub taken_at: Option<DateTime<Utc>>,
    pub location: Option<(f64, f64)>,
    pub by: Uuid,
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn add_photo(tx: &mut TenantTx, p: &NewPhoto<'_>) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "insert into photos (org_id, id, job_id, kind, content_type, size_bytes, thumb_bytes, width, height,
                             taken_at, lat, lon, uploaded_by)
         select $1, $2, j.id, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
           from jobs j where j.org_id = $1 and j.id = $3",
        org,
        p.id,
        p.job_id,
        p.kind,
        p.content_type,
        p.size_bytes,
        p.thumb_bytes,
        p.width,
        p.height,
        p.taken_at as _,
        p.location.map(|l| l.0),
        p.location.map(|l| l.1),
        p.by
    )
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// How many photos a job has.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn photo_count(tx: &mut TenantTx, job_id: Uuid) -> Result<i64, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select count(*) as "n!" from photos where org_id = $1 and job_id = $2"#,
        org,
        job_id
    )
    .fetch_one(tx.conn())
    .await?)
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn photos(tx: &mut TenantTx, job_id: Uuid) -> Result<Vec<PhotoInfo>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select p.id, p.kind, p.width, p.height, p.size_bytes,
                  p.taken_at as "taken_at: DateTime<Utc>", p.lat, p.lon,
                  u.name as "uploaded_by?", p.created_at as "created_at: DateTime<Utc>"
             from photos p left join users u on u.org_id = p.org_id and u.id = p.uploaded_by
            where p.org_id = $1 and p.job_id = $2 order by p.created_at, p.id"#,
        org,
        job_id
    )
    .fetch_all(tx.conn())
    .await?;
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
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
/// A photo's content type and the job it belongs to.
pub async fn photo_type(tx: &mut TenantTx, id: Uuid) -> Result<Option<(String, Uuid)>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query!(
        "select content_type, job_id from photos where org_id = $1 and id = $2",
        org,
        id
    )
    .fetch_optional(tx.conn())
    .await?
    .map(|r| (r.content_type, r.job_id)))
}

/// Records that the action `op` (an id its sender chose) was applied to
/// `job`; false when it had been already, and then nothing is applied again.
/// In the action's own transaction: a rolled-back action leaves no claim.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %op))]
pub async fn claim_op(
    tx: &mut TenantTx,
    op: Uuid,
    user: Uuid,
    kind: &str,
    job: Uuid,
) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "insert into client_ops (org_id, op_id, user_id, kind, job_id) values ($1, $2, $3, $4, $5)
         on conflict (org_id, op_id) do nothing",
        org,
        op,
        user,
        kind,
        job
    )
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Whether the action `op` was applied already.
pub async fn op_applied(tx: &mut TenantTx, op: Uuid) -> Result<bool, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select exists(select 1 from client_ops where org_id = $1 and op_id = $2) as "x!""#,
        org,
        op
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Ticks or unticks one checklist item; the list keeps the trade's order
/// of keys as given by the caller.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %job))]
pub async fn set_checklist(tx: &mut TenantTx, job: Uuid, done: &[String]) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "update jobs set checklist_done = $3, updated_at = now() where org_id = $1 and id = $2",
        org,
        job,
        done
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The checklist items ticked on a job, locking the job's row.
pub async fn checklist_for_update(
    tx: &mut TenantTx,
    job: Uuid,
) -> Result<Option<(JobStatus, crate::model::job::JobKind, Vec<String>)>, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "select status, kind, checklist_done from jobs where org_id = $1 and id = $2 for update",
        org,
        job
    )
    .fetch_optional(tx.conn())
    .await?;
    r.map(|r| {
        Ok((
            status("jobs.status", &r.status)?,
            kind(&r.kind)?,
            r.checklist_done,
        ))
    })
    .transpose()
}
