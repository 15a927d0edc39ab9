//! Self-service signup: validate, rate-limit per client network, hash the
//! owner's password (in the platform's share of the fair queue), provision
//! in one transaction, and hand the owner over to their own host.

use super::context::Site;
use super::throttle::{self, Limit};
use super::{password, platform, tokens, RequestCtx};
use crate::error::AppError;
use crate::model::SignupForm;

/// Provisions the tenant; returns the hand-off URL on the tenant's host.
#[tracing::instrument(skip_all)]
pub async fn sign_up(cx: &RequestCtx, form: &SignupForm) -> Result<String, AppError> {
    if cx.site != Site::Platform {
        return Err(AppError::NotFound);
    }
    let v = form.validate()?;
    let cfg = &cx.state.config.throttle;
    throttle::hit(
        &cx.state,
        &format!("signup-net:{}", cx.client_network()),
        Limit {
            burst: cfg.max_failures_per_client,
            window_seconds: cfg.window_seconds,
        },
        "signup",
    )
    .await?;
    if platform::subdomain_taken(&cx.state.pool, &v.subdomain).await? {
        return Err(AppError::field(
            "subdomain",
            format!("{} is taken; try another.", v.subdomain),
        ));
    }
    let hash = password::hash(&cx.state, &cx.requester(), v.password.clone()).await?;
    let (token, handoff_hash) = tokens::new_token();
    let t = platform::NewTenant {
        org_id: uuid::Uuid::new_v4(),
        company: &v.company,
        subdomain: &v.subdomain,
        plan: v.plan.as_str(),
        owner_id: uuid::Uuid::new_v4(),
        owner_name: &v.owner_name,
        owner_email: &v.email,
        password_hash: &hash,
        handoff_hash: &handoff_hash,
        trial_days: cx.state.config.platform.trial_days,
    };
    if !platform::provision(&cx.state.pool, &t).await? {
        return Err(AppError::field(
            "subdomain",
            format!("{} was just taken; try another.", v.subdomain),
        ));
    }
    Ok(format!(
        "{}/auth/handoff?token={token}",
        cx.state.config.tenant_url(&v.subdomain)
    ))
}
