//! Logging in and out, password reset, invitations, platform admin login.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::InvitationInfo;

/// Logs a member in on their company's host.
#[server(endpoint = "auth/login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::server::{auth, ctx, redirect};
    crate::server::reply(
        async {
            let cx = ctx()?;
            auth::member_login(&cx, &email, password).await?;
            redirect::after_action(&redirect::safe_next(next.as_deref().unwrap_or("/")));
            Ok(())
        }
        .await,
    )
}

/// Ends the session on this host.
#[server(endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::{ctx, db::internal, redirect};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.session.flush().await.map_err(|e| internal(&e))?;
            redirect::after_action(if cx.tenant_id().is_ok() {
                "/login"
            } else {
                "/"
            });
            Ok(())
        }
        .await,
    )
}

/// Platform administrator login, on the platform domain only.
#[server(endpoint = "auth/admin_login")]
pub async fn admin_login(email: String, password: String) -> Result<(), AppError> {
    use crate::server::{auth, ctx, redirect};
    crate::server::reply(
        async {
            let cx = ctx()?;
            auth::admin_login(&cx, &email, password).await?;
            redirect::after_action("/admin");
            Ok(())
        }
        .await,
    )
}

/// Sends a reset link if the address belongs to a member. Always answers
/// the same way, so it does not reveal who has an account.
#[server(endpoint = "auth/forgot")]
pub async fn request_password_reset(email: String) -> Result<String, AppError> {
    use crate::server::{auth, ctx};
    crate::server::reply(async { auth::request_reset(&ctx()?, &email).await }.await)
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

/// Sets a new password through a reset link; every session of the account
/// ends.
#[server(endpoint = "auth/reset")]
pub async fn reset_password(
    token: String,
    password: String,
    confirm: String,
) -> Result<(), AppError> {
    use crate::server::{auth, context::urlencode, ctx, redirect};
    use leptos::server_fn::ServerFn;
    let result = auth::reset_password(&ctx()?, &token, &password, &confirm).await;
    match &result {
        Ok(()) => redirect::after_action("/login?reset=1"),
        Err(_) => redirect::form_returns_to(
            ResetPassword::PATH,
            &format!("/reset-password?token={}", urlencode(&token)),
            &result,
        ),
    }
    crate::server::reply(result)
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
    use crate::server::{auth, context::urlencode, ctx, redirect};
    use leptos::server_fn::ServerFn;
    let result = auth::accept_invitation(&ctx()?, &token, &name, &password, &confirm).await;
    match &result {
        Ok(()) => redirect::after_action("/"),
        Err(_) => redirect::form_returns_to(
            AcceptInvitation::PATH,
            &format!("/invite/{}", urlencode(&token)),
            &result,
        ),
    }
    crate::server::reply(result)
}
