//! The homeowner's reminder switch: the page a reminder's "turn them off"
//! link opens. No login; the link's token names one customer of this host's
//! tenant.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::ReminderChoice;

#[server(endpoint = "reminders/link")]
pub async fn reminder_link(token: String) -> Result<ReminderChoice, AppError> {
    use crate::server::{ctx, notices};
    crate::server::reply(async { notices::reminder_link(&ctx()?, &token).await }.await)
}

/// Turns the customer's appointment reminders off (or back on).
#[server(endpoint = "reminders/set")]
pub async fn set_reminders(token: String, on: bool) -> Result<(), AppError> {
    use crate::server::{ctx, notices, redirect};
    use leptos::server_fn::ServerFn;
    let result = async { notices::set_reminders(&ctx()?, &token, on).await }.await;
    redirect::form_returns_to(SetReminders::PATH, &format!("/reminders/{token}"), &result);
    crate::server::reply(result)
}
