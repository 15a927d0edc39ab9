//! Crews, their members, and jobs' bookings on the schedule board.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::schedule::{BoardJob, Crew, CrewMember, Placement, Shift, TimeWindow, ValidCrew};
use crate::model::time::{local_day, to_utc};
use crate::server::db::{constraint, internal};
use crate::server::TenantTx;

/// Reads the stored hours (seven entries, each null or [start, end]).
fn hours(v: serde_json::Value) -> Result<[Shift; 7], AppError> {
    serde_json::from_value::<[Shift; 7]>(v.clone())
        .map_err(|_| super::corrupt("crews.hours", &v.to_string()))
}

fn window(v: &str) -> Result<TimeWindow, AppError> {
    TimeWindow::parse(v).ok_or_else(|| super::corrupt("jobs.time_window", v))
}

/// The minute of the local day `at` falls on in `zone`.
pub fn local_minute(at: DateTime<Utc>, zone: &str) -> u32 {
    use chrono::Timelike;
    let t = at.with_timezone(&zone.parse::<chrono_tz::Tz>().unwrap_or(chrono_tz::UTC));
    t.hour() * 60 + t.minute()
}

/// The UTC start of a local day and minute.
pub fn utc_start(day: NaiveDate, minute: u32, zone: &str) -> DateTime<Utc> {
    let t = chrono::NaiveTime::from_num_seconds_from_midnight_opt(minute * 60, 0)
        .unwrap_or(chrono::NaiveTime::MIN);
    to_utc(day, t, zone)
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn crews(tx: &mut TenantTx) -> Result<Vec<Crew>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select c.id, c.name, c.color, c.mpg, c.start_lat, c.start_lon, c.end_lat, c.end_lon,
                  c.hours, c.days_off as "days_off: Vec<NaiveDate>",
                  coalesce(jsonb_agg(jsonb_build_object('user_id', u.id, 'name', u.name) order by u.name)
                           filter (where u.id is not null), '[]') as "members!"
             from crews c
             left join crew_members m on m.org_id = c.org_id and m.crew_id = c.id
             left join users u on u.org_id = m.org_id and u.id = m.user_id
            where c.org_id = $1
            group by c.org_id, c.id
            order by c.name"#,
        org
    )
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Crew {
                id: r.id,
                name: r.name,
                color: r.color,
                mpg: r.mpg,
                start_lat: r.start_lat,
                start_lon: r.start_lon,
                end_lat: r.end_lat,
                end_lon: r.end_lon,
                hours: hours(r.hours)?,
                days_off: r.days_off,
                members: serde_json::from_value::<Vec<CrewMember>>(r.members)
                    .map_err(|e| internal(&e))?,
            })
        })
        .collect()
}

/// Locks a crew (bookings on it are checked and written one at a time).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %id))]
pub async fn lock(tx: &mut TenantTx, id: Uuid) -> Result<bool, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        "select id from crews where org_id = $1 and id = $2 for update",
        org,
        id
    )
    .fetch_optional(tx.conn())
    .await?
    .is_some())
}

fn crew_conflict(e: sqlx::Error) -> AppError {
    match constraint(&e) {
        Some("crews_org_id_name_key") => {
            AppError::field("name", "Another crew has this name; choose another.")
        }
        Some("crew_members_org_id_user_id_fkey") => {
            AppError::field("members", "One of the members is no longer on the team.")
        }
        _ => internal(&e),
    }
}

/// Creates (id none) or updates a crew and sets its members. Returns its id,
/// or none when the crew does not exist.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn save(
    tx: &mut TenantTx,
    id: Option<Uuid>,
    c: &ValidCrew,
) -> Result<Option<Uuid>, AppError> {
    let org = tx.org_id();
    let hours = serde_json::to_value(c.hours).map_err(|e| internal(&e))?;
    let (sl, so) = (c.start.map(|p| p.0), c.start.map(|p| p.1));
    let (el, eo) = (c.end.map(|p| p.0), c.end.map(|p| p.1));
    let id = match id {
        None => {
            let id = Uuid::new_v4();
            sqlx::query!(
                "insert into crews (org_id, id, name, color, mpg, start_lat, start_lon, end_lat, end_lon, hours, days_off)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                org,
                id,
                c.name,
                c.color,
                c.mpg,
                sl,
                so,
                el,
                eo,
                hours,
                &c.days_off as &[NaiveDate]
            )
            .execute(tx.conn())
            .await
            .map_err(crew_conflict)?;
            id
        }
        Some(id) => {
            let n = sqlx::query!(
                "update crews set name = $3, color = $4, mpg = $5, start_lat = $6, start_lon = $7,
                        end_lat = $8, end_lon = $9, hours = $10, days_off = $11, updated_at = now()
                  where org_id = $1 and id = $2",
                org,
                id,
                c.name,
                c.color,
                c.mpg,
                sl,
                so,
                el,
                eo,
                hours,
                &c.days_off as &[NaiveDate]
            )
            .execute(tx.conn())
            .await
            .map_err(crew_conflict)?
            .rows_affected();
            if n == 0 {
                return Ok(None);
            }
            sqlx::query!(
                "delete from crew_members where org_id = $1 and crew_id = $2",
                org,
                id
            )
            .execute(tx.conn())
            .await?;
            id
        }
    };
    // Members must be this tenant's users: the foreign key and the row
    // policy both see to it; an unknown id is a field error, not a 500.
    let found = sqlx::query_scalar!(
        r#"select count(*) as "n!" from users where org_id = $1 and id = any($2)"#,
        org,
        &c.members as &[Uuid]
    )
    .fetch_one(tx.conn())
    .await?;
    if found != c.members.len() as i64 {
        return Err(AppError::field(
            "members",
            "One of the members is no longer on the team; reload and choose again.",
        ));
    }
    sqlx::query!(
        "insert into crew_members (org_id, crew_id, user_id) select $1, $2, unnest($3::uuid[])",
        org,
        id,
        &c.members as &[Uuid]
    )
    .execute(tx.conn())
    .await
    .map_err(crew_conflict)?;
    Ok(Some(id))
}

/// How many crews the tenant has.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn count(tx: &mut TenantTx) -> Result<i64, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select count(*) as "n!" from crews where org_id = $1"#,
        org
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Takes every job off a crew (keeping their day), returning their ids and
/// numbers, then deletes the crew. False when there is no such crew.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %id))]
pub async fn delete(tx: &mut TenantTx, id: Uuid) -> Result<Option<Vec<Uuid>>, AppError> {
    let org = tx.org_id();
    if !lock(tx, id).await? {
        return Ok(None);
    }
    let jobs = sqlx::query_scalar!(
        "update jobs set crew_id = null, starts_at = null, updated_at = now()
          where org_id = $1 and crew_id = $2 returning id",
        org,
        id
    )
    .fetch_all(tx.conn())
    .await?;
    sqlx::query!("delete from crews where org_id = $1 and id = $2", org, id)
        .execute(tx.conn())
        .await?;
    Ok(Some(jobs))
}

/// Maps the columns every board query selects.
macro_rules! board_job {
    ($r:expr, $zone:expr) => {{
        let r = $r;
        let start = r.starts_at.map(|t| local_minute(t, $zone));
        BoardJob {
            id: r.id,
            number: r.number,
            status: super::jobs::parse_status(&r.status)?,
            customer_name: r.customer_name,
            street: r.street,
            city: r.city,
            lat: r.lat,
            lon: r.lon,
            place: Placement {
                crew_id: r.crew_id,
                day: r.starts_at.map(|t| local_day(t, $zone)).or(r.scheduled_for),
                start,
                minutes: r.duration_minutes as u32,
            },
            window: window(&r.time_window)?,
            kind: super::jobs::kind(&r.kind)?,
        }
    }};
}

/// Jobs booked on a crew from `from` (UTC) to `to`, in start order.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn booked(
    tx: &mut TenantTx,
    zone: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    crew: Option<Uuid>,
) -> Result<Vec<BoardJob>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select j.id, j.number, j.status, c.name as customer_name, p.street, p.city, p.lat, p.lon,
                  j.crew_id, j.starts_at as "starts_at: DateTime<Utc>", j.scheduled_for as "scheduled_for: NaiveDate",
                  j.duration_minutes, j.time_window, j.kind
             from jobs j
             join customers c on c.org_id = j.org_id and c.id = j.customer_id
             join properties p on p.org_id = j.org_id and p.id = j.property_id
            where j.org_id = $1 and j.crew_id is not null
              and j.starts_at < $3 and j.starts_at + make_interval(mins => j.duration_minutes) > $2
              and ($4::uuid is null or j.crew_id = $4)
              and j.status <> 'cancelled'
            order by j.starts_at, j.number"#,
        org,
        from as _,
        to as _,
        crew
    )
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter().map(|r| Ok(board_job!(r, zone))).collect()
}

/// Approved jobs, and scheduled ones without a crew and time: the list the
/// board schedules from (oldest first).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn waiting(tx: &mut TenantTx, zone: &str) -> Result<Vec<BoardJob>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select j.id, j.number, j.status, c.name as customer_name, p.street, p.city, p.lat, p.lon,
                  j.crew_id, j.starts_at as "starts_at: DateTime<Utc>", j.scheduled_for as "scheduled_for: NaiveDate",
                  j.duration_minutes, j.time_window, j.kind
             from jobs j
             join customers c on c.org_id = j.org_id and c.id = j.customer_id
             join properties p on p.org_id = j.org_id and p.id = j.property_id
            where j.org_id = $1 and j.crew_id is null and j.status in ('approved', 'scheduled')
            order by j.scheduled_for nulls last, j.number
            limit 500"#,
        org
    )
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter().map(|r| Ok(board_job!(r, zone))).collect()
}

/// One job as the board sees it, locked for the transaction.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %id))]
pub async fn job_for_update(
    tx: &mut TenantTx,
    zone: &str,
    id: Uuid,
) -> Result<Option<BoardJob>, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select j.id, j.number, j.status, c.name as customer_name, p.street, p.city, p.lat, p.lon,
                  j.crew_id, j.starts_at as "starts_at: DateTime<Utc>", j.scheduled_for as "scheduled_for: NaiveDate",
                  j.duration_minutes, j.time_window, j.kind
             from jobs j
             join customers c on c.org_id = j.org_id and c.id = j.customer_id
             join properties p on p.org_id = j.org_id and p.id = j.property_id
            where j.org_id = $1 and j.id = $2
              for update of j"#,
        org,
        id
    )
    .fetch_optional(tx.conn())
    .await?;
    match r {
        Some(r) => Ok(Some(board_job!(r, zone))),
        None => Ok(None),
    }
}

/// Writes a job's placement (and its status, scheduled or approved).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %id))]
#[allow(clippy::too_many_arguments)]
pub async fn place(
    tx: &mut TenantTx,
    id: Uuid,
    crew: Option<Uuid>,
    starts_at: Option<DateTime<Utc>>,
    day: Option<NaiveDate>,
    minutes: u32,
    window: TimeWindow,
) -> Result<(), AppError> {
    let org = tx.org_id();
    let status = if day.is_some() {
        "scheduled"
    } else {
        "approved"
    };
    sqlx::query!(
        "update jobs set crew_id = $3, starts_at = $4, scheduled_for = $5, duration_minutes = $6,
                time_window = $7, status = $8, updated_at = now()
          where org_id = $1 and id = $2",
        org,
        id,
        crew,
        starts_at as _,
        day as Option<NaiveDate>,
        minutes as i32,
        window.code(),
        status
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The counts the dashboard shows: jobs waiting for a crew and a time,
/// quotes with the customer and with a manager, jobs won this month and
/// their total, and deliveries that failed in the last week.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn counts(
    tx: &mut TenantTx,
) -> Result<(i64, i64, i64, i64, rust_decimal::Decimal, i64), AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select
             (select count(*) from jobs where org_id = $1 and crew_id is null
                 and status in ('approved', 'scheduled')) as "to_schedule!",
             (select count(*) from quotes where org_id = $1 and status = 'sent') as "with_customer!",
             (select count(*) from quotes where org_id = $1 and status = 'pending_approval') as "with_manager!",
             (select count(*) from jobs where org_id = $1 and kind = 'install' and status <> 'cancelled'
                 and created_at >= date_trunc('month', now())) as "won_jobs!",
             (select coalesce(sum(total), 0) from jobs where org_id = $1 and kind = 'install'
                 and status <> 'cancelled' and created_at >= date_trunc('month', now())) as "won_total!",
             (select count(*) from outbox where org_id = $1 and status = 'failed'
                 and created_at >= now() - interval '7 days') as "failed_mail!""#,
        org
    )
    .fetch_one(tx.conn())
    .await?;
    Ok((
        r.to_schedule,
        r.with_customer,
        r.with_manager,
        r.won_jobs,
        r.won_total,
        r.failed_mail,
    ))
}

/// Pets whose collar battery falls due by `by` (installed `life` days
/// before), soonest first.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn batteries_due(
    tx: &mut TenantTx,
    by: NaiveDate,
    life: i64,
) -> Result<Vec<crate::model::schedule::BatteryDue>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select p.name, c.id as customer_id, c.name as customer_name,
                  (p.battery_installed + $3::int) as "due!: NaiveDate"
             from pets p
             join properties pr on pr.org_id = p.org_id and pr.id = p.property_id
             join customers c on c.org_id = pr.org_id and c.id = pr.customer_id
            where p.org_id = $1 and p.battery_installed is not null
              and p.battery_installed + $3::int <= $2 and c.archived_at is null
            order by 4, c.name
            limit 50"#,
        org,
        by as NaiveDate,
        life as i32
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| crate::model::schedule::BatteryDue {
            pet: r.name,
            customer_id: r.customer_id,
            customer_name: r.customer_name,
            due: r.due,
        })
        .collect())
}

/// Whether the tenant's plan includes `flag` (its features document).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), flag))]
pub async fn feature(tx: &mut TenantTx, flag: &str) -> Result<bool, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select coalesce((features->>$2)::boolean, false) as "on!"
             from organizations where id = $1"#,
        org,
        flag
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Records what optimising a crew's day saved (replacing an earlier
/// optimisation of the same day).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn record_savings(
    tx: &mut TenantTx,
    crew: Uuid,
    day: NaiveDate,
    before: &crate::model::routing::RouteCost,
    after: &crate::model::routing::RouteCost,
    by: Uuid,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "insert into route_savings (org_id, crew_id, day, miles_before, miles_after, gallons_saved,
                                    dollars_saved, by_user)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (org_id, crew_id, day) do update set
           miles_before = excluded.miles_before, miles_after = excluded.miles_after,
           gallons_saved = excluded.gallons_saved, dollars_saved = excluded.dollars_saved,
           by_user = excluded.by_user, optimised_at = now()",
        org,
        crew,
        day as NaiveDate,
        before.miles,
        after.miles,
        before.gallons - after.gallons,
        before.dollars - after.dollars,
        by
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// This month's savings from optimised routes: miles, gallons, dollars.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn month_savings(
    tx: &mut TenantTx,
    month_start: NaiveDate,
) -> Result<(f64, f64, f64), AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select coalesce(sum(miles_before - miles_after), 0) as "miles!",
                  coalesce(sum(gallons_saved), 0) as "gallons!",
                  coalesce(sum(dollars_saved), 0) as "dollars!"
             from route_savings
            where org_id = $1 and day >= $2 and day < ($2 + interval '1 month')::date"#,
        org,
        month_start as NaiveDate
    )
    .fetch_one(tx.conn())
    .await?;
    Ok((r.miles, r.gallons, r.dollars))
}

/// Whether `user` is on the crew `job` is booked on.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %job))]
pub async fn on_jobs_crew(tx: &mut TenantTx, user: Uuid, job: Uuid) -> Result<bool, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select exists(
             select 1 from jobs j
               join crew_members m on m.org_id = j.org_id and m.crew_id = j.crew_id
              where j.org_id = $1 and j.id = $2 and m.user_id = $3) as "on!""#,
        org,
        job,
        user
    )
    .fetch_one(tx.conn())
    .await?)
}

/// What a crew needs at the door of each of these jobs.
#[derive(Debug, Default)]
pub struct StopDetails {
    pub phone: Option<String>,
    pub gate_notes: String,
    pub pets: Vec<String>,
    pub checklist_done: usize,
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), n = jobs.len()))]
pub async fn stop_details(
    tx: &mut TenantTx,
    jobs: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, StopDetails>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select j.id, c.phone, p.gate_notes, cardinality(j.checklist_done) as "done!",
                  array(select pe.name from pets pe
                         where pe.org_id = j.org_id and pe.property_id = j.property_id
                         order by pe.created_at, pe.name) as "pets!"
             from jobs j
             join customers c on c.org_id = j.org_id and c.id = j.customer_id
             join properties p on p.org_id = j.org_id and p.id = j.property_id
            where j.org_id = $1 and j.id = any($2)"#,
        org,
        jobs
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.id,
                StopDetails {
                    phone: r.phone,
                    gate_notes: r.gate_notes,
                    pets: r.pets,
                    checklist_done: r.done.max(0) as usize,
                },
            )
        })
        .collect())
}

/// A pet whose collar battery falls due, with its property and the open
/// battery visit already made for that property, if any.
pub struct BatteryPet {
    pub property_id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub pet_id: Uuid,
    pub pet_name: String,
    pub due: NaiveDate,
    pub visit: Option<(Uuid, i32)>,
}

/// Pets whose collar battery falls due by `by` (installed `life` days
/// before), soonest first; all of them, or one property's.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn battery_pets(
    tx: &mut TenantTx,
    by: NaiveDate,
    life: i64,
    property: Option<Uuid>,
) -> Result<Vec<BatteryPet>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select pr.id as property_id, c.id as customer_id, c.name as customer_name,
                  pr.street, pr.city, pr.state::text as "state!", pr.zip, pr.lat, pr.lon,
                  p.id as pet_id, p.name as pet_name,
                  (p.battery_installed + $3::int) as "due!: NaiveDate",
                  v.id as "visit_id?", v.number as "visit_number?"
             from pets p
             join properties pr on pr.org_id = p.org_id and pr.id = p.property_id
             join customers c on c.org_id = pr.org_id and c.id = pr.customer_id
             left join jobs v on v.org_id = pr.org_id and v.property_id = pr.id and v.kind = 'battery'
                  and v.status in ('approved', 'scheduled', 'in_progress')
            where p.org_id = $1 and p.battery_installed is not null
              and p.battery_installed + $3::int <= $2 and c.archived_at is null
              and ($4::uuid is null or pr.id = $4)
            order by 12, c.name, p.name
            limit 500"#,
        org,
        by as NaiveDate,
        life as i32,
        property
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| BatteryPet {
            property_id: r.property_id,
            customer_id: r.customer_id,
            customer_name: r.customer_name,
            address: format!("{}, {}, {} {}", r.street, r.city, r.state, r.zip),
            lat: r.lat,
            lon: r.lon,
            pet_id: r.pet_id,
            pet_name: r.pet_name,
            due: r.due,
            visit: r.visit_id.zip(r.visit_number),
        })
        .collect())
}

/// Whether the tenant has this property.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), %id))]
pub async fn property_exists(tx: &mut TenantTx, id: Uuid) -> Result<bool, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select exists(select 1 from properties where org_id = $1 and id = $2) as "x!""#,
        org,
        id
    )
    .fetch_one(tx.conn())
    .await?)
}
