//! The schedule service: crews, the board, and moving a job on it. Every
//! move is one transaction that locks the job and the crew it goes to,
//! checks the booking rules (`model::schedule::check_booking`, the same the
//! board runs while dragging), writes the job and its history (who moved it,
//! from where to where), and answers what it did so the board can undo it.

use chrono::{Datelike, Duration, NaiveDate, Utc};
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

/// A day from a form field (`YYYY-MM-DD`; empty: none), or the message
/// saying how to write the `noun`.
fn optional_day(
    value: Option<&str>,
    field: &str,
    noun: &str,
) -> Result<Option<NaiveDate>, AppError> {
    value
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| AppError::field(field, format!("Enter the {noun} as YYYY-MM-DD.")))
        })
        .transpose()
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
    let from = optional_day(from, "from", "date")?;
    let mut tx = cx.list_tx().await?;
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
    let routes = repo::schedule::feature(&mut tx, "route_optimization").await?;
    let smart = repo::schedule::feature(&mut tx, "smart_scheduling").await?;
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
        routes,
        smart,
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
        let day = optional_day(day, "day", "day")?;
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
    let moved = place_in(&mut tx, me, id, m).await?;
    tx.commit().await?;
    Ok(moved)
}

/// [`place`] inside the caller's transaction (booking a new battery visit
/// creates it and places it in one).
#[tracing::instrument(skip_all, fields(%id))]
pub async fn place_in(
    tx: &mut super::TenantTx,
    me: &UserRef,
    id: Uuid,
    m: Move,
) -> Result<Moved, AppError> {
    let zone = repo::orgs::time_zone(tx).await?;
    let job: BoardJob = repo::schedule::job_for_update(tx, &zone, id)
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
    let crews = repo::schedule::crews(tx).await?;
    let mut starts_at = None;
    if let (Some(crew_id), Some(day), Some(start)) = (m.crew, m.day, m.start) {
        if !repo::schedule::lock(tx, crew_id).await? {
            return Err(AppError::NotFound);
        }
        let crew = crews
            .iter()
            .find(|c| c.id == crew_id)
            .ok_or(AppError::NotFound)?;
        let others = repo::schedule::booked(
            tx,
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
        return Ok(Moved {
            job_id: id,
            number: job.number,
            before,
            after,
            note: "Nothing changed.".into(),
        });
    }
    repo::schedule::place(tx, id, m.crew, starts_at, m.day, minutes, window).await?;
    let to = if m.day.is_some() {
        JobStatus::Scheduled
    } else {
        JobStatus::Approved
    };
    repo::jobs::record(tx, id, Some(job.status), to, Some(me.id), &note).await?;
    let touched: Vec<Uuid> = before.crew_id.into_iter().chain(m.crew).collect();
    super::live::notify(tx, "job.placed", Some(id), &touched).await?;
    super::notices::job_placed(tx, id).await?;
    repo::audit::record(
        tx,
        Some(me.id),
        "job.placed",
        Some(id),
        serde_json::json!({
            "crew": m.crew, "day": m.day, "start": m.start, "minutes": minutes,
            "before": { "crew": before.crew_id, "day": before.day, "start": before.start },
        }),
    )
    .await?;
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
    let day = optional_day(day, "day", "day")?.unwrap_or(today);
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
    let ids: Vec<Uuid> = stops.iter().map(|s| s.id).collect();
    let mut details = repo::schedule::stop_details(&mut tx, &ids).await?;
    let sms = repo::schedule::feature(&mut tx, crate::model::billing::Feature::Sms.code()).await?;
    let texted =
        repo::sms::last_about_each(&mut tx, crate::model::sms::SmsKind::OnTheWay, &ids).await?;
    let depot = repo::pricing::catalogue(&mut tx).await?.depot();
    tx.commit().await?;
    // Each stop's drive from the one before on its crew's day (the first
    // from the depot); 20 minutes when either end has no location.
    let mut last: std::collections::HashMap<Option<Uuid>, Option<(f64, f64)>> =
        std::collections::HashMap::new();
    let stops = stops
        .into_iter()
        .map(|job| {
            let d = details.remove(&job.id).unwrap_or_default();
            let here = job.lat.zip(job.lon);
            let from = last.insert(job.place.crew_id, here).unwrap_or(depot);
            let drive_minutes = match (from, here) {
                (Some(a), Some(b)) => {
                    crate::model::routing::drive_minutes(crate::model::routing::road_miles(a, b))
                        .ceil()
                        .clamp(5.0, 240.0) as u32
                }
                _ => 20,
            };
            crate::model::schedule::Stop {
                texted: texted.get(&job.id).map(|at| {
                    crate::model::time::to_local(*at, &zone)
                        .format("%-I:%M %p")
                        .to_string()
                }),
                job,
                phone: d.phone,
                gate_notes: d.gate_notes,
                pets: d.pets,
                checklist_done: d.checklist_done,
                drive_minutes,
            }
        })
        .collect();
    Ok(MyDay {
        day,
        today,
        crews,
        stops,
        sms,
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
    let month_start = today.with_day(1).unwrap_or(today);
    let saved = repo::schedule::month_savings(tx, month_start).await?;
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
            "/schedule/batteries".into(),
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
        saved,
        batteries_due,
        attention,
    })
}

/// A new order is offered only when it saves at least this many miles.
pub const MIN_SAVING_MILES: f64 = 0.5;

/// What [`optimise`] does: show the day as booked (every plan), or plan
/// the best order and show it, or plan it and write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteMode {
    AsBooked,
    Preview,
    Apply,
}

/// Optimises the order of a crew's stops on `day` (or every crew's, with no
/// crew): the plans with miles, drive time, fuel and money before and
/// after. With `apply`, each plan that saves something is written in the
/// same transaction (new start times, the job's history, the day's savings)
/// and announced; the crews are locked, so it is planned on the data it
/// changes. Growth and up (the plan's `route_optimization` flag).
#[tracing::instrument(skip_all, fields(apply))]
pub async fn optimise(
    cx: &RequestCtx,
    me: &UserRef,
    crew: Option<Uuid>,
    day: &str,
    mode: RouteMode,
) -> Result<Vec<crate::model::routing::RoutePlan>, AppError> {
    let apply = mode == RouteMode::Apply;
    use crate::model::routing::{timetable_with, RouteCost, RoutePlan, RouteStop};
    use rust_decimal::prelude::ToPrimitive;
    let day = optional_day(Some(day), "day", "day")?
        .ok_or_else(|| AppError::field("day", "Enter the day as YYYY-MM-DD."))?;
    let mut tx = cx.tx().await?;
    if mode != RouteMode::AsBooked {
        super::billing::require(&mut tx, crate::model::billing::Feature::RouteOptimization).await?;
    }
    let zone = repo::orgs::time_zone(&mut tx).await?;
    let catalogue = repo::pricing::catalogue(&mut tx).await?;
    let depot = catalogue.depot();
    let fuel_price = catalogue.fuel_price.to_f64().unwrap_or(0.0);
    let crews: Vec<Crew> = repo::schedule::crews(&mut tx)
        .await?
        .into_iter()
        .filter(|c| crew.is_none_or(|id| id == c.id))
        .collect();
    if crew.is_some() && crews.is_empty() {
        return Err(AppError::NotFound);
    }
    let mut plans = Vec::new();
    for c in crews {
        if apply && !repo::schedule::lock(&mut tx, c.id).await? {
            continue;
        }
        let jobs = repo::schedule::booked(
            &mut tx,
            &zone,
            repo::schedule::utc_start(day, 0, &zone),
            repo::schedule::utc_start(day + Duration::days(1), 0, &zone),
            Some(c.id),
        )
        .await?;
        let Ok(shift) = c.shift_on(day) else {
            continue;
        };
        if jobs.is_empty() {
            continue;
        }
        let from = c.start_lat.zip(c.start_lon).or(depot);
        let to = c.end_lat.zip(c.end_lon).or(from);
        let mpg = c.mpg.to_f64().unwrap_or(15.0);
        let mut kept = None;
        let (Some(from), Some(to)) = (from, to) else {
            plans.push(RoutePlan {
                crew_id: c.id,
                crew_name: c.name.clone(),
                color: c.color.clone(),
                day,
                from: (0.0, 0.0),
                to: (0.0, 0.0),
                before: RouteCost::default(),
                after: RouteCost::default(),
                booked: vec![],
                stops: vec![],
                kept: Some(
                    "Set the depot (Settings › Price book) or where this crew starts its day."
                        .into(),
                ),
                mpg,
                fuel_price,
                map_tiles: None,
                roads: false,
            });
            continue;
        };
        let booked: Vec<RouteStop> = jobs
            .iter()
            .filter_map(|j| {
                Some(RouteStop {
                    job_id: j.id,
                    number: j.number,
                    customer_name: j.customer_name.clone(),
                    address: format!("{}, {}", j.street, j.city),
                    at: j.lat.zip(j.lon)?,
                    start: j.place.start?,
                    minutes: j.place.minutes,
                })
            })
            .collect();
        if booked.len() < jobs.len() {
            kept = Some(
                "A stop has no map location; add it on the property to route this day.".into(),
            );
        } else if let Some(j) = jobs.iter().find(|j| j.status != JobStatus::Scheduled) {
            kept = Some(format!(
                "J-{} is {}: optimise a day before its work starts.",
                j.number,
                j.status.label().to_lowercase()
            ));
        }
        // Road miles and times between the day's points: the routing
        // server's table when one is configured, else the estimate.
        let mut points = vec![from, to];
        points.extend(booked.iter().map(|s| s.at));
        let dist = super::routing::distances(cx.state.config.routing_url.as_deref(), &points).await;
        let cost = |stops: &[RouteStop]| {
            let mut pts = vec![from];
            pts.extend(stops.iter().map(|s| s.at));
            pts.push(to);
            let (miles, minutes) = dist.along(&pts);
            RouteCost::of(miles, minutes, mpg, fuel_price)
        };
        let before = cost(&booked);
        let mut stops = booked.clone();
        if kept.is_none() && mode != RouteMode::AsBooked {
            let input: Vec<crate::server::routing::Stop> = jobs
                .iter()
                .zip(&booked)
                .map(|(j, s)| {
                    let (w0, w1) = j.window.bounds();
                    crate::server::routing::Stop {
                        at: s.at,
                        minutes: s.minutes,
                        window: (w0.max(shift[0]), w1.min(shift[1])),
                    }
                })
                .collect();
            let shift_pair = (shift[0], shift[1]);
            // Arrivals are rounded up to the quarter hour afterwards, so the
            // solver first plans with each stop 15 minutes longer (an order
            // that fits then still fits on the quarter hour), and only
            // without that slack when nothing fits with it.
            let order = tokio::task::spawn_blocking({
                let input = input.clone();
                let dist = dist.clone();
                move || {
                    let padded: Vec<_> = input
                        .iter()
                        .map(|s| crate::server::routing::Stop {
                            minutes: s.minutes + crate::model::schedule::SNAP,
                            window: (s.window.0, s.window.1 + crate::model::schedule::SNAP),
                            ..*s
                        })
                        .collect();
                    crate::server::routing::best_order_with(
                        &dist,
                        from,
                        to,
                        (shift_pair.0, shift_pair.1 + crate::model::schedule::SNAP),
                        &padded,
                        Default::default(),
                    )
                    .or_else(|| {
                        crate::server::routing::best_order_with(
                            &dist,
                            from,
                            to,
                            shift_pair,
                            &input,
                            Default::default(),
                        )
                    })
                }
            })
            .await
            .map_err(|e| super::db::internal(&e))?;
            match order {
                None => {
                    kept = Some(
                        "No order fits every stop in the crew's hours and the customers' windows."
                            .into(),
                    )
                }
                Some(order) => {
                    let seq: Vec<_> = order
                        .iter()
                        .map(|i| (input[*i].at, input[*i].minutes, input[*i].window))
                        .collect();
                    match timetable_with(&dist, from, to, &seq, shift_pair) {
                        None => {
                            kept = Some(
                                "The best order found does not fit the day on the quarter hour."
                                    .into(),
                            )
                        }
                        Some(starts) => {
                            let candidate: Vec<RouteStop> = order
                                .iter()
                                .zip(starts)
                                .map(|(i, start)| RouteStop {
                                    start,
                                    ..booked[*i].clone()
                                })
                                .collect();
                            // Worth changing customers' times for: half a
                            // mile or more.
                            if cost(&candidate).miles + MIN_SAVING_MILES <= before.miles {
                                stops = candidate;
                            } else {
                                kept = Some(
                                    "This day already drives the shortest order found.".into(),
                                );
                            }
                        }
                    }
                }
            }
        }
        let after = cost(&stops);
        let plan = RoutePlan {
            crew_id: c.id,
            crew_name: c.name.clone(),
            color: c.color.clone(),
            day,
            from,
            to,
            before,
            after,
            booked,
            stops,
            kept,
            mpg,
            fuel_price,
            map_tiles: cx.state.config.map_tile_url.clone(),
            roads: dist.from_roads(),
        };
        if apply && plan.changes() {
            let n = plan.stops.len();
            for (k, s) in plan.stops.iter().enumerate() {
                let was = plan
                    .booked
                    .iter()
                    .find(|b| b.job_id == s.job_id)
                    .map(|b| b.start)
                    .unwrap_or(s.start);
                let window = jobs
                    .iter()
                    .find(|j| j.id == s.job_id)
                    .map(|j| j.window)
                    .unwrap_or_default();
                repo::schedule::place(
                    &mut tx,
                    s.job_id,
                    Some(c.id),
                    Some(repo::schedule::utc_start(day, s.start, &zone)),
                    Some(day),
                    s.minutes,
                    window,
                )
                .await?;
                repo::jobs::record(
                    &mut tx,
                    s.job_id,
                    Some(JobStatus::Scheduled),
                    JobStatus::Scheduled,
                    Some(me.id),
                    &format!(
                        "Route optimised: stop {} of {n} for {}, {} (was {})",
                        k + 1,
                        c.name,
                        crate::model::schedule::clock(s.start),
                        crate::model::schedule::clock(was)
                    ),
                )
                .await?;
            }
            repo::schedule::record_savings(&mut tx, c.id, day, &plan.before, &plan.after, me.id)
                .await?;
            super::live::notify(&mut tx, "route.optimised", None, &[c.id]).await?;
            repo::audit::record(
                &mut tx,
                Some(me.id),
                "route.optimised",
                Some(c.id),
                serde_json::json!({
                    "day": day, "miles_before": plan.before.miles, "miles_after": plan.after.miles,
                }),
            )
            .await?;
        }
        plans.push(plan);
    }
    tx.commit().await?;
    Ok(plans)
}

/// Every crew's bookings from the start of `today` through the days a slot
/// search looks ahead ([`SUGGEST_DAYS`]).
pub async fn booked_ahead(
    tx: &mut super::TenantTx,
    zone: &str,
    today: NaiveDate,
) -> Result<Vec<BoardJob>, AppError> {
    repo::schedule::booked(
        tx,
        zone,
        repo::schedule::utc_start(today, 0, zone),
        repo::schedule::utc_start(today + Duration::days(SUGGEST_DAYS + 1), 0, zone),
        None,
    )
    .await
}

/// How many slot suggestions a job gets, and how far ahead they look.
pub const SUGGESTIONS: usize = 5;
pub const SUGGEST_DAYS: i64 = 14;

/// The best few crew/day/time slots for a job in the next two weeks
/// (from tomorrow, or from today for what is left of it): every start on
/// the quarter hour that keeps the booking rules, ranked by the drive the
/// job adds to that crew's day (the detour between the stops before and
/// after it, the crew's start and end included) plus a load-balance term
/// (an hour already booked that day counts as two miles), one per crew and
/// day. Growth and up (the plan's `smart_scheduling` flag).
#[tracing::instrument(skip_all, fields(%id))]
pub async fn suggest(
    cx: &RequestCtx,
    id: Uuid,
) -> Result<Vec<crate::model::schedule::Suggestion>, AppError> {
    let mut tx = cx.tx().await?;
    super::billing::require(&mut tx, crate::model::billing::Feature::SmartScheduling).await?;
    let zone = repo::orgs::time_zone(&mut tx).await?;
    let job = repo::schedule::job_for_update(&mut tx, &zone, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(at) = job.lat.zip(job.lon) else {
        return Err(AppError::Conflict(
            "This job's property has no map location: add it to get suggestions.".into(),
        ));
    };
    let catalogue = repo::pricing::catalogue(&mut tx).await?;
    let depot = catalogue.depot();
    let crews = repo::schedule::crews(&mut tx).await?;
    let now = Utc::now();
    let today = local_day(now, &zone);
    let now_minute = repo::schedule::local_minute(now, &zone);
    let booked = booked_ahead(&mut tx, &zone, today).await?;
    tx.commit().await?;
    let out = crate::model::schedule::best_slots(&crate::model::schedule::SlotSearch {
        job: id,
        at,
        minutes: job.place.minutes,
        window: job.window,
        crews: &crews,
        depot,
        booked: &booked,
        today,
        now_minute,
        days: SUGGEST_DAYS,
        miles_per_booked_hour: 2.0,
        busy_days_only: false,
    });
    Ok(out.into_iter().take(SUGGESTIONS).map(|(_, s)| s).collect())
}
