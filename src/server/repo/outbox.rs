//! Outgoing email, queued in the action's transaction. The delivery worker
//! (`server::mail`) sends it; nothing here logs a body (they carry links
//! with single-use tokens).

use uuid::Uuid;

use crate::error::AppError;
use crate::model::Delivery;
use crate::server::emails::{Email, Kind};
use crate::server::TenantTx;

/// Queues `email` to `to`; `about` is the invitation, quote or job it
/// concerns (its delivery then shows there).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), kind = email.kind.code()))]
pub async fn queue(
    tx: &mut TenantTx,
    to: &str,
    email: &Email,
    about: Option<Uuid>,
) -> Result<Uuid, AppError> {
    queue_after(tx, to, email, about, 0).await
}

/// [`queue`], held back `delay_seconds` (a notice that a newer one may
/// still replace).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), kind = email.kind.code()))]
pub async fn queue_after(
    tx: &mut TenantTx,
    to: &str,
    email: &Email,
    about: Option<Uuid>,
    delay_seconds: i32,
) -> Result<Uuid, AppError> {
    let org = tx.org_id();
    let id = Uuid::new_v4();
    let voice = if email.kind.platform_voice() {
        "platform"
    } else {
        "tenant"
    };
    sqlx::query!(
        "insert into outbox (org_id, id, to_email, subject, body, kind, about_id, voice, next_attempt_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9))",
        org,
        id,
        to,
        email.subject,
        email.body,
        email.kind.code(),
        about,
        voice,
        f64::from(delay_seconds)
    )
    .execute(tx.conn())
    .await?;
    tracing::info!(%id, subject = %email.subject, "email queued");
    Ok(id)
}

/// Withdraws the messages of `kinds` about `about` that have not gone out
/// yet (a newer notice replaces them). Returns how many.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %about))]
pub async fn supersede(tx: &mut TenantTx, kinds: &[Kind], about: Uuid) -> Result<u64, AppError> {
    let codes: Vec<String> = kinds.iter().map(|k| k.code().to_string()).collect();
    let r = sqlx::query!(
        "update outbox set status = 'superseded'
          where about_id = $1 and kind = any($2) and status = 'queued' and attempts = 0",
        about,
        &codes
    )
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected())
}

/// Whether a message of `kinds` about `about` was delivered before.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %about))]
pub async fn delivered_before(
    tx: &mut TenantTx,
    kinds: &[Kind],
    about: Uuid,
) -> Result<bool, AppError> {
    let codes: Vec<String> = kinds.iter().map(|k| k.code().to_string()).collect();
    Ok(sqlx::query_scalar!(
        r#"select exists (select 1 from outbox where about_id = $1 and kind = any($2)
                            and status = 'sent') as "sent!""#,
        about,
        &codes
    )
    .fetch_one(tx.conn())
    .await?)
}

/// The newest message of `kind` about each of `abouts`, as its delivery.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn deliveries(
    tx: &mut TenantTx,
    kind: Kind,
    abouts: &[Uuid],
) -> Result<Vec<(Uuid, Delivery)>, AppError> {
    let rows = sqlx::query!(
        r#"select distinct on (about_id) about_id as "about_id!", to_email, status, attempts, last_error
             from outbox where about_id = any($1) and kind = $2 and status <> 'superseded'
            order by about_id, created_at desc"#,
        abouts,
        kind.code()
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.about_id,
                Delivery::from_row(r.to_email, &r.status, r.attempts, r.last_error),
            )
        })
        .collect())
}
