//! Company settings, branding, pricing zone and the onboarding wizard.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{CompanyForm, Onboarding, OrgSettings, Zone};

#[server(endpoint = "settings/get")]
pub async fn get_settings() -> Result<OrgSettings, AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.member()?;
            let mut tx = cx.tx().await?;
            let mut s = repo::orgs::settings(&mut tx).await?;
            tx.commit().await?;
            s.workspace_url = cx.state.config.tenant_url(&s.subdomain);
            Ok(s)
        }
        .await,
    )
}

#[server(endpoint = "settings/zones")]
pub async fn list_zones() -> Result<Vec<Zone>, AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.member()?;
            let mut tx = cx.tx().await?;
            let z = repo::orgs::zones(&mut tx).await?;
            tx.commit().await?;
            Ok(z)
        }
        .await,
    )
}

/// Records a wizard step as done and returns to the wizard, when the form
/// came from it.
#[cfg(feature = "ssr")]
async fn wizard_done(
    tx: &mut crate::server::TenantTx,
    wizard: &Option<String>,
    step: &str,
) -> Result<(), AppError> {
    if wizard.is_some() {
        crate::server::repo::orgs::set_onboarding_step(tx, step, "done").await?;
        crate::server::redirect::after_action(&format!("/onboarding?from={step}"));
    }
    Ok(())
}

#[server(endpoint = "settings/company")]
pub async fn update_company(form: CompanyForm, wizard: Option<String>) -> Result<(), AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(
                    crate::model::Role::manages_settings,
                    "change company settings",
                )?
                .id;
            let valid = form.validate()?;
            let mut tx = cx.tx().await?;
            repo::orgs::update_company(&mut tx, &valid).await?;
            repo::audit::record(
                &mut tx,
                Some(m),
                "organization.company_changed",
                None,
                serde_json::json!({}),
            )
            .await?;
            wizard_done(&mut tx, &wizard, "company").await?;
            tx.commit().await
        }
        .await,
    )
}

#[server(endpoint = "settings/brand")]
pub async fn update_brand_color(
    brand_color: String,
    wizard: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::manages_settings, "change the branding")?
                .id;
            let color = crate::model::brand_color(&brand_color)
                .map_err(|e| AppError::field("brand_color", e))?;
            let mut tx = cx.tx().await?;
            repo::orgs::update_brand_color(&mut tx, &color).await?;
            repo::audit::record(
                &mut tx,
                Some(m),
                "organization.brand_changed",
                None,
                serde_json::json!({ "color": color }),
            )
            .await?;
            wizard_done(&mut tx, &wizard, "branding").await?;
            tx.commit().await
        }
        .await,
    )
}

#[server(endpoint = "settings/pricing")]
pub async fn update_pricing(
    home_state: String,
    custom_markup: String,
    wizard: Option<String>,
) -> Result<(), AppError> {
    use crate::model::{optional_markup, state_code, FieldErrors};
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::manages_settings, "change pricing")?
                .id;
            let mut e = FieldErrors::default();
            let state = e.check("home_state", state_code(&home_state));
            let markup = e.check("custom_markup", optional_markup(&custom_markup));
            let (state, markup) = e.finish(|| (state.unwrap_or_default(), markup.flatten()))?;
            let mut tx = cx.tx().await?;
            repo::orgs::update_pricing(&mut tx, &state, markup.as_deref()).await?;
            repo::audit::record(
                &mut tx,
                Some(m),
                "organization.pricing_changed",
                None,
                serde_json::json!({ "state": state }),
            )
            .await?;
            wizard_done(&mut tx, &wizard, "pricing").await?;
            tx.commit().await
        }
        .await,
    )
}

#[server(endpoint = "onboarding/get")]
pub async fn get_onboarding() -> Result<Onboarding, AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.member()?;
            let mut tx = cx.tx().await?;
            let o = repo::orgs::onboarding(&mut tx).await?;
            tx.commit().await?;
            Ok(o)
        }
        .await,
    )
}

/// Skips a wizard step (it can be resumed from the wizard's step list).
#[server(endpoint = "onboarding/skip")]
pub async fn skip_onboarding_step(step: String) -> Result<(), AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.member_who(crate::model::Role::manages_settings, "set up the company")?;
            let step =
                crate::model::onboarding_step(&step).map_err(|m| AppError::field("step", m))?;
            let mut tx = cx.tx().await?;
            if repo::orgs::onboarding(&mut tx).await?.state(step) != "done" {
                repo::orgs::set_onboarding_step(&mut tx, step, "skipped").await?;
            }
            tx.commit().await?;
            crate::server::redirect::after_action(&format!("/onboarding?from={step}"));
            Ok(())
        }
        .await,
    )
}

/// Hides the platform's name, logo and links from the tenant's pages and
/// emails (or shows them again): owners and admins, white-label plans.
#[server(endpoint = "settings/white_label")]
pub async fn set_white_label(hide: bool) -> Result<(), AppError> {
    use crate::model::billing::Feature;
    use crate::server::{billing, ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::manages_settings, "change the branding")?
                .id;
            let mut tx = cx.tx().await?;
            billing::require(&mut tx, Feature::WhiteLabel).await?;
            repo::orgs::set_hide_platform_brand(&mut tx, hide).await?;
            repo::audit::record(
                &mut tx,
                Some(m),
                "organization.white_label",
                None,
                serde_json::json!({ "hide_platform_brand": hide }),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        }
        .await,
    )
}

/// The workspace's deletion: scheduled or not, and whether it can be.
#[server(endpoint = "settings/deletion")]
pub async fn get_deletion() -> Result<crate::model::Deletion, AppError> {
    use crate::server::{ctx, deletion};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member()?;
            deletion::status(&cx, me).await
        }
        .await,
    )
}

/// The owner asks for the workspace to be deleted (after the grace
/// period), typing its subdomain to confirm.
#[server(endpoint = "settings/delete_workspace")]
pub async fn delete_workspace(confirm: String) -> Result<crate::model::Deletion, AppError> {
    use crate::server::{ctx, deletion};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member()?;
            deletion::request(&cx, me, &confirm).await
        }
        .await,
    )
}

/// The owner calls the deletion off.
#[server(endpoint = "settings/keep_workspace")]
pub async fn keep_workspace() -> Result<(), AppError> {
    use crate::server::{ctx, deletion};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member()?;
            deletion::cancel(&cx, me).await
        }
        .await,
    )
}
