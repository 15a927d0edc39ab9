//! Custom email templates (Enterprise, with white-labelling): owners and
//! admins word the homeowner-facing messages; every message of those kinds
//! then uses the wording while the plan includes it.

use super::{billing, repo, RequestCtx, TenantTx};
use crate::error::AppError;
use crate::model::billing::Feature;
use crate::model::templates::{TemplateEntry, TemplateForm, TemplateKind};
use crate::model::Role;

/// The wording a message of `kind` uses: the tenant's own while its plan
/// includes custom templates, else none (the default).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), kind = kind.code()))]
pub async fn custom(
    tx: &mut TenantTx,
    kind: TemplateKind,
) -> Result<Option<TemplateForm>, AppError> {
    if billing::require(tx, Feature::WhiteLabel).await.is_err() {
        return Ok(None);
    }
    repo::templates::get(tx, kind).await
}

/// Every template as the settings page shows it (default or custom), and
/// whether the plan lets them be changed.
#[tracing::instrument(skip_all)]
pub async fn list(cx: &RequestCtx) -> Result<(Vec<TemplateEntry>, bool), AppError> {
    cx.member_who(Role::manages_settings, "change email templates")?;
    let mut tx = cx.tx().await?;
    let allowed = billing::require(&mut tx, Feature::WhiteLabel).await.is_ok();
    let saved = repo::templates::list(&mut tx).await?;
    tx.commit().await?;
    Ok((
        TemplateKind::ALL
            .into_iter()
            .map(|kind| match saved.iter().find(|(k, _)| *k == kind) {
                Some((_, f)) => TemplateEntry {
                    kind,
                    subject: f.subject.clone(),
                    body: f.body.clone(),
                    custom: true,
                },
                None => TemplateEntry {
                    kind,
                    subject: kind.default_subject().into(),
                    body: kind.default_body().into(),
                    custom: false,
                },
            })
            .collect(),
        allowed,
    ))
}

fn kind_of(code: &str) -> Result<TemplateKind, AppError> {
    TemplateKind::parse(code).ok_or(AppError::NotFound)
}

#[tracing::instrument(skip_all, fields(kind = %kind))]
pub async fn save(cx: &RequestCtx, kind: &str, form: TemplateForm) -> Result<String, AppError> {
    let me = cx.member_who(Role::manages_settings, "change email templates")?;
    let kind = kind_of(kind)?;
    let valid = form.validate(kind).map_err(AppError::Validation)?;
    let mut tx = cx.tx().await?;
    billing::require(&mut tx, Feature::WhiteLabel).await?;
    repo::templates::save(&mut tx, kind, &valid, me.id).await?;
    repo::audit::record(
        &mut tx,
        Some(me.id),
        "email_template.saved",
        None,
        serde_json::json!({ "kind": kind.code() }),
    )
    .await?;
    tx.commit().await?;
    Ok(format!("Saved: “{}” now uses your wording.", kind.label()))
}

#[tracing::instrument(skip_all, fields(kind = %kind))]
pub async fn reset(cx: &RequestCtx, kind: &str) -> Result<String, AppError> {
    let me = cx.member_who(Role::manages_settings, "change email templates")?;
    let kind = kind_of(kind)?;
    let mut tx = cx.tx().await?;
    repo::templates::reset(&mut tx, kind).await?;
    repo::audit::record(
        &mut tx,
        Some(me.id),
        "email_template.reset",
        None,
        serde_json::json!({ "kind": kind.code() }),
    )
    .await?;
    tx.commit().await?;
    Ok(format!(
        "“{}” is back to the default wording.",
        kind.label()
    ))
}
