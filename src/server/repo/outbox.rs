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

/// The newest message to an address (tests and the development log).
pub async fn latest_to(tx: &mut TenantTx, to: &str) -> Result<Option<(String, String)>, AppError> {
    let org = tx.org_id();
    sqlx::query_as(
        "select subject, body from outbox where org_id = $1 and to_email = $2
          order by created_at desc limit 1",
    )
    .bind(org)
    .bind(to)
    .fetch_optional(tx.conn())
    .await
    .map_err(internal)
}
