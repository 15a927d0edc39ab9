//! Platform administration: the tenant list, suspend and reactivate.

use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::TenantList;

pub const TENANTS_PER_PAGE: i64 = 25;

#[server(endpoint = "admin/tenants")]
pub async fn admin_list_tenants(q: String, page: u32) -> Result<TenantList, AppError> {
    use crate::server::{ctx, platform};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.admin()?;
            let offset = (page.max(1) as i64 - 1) * TENANTS_PER_PAGE;
            platform::list_tenants(&cx.state.pool, q.trim(), TENANTS_PER_PAGE, offset).await
        }
        .await,
    )
}

#[server(endpoint = "admin/suspend")]
pub async fn admin_set_suspended(id: Uuid, suspended: bool) -> Result<String, AppError> {
    use crate::server::{ctx, platform};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let admin = cx.admin()?;
            let status = platform::set_suspended(&cx.state.pool, id, suspended).await?.ok_or(AppError::NotFound)?;
            tracing::info!(%admin, tenant = %id, %status, "tenant status changed by platform admin");
            Ok(status)
        }
        .await,
    )
}
