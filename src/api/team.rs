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

#[server(endpoint = "team/invite")]
pub async fn invite_member(
    email: String,
    role: String,
    wizard: Option<String>,
) -> Result<String, AppError> {
    use crate::model::{FieldErrors, Role};
    use crate::server::{ctx, team};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let by = cx.member_who(Role::manages_settings, "invite people")?;
            let mut e = FieldErrors::default();
            let email = e.check("email", crate::model::email(&email));
            let role = e.check("role", Role::parse_assignable(&role));
            let (email, role) =
                e.finish(|| (email.unwrap_or_default(), role.unwrap_or(Role::Viewer)))?;
            team::invite(&cx, by, &email, role, wizard.is_some()).await
        }
        .await,
    )
}

#[server(endpoint = "team/resend")]
pub async fn resend_invitation(id: Uuid) -> Result<String, AppError> {
    use crate::model::Role;
    use crate::server::{ctx, team};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let by = cx.member_who(Role::manages_settings, "invite people")?;
            team::resend(&cx, by, id).await
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
