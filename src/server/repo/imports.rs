//! The legacy import's rows (issue 13): the import itself (a row of
//! `exports` of kind 'import', planned, queued, run, reported), the old ids
//! it mapped (`legacy_ids`), and the inserts of what it creates, with the
//! old system's own dates. All on the tenant path.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::error::AppError;
use crate::server::TenantTx;

/// A dry run kept for the owner to confirm: the upload's name, who sent
/// it, its plan's counts and the lines to look at. Earlier unconfirmed dry
/// runs are dropped (their ids are returned, to delete their files).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn create_planned(
    tx: &mut TenantTx,
    by: Uuid,
    label: &str,
    counts: &serde_json::Value,
) -> Result<(Uuid, Vec<Uuid>), AppError> {
    let org = tx.org_id();
    let dropped = sqlx::query_scalar!(
        "delete from exports where org_id = $1 and kind = 'import' and status = 'planned' returning id",
        org
    )
    .fetch_all(tx.conn())
    .await?;
    let id = sqlx::query_scalar!(
        "insert into exports (org_id, kind, status, requested_by, source_label, counts)
         values ($1, 'import', 'planned', $2, left($3, 200), $4)
         returning id",
        org,
        by,
        label,
        counts
    )
    .fetch_one(tx.conn())
    .await?;
    Ok((id, dropped))
}

/// Platform path: dry runs nobody confirmed within a week.
#[tracing::instrument(skip_all)]
pub async fn stale_plans(pool: &sqlx::PgPool) -> Result<Vec<(Uuid, Uuid)>, AppError> {
    Ok(sqlx::query!(
        r#"select org_id as "org_id!", id as "id!" from platform.stale_import_plans()"#
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.org_id, r.id))
    .collect())
}

/// Queues a planned import; `Ok(false)` when there is no such dry run, or
/// another import is under way.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn queue(tx: &mut TenantTx, id: Uuid) -> Result<bool, AppError> {
    let org = tx.org_id();
    let busy = sqlx::query_scalar!(
        r#"select exists (select 1 from exports where org_id = $1 and kind = 'import'
                                and status in ('queued', 'running')) as "busy!""#,
        org
    )
    .fetch_one(tx.conn())
    .await?;
    if busy {
        return Ok(false);
    }
    let r = sqlx::query!(
        "update exports set status = 'queued'
          where org_id = $1 and id = $2 and kind = 'import' and status = 'planned'",
        org,
        id
    )
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Drops a dry run the owner does not want; `false` when there is none.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn discard(tx: &mut TenantTx, id: Uuid) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "delete from exports where org_id = $1 and id = $2 and kind = 'import' and status = 'planned'",
        org,
        id
    )
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// An import's upload name and requester; `None` when there is no such
/// import in this tenant.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn source(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<(String, Option<Uuid>)>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query!(
        "select source_label, requested_by from exports
          where org_id = $1 and id = $2 and kind = 'import'",
        org,
        id
    )
    .fetch_optional(tx.conn())
    .await?
    .map(|r| (r.source_label.unwrap_or_default(), r.requested_by)))
}

/// Whether `id` is one of this tenant's imports (for its plan's download).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn exists(tx: &mut TenantTx, id: Uuid) -> Result<bool, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select exists (select 1 from exports where org_id = $1 and id = $2 and kind = 'import') as "e!""#,
        org,
        id
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Marks an import done with its verification report; `false` when it is
/// no longer this worker's.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn finish(
    tx: &mut TenantTx,
    id: Uuid,
    report: &serde_json::Value,
) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "update exports
            set status = 'ready', done = total, report = $3, finished_at = now(),
                lease_until = null, error = null
          where org_id = $1 and id = $2 and kind = 'import' and status = 'running'",
        org,
        id,
        report
    )
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The owner of the workspace (who an operator's import is recorded as).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn owner(tx: &mut TenantTx) -> Result<Option<Uuid>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        "select id from users where org_id = $1 and role = 'owner'
          order by created_at limit 1",
        org
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// Every old id mapped so far, by (kind, old id).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn mapped(tx: &mut TenantTx) -> Result<HashMap<(String, String), Uuid>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query!(
        "select kind, old_id, new_id from legacy_ids
          where org_id = $1 and legacy_live(org_id, kind, new_id)",
        org
    )
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(|r| ((r.kind, r.old_id), r.new_id))
    .collect())
}

/// The workspace's current customers by lower-cased email, with names.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn customer_emails(
    tx: &mut TenantTx,
) -> Result<HashMap<String, (Uuid, String)>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query!(
        r#"select email as "email!", id, name from customers
            where org_id = $1 and email is not null and archived_at is null"#,
        org
    )
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(|r| (r.email, (r.id, r.name)))
    .collect())
}

/// Records what an old row became.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn map(
    tx: &mut TenantTx,
    import: Uuid,
    kind: &str,
    old_id: &str,
    new_id: Uuid,
    sha256: Option<&str>,
    amount: Option<Decimal>,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "insert into legacy_ids (org_id, kind, old_id, new_id, import_id, sha256, amount)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (org_id, kind, old_id) do update
            set new_id = excluded.new_id, import_id = excluded.import_id,
                sha256 = excluded.sha256, amount = excluded.amount, created_at = now()",
        org,
        kind,
        old_id,
        new_id,
        import,
        sha256,
        amount
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A customer as the old system had it.
pub struct NewCustomer<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub street: &'a str,
    pub city: &'a str,
    pub state: &'a str,
    pub zip: &'a str,
    pub notes: &'a str,
    pub created_at: DateTime<Utc>,
    pub archived: bool,
    pub by: Uuid,
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn insert_customer(tx: &mut TenantTx, c: &NewCustomer<'_>) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "insert into customers (org_id, id, name, email, phone, street, city, state, zip, notes,
                                archived_at, created_by, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                 case when $11 then now() end, $12, $13, $13)",
        org,
        c.id,
        c.name,
        c.email,
        c.phone,
        c.street,
        c.city,
        c.state,
        c.zip,
        c.notes,
        c.archived,
        c.by,
        c.created_at as _
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Adds a paragraph to a customer's notes (a merged entry's details).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn append_notes(tx: &mut TenantTx, id: Uuid, text: &str) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "update customers
            set notes = left(case when notes = '' then $3 else notes || E'\\n\\n' || $3 end, 10000)
          where org_id = $1 and id = $2",
        org,
        id,
        text
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A property as the old system had it.
pub struct NewProperty<'a> {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub label: &'a str,
    pub street: &'a str,
    pub city: &'a str,
    pub state: &'a str,
    pub zip: &'a str,
    pub lot_sqft: Option<i32>,
    pub notes: &'a str,
    pub drawing: serde_json::Value,
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn insert_property(tx: &mut TenantTx, p: &NewProperty<'_>) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "insert into properties (org_id, id, customer_id, label, street, city, state, zip, lot_sqft,
                                 notes, drawing)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        org,
        p.id,
        p.customer_id,
        p.label,
        p.street,
        p.city,
        p.state,
        p.zip,
        p.lot_sqft,
        p.notes,
        p.drawing
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A customer's first property, if they have one.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn first_property(tx: &mut TenantTx, customer: Uuid) -> Result<Option<Uuid>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        "select id from properties where org_id = $1 and customer_id = $2
          order by created_at, id limit 1",
        org,
        customer
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// A customer's address, to give a pet's home when the old system had no
/// property for them.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn customer_address(
    tx: &mut TenantTx,
    customer: Uuid,
) -> Result<(String, String, String, String), AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select street, city, state::text as "state!", zip from customers where org_id = $1 and id = $2"#,
        org,
        customer
    )
    .fetch_one(tx.conn())
    .await?;
    Ok((r.street, r.city, r.state, r.zip))
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
#[allow(clippy::too_many_arguments)]
pub async fn insert_pet(
    tx: &mut TenantTx,
    id: Uuid,
    property: Uuid,
    name: &str,
    breed: &str,
    weight_lb: Option<Decimal>,
    collar: &str,
    battery: Option<NaiveDate>,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "insert into pets (org_id, id, property_id, name, breed, weight_lb, collar_model, battery_installed)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
        org,
        id,
        property,
        name,
        breed,
        weight_lb,
        collar,
        battery as _
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A quote with its one version, the status it had and when; its number
/// is the workspace's next.
pub struct NewQuote<'a> {
    pub id: Uuid,
    pub property_id: Uuid,
    pub customer_id: Uuid,
    pub status: &'a str,
    pub total: Decimal,
    pub created_at: DateTime<Utc>,
    pub by: Uuid,
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn insert_quote(
    tx: &mut TenantTx,
    q: &NewQuote<'_>,
    v: &super::quotes::Version,
) -> Result<i32, AppError> {
    super::quotes::lock_numbering(tx, "quotes").await?;
    let org = tx.org_id();
    let decided = matches!(q.status, "approved" | "declined");
    let number = sqlx::query_scalar!(
        "insert into quotes (org_id, id, number, property_id, customer_id, status, total, created_by,
                             created_at, updated_at, decided_at)
         values ($1, $2, (select coalesce(max(number), 0) + 1 from quotes where org_id = $1),
                 $3, $4, $5, $6, $7, $8::timestamptz, $8::timestamptz, case when $9 then $8::timestamptz end)
         returning number",
        org,
        q.id,
        q.property_id,
        q.customer_id,
        q.status,
        q.total,
        q.by,
        q.created_at as _,
        decided
    )
    .fetch_one(tx.conn())
    .await?;
    super::quotes::insert_version(tx, q.id, 1, q.by, v).await?;
    Ok(number)
}

/// A job of an imported quote, in its old status.
pub struct NewJob<'a> {
    pub id: Uuid,
    pub quote_id: Uuid,
    pub property_id: Uuid,
    pub customer_id: Uuid,
    pub status: &'a str,
    pub scheduled_for: Option<NaiveDate>,
    pub total: Decimal,
    pub invoiced: Option<Decimal>,
    pub created_at: DateTime<Utc>,
    pub by: Uuid,
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn insert_job(tx: &mut TenantTx, j: &NewJob<'_>) -> Result<i32, AppError> {
    super::quotes::lock_numbering(tx, "jobs").await?;
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        "insert into jobs (org_id, id, number, quote_id, property_id, customer_id, status,
                           scheduled_for, total, invoiced_amount, created_by, created_at, updated_at)
         values ($1, $2, (select coalesce(max(number), 0) + 1 from jobs where org_id = $1),
                 $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
         returning number",
        org,
        j.id,
        j.quote_id,
        j.property_id,
        j.customer_id,
        j.status,
        j.scheduled_for as _,
        j.total,
        j.invoiced,
        j.by,
        j.created_at as _
    )
    .fetch_one(tx.conn())
    .await?)
}

/// A line of a job's history at the old system's time.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn job_event(
    tx: &mut TenantTx,
    job: Uuid,
    by: Uuid,
    from: Option<&str>,
    to: &str,
    note: &str,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "insert into job_events (org_id, id, job_id, from_status, to_status, note, at, by_user)
         values ($1, $2, $3, $4, $5, left($6, 2000), $7, $8)",
        org,
        Uuid::new_v4(),
        job,
        from,
        to,
        note,
        at as _,
        by
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A job's status (for a payment's history line).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn job_status(tx: &mut TenantTx, job: Uuid) -> Result<Option<String>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        "select status from jobs where org_id = $1 and id = $2",
        org,
        job
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// Adds a payment to what a job has been paid.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn add_payment(tx: &mut TenantTx, job: Uuid, amount: Decimal) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "update jobs set paid_amount = coalesce(paid_amount, 0) + $3 where org_id = $1 and id = $2",
        org,
        job,
        amount
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The old settings the workspace lacks: phone, support email, home
/// state; and the old markup, tax rate and labour rate.
pub struct OldSettings<'a> {
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub state: Option<&'a str>,
    pub markup: Option<Decimal>,
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn apply_settings(tx: &mut TenantTx, s: &OldSettings<'_>) -> Result<(), AppError> {
    let org = tx.org_id();
    tx.identity_changed();
    sqlx::query!(
        "update organizations
            set phone = coalesce(phone, $2), support_email = coalesce(support_email, $3),
                home_state = coalesce(home_state, $4), custom_markup = coalesce($5, custom_markup)
          where id = $1",
        org,
        s.phone,
        s.email,
        s.state,
        s.markup
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Whether the workspace has a logo yet, and its home state.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn logo_and_state(tx: &mut TenantTx) -> Result<(bool, Option<String>), AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select logo_version > 0 as "logo!", home_state::text as home_state from organizations where id = $1"#,
        org
    )
    .fetch_one(tx.conn())
    .await?;
    Ok((r.logo, r.home_state))
}

/// For the verification report: how many old ids of each kind are mapped.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn mapped_counts(tx: &mut TenantTx) -> Result<HashMap<String, i64>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query!(
        r#"select kind, count(*) as "n!" from legacy_ids
            where org_id = $1 and legacy_live(org_id, kind, new_id) group by kind"#,
        org
    )
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(|r| (r.kind, r.n))
    .collect())
}

/// The sum of the quotes' totals here for the mapped old quotes, and the
/// sum of what the mapped payments recorded.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn sums(tx: &mut TenantTx) -> Result<(Decimal, Decimal), AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select
             (select coalesce(sum(q.total), 0) from legacy_ids l
                join quotes q on q.org_id = l.org_id and q.id = l.new_id
               where l.org_id = $1 and l.kind = 'quotes') as "quotes!",
             (select coalesce(sum(l.amount), 0) from legacy_ids l
                join jobs j on j.org_id = l.org_id and j.id = l.new_id
               where l.org_id = $1 and l.kind = 'payments') as "payments!""#,
        org
    )
    .fetch_one(tx.conn())
    .await?;
    Ok((r.quotes, r.payments))
}

/// The imported photos: old id, photo id and the old file's SHA-256.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn photos(tx: &mut TenantTx) -> Result<Vec<(String, Uuid, Option<String>)>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query!(
        "select l.old_id, l.new_id, l.sha256 from legacy_ids l
           join photos p on p.org_id = l.org_id and p.id = l.new_id
          where l.org_id = $1 and l.kind = 'photos'
          order by l.old_id",
        org
    )
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(|r| (r.old_id, r.new_id, r.sha256))
    .collect())
}

/// Starts an operator's import at once (it runs in the foreground).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn run_now(tx: &mut TenantTx, id: Uuid, lease_seconds: i32) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "update exports set status = 'running', started_at = now(), attempts = 1,
                lease_until = now() + make_interval(secs => $3)
          where org_id = $1 and id = $2 and kind = 'import' and status = 'planned'",
        org,
        id,
        lease_seconds as f64
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The dry runs kept with these imports.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn plan_counts(
    tx: &mut TenantTx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, serde_json::Value>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query!(
        r#"select id, counts as "counts!" from exports
            where org_id = $1 and id = any($2) and counts is not null"#,
        org,
        ids
    )
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(|r| (r.id, r.counts))
    .collect())
}

/// A quote's total (an imported job's price).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn quote_total(tx: &mut TenantTx, quote: Uuid) -> Result<Decimal, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        "select total from quotes where org_id = $1 and id = $2",
        org,
        quote
    )
    .fetch_one(tx.conn())
    .await?)
}
