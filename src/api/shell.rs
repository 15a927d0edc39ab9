//! The page shell: where we are and who is looking; and the dashboard.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{Dashboard, Shell};

#[server(endpoint = "shell")]
pub async fn get_shell() -> Result<Shell, AppError> {
    use crate::model::{SiteKind, Viewer};
    use crate::server::context::{Principal, Site};
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let site = match cx.site {
                Site::Platform => SiteKind::Platform,
                Site::Tenant { read_only, .. } => {
                    let mut tx = cx.tx().await?;
                    let mut brand = repo::orgs::brand(&mut tx).await?;
                    tx.commit().await?;
                    brand.read_only = read_only;
                    brand.grace_ends_at = brand
                        .grace_ends_at
                        .map(|s| s + chrono::Duration::days(cx.state.billing.grace_days));
                    SiteKind::Tenant(brand)
                }
            };
            let viewer = match &cx.principal {
                Some(Principal::User(u)) => Some(Viewer {
                    id: u.id,
                    name: u.name.clone(),
                    email: u.email.clone(),
                    role: Some(u.role),
                }),
                Some(Principal::Admin { id, name, email }) => Some(Viewer {
                    id: *id,
                    name: name.clone(),
                    email: email.clone(),
                    role: None,
                }),
                None => None,
            };
            let p = &cx.state.config.platform;
            // A white-labelled tenant's pages carry its name where the
            // platform's would be (titles), and nothing of the platform's.
            let (platform_name, platform_url) = match &site {
                SiteKind::Tenant(b) if b.white_label => {
                    (b.company_name.clone(), cx.state.tenant_base(b))
                }
                _ => (p.name.clone(), p.public_url.clone()),
            };
            // Dates as the reader writes them: their browser's language.
            let date_style = crate::server::context::reader_date_style();
            Ok(Shell {
                site,
                viewer,
                platform_name,
                platform_url,
                date_style,
            })
        }
        .await,
    )
}

#[server(endpoint = "dashboard")]
pub async fn get_dashboard() -> Result<Dashboard, AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let role = cx.member()?.role;
            let mut tx = cx.list_tx().await?;
            let day = if role.edits_customers() {
                crate::server::schedule::overview(&mut tx).await?
            } else {
                Default::default()
            };
            let d = Dashboard {
                role,
                customers: repo::customers::count(&mut tx).await?,
                team: repo::users::count(&mut tx).await?,
                recent: repo::customers::recent(&mut tx, 5).await?,
                onboarding: repo::orgs::onboarding(&mut tx).await?,
                day,
            };
            tx.commit().await?;
            Ok(d)
        }
        .await,
    )
}
