//! Text messages (the SMS add-on): the office's overview, the crew's "on
//! the way", and a homeowner told a collar battery is due. Thin over
//! `server::sms`.

use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::sms::{OnTheWay, SmsOverview};

/// Settings → Text messages: the add-on, usage by month, the latest texts.
#[server(endpoint = "sms/overview")]
pub async fn get_sms_overview() -> Result<SmsOverview, AppError> {
    use crate::server::{ctx, sms};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.member_who(crate::model::Role::manages_settings, "see text messages")?;
            sms::overview(&cx).await
        }
        .await,
    )
}

/// From the crew's phone: the homeowner is texted that the crew is on the
/// way, arriving in about `minutes`.
#[server(endpoint = "jobs/on_my_way")]
pub async fn on_my_way(job_id: Uuid, minutes: String) -> Result<OnTheWay, AppError> {
    use crate::server::{ctx, sms};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member()?;
            let minutes: u32 = minutes.trim().parse().map_err(|_| {
                AppError::field("minutes", "Choose how many minutes until you arrive.")
            })?;
            sms::on_the_way(&cx, me, job_id, minutes).await
        }
        .await,
    )
}

/// The office texts a homeowner that a collar battery is due.
#[server(endpoint = "schedule/text_battery")]
pub async fn text_battery(property_id: Uuid) -> Result<String, AppError> {
    use crate::server::{ctx, sms};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member_who(crate::model::Role::edits_customers, "text homeowners")?;
            sms::battery_due(&cx, me, property_id).await
        }
        .await,
    )
}
