//! What the homeowner notices (booking, reminder) are written from, and
//! the reminder switch the homeowner holds.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::error::AppError;
use crate::server::TenantTx;

/// A job as its homeowner notices describe it.
#[derive(Debug, Clone)]
pub struct JobNotice {
    pub number: i32,
    pub status: String,
    pub day: Option<NaiveDate>,
    pub starts_at: Option<DateTime<Utc>>,
    pub window: String,
    pub reminder_sent_for: Option<NaiveDate>,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub email: Option<String>,
    pub reminders: bool,
    pub reminder_token: Uuid,
    pub company_name: String,
    pub phone: Option<String>,
    pub support_email: Option<String>,
    pub subdomain: String,
    /// The verified custom domain, for links.
    pub custom_domain: Option<String>,
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %job))]
pub async fn job(tx: &mut TenantTx, job: Uuid) -> Result<Option<JobNotice>, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select j.number, j.status, j.scheduled_for as "scheduled_for: NaiveDate",
                  j.starts_at as "starts_at: DateTime<Utc>",
                  j.time_window, j.reminder_sent_for as "reminder_sent_for: NaiveDate", j.customer_id, c.name, c.email, c.reminders, c.reminder_token,
                  o.company_name, o.phone, o.support_email, o.subdomain,
                  case when o.custom_domain_verified then o.custom_domain end as custom_domain
             from jobs j
             join customers c on c.org_id = j.org_id and c.id = j.customer_id
             join organizations o on o.id = j.org_id
            where j.org_id = $1 and j.id = $2"#,
        org,
        job
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(r.map(|r| JobNotice {
        number: r.number,
        status: r.status,
        day: r.scheduled_for,
        starts_at: r.starts_at,
        window: r.time_window,
        reminder_sent_for: r.reminder_sent_for,
        customer_id: r.customer_id,
        customer_name: r.name,
        email: r.email,
        reminders: r.reminders,
        reminder_token: r.reminder_token,
        company_name: r.company_name,
        phone: r.phone,
        support_email: r.support_email,
        subdomain: r.subdomain,
        custom_domain: r.custom_domain,
    }))
}

/// Locks the job and records that its reminder for `day` went out;
/// `false` when it already had (another worker got there first).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %job))]
pub async fn mark_reminded(tx: &mut TenantTx, job: Uuid, day: NaiveDate) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "update jobs set reminder_sent_for = $3
          where org_id = $1 and id = $2 and reminder_sent_for is distinct from $3",
        org,
        job,
        day as _
    )
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The customer a reminder link names: (id, name, reminders on).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn by_reminder_token(
    tx: &mut TenantTx,
    token: Uuid,
) -> Result<Option<(Uuid, String, bool)>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query!(
        "select id, name, reminders from customers where org_id = $1 and reminder_token = $2 and archived_at is null",
        org,
        token
    )
    .fetch_optional(tx.conn())
    .await?
    .map(|r| (r.id, r.name, r.reminders)))
}

/// Turns reminders on or off through the homeowner's link: the customer,
/// or `None` when the link names nobody here.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn set_reminders_by_token(
    tx: &mut TenantTx,
    token: Uuid,
    on: bool,
) -> Result<Option<Uuid>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        "update customers set reminders = $3, updated_at = now()
          where org_id = $1 and reminder_token = $2 and archived_at is null returning id",
        org,
        token,
        on
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// Who hears that a homeowner answered a quote: the member who sent it,
/// else the owners and admins.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %quote))]
pub async fn quote_office(tx: &mut TenantTx, quote: Uuid) -> Result<Vec<String>, AppError> {
    let org = tx.org_id();
    let sender = sqlx::query_scalar!(
        "select u.email from audit_events a join users u on u.org_id = a.org_id and u.id = a.actor_id
          where a.org_id = $1 and a.subject_id = $2 and a.action = 'quote.sent'
          order by a.at desc limit 1",
        org,
        quote
    )
    .fetch_optional(tx.conn())
    .await?;
    if let Some(s) = sender {
        return Ok(vec![s]);
    }
    super::orgs::owner_emails(tx).await
}
