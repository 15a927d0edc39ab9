//! A tenant's billing state, its Stripe events and invoices. The state is
//! written only through `platform.set_billing` (the app role may not
//! update plan, limits or status itself).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::billing::{Addons, InvoiceRow, Usage};
use crate::model::{OrgStatus, PlanCode};
use crate::server::TenantTx;

/// The organization's billing columns.
#[derive(Debug, Clone)]
pub struct BillingRow {
    pub company_name: String,
    pub subdomain: String,
    pub support_email: Option<String>,
    pub plan: PlanCode,
    pub status: OrgStatus,
    pub addons: Addons,
    pub comped: bool,
    pub trial_ends_at: DateTime<Utc>,
    pub past_due_since: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    pub current_period_end: Option<DateTime<Utc>>,
    pub next_amount_cents: Option<i64>,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    pub card_payment_method: Option<String>,
    pub stripe_customer_id: Option<String>,
    pub stripe_subscription_id: Option<String>,
    pub billing_synced_at: Option<DateTime<Utc>>,
}

/// The row, locked for the transaction when `lock` (every change of
/// billing state reads it so: events for one tenant apply one at a time).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn row(tx: &mut TenantTx, lock: bool) -> Result<BillingRow, AppError> {
    let org = tx.org_id();
    // Two statements rather than a dynamic one, so both are checked.
    let r = if lock {
        sqlx::query_as!(
            Raw,
            r#"select company_name, subdomain, support_email, plan, status, addons, comped,
                      trial_ends_at as "trial_ends_at: DateTime<Utc>",
                      past_due_since as "past_due_since: DateTime<Utc>",
                      cancel_at_period_end,
                      current_period_end as "current_period_end: DateTime<Utc>",
                      next_amount_cents, card_brand, card_last4, card_payment_method,
                      stripe_customer_id, stripe_subscription_id,
                      billing_synced_at as "billing_synced_at: DateTime<Utc>"
                 from organizations where id = $1 for no key update"#,
            org
        )
        .fetch_one(tx.conn())
        .await?
    } else {
        sqlx::query_as!(
            Raw,
            r#"select company_name, subdomain, support_email, plan, status, addons, comped,
                      trial_ends_at as "trial_ends_at: DateTime<Utc>",
                      past_due_since as "past_due_since: DateTime<Utc>",
                      cancel_at_period_end,
                      current_period_end as "current_period_end: DateTime<Utc>",
                      next_amount_cents, card_brand, card_last4, card_payment_method,
                      stripe_customer_id, stripe_subscription_id,
                      billing_synced_at as "billing_synced_at: DateTime<Utc>"
                 from organizations where id = $1"#,
            org
        )
        .fetch_one(tx.conn())
        .await?
    };
    Ok(BillingRow {
        company_name: r.company_name,
        subdomain: r.subdomain,
        support_email: r.support_email,
        plan: super::orgs::plan(&r.plan)?,
        status: super::orgs::status(&r.status)?,
        addons: serde_json::from_value(r.addons).unwrap_or_default(),
        comped: r.comped,
        trial_ends_at: r.trial_ends_at,
        past_due_since: r.past_due_since,
        cancel_at_period_end: r.cancel_at_period_end,
        current_period_end: r.current_period_end,
        next_amount_cents: r.next_amount_cents,
        card_brand: r.card_brand,
        card_last4: r.card_last4,
        card_payment_method: r.card_payment_method,
        stripe_customer_id: r.stripe_customer_id,
        stripe_subscription_id: r.stripe_subscription_id,
        billing_synced_at: r.billing_synced_at,
    })
}

struct Raw {
    company_name: String,
    subdomain: String,
    support_email: Option<String>,
    plan: String,
    status: String,
    addons: serde_json::Value,
    comped: bool,
    trial_ends_at: DateTime<Utc>,
    past_due_since: Option<DateTime<Utc>>,
    cancel_at_period_end: bool,
    current_period_end: Option<DateTime<Utc>>,
    next_amount_cents: Option<i64>,
    card_brand: Option<String>,
    card_last4: Option<String>,
    card_payment_method: Option<String>,
    stripe_customer_id: Option<String>,
    stripe_subscription_id: Option<String>,
    billing_synced_at: Option<DateTime<Utc>>,
}

/// Writes the keys of `state` (see `platform.set_billing`).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn set(tx: &mut TenantTx, state: serde_json::Value) -> Result<(), AppError> {
    let org = tx.org_id();
    tx.identity_changed();
    sqlx::query!("select platform.set_billing($1, $2)", org, state)
        .fetch_one(tx.conn())
        .await?;
    Ok(())
}

/// Records a Stripe event; false when it was applied before (its effect
/// must not happen again). Concurrent deliveries of one event wait on the
/// key and then see it taken.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), event_id = %event_id))]
pub async fn record_event(
    tx: &mut TenantTx,
    event_id: &str,
    kind: &str,
    created: DateTime<Utc>,
    summary: &str,
) -> Result<bool, AppError> {
    let org = tx.org_id();
    let inserted = sqlx::query_scalar!(
        r#"insert into billing_events (org_id, event_id, type, stripe_created, summary)
           values ($1, $2, $3, $4, $5)
           on conflict (event_id) do nothing
           returning 1 as "one!""#,
        org,
        event_id,
        kind,
        created as _,
        summary
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(inserted.is_some())
}

/// Changes the summary of an event recorded in this transaction.
pub async fn describe_event(
    tx: &mut TenantTx,
    event_id: &str,
    summary: &str,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "update billing_events set summary = left($3, 500) where org_id = $1 and event_id = $2",
        org,
        event_id,
        summary
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// An invoice as Stripe reported it.
pub struct NewInvoice<'a> {
    pub stripe_id: &'a str,
    pub number: Option<&'a str>,
    pub status: &'a str,
    pub amount_due_cents: i64,
    pub amount_paid_cents: i64,
    pub currency: &'a str,
    pub hosted_url: Option<&'a str>,
    pub pdf_url: Option<&'a str>,
    pub payment_failed: bool,
    pub period_start: Option<DateTime<Utc>>,
    pub period_end: Option<DateTime<Utc>>,
    pub created: DateTime<Utc>,
}

/// Stores an invoice; a paid, void or uncollectible one never goes back to
/// open. Returns (the stored status, whether a failure was recorded on it
/// before this call).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), invoice = %i.stripe_id))]
pub async fn upsert_invoice(
    tx: &mut TenantTx,
    i: &NewInvoice<'_>,
) -> Result<(String, bool), AppError> {
    let org = tx.org_id();
    let before = sqlx::query_scalar!(
        "select payment_failed from invoices where org_id = $1 and stripe_id = $2 for update",
        org,
        i.stripe_id
    )
    .fetch_optional(tx.conn())
    .await?;
    let status = sqlx::query_scalar!(
        r#"insert into invoices (org_id, stripe_id, number, status, amount_due_cents, amount_paid_cents,
                                 currency, hosted_url, pdf_url, payment_failed, period_start, period_end,
                                 stripe_created)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
           on conflict (stripe_id) do update set
             status = case when invoices.status in ('paid', 'void', 'uncollectible')
                           then invoices.status else excluded.status end,
             amount_paid_cents = greatest(invoices.amount_paid_cents, excluded.amount_paid_cents),
             amount_due_cents = excluded.amount_due_cents,
             number = coalesce(excluded.number, invoices.number),
             hosted_url = coalesce(excluded.hosted_url, invoices.hosted_url),
             pdf_url = coalesce(excluded.pdf_url, invoices.pdf_url),
             payment_failed = invoices.payment_failed or excluded.payment_failed,
             updated_at = now()
           where invoices.org_id = $1
           returning status"#,
        org,
        i.stripe_id,
        i.number,
        i.status,
        i.amount_due_cents,
        i.amount_paid_cents,
        i.currency,
        i.hosted_url,
        i.pdf_url,
        i.payment_failed,
        i.period_start as _,
        i.period_end as _,
        i.created as _
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(|| crate::server::db::internal_msg("invoice belongs to another tenant"))?;
    Ok((status, before.unwrap_or(false)))
}

/// Open invoices whose payment failed.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn failed_open(tx: &mut TenantTx) -> Result<i64, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select count(*) as "n!" from invoices where org_id = $1 and status = 'open' and payment_failed"#,
        org
    )
    .fetch_one(tx.conn())
    .await?)
}

/// The newest invoices first.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn invoices(tx: &mut TenantTx, limit: i64) -> Result<Vec<InvoiceRow>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select number, status, amount_due_cents, hosted_url, pdf_url, payment_failed,
                  stripe_created as "created: DateTime<Utc>"
             from invoices where org_id = $1 order by stripe_created desc, stripe_id limit $2"#,
        org,
        limit
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| InvoiceRow {
            number: r.number,
            status: r.status,
            amount_cents: r.amount_due_cents,
            created: r.created,
            hosted_url: r.hosted_url,
            pdf_url: r.pdf_url,
            payment_failed: r.payment_failed,
        })
        .collect())
}

/// The tenant's billing events, newest first: (type, when, summary).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn events(
    tx: &mut TenantTx,
    limit: i64,
) -> Result<Vec<(String, DateTime<Utc>, String)>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query!(
        r#"select type, received_at as "at: DateTime<Utc>", summary from billing_events
            where org_id = $1 order by received_at desc, event_id limit $2"#,
        org,
        limit
    )
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(|r| (r.r#type, r.at, r.summary))
    .collect())
}

/// What is in use that a smaller subscription might not allow.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn usage(tx: &mut TenantTx) -> Result<Usage, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select (select count(*) from users u where u.org_id = o.id)
                + (select count(*) from invitations i where i.org_id = o.id
                     and i.accepted_at is null and i.expires_at > now()) as "seats!",
                  (select count(*) from jobs j where j.org_id = o.id and j.kind = 'install'
                      and j.created_at >= date_trunc('month', now())) as "jobs!",
                  coalesce((select s.bytes from storage_usage s where s.org_id = o.id), 0) as "storage!",
                  (select count(*) from quotes q where q.org_id = o.id
                      and q.status = 'pending_approval') as "awaiting!",
                  o.custom_domain
             from organizations o where o.id = $1"#,
        org
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(Usage {
        seats_used: r.seats as u32,
        jobs_this_month: r.jobs as u32,
        storage_used_bytes: r.storage,
        quotes_awaiting_manager: r.awaiting as u32,
        custom_domain: r.custom_domain,
    })
}

/// Owners and admins: who billing emails go to.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn managers(tx: &mut TenantTx) -> Result<Vec<(Uuid, String)>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query!(
        "select id, email from users where org_id = $1 and role in ('owner', 'admin') order by role desc, email",
        org
    )
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(|r| (r.id, r.email))
    .collect())
}

/// Billing changes people made (owners, platform administrators), newest
/// first: (action, when, detail).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn admin_actions(
    tx: &mut TenantTx,
    limit: i64,
) -> Result<Vec<(String, DateTime<Utc>, String)>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query!(
        r#"select action, at as "at: DateTime<Utc>", detail::text as "detail!" from audit_events
            where org_id = $1 and action like 'billing.%' order by at desc limit $2"#,
        org,
        limit
    )
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(|r| (r.action, r.at, r.detail))
    .collect())
}
