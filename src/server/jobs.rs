//! The job service: a job's page and its status changes (only valid ones,
//! by roles allowed to make them, recorded with who and when).

use chrono::NaiveDate;
use uuid::Uuid;

use super::context::UserRef;
use super::{repo, RequestCtx};
use crate::error::AppError;
use crate::model::{JobDetail, JobStatus};

/// Longest note on a status change.
pub const MAX_NOTE_CHARS: usize = 500;

/// A crew member sees, works and photographs only the jobs booked on their
/// crews; any other job is not found for them. Other roles see every job.
#[tracing::instrument(skip_all, fields(%id))]
pub async fn ensure_visible(cx: &RequestCtx, me: &UserRef, id: Uuid) -> Result<(), AppError> {
    if me.role != crate::model::Role::Crew {
        return Ok(());
    }
    let mut tx = cx.tx().await?;
    let on = repo::schedule::on_jobs_crew(&mut tx, me.id, id).await?;
    tx.commit().await?;
    if on {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

#[tracing::instrument(skip_all, fields(%id))]
pub async fn detail(cx: &RequestCtx, me: &UserRef, id: Uuid) -> Result<JobDetail, AppError> {
    ensure_visible(cx, me, id).await?;
    let mut tx = cx.tx().await?;
    let j = repo::jobs::get(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // An installation shows its quote's plan and materials; a battery
    // visit has no quote.
    let (takeoff, drawing) = match j.quote_id.zip(j.quote_version) {
        Some((q, v)) => {
            let v = repo::quotes::version(&mut tx, q, v).await?;
            (v.takeoff, v.drawing)
        }
        None => Default::default(),
    };
    let events = repo::jobs::events(&mut tx, id).await?;
    let photos = repo::jobs::photos(&mut tx, id).await?;
    let pets = repo::properties::pets(&mut tx, j.property_id).await?;
    tx.commit().await?;
    Ok(JobDetail {
        id: j.id,
        number: j.number,
        status: j.status,
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
        kind: j.kind,
        visit_pets: j.pet_ids,
        takeoff,
        drawing,
        role: me.role,
        gate_notes: j.gate_notes,
        site_notes: j.notes,
        pets,
        checklist_done: j.checklist_done,
        events,
        photos,
        can_manage: me.role.works_jobs(),
        invoiced_amount: j.invoiced_amount,
        paid_amount: j.paid_amount,
        can_correct: me.role == crate::model::Role::Owner,
        allowed: j
            .status
            .next()
            .iter()
            .copied()
            .filter(|to| me.role.moves_job_to(*to))
            .collect(),
    })
}

/// Ticks (or unticks) one item of a job's checklist, once per `op`.
#[tracing::instrument(skip_all, fields(%id, item))]
pub async fn check(
    cx: &RequestCtx,
    me: &UserRef,
    id: Uuid,
    item: &str,
    done: bool,
    op: Option<Uuid>,
) -> Result<(), AppError> {
    let known = crate::model::job::CHECKLIST
        .iter()
        .chain(crate::model::job::BATTERY_CHECKLIST.iter());
    if !known.clone().any(|(k, _)| *k == item) {
        return Err(AppError::field("item", "Choose an item of the checklist."));
    }
    ensure_visible(cx, me, id).await?;
    let mut tx = cx.tx().await?;
    let (status, kind, ticked) = repo::jobs::checklist_for_update(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(op) = op {
        if !repo::jobs::claim_op(&mut tx, op, me.id, "checklist", id).await? {
            tx.commit().await?;
            return Ok(());
        }
    }
    if !crate::model::job::checklist_open(status) {
        return Err(AppError::Conflict(format!(
            "The checklist is for booked and worked jobs; this one is {}.",
            status.label().to_lowercase()
        )));
    }
    let now = crate::model::job::tick_on(kind.checklist(), &ticked, item, done)
        .ok_or_else(|| AppError::field("item", "Choose an item of the checklist."))?;
    if now != ticked {
        repo::jobs::set_checklist(&mut tx, id, &now).await?;
        super::live::notify_job(&mut tx, "job.checklist", id).await?;
        repo::audit::record(
            &mut tx,
            Some(me.id),
            if done { "job.checked" } else { "job.unchecked" },
            Some(id),
            serde_json::json!({ "item": item }),
        )
        .await?;
    }
    tx.commit().await
}

/// What a status change asks for, checked before any database work.
pub struct Transition {
    pub to: JobStatus,
    pub date: Option<NaiveDate>,
    pub note: String,
    /// What was invoiced or paid (asked for by those two moves).
    pub amount: Option<rust_decimal::Decimal>,
    /// The id the sender chose for this action: sent again (a phone's
    /// queue after being offline, a retry after a lost answer), it is not
    /// applied twice.
    pub op: Option<Uuid>,
}

impl Transition {
    /// Reads the form; the errors say what to fix.
    pub fn parse(
        me: &UserRef,
        to: &str,
        date: Option<&str>,
        note: Option<&str>,
        amount: Option<&str>,
    ) -> Result<Transition, AppError> {
        let to = JobStatus::parse(to)
            .ok_or_else(|| AppError::field("to", "Choose a valid job status."))?;
        // Crews start and finish work; the office does the rest.
        if !me.role.moves_job_to(to) {
            return Err(AppError::Forbidden(format!(
                "Your role ({}) can start and complete jobs only.",
                me.role.label()
            )));
        }
        let date = match date.map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => Some(
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
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
        let note = note.unwrap_or_default().trim().to_string();
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(AppError::field(
                "note",
                format!("A note can be at most {MAX_NOTE_CHARS} characters."),
            ));
        }
        let amount = match (to, amount.map(str::trim).filter(|a| !a.is_empty())) {
            (JobStatus::Invoiced, Some(a)) => Some(
                crate::model::job::money_amount(a, "The invoice amount")
                    .map_err(|m| AppError::field("amount", m))?,
            ),
            (JobStatus::Paid, Some(a)) => Some(
                crate::model::job::money_amount(a, "The amount paid")
                    .map_err(|m| AppError::field("amount", m))?,
            ),
            (JobStatus::Invoiced | JobStatus::Paid, None) => {
                return Err(AppError::field(
                    "amount",
                    "Enter the amount, in dollars and cents.",
                ))
            }
            _ => None,
        };
        Ok(Transition {
            to,
            date,
            note,
            amount,
            op: None,
        })
    }
}

/// Moves a job if the lifecycle allows it. Completing needs the required
/// before and after photos.
#[tracing::instrument(skip_all, fields(%id, to = t.to.code()))]
pub async fn transition(
    cx: &RequestCtx,
    by: Uuid,
    id: Uuid,
    t: Transition,
) -> Result<(), AppError> {
    let mut tx = cx.tx().await?;
    let (from, kind, pets) = repo::jobs::for_transition(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(op) = t.op {
        // Sent before (the job's row lock orders two copies in flight), or
        // the job is already where this asks (started from another phone):
        // done, nothing to apply.
        if !repo::jobs::claim_op(&mut tx, op, by, "transition", id).await? || from == t.to {
            tx.commit().await?;
            return Ok(());
        }
    }
    if !from.can_go_to(t.to) {
        return Err(AppError::Conflict(format!(
            "A job that is {} cannot be moved to {}.",
            from.label().to_lowercase(),
            t.to.label().to_lowercase()
        )));
    }
    if t.to == JobStatus::Completed {
        let photos = repo::jobs::photos(&mut tx, id).await?;
        let missing = crate::model::missing_photos(kind, &photos);
        if !missing.is_empty() {
            return Err(AppError::Conflict(format!(
                "Add at least one {} photo before completing the job.",
                missing.join(" and one ")
            )));
        }
        if kind == crate::model::job::JobKind::Battery {
            // The new batteries' clock starts today (the tenant's day).
            let zone = repo::orgs::time_zone(&mut tx).await?;
            let today = crate::model::time::local_day(chrono::Utc::now(), &zone);
            repo::jobs::record_batteries(&mut tx, id, &pets, today).await?;
        }
    }
    // The crew before the change (unscheduling takes the job off it).
    let crews: Vec<Uuid> = repo::jobs::crew_of(&mut tx, id)
        .await?
        .into_iter()
        .collect();
    repo::jobs::set_status(&mut tx, id, t.to, t.date).await?;
    let kind = match t.to {
        JobStatus::Invoiced => Some(crate::model::AmountKind::Invoiced),
        JobStatus::Paid => Some(crate::model::AmountKind::Paid),
        _ => None,
    };
    if let (Some(kind), Some(a)) = (kind, t.amount) {
        repo::jobs::set_amount(&mut tx, id, kind, a).await?;
    }
    let note = match (t.to, t.date, t.amount) {
        (JobStatus::Scheduled, Some(d), _) if t.note.is_empty() => {
            format!("For {}", d.format("%a %b %-d, %Y"))
        }
        (JobStatus::Invoiced, _, Some(a)) if t.note.is_empty() => {
            format!("Invoiced for {}", crate::model::pricing::money(a))
        }
        (JobStatus::Paid, _, Some(a)) if t.note.is_empty() => {
            format!("Paid {}", crate::model::pricing::money(a))
        }
        _ => t.note,
    };
    repo::jobs::record(&mut tx, id, Some(from), t.to, Some(by), &note).await?;
    super::live::notify(&mut tx, "job.status", Some(id), &crews).await?;
    if t.to == JobStatus::Cancelled {
        // A booking notice not yet sent is withdrawn with the job.
        super::notices::job_placed(&mut tx, id).await?;
    }
    repo::audit::record(
        &mut tx,
        Some(by),
        "job.status_changed",
        Some(id),
        serde_json::json!({ "from": from.code(), "to": t.to.code() }),
    )
    .await?;
    tx.commit().await
}

/// An owner corrects what was invoiced or paid, with a reason; the change
/// goes into the job's history (from and to, who, why).
#[tracing::instrument(skip_all, fields(%id))]
pub async fn correct_amount(
    cx: &RequestCtx,
    me: &UserRef,
    id: Uuid,
    kind: &str,
    amount: &str,
    reason: &str,
) -> Result<(), AppError> {
    if me.role != crate::model::Role::Owner {
        return Err(AppError::Forbidden(
            "Only the owner can correct an invoiced or paid amount.".into(),
        ));
    }
    let kind = crate::model::AmountKind::parse(kind)
        .ok_or_else(|| AppError::field("kind", "Choose the invoice or the payment."))?;
    let amount = crate::model::job::money_amount(amount, kind.label())
        .map_err(|m| AppError::field("amount", m))?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::field(
            "reason",
            format!("Say why, in at most {MAX_NOTE_CHARS} characters."),
        ));
    }
    let mut tx = cx.tx().await?;
    let status = repo::jobs::status_for_update(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let reached = match kind {
        crate::model::AmountKind::Invoiced => {
            matches!(status, JobStatus::Invoiced | JobStatus::Paid)
        }
        crate::model::AmountKind::Paid => status == JobStatus::Paid,
    };
    if !reached {
        return Err(AppError::Conflict(format!(
            "This job has no {} to correct yet.",
            kind.label().to_lowercase()
        )));
    }
    let old = repo::jobs::set_amount(&mut tx, id, kind, amount).await?;
    let note = format!(
        "{} corrected from {} to {}: {reason}",
        kind.label(),
        old.map(crate::model::pricing::money)
            .unwrap_or_else(|| "none".into()),
        crate::model::pricing::money(amount)
    );
    repo::jobs::record(&mut tx, id, Some(status), status, Some(me.id), &note).await?;
    repo::audit::record(
        &mut tx,
        Some(me.id),
        "job.amount_corrected",
        Some(id),
        serde_json::json!({ "kind": kind.label(), "amount": amount.to_string() }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
