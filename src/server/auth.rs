//! Signing in and the account flows behind the auth server functions:
//! member and administrator logins behind the rate limits and device
//! cookies, password resets and invitations (tokens checked before any
//! slow hashing, sessions ended when the password changes).

use uuid::Uuid;

use super::context::{sign_in, SessionAuth, Site};
use super::throttle::{self, Limit};
use super::{device, emails, password, platform, repo, tokens, RequestCtx};
use crate::error::AppError;
use crate::model::{required_text, seat_limit_message, FieldErrors, PlanCode};

/// Attempts at a reset or invitation form per client network: enough for
/// a person, too few to guess a 256-bit token (they cannot be guessed anyway:
/// this bounds the load).
const TOKEN_FORMS: Limit = Limit {
    burst: 10,
    window_seconds: 900,
};

/// Whether a device cookie vouches for this account.
fn trusted_device(cx: &RequestCtx, email: &str) -> Option<String> {
    cx.device_cookie
        .as_deref()
        .and_then(|c| device::verify(cx.state.keys.device_cookie(), c, &cx.scope(), email))
}

/// Appends a header to the server function's response.
fn respond_with_header(name: http::HeaderName, value: &str) {
    if let (Some(res), Ok(v)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        res.append_header(name, v);
    }
}

/// The guarded part of every login: count the attempt before any slow
/// work (per device for a known device; per network and per account
/// otherwise), verify, and on success clear the account's count and remember
/// the device. `lookup` finds (id, password hash) by email.
async fn guarded_login<F>(
    cx: &RequestCtx,
    email: &str,
    password: String,
    lookup: F,
) -> Result<Uuid, AppError>
where
    F: std::future::Future<Output = Result<Option<(Uuid, String)>, AppError>>,
{
    let cfg = &cx.state.config.throttle;
    let account = Limit {
        burst: cfg.max_failures_per_account,
        window_seconds: cfg.window_seconds,
    };
    let network = Limit {
        burst: cfg.max_failures_per_client,
        window_seconds: cfg.window_seconds,
    };
    let scope = cx.scope();
    let device = trusted_device(cx, email);
    let net_key = format!("login-net:{}", cx.client_network());
    let account_key = match &device {
        Some(d) => format!("login:{scope}:{email}:dev:{d}"),
        None => format!("login:{scope}:{email}"),
    };
    if device.is_none() {
        throttle::hit(&cx.state, &net_key, network, "login").await?;
    }
    throttle::hit(&cx.state, &account_key, account, "login").await?;
    let creds = lookup.await?;
    let ok = password::verify(
        &cx.state,
        &cx.requester(),
        password,
        creds.as_ref().map(|c| c.1.clone()),
    )
    .await?;
    let Some((id, _)) = creds.filter(|_| ok) else {
        return Err(AppError::field(
            "password",
            "That email and password don't match an account here.",
        ));
    };
    throttle::reset(&cx.state, &account_key).await?;
    if device.is_none() {
        throttle::refund(&cx.state, &net_key, network).await?;
        let (cookie, _) = device::issue(cx.state.keys.device_cookie(), &scope, email);
        respond_with_header(
            http::header::SET_COOKIE,
            &device::set_cookie(&cookie, cx.state.config.secure_cookies()),
        );
    }
    Ok(id)
}

/// A member logs in on their company's host.
#[tracing::instrument(skip_all, fields(org_id))]
pub async fn member_login(cx: &RequestCtx, email: &str, password: String) -> Result<(), AppError> {
    let org = cx.tenant_id()?;
    tracing::Span::current().record("org_id", tracing::field::display(org));
    let email = crate::model::email(email).map_err(|m| AppError::field("email", m))?;
    let lookup = async {
        let mut tx = cx.tx().await?;
        let creds = repo::users::credentials(&mut tx, &email).await?;
        tx.commit().await?;
        Ok(creds)
    };
    let user_id = guarded_login(cx, &email, password, lookup).await?;
    let mut tx = cx.tx().await?;
    let user = repo::users::by_id(&mut tx, user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
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
    sign_in(
        &cx.session,
        SessionAuth {
            org_id: Some(org),
            user_id,
            epoch: user.session_epoch,
        },
    )
    .await
}

/// A platform administrator logs in, on the platform domain only.
#[tracing::instrument(skip_all)]
pub async fn admin_login(cx: &RequestCtx, email: &str, password: String) -> Result<(), AppError> {
    if cx.site != Site::Platform {
        return Err(AppError::NotFound);
    }
    let email = crate::model::email(email).map_err(|m| AppError::field("email", m))?;
    let lookup = platform::admin_by_email(&cx.state.pool, &email);
    let id = guarded_login(cx, &email, password, lookup)
        .await
        .map_err(|e| match e {
            AppError::Validation(_) => AppError::field(
                "password",
                "That email and password don't match an administrator.",
            ),
            other => other,
        })?;
    sign_in(
        &cx.session,
        SessionAuth {
            org_id: None,
            user_id: id,
            epoch: 0,
        },
    )
    .await
}

/// Emails a reset link when the address belongs to a member; older links
/// for the account stop working. Answers the same either way.
#[tracing::instrument(skip_all, fields(org_id))]
pub async fn request_reset(cx: &RequestCtx, email: &str) -> Result<String, AppError> {
    let org = cx.tenant_id()?;
    tracing::Span::current().record("org_id", tracing::field::display(org));
    let email = crate::model::email(email).map_err(|m| AppError::field("email", m))?;
    let cfg = &cx.state.config.throttle;
    let limit = Limit {
        burst: cfg.max_failures_per_client,
        window_seconds: cfg.window_seconds,
    };
    throttle::hit(
        &cx.state,
        &format!("reset-net:{}", cx.client_network()),
        limit,
        "reset",
    )
    .await?;
    let mut tx = cx.tx().await?;
    if let Some((user_id, _)) = repo::users::credentials(&mut tx, &email).await? {
        repo::auth_tokens::revoke_for_user(&mut tx, "password_reset", user_id).await?;
        let (token, hash) = tokens::new_token();
        repo::auth_tokens::create(&mut tx, "password_reset", user_id, &hash, 60).await?;
        let brand = repo::orgs::brand(&mut tx).await?;
        let link = format!(
            "{}/reset-password?token={token}",
            cx.state.tenant_base(&brand)
        );
        let mail =
            emails::password_reset(&brand.company_name, cx.state.platform_name(&brand), &link);
        repo::outbox::queue(&mut tx, &email, &mail, None).await?;
    }
    tx.commit().await?;
    Ok(format!(
        "If {email} has an account here, a reset link is on its way. It works for one hour."
    ))
}

const EXPIRED_RESET: &str = "This reset link has expired or was already used. Ask for a new one.";

/// Sets a new password through a reset link. The link is checked before
/// the password is hashed; the change ends every session of the account and
/// every other reset link.
#[tracing::instrument(skip_all, fields(org_id))]
pub async fn reset_password(
    cx: &RequestCtx,
    token: &str,
    password: &str,
    confirm: &str,
) -> Result<(), AppError> {
    let org = cx.tenant_id()?;
    tracing::Span::current().record("org_id", tracing::field::display(org));
    throttle::hit(
        &cx.state,
        &format!("token-net:{}", cx.client_network()),
        TOKEN_FORMS,
        "token",
    )
    .await?;
    let password = crate::model::password(password).map_err(|m| AppError::field("password", m))?;
    if password != confirm {
        return Err(AppError::field("confirm", "The two passwords don't match."));
    }
    let hash = tokens::hash(token);
    let mut tx = cx.tx().await?;
    let live = repo::auth_tokens::is_live(&mut tx, "password_reset", &hash).await?;
    tx.commit().await?;
    if !live {
        return Err(AppError::field("password", EXPIRED_RESET));
    }
    let password_hash = password::hash(&cx.state, &cx.requester(), password).await?;
    let mut tx = cx.tx().await?;
    let Some(user) = repo::auth_tokens::consume(&mut tx, "password_reset", &hash).await? else {
        return Err(AppError::field("password", EXPIRED_RESET));
    };
    repo::users::set_password(&mut tx, user, &password_hash).await?;
    repo::users::end_sessions(&mut tx, user).await?;
    repo::auth_tokens::revoke_for_user(&mut tx, "password_reset", user).await?;
    repo::audit::record(
        &mut tx,
        Some(user),
        "user.password_reset",
        None,
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await
}

const EXPIRED_INVITATION: &str =
    "This invitation has expired or was already used. Ask for a new one.";

/// The seat check at acceptance: the newcomer must still fit the plan.
async fn seat_free(tx: &mut super::TenantTx) -> Result<(), AppError> {
    let (plan, seats) = repo::orgs::plan_seats(tx).await?;
    if let Some(seats) = seats {
        if repo::users::count(tx).await? >= i64::from(seats) {
            return Err(AppError::Limit(seat_limit_message(plan, seats as u32)));
        }
    }
    Ok(())
}

/// Accepts an invitation: checks the link and the seat first, hashes the
/// password, then creates the member (checking both again under lock) and
/// signs them in.
#[tracing::instrument(skip_all, fields(org_id))]
pub async fn accept_invitation(
    cx: &RequestCtx,
    token: &str,
    name: &str,
    password: &str,
    confirm: &str,
) -> Result<(), AppError> {
    let org = cx.tenant_id()?;
    tracing::Span::current().record("org_id", tracing::field::display(org));
    throttle::hit(
        &cx.state,
        &format!("token-net:{}", cx.client_network()),
        TOKEN_FORMS,
        "token",
    )
    .await?;
    let mut e = FieldErrors::default();
    let name = e.check("name", required_text(name, "Your name", 100));
    let password = e.check("password", crate::model::password(password));
    if password.as_deref().is_some_and(|p| p != confirm) {
        e.add("confirm", "The two passwords don't match.");
    }
    let (name, password) = e.finish(|| (name.unwrap_or_default(), password.unwrap_or_default()))?;
    let hash = tokens::hash(token);
    let mut tx = cx.tx().await?;
    if repo::invitations::by_token(&mut tx, &hash).await?.is_none() {
        return Err(AppError::field("name", EXPIRED_INVITATION));
    }
    seat_free(&mut tx).await?;
    tx.commit().await?;
    let password_hash = password::hash(&cx.state, &cx.requester(), password).await?;
    let mut tx = cx.tx().await?;
    seat_free(&mut tx).await?;
    let (inv_id, email, role) = repo::invitations::by_token(&mut tx, &hash)
        .await?
        .ok_or_else(|| AppError::field("name", EXPIRED_INVITATION))?;
    let user_id = Uuid::new_v4();
    if !repo::users::insert(&mut tx, user_id, &email, &name, role, &password_hash).await? {
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
            epoch: 0,
        },
    )
    .await
}

/// The seat check for a new or resent invitation: members plus the other
/// live invitations must leave a seat. `except` is the invitation being
/// replaced.
pub async fn invitation_seat_free(
    tx: &mut super::TenantTx,
    except: Option<&str>,
) -> Result<(), AppError> {
    let (plan, seats): (PlanCode, Option<i32>) = repo::orgs::plan_seats(tx).await?;
    if let Some(seats) = seats {
        let used = repo::users::count(tx).await?
            + repo::invitations::count_live_except(tx, except).await?;
        if used >= i64::from(seats) {
            return Err(AppError::Limit(seat_limit_message(plan, seats as u32)));
        }
    }
    Ok(())
}
