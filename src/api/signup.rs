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
                Ok(s)
                    if platform::subdomain_taken(&cx.state.pool, &s).await?
                        || match &cx.state.cells {
                            Some(c) => c.taken(&s).await?,
                            None => false,
                        } =>
                {
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
    use crate::server::{ctx, redirect, signup};
    crate::server::reply(
        async {
            let url = signup::sign_up(&ctx()?, &form).await?;
            redirect::after_action(&url);
            Ok(url)
        }
        .await,
    )
}
