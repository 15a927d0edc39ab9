//! A business's own wording of its homeowner-facing emails.

use uuid::Uuid;

use crate::error::AppError;
use crate::model::templates::{TemplateForm, TemplateKind};
use crate::server::TenantTx;

/// Every custom template of this tenant.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn list(tx: &mut TenantTx) -> Result<Vec<(TemplateKind, TemplateForm)>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        "select kind, subject, body from email_templates where org_id = $1",
        org
    )
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter()
        .map(|r| {
            let kind = TemplateKind::parse(&r.kind)
                .ok_or_else(|| super::corrupt("email_templates.kind", &r.kind))?;
            Ok((
                kind,
                TemplateForm {
                    subject: r.subject,
                    body: r.body,
                },
            ))
        })
        .collect()
}

/// The custom wording of `kind`, if any.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), kind = kind.code()))]
pub async fn get(tx: &mut TenantTx, kind: TemplateKind) -> Result<Option<TemplateForm>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query!(
        "select subject, body from email_templates where org_id = $1 and kind = $2",
        org,
        kind.code()
    )
    .fetch_optional(tx.conn())
    .await?
    .map(|r| TemplateForm {
        subject: r.subject,
        body: r.body,
    }))
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), kind = kind.code()))]
pub async fn save(
    tx: &mut TenantTx,
    kind: TemplateKind,
    form: &TemplateForm,
    by: Uuid,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "insert into email_templates (org_id, kind, subject, body, updated_by) values ($1, $2, $3, $4, $5)
         on conflict (org_id, kind) do update
           set subject = excluded.subject, body = excluded.body, updated_by = excluded.updated_by,
               updated_at = now()",
        org,
        kind.code(),
        form.subject,
        form.body,
        by
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Back to the default wording; `false` when there was no custom one.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), kind = kind.code()))]
pub async fn reset(tx: &mut TenantTx, kind: TemplateKind) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "delete from email_templates where org_id = $1 and kind = $2",
        org,
        kind.code()
    )
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}
