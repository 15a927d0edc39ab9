//! The team: members, roles, invitations within the plan's seats.

use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::Team;

#[server(endpoint = "team/get")]
pub async fn get_team() -> Result<Team, AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.member()?;
            let mut tx = cx.tx().await?;
            let settings = repo::orgs::settings(&mut tx).await?;
            let team = Team {
                members: repo::users::list(&mut tx).await?,
                invitations: repo::invitations::open(&mut tx).await?,
                seats: settings.seats,
                plan_name: settings.plan.info().name.to_string(),
            };
            tx.commit().await?;
            Ok(team)
        }
        .await,
    )
}

/// Emails an invitation link, within the plan's seats.
#[cfg(feature = "ssr")]
async fn send_invitation(
    cx: &crate::server::RequestCtx,
    tx: &mut crate::server::TenantTx,
    email: &str,
    role: crate::model::Role,
    by: &crate::server::context::UserRef,
) -> Result<(), AppError> {
    use crate::server::{repo, tokens};
    let (token, hash) = tokens::new_token();
    let days = cx.state.config.platform.invitation_days;
    repo::invitations::create(tx, email, role, &hash, by.id, days).await?;
    let brand = repo::orgs::brand(tx).await?;
    let link = format!(
        "{}/invite/{token}",
        cx.state.config.tenant_url(&brand.subdomain)
    );
    let body = format!(
        "{} invited you to join {} on {} as {}.\n\nAccept the invitation and choose your password here \
         (the link works for {days} days):\n{link}\n",
        by.name,
        brand.company_name,
        cx.state.config.platform.name,
        role.label()
    );
    repo::outbox::queue(
        tx,
        email,
        &format!(
            "Join {} on {}",
            brand.company_name, cx.state.config.platform.name
        ),
        &body,
    )
    .await
}

#[server(endpoint = "team/invite")]
pub async fn invite_member(
    email: String,
    role: String,
    wizard: Option<String>,
) -> Result<String, AppError> {
    use crate::model::{seat_limit_message, FieldErrors, Role};
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let by = cx
                .member_who(Role::manages_settings, "invite people")?
                .clone();
            let mut e = FieldErrors::default();
            let email = e.check("email", crate::model::email(&email));
            let role = e.check("role", Role::parse_assignable(&role));
            let (email, role) =
                e.finish(|| (email.unwrap_or_default(), role.unwrap_or(Role::Viewer)))?;
            let mut tx = cx.tx().await?;
            let (plan, seats) = repo::orgs::plan_seats(&mut tx).await?;
            if repo::users::exists_email(&mut tx, &email).await? {
                return Err(AppError::field(
                    "email",
                    format!("{email} is already on the team."),
                ));
            }
            if let Some(seats) = seats {
                let used = repo::users::count(&mut tx).await?
                    + repo::invitations::count_live(&mut tx).await?;
                if used >= seats as i64 {
                    return Err(AppError::Limit(seat_limit_message(plan, seats as u32)));
                }
            }
            send_invitation(&cx, &mut tx, &email, role, &by).await?;
            repo::audit::record(
                &mut tx,
                Some(by.id),
                "invitation.sent",
                None,
                serde_json::json!({ "email": email }),
            )
            .await?;
            if wizard.is_some() {
                repo::orgs::set_onboarding_step(&mut tx, "team", "done").await?;
            }
            tx.commit().await?;
            Ok(format!("Invitation sent to {email} as {}.", role.label()))
        }
        .await,
    )
}

#[server(endpoint = "team/resend")]
pub async fn resend_invitation(id: Uuid) -> Result<String, AppError> {
    use crate::model::Role;
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let by = cx
                .member_who(Role::manages_settings, "invite people")?
                .clone();
            let mut tx = cx.tx().await?;
            let (email, role) = repo::invitations::get_open(&mut tx, id)
                .await?
                .ok_or(AppError::NotFound)?;
            send_invitation(&cx, &mut tx, &email, role, &by).await?;
            tx.commit().await?;
            Ok(format!("A new invitation link went to {email}."))
        }
        .await,
    )
}

#[server(endpoint = "team/revoke")]
pub async fn revoke_invitation(id: Uuid) -> Result<(), AppError> {
    use crate::model::Role;
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let by = cx
                .member_who(Role::manages_settings, "manage invitations")?
                .id;
            let mut tx = cx.tx().await?;
            if !repo::invitations::revoke(&mut tx, id).await? {
                return Err(AppError::NotFound);
            }
            repo::audit::record(
                &mut tx,
                Some(by),
                "invitation.revoked",
                Some(id),
                serde_json::json!({}),
            )
            .await?;
            tx.commit().await
        }
        .await,
    )
}

#[server(endpoint = "team/role")]
pub async fn change_role(user_id: Uuid, role: String) -> Result<(), AppError> {
    use crate::model::Role;
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let by = cx.member_who(Role::manages_settings, "change roles")?.id;
            let role = Role::parse_assignable(&role).map_err(|m| AppError::field("role", m))?;
            let mut tx = cx.tx().await?;
            if !repo::users::set_role(&mut tx, user_id, role).await? {
                return Err(AppError::NotFound);
            }
            repo::audit::record(
                &mut tx,
                Some(by),
                "user.role_changed",
                Some(user_id),
                serde_json::json!({ "role": role.as_str() }),
            )
            .await?;
            tx.commit().await
        }
        .await,
    )
}

#[server(endpoint = "team/remove")]
pub async fn remove_member(user_id: Uuid) -> Result<(), AppError> {
    use crate::model::Role;
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let by = cx.member_who(Role::manages_settings, "remove people")?.id;
            if by == user_id {
                return Err(AppError::Forbidden(
                    "You can't remove yourself; ask another admin.".into(),
                ));
            }
            let mut tx = cx.tx().await?;
            if !repo::users::remove(&mut tx, user_id).await? {
                return Err(AppError::NotFound);
            }
            repo::audit::record(
                &mut tx,
                Some(by),
                "user.removed",
                Some(user_id),
                serde_json::json!({}),
            )
            .await?;
            tx.commit().await
        }
        .await,
    )
}
