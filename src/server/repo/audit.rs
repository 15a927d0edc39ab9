//! The audit trail (hash-partitioned `audit_events`).

use uuid::Uuid;

use crate::error::AppError;
use crate::server::db::internal;
use crate::server::TenantTx;

pub async fn record(
    tx: &mut TenantTx,
    actor: Option<Uuid>,
    action: &str,
    subject: Option<Uuid>,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query(
        "insert into audit_events (org_id, id, actor_id, action, subject_id, detail)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(org)
    .bind(Uuid::new_v4())
    .bind(actor)
    .bind(action)
    .bind(subject)
    .bind(detail)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    Ok(())
}
