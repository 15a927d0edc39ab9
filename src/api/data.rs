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

/// What a restore from one of the workspace's archives would replace
/// (owners).
#[server(endpoint = "restore/preview")]
pub async fn restore_preview(
    id: uuid::Uuid,
) -> Result<crate::model::export::RestorePreview, AppError> {
    use crate::server::{ctx, restore};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.member_who(
                |r| r == crate::model::Role::Owner,
                "restore the workspace's data",
            )?;
            restore::preview(&cx, id).await
        }
        .await,
    )
}

/// Restores the workspace from one of its archives (owners, who type the
/// confirmation word); it runs in the background.
#[server(endpoint = "restore/start")]
pub async fn start_restore(id: uuid::Uuid, confirm: String) -> Result<DataOverview, AppError> {
    use crate::server::{ctx, restore};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member_who(
                |r| r == crate::model::Role::Owner,
                "restore the workspace's data",
            )?;
            restore::request(&cx, me, id, &confirm).await
        }
        .await,
    )
}

/// Settings → Import: the dry run waiting for confirmation, the import
/// under way (its progress) and those done with their reports (owners).
#[server(endpoint = "import/overview")]
pub async fn get_import_overview() -> Result<crate::model::export::ImportOverview, AppError> {
    use crate::server::{ctx, import};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.member_who(
                |r| r == crate::model::Role::Owner,
                "import data from the old system",
            )?;
            import::overview(&cx).await
        }
        .await,
    )
}

/// Runs a planned import (the owner confirmed its dry run); it runs in the
/// background.
#[server(endpoint = "import/start")]
pub async fn start_import(
    id: uuid::Uuid,
) -> Result<crate::model::export::ImportOverview, AppError> {
    use crate::server::{ctx, import};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member_who(
                |r| r == crate::model::Role::Owner,
                "import data from the old system",
            )?;
            import::start(&cx, me, id).await
        }
        .await,
    )
}

/// Drops a dry run without importing.
#[server(endpoint = "import/discard")]
pub async fn discard_import(
    id: uuid::Uuid,
) -> Result<crate::model::export::ImportOverview, AppError> {
    use crate::server::{ctx, import};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.member_who(
                |r| r == crate::model::Role::Owner,
                "import data from the old system",
            )?;
            import::discard(&cx, id).await
        }
        .await,
    )
}
