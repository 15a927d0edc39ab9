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
            let me = cx.member()?;
            let status = status.and_then(|s| crate::model::JobStatus::parse(&s));
            // Crews see the jobs booked on their crews only.
            let crew_member = (me.role == crate::model::Role::Crew).then_some(me.id);
            let mut tx = cx.list_tx().await?;
            let rows = repo::jobs::list(&mut tx, status, crew_member).await?;
            tx.commit().await?;
            Ok(rows)
        }
        .await,
    )
}

#[server(endpoint = "jobs/get")]
pub async fn get_job(id: Uuid) -> Result<JobDetail, AppError> {
    use crate::server::{ctx, jobs};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member()?;
            jobs::detail(&cx, me, id).await
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
    #[server(default)] amount: Option<String>,
    #[server(default)] op: Option<Uuid>,
) -> Result<(), AppError> {
    use crate::server::{ctx, jobs};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member_who(crate::model::Role::works_jobs, "change jobs")?;
            jobs::ensure_visible(&cx, me, id).await?;
            let mut t = jobs::Transition::parse(
                me,
                &to,
                date.as_deref(),
                note.as_deref(),
                amount.as_deref(),
            )?;
            t.op = op;
            jobs::transition(&cx, me.id, id, t).await
        }
        .await,
    )
}

/// Ticks (`done`) or unticks an item of the job's checklist. `op`, chosen
/// by the phone, makes sending it again harmless.
#[server(endpoint = "jobs/check")]
pub async fn check_item(
    id: Uuid,
    item: String,
    #[server(default)] done: bool,
    #[server(default)] op: Option<Uuid>,
) -> Result<(), AppError> {
    use crate::server::{ctx, jobs};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member_who(crate::model::Role::works_jobs, "tick the checklist")?;
            jobs::check(&cx, me, id, &item, done, op).await
        }
        .await,
    )
}

/// An owner corrects a job's invoiced or paid amount, with the reason.
#[server(endpoint = "jobs/correct_amount")]
pub async fn correct_job_amount(
    id: Uuid,
    kind: String,
    amount: String,
    reason: String,
) -> Result<(), AppError> {
    use crate::server::{ctx, jobs};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member()?;
            jobs::correct_amount(&cx, me, id, &kind, &amount, &reason).await
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
            let u = repo::jobs::usage(&mut tx).await?;
            tx.commit().await?;
            Ok(u)
        }
        .await,
    )
}
