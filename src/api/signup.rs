//! Self-service signup on the platform domain.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{SignupForm, SubdomainStatus};

/// The live availability check beside the subdomain field.
#[server(endpoint = "signup/check")]
pub async fn check_subdomain(subdomain: String) -> Result<SubdomainStatus, AppError> {
    use crate::server::{ctx, platform};
    crate::server::reply(
        async {
            let cx = ctx()?;
            Ok(match crate::model::subdomain(&subdomain) {
                Err(m) => SubdomainStatus::Invalid(m),
                Ok(s) if platform::subdomain_taken(&cx.state.pool, &s).await? => {
                    SubdomainStatus::Taken(format!("{s} is taken; try another."))
                }
                Ok(s) => SubdomainStatus::Available(format!(
                    "{s}.{} is available.",
                    cx.state.config.platform.domain
                )),
            })
        }
        .await,
    )
}

/// Provisions the tenant in one transaction, starts the trial and sends
/// the owner to their own host, logged in.
#[server(endpoint = "signup")]
pub async fn signup(form: SignupForm) -> Result<String, AppError> {
    use crate::server::context::Site;
    use crate::server::{ctx, password, platform, throttle, tokens};
    crate::server::reply(
        async {
            let cx = ctx()?;
            if cx.site != Site::Platform {
                return Err(AppError::NotFound);
            }
            let v = form.validate()?;
            if let Some(ip) = cx.client_ip {
                let cfg = &cx.state.config.throttle;
                throttle::count_use(
                    &cx.state.pool,
                    cfg,
                    &format!("signup:{ip}"),
                    cfg.max_failures_per_client,
                )
                .await?;
            }
            if platform::subdomain_taken(&cx.state.pool, &v.subdomain).await? {
                return Err(AppError::field(
                    "subdomain",
                    format!("{} is taken; try another.", v.subdomain),
                ));
            }
            let hash = password::hash(&cx.state, v.password.clone()).await?;
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
            let url = format!(
                "{}/auth/handoff?token={token}",
                cx.state.config.tenant_url(&v.subdomain)
            );
            leptos_axum::redirect(&url);
            Ok(url)
        }
        .await,
    )
}
