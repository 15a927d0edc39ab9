//! Settings → Data: exports on demand and the daily cloud backups. Thin
//! over `server::exports`.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::export::DataOverview;

/// The latest exports and the kept backups (owners and admins).
#[server(endpoint = "data/overview")]
pub async fn get_data_overview() -> Result<DataOverview, AppError> {
    use crate::server::{ctx, exports};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.member_who(
                crate::model::Role::manages_settings,
                "export the workspace's data",
            )?;
            exports::overview(&cx).await
        }
        .await,
    )
}

/// Asks for an export of everything; it is built in the background.
#[server(endpoint = "data/export")]
pub async fn start_export() -> Result<DataOverview, AppError> {
    use crate::server::{ctx, exports};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member_who(
                crate::model::Role::manages_settings,
                "export the workspace's data",
            )?;
            exports::request(&cx, me).await
        }
        .await,
    )
}
