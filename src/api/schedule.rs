//! Crews and the schedule board: list and change crews, read the board for
//! a day or a week, move a job on it, and a crew member's own day. Each is
//! thin over `server::schedule`.

use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::schedule::{Board, CrewForm, CrewsData, Moved, MyDay};

#[server(endpoint = "crews/list")]
pub async fn list_crews() -> Result<CrewsData, AppError> {
    use crate::server::{ctx, schedule};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member()?;
            schedule::crews(&cx, me).await
        }
        .await,
    )
}

/// Creates a crew (no id) or changes one, with its members.
#[server(endpoint = "crews/save")]
pub async fn save_crew(id: Option<Uuid>, form: CrewForm) -> Result<Uuid, AppError> {
    use crate::server::{ctx, schedule};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member_who(crate::model::Role::edits_customers, "change crews")?;
            schedule::save_crew(&cx, me, id, &form).await
        }
        .await,
    )
}

/// Removes a crew; its jobs go back to waiting for a crew and a time.
#[server(endpoint = "crews/delete")]
pub async fn delete_crew(id: Uuid) -> Result<usize, AppError> {
    use crate::server::{ctx, schedule};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member_who(crate::model::Role::edits_customers, "remove crews")?;
            schedule::delete_crew(&cx, me, id).await
        }
        .await,
    )
}

/// The board for a day (`days` 1) or a week (`days` 7) from `from`.
#[server(endpoint = "schedule/board")]
pub async fn schedule_board(from: Option<String>, days: u32) -> Result<Board, AppError> {
    use crate::server::{ctx, schedule};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member()?;
            schedule::board(&cx, me, from.as_deref(), days).await
        }
        .await,
    )
}

/// Books a job on a crew at a day and time, moves it, changes its length or
/// window, or takes it off the board (see `server::schedule::Move`).
#[server(endpoint = "schedule/place")]
pub async fn place_job(
    id: Uuid,
    #[server(default)] crew_id: Option<Uuid>,
    #[server(default)] day: Option<String>,
    #[server(default)] start: Option<String>,
    #[server(default)] minutes: Option<String>,
    #[server(default)] window: Option<String>,
) -> Result<Moved, AppError> {
    use crate::server::{ctx, schedule};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member_who(crate::model::Role::edits_customers, "schedule jobs")?;
            let m = schedule::Move::parse(
                crew_id,
                day.as_deref(),
                start.as_deref(),
                minutes.as_deref(),
                window.as_deref(),
            )?;
            schedule::place(&cx, me, id, m).await
        }
        .await,
    )
}

/// The signed-in member's stops for a day (default today).
#[server(endpoint = "schedule/my_day")]
pub async fn get_my_day(#[server(default)] day: Option<String>) -> Result<MyDay, AppError> {
    use crate::server::{ctx, schedule};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member()?;
            schedule::my_day(&cx, me, day.as_deref()).await
        }
        .await,
    )
}

/// Optimises the order of a crew's stops on a day (no crew: every crew's):
/// the plans before and after; with `apply`, writes them.
#[server(endpoint = "schedule/optimise")]
pub async fn optimise_routes(
    #[server(default)] crew_id: Option<Uuid>,
    day: String,
    #[server(default)] apply: bool,
) -> Result<Vec<crate::model::routing::RoutePlan>, AppError> {
    use crate::server::{ctx, schedule};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member_who(crate::model::Role::edits_customers, "optimise routes")?;
            let mode = if apply {
                schedule::RouteMode::Apply
            } else {
                schedule::RouteMode::Preview
            };
            schedule::optimise(&cx, me, crew_id, &day, mode).await
        }
        .await,
    )
}

/// A crew's day as booked, for the route sheet and its map (every plan).
#[server(endpoint = "schedule/route")]
pub async fn day_route(
    crew_id: Uuid,
    day: String,
) -> Result<crate::model::routing::RoutePlan, AppError> {
    use crate::server::{ctx, schedule};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member()?;
            schedule::optimise(&cx, me, Some(crew_id), &day, schedule::RouteMode::AsBooked)
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    AppError::Conflict("This crew has no stops booked on that day.".into())
                })
        }
        .await,
    )
}

/// The best few crew/day/time slots for a job in the next two weeks, with
/// the miles each adds (Growth and up).
#[server(endpoint = "schedule/suggest")]
pub async fn suggest_slots(id: Uuid) -> Result<Vec<crate::model::schedule::Suggestion>, AppError> {
    use crate::server::{ctx, schedule};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.member_who(crate::model::Role::edits_customers, "schedule jobs")?;
            schedule::suggest(&cx, id).await
        }
        .await,
    )
}

/// Pets whose collar batteries fall due in the next four weeks, one stop
/// per property, each with the best slot on a day a crew is already near.
#[server(endpoint = "schedule/batteries")]
pub async fn battery_visits() -> Result<crate::model::schedule::BatteryVisits, AppError> {
    use crate::server::{batteries, ctx};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member()?;
            batteries::visits(&cx, me).await
        }
        .await,
    )
}

/// Makes the battery visit for a property's pets that are due and books it
/// on a crew, day and start (or leaves it waiting on the board).
#[server(endpoint = "schedule/book_battery")]
pub async fn book_battery_visit(
    property_id: Uuid,
    #[server(default)] crew_id: Option<Uuid>,
    #[server(default)] day: Option<String>,
    #[server(default)] start: Option<String>,
) -> Result<Uuid, AppError> {
    use crate::server::{batteries, ctx, schedule};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member_who(crate::model::Role::edits_customers, "book visits")?;
            let m = schedule::Move::parse(crew_id, day.as_deref(), start.as_deref(), None, None)?;
            batteries::book(&cx, me, property_id, m).await
        }
        .await,
    )
}
