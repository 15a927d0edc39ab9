//! The custom domain (add-on): name it, check its DNS records, remove it.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::domain::DomainSettings;

#[server(endpoint = "domains/get")]
pub async fn get_domain() -> Result<DomainSettings, AppError> {
    use crate::server::{ctx, domains};
    crate::server::reply(async { domains::settings(&ctx()?).await }.await)
}

#[server(endpoint = "domains/set")]
pub async fn set_domain(domain: String) -> Result<(), AppError> {
    use crate::server::{ctx, domains};
    crate::server::reply(async { domains::set(&ctx()?, &domain).await }.await)
}

/// Checks the DNS records now; `true` when the domain is verified.
#[server(endpoint = "domains/check")]
pub async fn check_domain() -> Result<bool, AppError> {
    use crate::server::{ctx, domains};
    crate::server::reply(async { domains::check(&ctx()?).await }.await)
}

#[server(endpoint = "domains/remove")]
pub async fn remove_domain() -> Result<(), AppError> {
    use crate::server::{ctx, domains};
    crate::server::reply(async { domains::remove(&ctx()?).await }.await)
}
