//! The audit trail (hash-partitioned `audit_events`).

use uuid::Uuid;

use crate::error::AppError;
use crate::server::TenantTx;

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), action = %action))]
pub async fn record(
    tx: &mut TenantTx,
    actor: Option<Uuid>,
    action: &str,
    subject: Option<Uuid>,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "insert into audit_events (org_id, id, actor_id, action, subject_id, detail)
         values ($1, $2, $3, $4, $5, $6)",
        org,
        Uuid::new_v4(),
        actor,
        action,
        subject,
        detail
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
