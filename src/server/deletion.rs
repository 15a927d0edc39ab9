//! Deleting a workspace. The owner asks (typing the subdomain to confirm)
//! once any subscription has ended; the owners and admins are told by
//! email; the workspace keeps working, and the deletion can be called off,
//! for [`DELETION_GRACE_DAYS`]. Then a worker deletes the tenant's stored
//! objects and its rows (every tenant table cascades from the
//! organization) and logs the deletion in `platform.tenant_deletions`.

use chrono::{Duration, Utc};

use super::context::UserRef;
use super::{emails, platform, repo, AppState, RequestCtx};
use crate::error::AppError;
use crate::model::{time, Deletion, Role, DELETION_GRACE_DAYS};

fn only_owner(me: &UserRef) -> Result<(), AppError> {
    if me.role == Role::Owner {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Only an owner can delete the workspace.".into(),
        ))
    }
}

const BLOCKED: &str = "Your subscription is still running: cancel it under Plan and billing first. Once it has ended, the workspace can be deleted.";
const ADMIN_BLOCKED: &str = "Its subscription is still running: cancel it first (in Stripe, or ask the owner to). Once it has ended, the workspace can be deleted.";

/// Before a deletion is scheduled: the subdomain typed, none scheduled
/// yet, no running subscription (`blocked` says what to do about it).
fn may_schedule(
    confirm: &str,
    subdomain: &str,
    due: Option<chrono::DateTime<Utc>>,
    subscribed: bool,
    blocked: &str,
) -> Result<(), AppError> {
    if !confirm.trim().eq_ignore_ascii_case(subdomain) {
        return Err(AppError::field(
            "confirm",
            format!("Type {subdomain} to confirm."),
        ));
    }
    if due.is_some() {
        return Err(AppError::Conflict(
            "The workspace is already scheduled for deletion.".into(),
        ));
    }
    if subscribed {
        return Err(AppError::Conflict(blocked.into()));
    }
    Ok(())
}

/// Before a deletion is called off: one is scheduled and not started.
fn may_cancel(due: Option<chrono::DateTime<Utc>>) -> Result<(), AppError> {
    match due {
        None => Err(AppError::Conflict(
            "The workspace is not scheduled for deletion.".into(),
        )),
        Some(d) if d <= Utc::now() => Err(AppError::Conflict(
            "The deletion has already started.".into(),
        )),
        Some(_) => Ok(()),
    }
}

/// What the settings card shows.
#[tracing::instrument(skip_all)]
pub async fn status(cx: &RequestCtx, me: &UserRef) -> Result<Deletion, AppError> {
    only_owner(me)?;
    let mut tx = cx.tx().await?;
    let (subdomain, due, subscribed) = repo::orgs::deletion(&mut tx).await?;
    let zone = repo::orgs::time_zone(&mut tx).await?;
    tx.commit().await?;
    Ok(Deletion {
        subdomain,
        due: due.map(|d| super::context::reader_date_style().local_date(d, &zone)),
        blocked: (subscribed && due.is_none()).then(|| BLOCKED.to_string()),
    })
}

/// Schedules the deletion; `confirm` must be the workspace's subdomain.
#[tracing::instrument(skip_all)]
pub async fn request(cx: &RequestCtx, me: &UserRef, confirm: &str) -> Result<Deletion, AppError> {
    only_owner(me)?;
    let mut tx = cx.tx().await?;
    let (subdomain, due, subscribed) = repo::orgs::deletion(&mut tx).await?;
    may_schedule(confirm, &subdomain, due, subscribed, BLOCKED)?;
    let due = Utc::now() + Duration::days(DELETION_GRACE_DAYS);
    repo::orgs::set_deletion(&mut tx, Some(due), Some(&me.email)).await?;
    repo::audit::record(
        &mut tx,
        Some(me.id),
        "org.deletion_scheduled",
        None,
        serde_json::json!({ "due": due }),
    )
    .await?;
    let zone = repo::orgs::time_zone(&mut tx).await?;
    let brand = repo::orgs::brand(&mut tx).await?;
    let date = time::date(due, &zone);
    let link = format!("{}/settings/billing", cx.state.tenant_base(&brand));
    let mail = emails::deletion_scheduled(&brand.company_name, &me.name, &date, &link);
    for to in repo::orgs::owner_emails(&mut tx).await? {
        repo::outbox::queue(&mut tx, &to, &mail, None).await?;
    }
    tx.commit().await?;
    Ok(Deletion {
        subdomain,
        due: Some(date),
        blocked: None,
    })
}

/// Calls the deletion off.
#[tracing::instrument(skip_all)]
pub async fn cancel(cx: &RequestCtx, me: &UserRef) -> Result<(), AppError> {
    only_owner(me)?;
    let mut tx = cx.tx().await?;
    may_cancel(repo::orgs::deletion(&mut tx).await?.1)?;
    repo::orgs::set_deletion(&mut tx, None, None).await?;
    repo::audit::record(
        &mut tx,
        Some(me.id),
        "org.deletion_cancelled",
        None,
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await
}

/// A platform administrator schedules a workspace's deletion (`confirm`
/// must be its subdomain; its subscription must have ended), as an owner
/// can: the owners and admins are emailed and can still keep it for
/// [`DELETION_GRACE_DAYS`]. Returns when it is due.
#[tracing::instrument(skip(state, confirm))]
pub async fn admin_request(
    state: &AppState,
    admin: uuid::Uuid,
    org: uuid::Uuid,
    confirm: &str,
) -> Result<chrono::DateTime<Utc>, AppError> {
    let (_, admin_name, admin_email) = platform::admin_by_id(&state.pool, admin)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let mut tx = super::TenantTx::begin(&state.pool, org).await?;
    if !repo::orgs::exists(&mut tx).await? {
        return Err(AppError::NotFound);
    }
    let (subdomain, due, subscribed) = repo::orgs::deletion(&mut tx).await?;
    may_schedule(confirm, &subdomain, due, subscribed, ADMIN_BLOCKED)?;
    let due = Utc::now() + Duration::days(DELETION_GRACE_DAYS);
    let by = format!("platform administrator {admin_email}");
    repo::orgs::set_deletion(&mut tx, Some(due), Some(&by)).await?;
    repo::audit::record(
        &mut tx,
        None,
        "org.deletion_scheduled",
        None,
        serde_json::json!({ "due": due, "by": "platform_admin", "admin": admin_email }),
    )
    .await?;
    let zone = repo::orgs::time_zone(&mut tx).await?;
    let brand = repo::orgs::brand(&mut tx).await?;
    let date = time::date(due, &zone);
    let link = format!("{}/settings/billing", state.tenant_base(&brand));
    let mail = emails::deletion_scheduled(
        &brand.company_name,
        &format!("{admin_name} (platform support)"),
        &date,
        &link,
    );
    for to in repo::orgs::owner_emails(&mut tx).await? {
        repo::outbox::queue(&mut tx, &to, &mail, None).await?;
    }
    tx.commit().await?;
    Ok(due)
}

/// A platform administrator calls a scheduled deletion off.
#[tracing::instrument(skip(state))]
pub async fn admin_cancel(
    state: &AppState,
    admin: uuid::Uuid,
    org: uuid::Uuid,
) -> Result<(), AppError> {
    let (_, _, admin_email) = platform::admin_by_id(&state.pool, admin)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let mut tx = super::TenantTx::begin(&state.pool, org).await?;
    if !repo::orgs::exists(&mut tx).await? {
        return Err(AppError::NotFound);
    }
    may_cancel(repo::orgs::deletion(&mut tx).await?.1)?;
    repo::orgs::set_deletion(&mut tx, None, None).await?;
    repo::audit::record(
        &mut tx,
        None,
        "org.deletion_cancelled",
        None,
        serde_json::json!({ "by": "platform_admin", "admin": admin_email }),
    )
    .await?;
    tx.commit().await
}

/// One round of the deletion worker: every workspace that is due loses its
/// objects, then its rows. Returns how many were deleted.
#[tracing::instrument(skip_all)]
pub async fn purge_due(state: &AppState) -> Result<usize, AppError> {
    let mut purged = 0;
    for org in platform::tenants_to_delete(&state.pool).await? {
        let objects = state.storage.delete_tenant(org).await?;
        if platform::purge_tenant(&state.pool, org, objects as i32).await? {
            tracing::info!(%org, objects, "workspace deleted");
            purged += 1;
        }
    }
    Ok(purged)
}
