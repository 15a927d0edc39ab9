//! Billing: the tenant's subscription page and its actions (owners and
//! admins change it; everyone signed in sees the plan), and the platform
//! administrator's billing view. Thin over `server::billing`.

use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::billing::{BillingHistory, BillingOverview, PlatformBilling, TenantBilling};

/// Sends a plain form post (no JavaScript) on to Stripe's page; the app's
/// own client navigates itself with the returned URL.
#[cfg(feature = "ssr")]
fn go_to(url: &str) {
    use leptos::prelude::use_context;
    let plain_form = use_context::<http::request::Parts>().is_some_and(|p| {
        p.headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    });
    if plain_form {
        crate::server::redirect::after_action(url);
    }
}

#[server(endpoint = "billing/overview")]
pub async fn get_billing(
    #[server(default)] checkout: Option<String>,
) -> Result<BillingOverview, AppError> {
    use crate::server::{billing, ctx};
    crate::server::reply(
        async {
            let cx = ctx()?;
            billing::overview(&cx, checkout).await
        }
        .await,
    )
}

#[server(endpoint = "billing/checkout")]
pub async fn billing_checkout() -> Result<String, AppError> {
    use crate::server::{billing, ctx};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let url = billing::checkout(&cx).await?;
            go_to(&url);
            Ok(url)
        }
        .await,
    )
}

#[server(endpoint = "billing/portal")]
pub async fn billing_portal() -> Result<String, AppError> {
    use crate::server::{billing, ctx};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let url = billing::portal(&cx).await?;
            go_to(&url);
            Ok(url)
        }
        .await,
    )
}

#[server(endpoint = "billing/plan")]
pub async fn billing_change_plan(plan: String) -> Result<String, AppError> {
    use crate::server::{billing, ctx};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let plan =
                crate::model::PlanCode::parse(&plan).map_err(|m| AppError::field("plan", m))?;
            billing::change_plan(&cx, plan).await
        }
        .await,
    )
}

#[server(endpoint = "billing/addon")]
pub async fn billing_set_addon(addon: String, quantity: u32) -> Result<String, AppError> {
    use crate::server::{billing, ctx};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let addon = crate::model::billing::Addon::parse(&addon)
                .map_err(|m| AppError::field("addon", m))?;
            billing::set_addon(&cx, addon, quantity).await
        }
        .await,
    )
}

#[server(endpoint = "billing/cancel")]
pub async fn billing_cancel(cancel: bool) -> Result<String, AppError> {
    use crate::server::{billing, ctx};
    crate::server::reply(
        async {
            let cx = ctx()?;
            billing::set_cancel(&cx, cancel).await
        }
        .await,
    )
}

#[server(endpoint = "admin/billing")]
pub async fn admin_billing() -> Result<(PlatformBilling, Vec<TenantBilling>), AppError> {
    use crate::server::{billing, ctx};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.admin()?;
            let tenants = billing::tenants(&cx.state).await?;
            Ok((PlatformBilling::of(&tenants, chrono::Utc::now()), tenants))
        }
        .await,
    )
}

#[server(endpoint = "admin/billing_history")]
pub async fn admin_billing_history(id: Uuid) -> Result<BillingHistory, AppError> {
    use crate::server::{billing, ctx};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.admin()?;
            billing::history(&cx.state, id).await
        }
        .await,
    )
}

#[server(endpoint = "admin/extend_trial")]
pub async fn admin_extend_trial(id: Uuid, days: i64) -> Result<String, AppError> {
    use crate::server::{billing, ctx};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let admin = cx.admin()?;
            let ends = billing::extend_trial(&cx.state, admin, id, days).await?;
            Ok(format!(
                "The trial now ends on {}.",
                ends.format("%B %-d, %Y")
            ))
        }
        .await,
    )
}

#[server(endpoint = "admin/comp")]
pub async fn admin_set_comped(id: Uuid, comped: bool) -> Result<String, AppError> {
    use crate::server::{billing, ctx};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let admin = cx.admin()?;
            billing::set_comped(&cx.state, admin, id, comped).await?;
            Ok(if comped {
                "The tenant now has its plan free of charge.".into()
            } else {
                "The tenant pays for its plan again.".into()
            })
        }
        .await,
    )
}
