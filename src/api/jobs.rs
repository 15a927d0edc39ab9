//! Jobs: list, view, status changes (only valid ones, recorded with who and
//! when), this month's usage. Photos are uploaded by a plain multipart route
//! (`server::routes::upload_photo`).

use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{JobDetail, JobRow, JobUsage};

#[server(endpoint = "jobs/list")]
pub async fn list_jobs(status: Option<String>) -> Result<Vec<JobRow>, AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.member()?;
            let status = status.and_then(|s| crate::model::JobStatus::parse(&s));
            let mut tx = cx.tx().await?;
            let rows = repo::jobs::list(&mut tx, status).await?;
            tx.commit().await?;
            Ok(rows)
        }
        .await,
    )
}

#[server(endpoint = "jobs/get")]
pub async fn get_job(id: Uuid) -> Result<JobDetail, AppError> {
    use crate::model::JobStatus;
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member()?;
            let can_manage = me.role.works_jobs();
            let mut tx = cx.tx().await?;
            let j = repo::jobs::get(&mut tx, id)
                .await?
                .ok_or(AppError::NotFound)?;
            let v = repo::quotes::version(&mut tx, j.quote_id, j.quote_version).await?;
            let events = repo::jobs::events(&mut tx, id).await?;
            let photos = repo::jobs::photos(&mut tx, id).await?;
            tx.commit().await?;
            Ok(JobDetail {
                id: j.id,
                number: j.number,
                status: JobStatus::parse(&j.status).unwrap_or(JobStatus::Approved),
                quote_id: j.quote_id,
                quote_number: j.quote_number,
                customer_id: j.customer_id,
                customer_name: j.customer_name,
                customer_phone: j.customer_phone,
                property_id: j.property_id,
                address: format!("{}, {}, {} {}", j.street, j.city, j.state, j.zip),
                lat: j.lat,
                lon: j.lon,
                scheduled_for: j.scheduled_for,
                total: j.total,
                takeoff: v.takeoff,
                events,
                photos,
                can_manage,
            })
        }
        .await,
    )
}

/// Moves a job to `to` if the lifecycle allows it. Scheduling needs a date;
/// completing needs the required before and after photos.
#[server(endpoint = "jobs/transition")]
pub async fn transition_job(
    id: Uuid,
    to: String,
    date: Option<String>,
    note: Option<String>,
) -> Result<(), AppError> {
    use crate::model::JobStatus;
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member_who(crate::model::Role::works_jobs, "change jobs")?;
            let m = me.id;
            let to = JobStatus::parse(&to)
                .ok_or_else(|| AppError::field("to", "Choose a valid job status."))?;
            // Crews start and finish work; the office does the rest.
            if !me.role.edits_customers()
                && !matches!(to, JobStatus::InProgress | JobStatus::Completed)
            {
                return Err(AppError::Forbidden(format!(
                    "Your role ({}) can start and complete jobs only.",
                    me.role.label()
                )));
            }
            let date = match date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
                Some(d) => Some(
                    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                        .map_err(|_| AppError::field("date", "Enter the date as YYYY-MM-DD."))?,
                ),
                None => None,
            };
            if to == JobStatus::Scheduled && date.is_none() {
                return Err(AppError::field(
                    "date",
                    "Choose the day to schedule the job.",
                ));
            }
            let note = note.unwrap_or_default();
            if note.chars().count() > 500 {
                return Err(AppError::field(
                    "note",
                    "A note can be at most 500 characters.",
                ));
            }
            let mut tx = cx.tx().await?;
            let from = repo::jobs::status_for_update(&mut tx, id)
                .await?
                .ok_or(AppError::NotFound)?;
            if !from.can_go_to(to) {
                return Err(AppError::Conflict(format!(
                    "A job that is {} cannot be moved to {}.",
                    from.label().to_lowercase(),
                    to.label().to_lowercase()
                )));
            }
            if to == JobStatus::Completed {
                let photos = repo::jobs::photos(&mut tx, id).await?;
                let missing = crate::model::missing_photos(&photos);
                if !missing.is_empty() {
                    return Err(AppError::Conflict(format!(
                        "Add at least one {} photo before completing the job.",
                        missing.join(" and one ")
                    )));
                }
            }
            repo::jobs::set_status(&mut tx, id, to, date).await?;
            let note = match (to, date) {
                (JobStatus::Scheduled, Some(d)) if note.is_empty() => {
                    format!("For {}", d.format("%a %b %-d, %Y"))
                }
                _ => note,
            };
            repo::jobs::record(&mut tx, id, Some(from), to, Some(m), &note).await?;
            repo::audit::record(
                &mut tx,
                Some(m),
                "job.status_changed",
                Some(id),
                serde_json::json!({ "from": from.code(), "to": to.code() }),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "jobs/usage")]
pub async fn jobs_this_month() -> Result<JobUsage, AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.member()?;
            let mut tx = cx.tx().await?;
            let (u, _) = repo::jobs::usage(&mut tx, false).await?;
            tx.commit().await?;
            Ok(u)
        }
        .await,
    )
}
