//! Platform administration: the tenant list, suspend and reactivate.

use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::TenantList;

pub const TENANTS_PER_PAGE: i32 = 25;

#[server(endpoint = "admin/tenants")]
pub async fn admin_list_tenants(q: String, page: u32) -> Result<TenantList, AppError> {
    use crate::server::{ctx, platform};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.admin()?;
            let q: String = q.trim().chars().take(100).collect();
            let offset = (page.clamp(1, 100_000) as i32 - 1) * TENANTS_PER_PAGE;
            platform::list_tenants(&cx.state.pool, &q, TENANTS_PER_PAGE, offset).await
        }
        .await,
    )
}

#[server(endpoint = "admin/suspend")]
pub async fn admin_set_suspended(
    id: Uuid,
    suspended: bool,
    #[server(default)] reason: String,
) -> Result<crate::model::OrgStatus, AppError> {
    use crate::server::{ctx, platform};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let admin = cx.admin()?;
            let status = platform::set_suspended(&cx.state.pool, id, suspended, admin, &reason)
                .await?
                .ok_or(AppError::NotFound)?;
            tracing::info!(%admin, tenant = %id, status = status.code(), "tenant status changed by platform admin");
            Ok(status)
        }
        .await,
    )
}

/// Schedules a tenant's deletion (typing its subdomain), once its
/// subscription has ended; returns the day it is due (UTC).
#[server(endpoint = "admin/delete")]
pub async fn admin_schedule_deletion(id: Uuid, confirm: String) -> Result<String, AppError> {
    use crate::server::{ctx, deletion};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let admin = cx.admin()?;
            let due = deletion::admin_request(&cx.state, admin, id, &confirm).await?;
            tracing::info!(%admin, tenant = %id, "tenant deletion scheduled by platform admin");
            Ok(due.format("%b %-d, %Y").to_string())
        }
        .await,
    )
}

/// Calls a tenant's scheduled deletion off.
#[server(endpoint = "admin/keep")]
pub async fn admin_cancel_deletion(id: Uuid) -> Result<(), AppError> {
    use crate::server::{ctx, deletion};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let admin = cx.admin()?;
            deletion::admin_cancel(&cx.state, admin, id).await?;
            tracing::info!(%admin, tenant = %id, "tenant deletion called off by platform admin");
            Ok(())
        }
        .await,
    )
}
