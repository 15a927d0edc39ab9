//! Custom email templates (Enterprise): list, save, reset. The preview is
//! rendered in the browser with the same code that sends.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::templates::{TemplateEntry, TemplateForm};

/// Every template (custom or default), and whether the plan allows
/// changing them.
#[server(endpoint = "templates/list")]
pub async fn list_templates() -> Result<(Vec<TemplateEntry>, bool), AppError> {
    use crate::server::{ctx, templates};
    crate::server::reply(async { templates::list(&ctx()?).await }.await)
}

#[server(endpoint = "templates/save")]
pub async fn save_template(kind: String, form: TemplateForm) -> Result<String, AppError> {
    use crate::server::{ctx, templates};
    crate::server::reply(async { templates::save(&ctx()?, &kind, form).await }.await)
}

#[server(endpoint = "templates/reset")]
pub async fn reset_template(kind: String) -> Result<String, AppError> {
    use crate::server::{ctx, templates};
    crate::server::reply(async { templates::reset(&ctx()?, &kind).await }.await)
}
