//! Outgoing email, queued in the action's transaction. The delivery worker
//! (`server::mail`) sends it; nothing here logs a body (they carry links
//! with single-use tokens).

use uuid::Uuid;

use crate::error::AppError;
use crate::server::emails::Email;
use crate::server::TenantTx;

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn queue(tx: &mut TenantTx, to: &str, email: &Email) -> Result<(), AppError> {
    let org = tx.org_id();
    let id = Uuid::new_v4();
    sqlx::query!(
        "insert into outbox (org_id, id, to_email, subject, body) values ($1, $2, $3, $4, $5)",
        org,
        id,
        to,
        email.subject,
        email.body
    )
    .execute(tx.conn())
    .await?;
    tracing::info!(%id, subject = %email.subject, "email queued");
    Ok(())
}
