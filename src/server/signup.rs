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
    let cells = cx.state.cells.as_ref();
    let elsewhere = match cells {
        Some(c) => c.taken(&v.subdomain).await?,
        None => false,
    };
    if elsewhere || platform::subdomain_taken(&cx.state.pool, &v.subdomain).await? {
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
    let taken = || {
        AppError::field(
            "subdomain",
            format!("{} was just taken; try another.", v.subdomain),
        )
    };
    // With several cells, the directory's claim comes first (no two cells
    // can take a subdomain); a provisioning that fails gives it back.
    if let Some(c) = cells {
        if !c.claim(&v.subdomain).await? {
            return Err(taken());
        }
    }
    let provisioned = platform::provision(&cx.state.pool, &t).await;
    match (cells, &provisioned) {
        (Some(c), Ok(true)) => c.placed(&v.subdomain, t.org_id).await?,
        (Some(c), _) => c.release(&v.subdomain).await,
        (None, _) => {}
    }
    if !provisioned? {
        return Err(taken());
    }
    Ok(format!(
        "{}/auth/handoff?token={token}",
        cx.state.config.tenant_url(&v.subdomain)
    ))
}
