//! The schedule service: crews, the board, and moving a job on it. Every
//! move is one transaction that locks the job and the crew it goes to,
//! checks the booking rules (`model::schedule::check_booking`, the same the
//! board runs while dragging), writes the job and its history (who moved it,
//! from where to where), and answers what it did so the board can undo it.

use chrono::{Duration, NaiveDate, Utc};
use uuid::Uuid;

use super::context::UserRef;
use super::{repo, RequestCtx};
use crate::error::AppError;
use crate::model::schedule::{
    check_booking, parse_clock, parse_minutes, Board, BoardJob, Crew, CrewForm, CrewMember,
    CrewsData, Moved, MyDay, Placement, TimeWindow, MAX_CREWS,
};
use crate::model::time::local_day;
use crate::model::JobStatus;

#[tracing::instrument(skip_all)]
pub async fn crews(cx: &RequestCtx, me: &UserRef) -> Result<CrewsData, AppError> {
    let mut tx = cx.tx().await?;
    let crews = repo::schedule::crews(&mut tx).await?;
    let people = repo::users::list(&mut tx)
        .await?
        .into_iter()
        .map(|u| CrewMember {
            user_id: u.id,
            name: u.name,
        })
        .collect();
    tx.commit().await?;
    Ok(CrewsData {
        crews,
        people,
        can_edit: me.role.edits_customers(),
    })
}

#[tracing::instrument(skip_all)]
pub async fn save_crew(
    cx: &RequestCtx,
    me: &UserRef,
    id: Option<Uuid>,
    form: &CrewForm,
) -> Result<Uuid, AppError> {
    let valid = form.validate().map_err(AppError::Validation)?;
    let mut tx = cx.tx().await?;
    if id.is_none() && repo::schedule::count(&mut tx).await? >= MAX_CREWS as i64 {
        return Err(AppError::Limit(format!(
            "A company can have at most {MAX_CREWS} crews; remove one first."
        )));
    }
    let saved = repo::schedule::save(&mut tx, id, &valid)
        .await?
        .ok_or(AppError::NotFound)?;
    super::live::notify(&mut tx, "crew.saved", None, &[saved]).await?;
    repo::audit::record(
        &mut tx,
        Some(me.id),
        if id.is_some() {
            "crew.updated"
        } else {
            "crew.created"
        },
        Some(saved),
        serde_json::json!({ "name": valid.name, "members": valid.members.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

/// Removes a crew; its jobs keep their day and go back to the list of jobs
/// waiting for a crew and a time, each with a history note.
#[tracing::instrument(skip_all, fields(%id))]
pub async fn delete_crew(cx: &RequestCtx, me: &UserRef, id: Uuid) -> Result<usize, AppError> {
    let mut tx = cx.tx().await?;
    let name = repo::schedule::crews(&mut tx)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .map(|c| c.name)
        .ok_or(AppError::NotFound)?;
    let jobs = repo::schedule::delete(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    for j in &jobs {
        repo::jobs::record(
            &mut tx,
            *j,
            Some(JobStatus::Scheduled),
            JobStatus::Scheduled,
            Some(me.id),
            &format!("Crew {name} was removed; the job needs a crew and a time again."),
        )
        .await?;
    }
    super::live::notify(&mut tx, "crew.deleted", None, &[id]).await?;
    repo::audit::record(
        &mut tx,
        Some(me.id),
        "crew.deleted",
        Some(id),
        serde_json::json!({ "name": name, "jobs_unbooked": jobs.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(jobs.len())
}

/// The board for `days` days (1 or 7) from `from` (default: today, or the
/// Monday of this week for a week).
#[tracing::instrument(skip_all)]
pub async fn board(
    cx: &RequestCtx,
    me: &UserRef,
    from: Option<&str>,
    days: u32,
) -> Result<Board, AppError> {
    let days = if days >= 7 { 7 } else { 1 };
    let from = match from.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| AppError::field("from", "Enter the date as YYYY-MM-DD."))?,
        ),
        None => None,
    };
    let mut tx = cx.tx().await?;
    let zone = repo::orgs::time_zone(&mut tx).await?;
    let today = local_day(Utc::now(), &zone);
    // A week starts on Monday; a day on today.
    let from = from.unwrap_or(if days == 7 {
        today - Duration::days(chrono::Datelike::weekday(&today).num_days_from_monday() as i64)
    } else {
        today
    });
    let start = repo::schedule::utc_start(from, 0, &zone);
    let end = repo::schedule::utc_start(from + Duration::days(days as i64), 0, &zone);
    let crews = repo::schedule::crews(&mut tx).await?;
    let booked = repo::schedule::booked(&mut tx, &zone, start, end, None).await?;
    let waiting = repo::schedule::waiting(&mut tx, &zone).await?;
    tx.commit().await?;
    Ok(Board {
        from,
        days,
        today,
        zone,
        crews,
        booked,
        waiting,
        can_edit: me.role.edits_customers(),
    })
}

/// A move as asked for: a crew, day and start (booked), a day alone
/// (scheduled, time to be set), or nothing (back to waiting).
#[derive(Debug, Clone)]
pub struct Move {
    pub crew: Option<Uuid>,
    pub day: Option<NaiveDate>,
    pub start: Option<u32>,
    pub minutes: Option<u32>,
    pub window: Option<TimeWindow>,
}

impl Move {
    /// Reads the form; the errors say what to fix.
    pub fn parse(
        crew: Option<Uuid>,
        day: Option<&str>,
        start: Option<&str>,
        minutes: Option<&str>,
        window: Option<&str>,
    ) -> Result<Move, AppError> {
        let text = |v: Option<&str>| v.map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        let day = match text(day) {
            Some(d) => Some(
                NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|_| AppError::field("day", "Enter the day as YYYY-MM-DD."))?,
            ),
            None => None,
        };
        let start = text(start)
            .map(|s| parse_clock(&s).map_err(|m| AppError::field("start", m)))
            .transpose()?;
        let minutes = text(minutes)
            .map(|s| parse_minutes(&s).map_err(|m| AppError::field("minutes", m)))
            .transpose()?;
        let window = text(window)
            .map(|w| {
                TimeWindow::parse(&w)
                    .ok_or_else(|| AppError::field("window", "Choose the customer's window."))
            })
            .transpose()?;
        match (crew, day, start) {
            (Some(_), Some(_), Some(_)) | (None, Some(_), None) | (None, None, None) => {}
            (Some(_), None, _) => {
                return Err(AppError::field("day", "Choose the day for the crew."))
            }
            (Some(_), Some(_), None) => {
                return Err(AppError::field("start", "Choose the time the crew starts."))
            }
            (None, _, Some(_)) => {
                return Err(AppError::field("crew", "Choose the crew for this time."))
            }
        }
        Ok(Move {
            crew,
            day,
            start,
            minutes,
            window,
        })
    }
}

/// Moves a job on the board (see [`Move`]); refused with the reason when
/// the booking breaks a rule. Returns where it was and where it is.
#[tracing::instrument(skip_all, fields(%id))]
pub async fn place(cx: &RequestCtx, me: &UserRef, id: Uuid, m: Move) -> Result<Moved, AppError> {
    let mut tx = cx.tx().await?;
    let zone = repo::orgs::time_zone(&mut tx).await?;
    let job: BoardJob = repo::schedule::job_for_update(&mut tx, &zone, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !matches!(job.status, JobStatus::Approved | JobStatus::Scheduled) {
        return Err(AppError::Conflict(format!(
            "J-{} is {}: only approved and scheduled jobs can be moved.",
            job.number,
            job.status.label().to_lowercase()
        )));
    }
    let minutes = m.minutes.unwrap_or(job.place.minutes);
    let window = m.window.unwrap_or(job.window);
    let crews = repo::schedule::crews(&mut tx).await?;
    let mut starts_at = None;
    if let (Some(crew_id), Some(day), Some(start)) = (m.crew, m.day, m.start) {
        if !repo::schedule::lock(&mut tx, crew_id).await? {
            return Err(AppError::NotFound);
        }
        let crew = crews
            .iter()
            .find(|c| c.id == crew_id)
            .ok_or(AppError::NotFound)?;
        let others = repo::schedule::booked(
            &mut tx,
            &zone,
            repo::schedule::utc_start(day, 0, &zone),
            repo::schedule::utc_start(day + Duration::days(1), 0, &zone),
            Some(crew_id),
        )
        .await?;
        check_booking(id, crew, day, start, minutes, window, &others)
            .map_err(AppError::Conflict)?;
        starts_at = Some(repo::schedule::utc_start(day, start, &zone));
    }
    let after = Placement {
        crew_id: m.crew,
        day: m.day,
        start: m.start,
        minutes,
    };
    let before = job.place;
    let mut note = match (before.booked().is_some() || before.day.is_some(), after.day) {
        (false, Some(_)) => format!("Scheduled: {}", after.describe(&crews)),
        (_, None) => format!("Taken off the schedule (was {})", before.describe(&crews)),
        (true, Some(_)) => format!(
            "Moved from {} to {}",
            before.describe(&crews),
            after.describe(&crews)
        ),
    };
    if window != job.window {
        note.push_str(&format!("; customer's window: {}", window.label()));
    }
    if before == after && window == job.window {
        tx.commit().await?;
        return Ok(Moved {
            job_id: id,
            number: job.number,
            before,
            after,
            note: "Nothing changed.".into(),
        });
    }
    repo::schedule::place(&mut tx, id, m.crew, starts_at, m.day, minutes, window).await?;
    let to = if m.day.is_some() {
        JobStatus::Scheduled
    } else {
        JobStatus::Approved
    };
    repo::jobs::record(&mut tx, id, Some(job.status), to, Some(me.id), &note).await?;
    let touched: Vec<Uuid> = before.crew_id.into_iter().chain(m.crew).collect();
    super::live::notify(&mut tx, "job.placed", Some(id), &touched).await?;
    repo::audit::record(
        &mut tx,
        Some(me.id),
        "job.placed",
        Some(id),
        serde_json::json!({
            "crew": m.crew, "day": m.day, "start": m.start, "minutes": minutes,
            "before": { "crew": before.crew_id, "day": before.day, "start": before.start },
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(Moved {
        job_id: id,
        number: job.number,
        before,
        after,
        note,
    })
}

/// The signed-in member's stops on `day` (default today): the jobs booked
/// on the crews they belong to, in start order.
#[tracing::instrument(skip_all)]
pub async fn my_day(cx: &RequestCtx, me: &UserRef, day: Option<&str>) -> Result<MyDay, AppError> {
    let mut tx = cx.tx().await?;
    let zone = repo::orgs::time_zone(&mut tx).await?;
    let today = local_day(Utc::now(), &zone);
    let day = match day.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| AppError::field("day", "Enter the day as YYYY-MM-DD."))?,
        None => today,
    };
    let crews: Vec<Crew> = repo::schedule::crews(&mut tx)
        .await?
        .into_iter()
        .filter(|c| c.members.iter().any(|m| m.user_id == me.id))
        .collect();
    let mut stops = Vec::new();
    for c in &crews {
        stops.extend(
            repo::schedule::booked(
                &mut tx,
                &zone,
                repo::schedule::utc_start(day, 0, &zone),
                repo::schedule::utc_start(day + Duration::days(1), 0, &zone),
                Some(c.id),
            )
            .await?,
        );
    }
    stops.sort_by_key(|s| (s.place.start, s.number));
    tx.commit().await?;
    Ok(MyDay {
        day,
        today,
        crews,
        stops,
    })
}

/// The office's day for the dashboard: each crew's jobs today (a job not
/// started 30 minutes after its start is flagged late), the queue, quotes
/// out, money won this month, collar batteries due within three weeks and
/// failed deliveries, each as something to act on.
#[tracing::instrument(skip_all)]
pub async fn overview(
    tx: &mut super::TenantTx,
) -> Result<crate::model::schedule::DayOverview, AppError> {
    use crate::model::schedule::{clock, DayOverview, BATTERY_DAYS, LATE_AFTER_MINUTES};
    let zone = repo::orgs::time_zone(tx).await?;
    let now = Utc::now();
    let today = local_day(now, &zone);
    let minute = repo::schedule::local_minute(now, &zone);
    let crews = repo::schedule::crews(tx).await?;
    let booked = repo::schedule::booked(
        tx,
        &zone,
        repo::schedule::utc_start(today, 0, &zone),
        repo::schedule::utc_start(today + Duration::days(1), 0, &zone),
        None,
    )
    .await?;
    let (to_schedule, with_customer, with_manager, won_jobs, won, failed_mail) =
        repo::schedule::counts(tx).await?;
    let batteries_due =
        repo::schedule::batteries_due(tx, today + Duration::days(21), BATTERY_DAYS).await?;
    let mut attention = Vec::new();
    for j in &booked {
        if let (JobStatus::Scheduled, Some(s)) = (j.status, j.place.start) {
            if minute >= s + LATE_AFTER_MINUTES && j.place.day == Some(today) {
                let crew = crews
                    .iter()
                    .find(|c| Some(c.id) == j.place.crew_id)
                    .map(|c| c.name.as_str())
                    .unwrap_or("The crew");
                attention.push((
                    format!(
                        "{crew} has not started J-{} ({}), due at {}.",
                        j.number,
                        j.customer_name,
                        clock(s)
                    ),
                    format!("/jobs/{}", j.id),
                ));
            }
        }
    }
    if failed_mail > 0 {
        attention.push((
            format!(
                "{} not delivered this week.",
                crate::model::count(failed_mail, "email was", "emails were")
            ),
            "/settings/team".into(),
        ));
    }
    let overdue = batteries_due.iter().filter(|b| b.due < today).count();
    if overdue > 0 {
        attention.push((
            format!(
                "{} overdue for a collar battery.",
                crate::model::count(overdue as i64, "pet is", "pets are")
            ),
            "#batteries".into(),
        ));
    }
    let by_crew = crews
        .into_iter()
        .map(|c| {
            let jobs = booked
                .iter()
                .filter(|j| j.place.crew_id == Some(c.id))
                .cloned()
                .collect();
            (c, jobs)
        })
        .collect();
    Ok(DayOverview {
        today: Some(today),
        crews: by_crew,
        to_schedule,
        quotes_with_customer: with_customer,
        quotes_with_manager: with_manager,
        won_this_month: won,
        won_jobs,
        batteries_due,
        attention,
    })
}
