//! Battery visits. A receiver collar's battery lasts about three months, so
//! every collar fitted comes due again: the pets due in the next four weeks
//! are offered as short visits, each placed on the day and at the time a
//! crew already works nearest (the detour it adds shown), and booked with
//! one click as a job of kind `battery` that the board, routes and the
//! crew's phone treat like any other. Completing one records the new
//! batteries on the pets (see `jobs::transition`).

use chrono::{Duration, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::context::UserRef;
use super::schedule::{Move, SUGGEST_DAYS};
use super::{repo, RequestCtx};
use crate::error::AppError;
use crate::model::job::{battery_visit_minutes, JobKind};
use crate::model::schedule::{
    best_slots, BatteryStop, BatteryVisits, BoardJob, Placement, SlotSearch, Suggestion,
    TimeWindow, BATTERY_AHEAD_DAYS, BATTERY_DAYS,
};
use crate::model::time::local_day;
use crate::model::JobStatus;

/// Properties listed at most.
pub const MAX_STOPS: usize = 100;

/// Miles an hour already booked counts as when ranking a battery visit's
/// days: low, so a visit goes where a crew already is rather than to the
/// emptiest day.
const PACK: f64 = 0.25;

/// The pets due by `by`, one stop per property (soonest due first).
fn group(
    pets: Vec<repo::schedule::BatteryPet>,
    price: Decimal,
) -> Vec<(BatteryStop, Option<(f64, f64)>)> {
    let mut out: Vec<(BatteryStop, Option<(f64, f64)>)> = Vec::new();
    for p in pets {
        if let Some((s, _)) = out.iter_mut().find(|(s, _)| s.property_id == p.property_id) {
            s.pets.push((p.pet_id, p.pet_name, p.due));
            continue;
        }
        if out.len() == MAX_STOPS {
            continue;
        }
        let at = p.lat.zip(p.lon);
        out.push((
            BatteryStop {
                property_id: p.property_id,
                customer_id: p.customer_id,
                customer_name: p.customer_name,
                address: p.address,
                pets: vec![(p.pet_id, p.pet_name, p.due)],
                minutes: 0,
                price: Decimal::ZERO,
                offer: None,
                booked: p.visit,
                has_location: at.is_some(),
                texted: None,
            },
            at,
        ));
    }
    for (s, _) in &mut out {
        s.minutes = battery_visit_minutes(s.pets.len());
        s.price = price * Decimal::from(s.pets.len() as u32);
    }
    out
}

/// An offered visit as a booking, for placing the offers after it.
fn pencilled(s: &BatteryStop, o: &Suggestion, at: (f64, f64)) -> BoardJob {
    BoardJob {
        id: s.property_id,
        number: 0,
        status: JobStatus::Scheduled,
        customer_name: s.customer_name.clone(),
        street: String::new(),
        city: String::new(),
        lat: Some(at.0),
        lon: Some(at.1),
        place: Placement {
            crew_id: Some(o.crew_id),
            day: Some(o.day),
            start: Some(o.start),
            minutes: o.minutes,
        },
        window: TimeWindow::Any,
        kind: JobKind::Battery,
    }
}

/// What is due and where each visit fits best.
#[tracing::instrument(skip_all)]
pub async fn visits(cx: &RequestCtx, me: &UserRef) -> Result<BatteryVisits, AppError> {
    // A crew sees its own crews' work only, not every customer's pets.
    if me.role == crate::model::Role::Crew {
        return Err(AppError::Forbidden(
            "Battery visits are planned by the office; your booked visits are on your day.".into(),
        ));
    }
    let mut tx = cx.tx().await?;
    let zone = repo::orgs::time_zone(&mut tx).await?;
    let now = Utc::now();
    let today = local_day(now, &zone);
    let now_minute = repo::schedule::local_minute(now, &zone);
    let pets = repo::schedule::battery_pets(
        &mut tx,
        today + Duration::days(BATTERY_AHEAD_DAYS),
        BATTERY_DAYS,
        None,
    )
    .await?;
    let catalogue = repo::pricing::catalogue(&mut tx).await?;
    let crews = repo::schedule::crews(&mut tx).await?;
    let booked = super::schedule::booked_ahead(&mut tx, &zone, today).await?;
    let sms = repo::schedule::feature(&mut tx, crate::model::billing::Feature::Sms.code()).await?;
    let mut properties: Vec<Uuid> = pets.iter().map(|p| p.property_id).collect();
    properties.dedup();
    let texted =
        repo::sms::last_about_each(&mut tx, crate::model::sms::SmsKind::BatteryDue, &properties)
            .await?;
    tx.commit().await?;
    let depot = catalogue.depot();
    // Soonest due first, each offer is pencilled in before the next is
    // placed: the offers fit together (booking them all keeps the rules),
    // and a visit can be batched beside another one.
    let mut planned = booked;
    let stops = group(pets, catalogue.battery_visit_price)
        .into_iter()
        .map(|(mut s, at)| {
            if let (None, Some(at)) = (s.booked, at) {
                s.offer = best_slots(&SlotSearch {
                    job: Uuid::nil(),
                    at,
                    minutes: s.minutes,
                    window: TimeWindow::Any,
                    crews: &crews,
                    depot,
                    booked: &planned,
                    today,
                    now_minute,
                    days: SUGGEST_DAYS,
                    miles_per_booked_hour: PACK,
                    busy_days_only: true,
                })
                .into_iter()
                .next()
                .map(|(_, o)| o);
                if let Some(o) = &s.offer {
                    planned.push(pencilled(&s, o, at));
                }
            }
            s.texted = texted.get(&s.property_id).map(|at| {
                crate::model::time::to_local(*at, &zone)
                    .format("%b %-d")
                    .to_string()
            });
            s
        })
        .collect();
    Ok(BatteryVisits {
        today: Some(today),
        stops,
        can_book: me.role.edits_customers(),
        sms,
    })
}

/// Makes the battery visit for a property's pets that are due and, with a
/// crew, day and start, books it there (else it waits on the board): one
/// transaction, refused whole when the booking breaks a rule.
#[tracing::instrument(skip_all, fields(%property))]
pub async fn book(
    cx: &RequestCtx,
    me: &UserRef,
    property: Uuid,
    m: Move,
) -> Result<Uuid, AppError> {
    let mut tx = cx.tx().await?;
    let zone = repo::orgs::time_zone(&mut tx).await?;
    let today = local_day(Utc::now(), &zone);
    let pets = repo::schedule::battery_pets(
        &mut tx,
        today + Duration::days(BATTERY_AHEAD_DAYS),
        BATTERY_DAYS,
        Some(property),
    )
    .await?;
    if pets.is_empty() {
        if !repo::schedule::property_exists(&mut tx, property).await? {
            return Err(AppError::NotFound);
        }
        return Err(AppError::Conflict(
            "No collar battery at this property is due in the next four weeks.".into(),
        ));
    }
    if let Some((_, n)) = pets[0].visit {
        return Err(AppError::Conflict(format!(
            "This property already has a battery visit: J-{n}."
        )));
    }
    let catalogue = repo::pricing::catalogue(&mut tx).await?;
    let (stop, _) = group(pets, catalogue.battery_visit_price)
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    let ids: Vec<Uuid> = stop.pets.iter().map(|p| p.0).collect();
    let note = format!(
        "Battery visit for {}",
        stop.pets
            .iter()
            .map(|(_, name, due)| format!("{name} (due {})", due.format("%b %-d")))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let (id, number) = repo::jobs::create_battery_visit(
        &mut tx,
        me.id,
        property,
        &ids,
        stop.price,
        stop.minutes,
        &note,
    )
    .await?;
    super::schedule::place_in(&mut tx, me, id, m).await?;
    super::live::notify(&mut tx, "job.created", Some(id), &[]).await?;
    repo::audit::record(
        &mut tx,
        Some(me.id),
        "battery_visit.created",
        Some(id),
        serde_json::json!({ "number": number, "property": property, "pets": ids }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
