//! The team service: invitations within the plan's seats.

use super::context::UserRef;
use super::{auth, emails, repo, tokens, RequestCtx, TenantTx};
use crate::error::AppError;
use crate::model::Role;

/// Emails an invitation link, replacing any open one for the address,
/// within the plan's seats (checked here, under the organization's lock).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn send_invitation(
    cx: &RequestCtx,
    tx: &mut TenantTx,
    email: &str,
    role: Role,
    by: &UserRef,
) -> Result<(), AppError> {
    auth::invitation_seat_free(tx, Some(email)).await?;
    let (token, hash) = tokens::new_token();
    let days = cx.state.config.platform.invitation_days as i32;
    let invitation = repo::invitations::create(tx, email, role, &hash, by.id, days).await?;
    let brand = repo::orgs::brand(tx).await?;
    let link = format!("{}/invite/{token}", cx.state.tenant_base(&brand));
    let mail = emails::invitation(
        &by.name,
        &brand.company_name,
        cx.state.platform_name(&brand),
        role.label(),
        &link,
        i64::from(days),
    );
    repo::outbox::queue(tx, email, &mail, Some(invitation)).await?;
    Ok(())
}

/// Invites `email` as `role` (the invite server function).
#[tracing::instrument(skip_all)]
pub async fn invite(
    cx: &RequestCtx,
    by: &UserRef,
    email: &str,
    role: Role,
    wizard: bool,
) -> Result<String, AppError> {
    let mut tx = cx.tx().await?;
    if repo::users::exists_email(&mut tx, email).await? {
        return Err(AppError::field(
            "email",
            format!("{email} is already on the team."),
        ));
    }
    send_invitation(cx, &mut tx, email, role, by).await?;
    repo::audit::record(
        &mut tx,
        Some(by.id),
        "invitation.sent",
        None,
        serde_json::json!({ "email": email }),
    )
    .await?;
    if wizard {
        repo::orgs::set_onboarding_step(&mut tx, "team", "done").await?;
    }
    tx.commit().await?;
    Ok(format!("Invitation sent to {email} as {}.", role.label()))
}

/// Sends an open invitation again with a new link (the old one stops
/// working), if the plan still has a seat for it.
#[tracing::instrument(skip_all)]
pub async fn resend(cx: &RequestCtx, by: &UserRef, id: uuid::Uuid) -> Result<String, AppError> {
    let mut tx = cx.tx().await?;
    let (email, role) = repo::invitations::get_open(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    send_invitation(cx, &mut tx, &email, role, by).await?;
    repo::audit::record(
        &mut tx,
        Some(by.id),
        "invitation.resent",
        Some(id),
        serde_json::json!({ "email": email }),
    )
    .await?;
    tx.commit().await?;
    Ok(format!("A new invitation link went to {email}."))
}
