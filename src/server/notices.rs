//! The messages that follow the work: the office hears when a homeowner
//! answers a quote; the homeowner hears when their installation is booked
//! or moved, and is reminded the day before (unless they turned reminders
//! off). Each is queued in the transaction of what caused it.

use std::collections::BTreeMap;

use chrono::{Duration, Timelike, Utc};
use uuid::Uuid;

use super::emails::{self, Kind};
use super::repo::notices::JobNotice;
use super::{repo, AppState, TenantTx};
use crate::error::AppError;
use crate::model::templates::TemplateKind;
use crate::model::time;

/// How long a booking notice waits before it goes, so that a job dragged
/// around the board sends one message for where it lands.
pub const NOTICE_DELAY_SECONDS: i32 = 60;

/// Reminders go out the day before, between these local hours (no
/// messages at night in the tenant's time zone).
const REMINDER_HOURS: std::ops::Range<u32> = 8..20;

/// "Tuesday, March 3, arriving around 8:00 AM" (or the window when the
/// crew's start is not set).
pub fn when(n: &JobNotice, zone: &str) -> Option<String> {
    let day = n.day?;
    let date = day.format("%A, %B %-d").to_string();
    Some(match n.starts_at {
        Some(at) => {
            let local = time::to_local(at, zone);
            format!("{date}, arriving around {}", local.format("%-I:%M %p"))
        }
        None => match n.window.as_str() {
            "morning" => format!("{date}, in the morning"),
            "afternoon" => format!("{date}, in the afternoon"),
            _ => date,
        },
    })
}

/// How the homeowner reaches the business.
pub fn contact(n: &JobNotice) -> String {
    match (&n.phone, &n.support_email) {
        (Some(p), Some(_)) => format!("Call {p} or reply to this email."),
        (Some(p), None) => format!("Call {} at {p}.", n.company_name),
        (None, Some(e)) => format!("Reply to this email or write to {e}."),
        (None, None) => format!("Contact {} directly.", n.company_name),
    }
}

/// After a job is placed on (or taken off) the schedule: withdraws a
/// booking notice that has not gone out and queues one for where the job
/// is now, if it is booked and the customer has an email.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %job))]
pub async fn job_placed(tx: &mut TenantTx, job: Uuid) -> Result<(), AppError> {
    let kinds = [Kind::JobScheduled, Kind::JobRescheduled];
    repo::outbox::supersede(tx, &kinds, job).await?;
    let Some(n) = repo::notices::job(tx, job).await? else {
        return Ok(());
    };
    let Some(email) = n.email.clone().filter(|_| n.status == "scheduled") else {
        return Ok(());
    };
    let zone = repo::orgs::time_zone(tx).await?;
    let Some(when) = when(&n, &zone) else {
        return Ok(());
    };
    let moved = repo::outbox::delivered_before(tx, &kinds, job).await?;
    let custom = super::templates::custom(
        tx,
        if moved {
            TemplateKind::JobRescheduled
        } else {
            TemplateKind::JobScheduled
        },
    )
    .await?;
    let mail = emails::job_scheduled(
        custom.as_ref(),
        &n.customer_name,
        &n.company_name,
        n.number,
        &when,
        &contact(&n),
        moved,
    );
    repo::outbox::queue_after(tx, &email, &mail, Some(job), NOTICE_DELAY_SECONDS).await?;
    Ok(())
}

/// The office hears that the homeowner approved or declined.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %quote))]
#[allow(clippy::too_many_arguments)]
pub async fn quote_answered(
    state: &AppState,
    tx: &mut TenantTx,
    quote: Uuid,
    number: i32,
    customer: &str,
    total: &str,
    approved: bool,
    reason: &str,
) -> Result<(), AppError> {
    let brand = repo::orgs::brand(tx).await?;
    let link = format!("{}/quotes/{quote}", state.tenant_base(&brand));
    let mail = emails::quote_answered(customer, number, total, approved, reason, &link);
    for to in repo::notices::quote_office(tx, quote).await? {
        repo::outbox::queue(tx, &to, &mail, Some(quote)).await?;
    }
    Ok(())
}

/// One round of appointment reminders: every scheduled job whose day is
/// tomorrow in its tenant's zone, once per day it is booked for, inside
/// the tenant's daytime hours. Returns how many were queued.
#[tracing::instrument(skip_all)]
pub async fn remind_appointments(state: &AppState) -> Result<usize, AppError> {
    remind_appointments_at(state, Utc::now()).await
}

/// [`remind_appointments`] as if it were `now` (the tests' clock).
pub async fn remind_appointments_at(
    state: &AppState,
    now: chrono::DateTime<Utc>,
) -> Result<usize, AppError> {
    let rows = sqlx::query!(
        r#"select org_id as "org_id!", id as "id!" from platform.jobs_to_remind($1)"#,
        now.date_naive() as _
    )
    .fetch_all(&state.pool)
    .await?;
    let mut by_org: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    for r in rows {
        by_org.entry(r.org_id).or_default().push(r.id);
    }
    let mut queued = 0;
    for (org, jobs) in by_org {
        let mut tx = TenantTx::begin(&state.pool, org).await?;
        let zone = repo::orgs::time_zone(&mut tx).await?;
        let local = time::to_local(now, &zone);
        if !REMINDER_HOURS.contains(&local.hour()) {
            continue;
        }
        let tomorrow = local.date_naive() + Duration::days(1);
        for job in jobs {
            let Some(n) = repo::notices::job(&mut tx, job).await? else {
                continue;
            };
            if n.status != "scheduled" || n.day != Some(tomorrow) {
                continue;
            }
            if !repo::notices::mark_reminded(&mut tx, job, tomorrow).await? {
                continue;
            }
            if !n.reminders {
                continue;
            }
            let Some(when) = when(&n, &zone) else {
                continue;
            };
            // A text too, with the SMS add-on (held until morning where
            // the homeowner lives if need be).
            let texted = super::sms::to_customer(
                &mut tx,
                crate::model::sms::SmsKind::Reminder,
                n.customer_id,
                Some(job),
                None,
                now,
                |c| {
                    crate::model::sms::reminder_text(
                        &n.company_name,
                        &c.name,
                        &when,
                        n.phone.as_deref(),
                    )
                },
            )
            .await?;
            if texted.queued() {
                queued += 1;
            }
            let Some(email) = n.email.clone() else {
                continue;
            };
            let stop = format!(
                "{}/reminders/{}",
                state
                    .config
                    .tenant_base(&n.subdomain, n.custom_domain.as_deref()),
                n.reminder_token
            );
            let custom = super::templates::custom(&mut tx, TemplateKind::Reminder).await?;
            let mail = emails::reminder(
                custom.as_ref(),
                &n.customer_name,
                &n.company_name,
                n.number,
                &when,
                &contact(&n),
                &stop,
            );
            repo::outbox::queue(&mut tx, &email, &mail, Some(job)).await?;
            queued += 1;
        }
        tx.commit().await?;
    }
    Ok(queued)
}

/// What the reminder link's page shows: the customer's first name and
/// whether reminders are on; `NotFound` for a link that names nobody here.
#[tracing::instrument(skip_all)]
pub async fn reminder_link(
    cx: &super::RequestCtx,
    token: &str,
) -> Result<crate::model::ReminderChoice, AppError> {
    let token = Uuid::parse_str(token.trim()).map_err(|_| AppError::NotFound)?;
    let mut tx = cx.tx().await?;
    let (_, name, on) = repo::notices::by_reminder_token(&mut tx, token)
        .await?
        .ok_or(AppError::NotFound)?;
    let brand = repo::orgs::brand(&mut tx).await?;
    tx.commit().await?;
    Ok(crate::model::ReminderChoice {
        first_name: name.split_whitespace().next().unwrap_or("").to_string(),
        company_name: brand.company_name,
        reminders: on,
    })
}

/// The homeowner turns reminders off (or back on) through their link.
#[tracing::instrument(skip_all)]
pub async fn set_reminders(cx: &super::RequestCtx, token: &str, on: bool) -> Result<(), AppError> {
    let token = Uuid::parse_str(token.trim()).map_err(|_| AppError::NotFound)?;
    let mut tx = cx.tx().await?;
    let customer = repo::notices::set_reminders_by_token(&mut tx, token, on)
        .await?
        .ok_or(AppError::NotFound)?;
    repo::audit::record(
        &mut tx,
        None,
        if on {
            "customer.reminders_on"
        } else {
            "customer.reminders_off"
        },
        Some(customer),
        serde_json::json!({ "by": "homeowner link" }),
    )
    .await?;
    tx.commit().await
}
