//! Logging in and out, password reset, invitations, platform admin login.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::InvitationInfo;

/// Logs a member in on their company's host.
#[server(endpoint = "auth/login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::server::context::{sign_in, SessionAuth};
    use crate::server::{ctx, password as pw, repo, safe_next, throttle};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let org = cx.tenant_id()?;
            let email = crate::model::email(&email).map_err(|m| AppError::field("email", m))?;
            let (account, client) = throttle::keys(&org.to_string(), &email, cx.client_ip);
            let cfg = &cx.state.config.throttle;
            throttle::check(&cx.state.pool, cfg, &account, client.as_deref()).await?;
            let mut tx = cx.tx().await?;
            let creds = repo::users::credentials(&mut tx, &email).await?;
            tx.commit().await?;
            let ok = pw::verify(&cx.state, password, creds.as_ref().map(|c| c.1.clone())).await?;
            let Some((user_id, _)) = creds.filter(|_| ok) else {
                throttle::record_failure(&cx.state.pool, cfg, &account, client.as_deref()).await?;
                return Err(AppError::field(
                    "password",
                    "That email and password don't match an account here.",
                ));
            };
            throttle::clear(&cx.state.pool, &account).await?;
            sign_in(
                &cx.session,
                SessionAuth {
                    org_id: Some(org),
                    user_id,
                },
            )
            .await?;
            let mut tx = cx.tx().await?;
            repo::users::touch_login(&mut tx, user_id).await?;
            repo::audit::record(
                &mut tx,
                Some(user_id),
                "user.login",
                None,
                serde_json::json!({}),
            )
            .await?;
            tx.commit().await?;
            leptos_axum::redirect(&safe_next(next.as_deref().unwrap_or("/")));
            Ok(())
        }
        .await,
    )
}

/// Ends the session on this host.
#[server(endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::{ctx, db::internal};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.session.flush().await.map_err(internal)?;
            let to = if cx.tenant_id().is_ok() {
                "/login"
            } else {
                "/"
            };
            leptos_axum::redirect(to);
            Ok(())
        }
        .await,
    )
}

/// Platform administrator login, on the platform domain only.
#[server(endpoint = "auth/admin_login")]
pub async fn admin_login(email: String, password: String) -> Result<(), AppError> {
    use crate::server::context::{sign_in, SessionAuth, Site};
    use crate::server::{ctx, password as pw, platform, throttle};
    crate::server::reply(
        async {
            let cx = ctx()?;
            if cx.site != Site::Platform {
                return Err(AppError::NotFound);
            }
            let email = crate::model::email(&email).map_err(|m| AppError::field("email", m))?;
            let (account, client) = throttle::keys("platform", &email, cx.client_ip);
            let cfg = &cx.state.config.throttle;
            throttle::check(&cx.state.pool, cfg, &account, client.as_deref()).await?;
            let creds = platform::admin_by_email(&cx.state.pool, &email).await?;
            let ok = pw::verify(&cx.state, password, creds.as_ref().map(|c| c.1.clone())).await?;
            let Some((id, _)) = creds.filter(|_| ok) else {
                throttle::record_failure(&cx.state.pool, cfg, &account, client.as_deref()).await?;
                return Err(AppError::field(
                    "password",
                    "That email and password don't match an administrator.",
                ));
            };
            throttle::clear(&cx.state.pool, &account).await?;
            sign_in(
                &cx.session,
                SessionAuth {
                    org_id: None,
                    user_id: id,
                },
            )
            .await?;
            leptos_axum::redirect("/admin");
            Ok(())
        }
        .await,
    )
}

/// Sends a reset link if the address belongs to a member. Always answers
/// the same way, so it does not reveal who has an account.
#[server(endpoint = "auth/forgot")]
pub async fn request_password_reset(email: String) -> Result<String, AppError> {
    use crate::server::{ctx, repo, throttle, tokens};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.tenant_id()?;
            let email = crate::model::email(&email).map_err(|m| AppError::field("email", m))?;
            if let Some(ip) = cx.client_ip {
                let cfg = &cx.state.config.throttle;
                throttle::count_use(&cx.state.pool, cfg, &format!("reset:{ip}"), cfg.max_failures_per_client).await?;
            }
            let mut tx = cx.tx().await?;
            if let Some((user_id, _)) = repo::users::credentials(&mut tx, &email).await? {
                let (token, hash) = tokens::new_token();
                repo::auth_tokens::create(&mut tx, "password_reset", user_id, &hash, 60).await?;
                let brand = repo::orgs::brand(&mut tx).await?;
                let link = format!("{}/reset-password?token={token}", cx.state.config.tenant_url(&brand.subdomain));
                let body = format!(
                    "Someone asked to reset the password for your {} account on {}.\n\n\
                     Choose a new password here (the link works once, for one hour):\n{link}\n\n\
                     If it wasn't you, ignore this email; your password stays as it is.",
                    brand.company_name, cx.state.config.platform.name
                );
                repo::outbox::queue(&mut tx, &email, "Reset your password", &body).await?;
            }
            tx.commit().await?;
            Ok(format!("If {email} has an account here, a reset link is on its way. It works for one hour."))
        }
        .await,
    )
}

/// Whether a reset link is still good (to show the form or an explanation).
#[server(endpoint = "auth/reset_valid")]
pub async fn reset_token_valid(token: String) -> Result<bool, AppError> {
    use crate::server::{ctx, repo, tokens};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let mut tx = cx.tx().await?;
            let live = repo::auth_tokens::is_live(&mut tx, "password_reset", &tokens::hash(&token))
                .await?;
            tx.commit().await?;
            Ok(live)
        }
        .await,
    )
}

#[server(endpoint = "auth/reset")]
pub async fn reset_password(
    token: String,
    password: String,
    confirm: String,
) -> Result<(), AppError> {
    use crate::server::{ctx, password as pw, repo, tokens};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.tenant_id()?;
            let password =
                crate::model::password(&password).map_err(|m| AppError::field("password", m))?;
            if password != confirm {
                return Err(AppError::field("confirm", "The two passwords don't match."));
            }
            let hash = pw::hash(&cx.state, password).await?;
            let mut tx = cx.tx().await?;
            let Some(user) =
                repo::auth_tokens::consume(&mut tx, "password_reset", &tokens::hash(&token))
                    .await?
            else {
                return Err(AppError::field(
                    "password",
                    "This reset link has expired or was already used. Ask for a new one.",
                ));
            };
            repo::users::set_password(&mut tx, user, &hash).await?;
            repo::audit::record(
                &mut tx,
                Some(user),
                "user.password_reset",
                None,
                serde_json::json!({}),
            )
            .await?;
            tx.commit().await?;
            leptos_axum::redirect("/login?reset=1");
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "auth/invitation")]
pub async fn get_invitation(token: String) -> Result<InvitationInfo, AppError> {
    use crate::server::{ctx, repo, tokens};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let mut tx = cx.tx().await?;
            let (_, email, role) = repo::invitations::by_token(&mut tx, &tokens::hash(&token))
                .await?
                .ok_or(AppError::NotFound)?;
            let brand = repo::orgs::brand(&mut tx).await?;
            tx.commit().await?;
            Ok(InvitationInfo {
                email,
                role,
                company_name: brand.company_name,
            })
        }
        .await,
    )
}

/// Accepts an invitation: creates the member and logs them in.
#[server(endpoint = "auth/accept")]
pub async fn accept_invitation(
    token: String,
    name: String,
    password: String,
    confirm: String,
) -> Result<(), AppError> {
    use crate::model::{required_text, FieldErrors};
    use crate::server::context::{sign_in, SessionAuth};
    use crate::server::{ctx, password as pw, repo, tokens};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let org = cx.tenant_id()?;
            let mut e = FieldErrors::default();
            let name = e.check("name", required_text(&name, "Your name", 100));
            let password = e.check("password", crate::model::password(&password));
            if password.as_deref().is_some_and(|p| p != confirm) {
                e.add("confirm", "The two passwords don't match.");
            }
            let (name, password) =
                e.finish(|| (name.unwrap_or_default(), password.unwrap_or_default()))?;
            let hash = pw::hash(&cx.state, password).await?;
            let mut tx = cx.tx().await?;
            let (inv_id, email, role) = repo::invitations::by_token(&mut tx, &tokens::hash(&token))
                .await?
                .ok_or_else(|| {
                    AppError::field(
                        "name",
                        "This invitation has expired or was already used. Ask for a new one.",
                    )
                })?;
            let user_id = uuid::Uuid::new_v4();
            if !repo::users::insert(&mut tx, user_id, &email, &name, role, &hash).await? {
                return Err(AppError::field(
                    "name",
                    format!("{email} is already a member here. Log in instead."),
                ));
            }
            repo::invitations::mark_accepted(&mut tx, inv_id).await?;
            repo::audit::record(
                &mut tx,
                Some(user_id),
                "invitation.accepted",
                Some(inv_id),
                serde_json::json!({}),
            )
            .await?;
            tx.commit().await?;
            sign_in(
                &cx.session,
                SessionAuth {
                    org_id: Some(org),
                    user_id,
                },
            )
            .await?;
            leptos_axum::redirect("/");
            Ok(())
        }
        .await,
    )
}
