//! Outgoing email: queued in the action's transaction and, until delivery
//! exists, written to the log so a developer can follow the link.

use uuid::Uuid;

use crate::error::AppError;
use crate::server::db::internal;
use crate::server::TenantTx;

pub async fn queue(tx: &mut TenantTx, to: &str, subject: &str, body: &str) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query(
        "insert into outbox (org_id, id, to_email, subject, body) values ($1, $2, $3, $4, $5)",
    )
    .bind(org)
    .bind(Uuid::new_v4())
    .bind(to)
    .bind(subject)
    .bind(body)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    tracing::info!(org_id = %org, to, subject, "email queued:\n{body}");
    Ok(())
}
