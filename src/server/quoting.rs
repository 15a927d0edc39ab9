//! The quote service: pricing a property (the catalogue, the location
//! multiplier, the shared take-off and pricing), and every step of a
//! quote's life behind the thin server functions in `api::quotes`:
//! create, read (costs only for roles that see them), save a version, send
//! with an approval link (or to a manager first), the homeowner's answer,
//! and turning an approved quote into a job.

use chrono::Utc;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::context::UserRef;
use super::{emails, repo, tokens, RequestCtx, TenantTx};
use crate::api::quotes::{SendOutcome, LINK_DAYS};
use crate::error::AppError;
use crate::model::pricing::{
    money, needs_manager_approval, MultiplierSource, Priced, QuoteTerms, ValidTerms,
};
use crate::model::{
    Catalogue, CustomerPrice, Drawing, Property, PublicQuote, QuoteDetail, QuoteStatus, TakeOff,
};

pub struct PricingContext {
    pub catalogue: Catalogue,
    pub multiplier: Decimal,
    pub source: MultiplierSource,
    pub zone_name: Option<String>,
}

pub async fn context(tx: &mut TenantTx, state: &str) -> Result<PricingContext, AppError> {
    let catalogue = repo::pricing::catalogue(tx).await?;
    let (multiplier, source, zone_name) = repo::pricing::multiplier_for(tx, state).await?;
    Ok(PricingContext {
        catalogue,
        multiplier,
        source,
        zone_name,
    })
}

/// The take-off and price of a drawing at a property (shared with the
/// browser: `model::pricing::price_drawing`).
pub fn compute(
    cx: &PricingContext,
    property: &Property,
    drawing: &Drawing,
    terms: &ValidTerms,
) -> (TakeOff, Priced) {
    crate::model::pricing::price_drawing(
        &cx.catalogue,
        (cx.multiplier, cx.source),
        drawing,
        property.lot_sqft,
        property.pets.len() as u32,
        terms,
        property.location(),
    )
}

/// A new draft quote for a property, priced from its drawing.
#[tracing::instrument(skip_all, fields(%property_id))]
pub async fn create(cx: &RequestCtx, by: Uuid, property_id: Uuid) -> Result<Uuid, AppError> {
    let mut tx = cx.tx().await?;
    let property = repo::properties::get(&mut tx, property_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let pc = context(&mut tx, &property.state).await?;
    let terms = QuoteTerms {
        tax_pct: pc.catalogue.default_tax_pct.normalize().to_string(),
        ..Default::default()
    };
    let valid = ValidTerms {
        tax_pct: pc.catalogue.default_tax_pct,
        ..Default::default()
    };
    let drawing = property.drawing.clone();
    let (takeoff, priced) = compute(&pc, &property, &drawing, &valid);
    let v = repo::quotes::Version {
        drawing,
        terms,
        takeoff,
        priced,
    };
    let (id, number) =
        repo::quotes::create(&mut tx, by, property.id, property.customer_id, &v).await?;
    repo::audit::record(
        &mut tx,
        Some(by),
        "quote.created",
        Some(id),
        serde_json::json!({ "number": number }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Everything the quote editor shows. Crews and viewers get prices only:
/// the price book without its costs, the numbers without margins.
#[tracing::instrument(skip_all, fields(%id))]
pub async fn detail(cx: &RequestCtx, me: &UserRef, id: Uuid) -> Result<QuoteDetail, AppError> {
    let costs_visible = me.role.sees_costs();
    let mut tx = cx.tx().await?;
    let q = repo::quotes::get(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let property = repo::properties::get(&mut tx, q.property_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let customer = repo::customers::get(&mut tx, q.customer_id).await?;
    let v = repo::quotes::version(&mut tx, id, q.version).await?;
    let pc = context(&mut tx, &property.state).await?;
    let workflow = repo::quotes::workflow_enabled(&mut tx).await?;
    let job_id = repo::jobs::for_quote(&mut tx, id).await?;
    let link_expires_at = repo::quotes::live_link_expiry(&mut tx, id).await?;
    let versions = repo::quotes::versions(&mut tx, id).await?;
    let (company_email, company_phone) = repo::orgs::contact(&mut tx).await?;
    let delivery = repo::outbox::deliveries(&mut tx, emails::Kind::QuoteSent, &[id])
        .await?
        .pop()
        .map(|(_, d)| d);
    tx.commit().await?;
    let (catalogue, priced) = if costs_visible {
        (pc.catalogue, v.priced)
    } else {
        (pc.catalogue.without_costs(), v.priced.without_costs())
    };
    Ok(QuoteDetail {
        id,
        number: q.number,
        status: q.status,
        version: q.version,
        customer_email: customer.and_then(|c| c.email),
        drawing: v.drawing,
        terms: v.terms,
        takeoff: v.takeoff,
        priced,
        multiplier: pc.multiplier,
        multiplier_source: pc.source,
        zone_name: pc.zone_name,
        catalogue,
        workflow,
        can_edit: me.role.edits_customers(),
        manager_approved: q.manager_approved_version == Some(q.version),
        can_approve: me.role.manages_settings(),
        costs_visible,
        job_id,
        decided_name: q.decided_name,
        decline_reason: q.decline_reason,
        decided_at: q.decided_at,
        link_expires_at,
        delivery,
        versions,
        property,
        map_tiles: cx.state.config.map_tile_url.clone(),
        company_email,
        company_phone,
    })
}

/// Saves the drawing and terms as a new version; every number is
/// recomputed here from what the user drew and typed.
#[tracing::instrument(skip_all, fields(%id))]
pub async fn save(
    cx: &RequestCtx,
    by: Uuid,
    id: Uuid,
    drawing: &str,
    terms: QuoteTerms,
) -> Result<i32, AppError> {
    let d: Drawing = serde_json::from_str(drawing).map_err(|_| {
        AppError::field(
            "drawing",
            "The drawing could not be read; reload the page and try again.",
        )
    })?;
    d.validate().map_err(|m| AppError::field("drawing", m))?;
    let valid = terms.validate()?;
    let mut tx = cx.tx().await?;
    let q = repo::quotes::get_for_update(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !q.status.editable() {
        return Err(AppError::Conflict(
            "The customer approved this quote; it can no longer be changed. Create a new quote for other work.".into(),
        ));
    }
    let property = repo::properties::get(&mut tx, q.property_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let pc = context(&mut tx, &property.state).await?;
    let (takeoff, priced) = compute(&pc, &property, &d, &valid);
    let version = q.version + 1;
    let total = priced.total;
    let v = repo::quotes::Version {
        drawing: d.clone(),
        terms,
        takeoff,
        priced,
    };
    repo::quotes::insert_version(&mut tx, id, version, by, &v).await?;
    repo::quotes::revise(&mut tx, id, version, total).await?;
    repo::properties::set_drawing(&mut tx, property.id, &d).await?;
    repo::audit::record(
        &mut tx,
        Some(by),
        "quote.saved",
        Some(id),
        serde_json::json!({ "version": version, "total": total.to_string() }),
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}

/// Sends the quote: a fresh approval link (older ones stop working),
/// emailed to the customer when they have an address. On a plan with
/// approval workflows, a price lowered past the tenant's threshold (by any
/// means) goes to a manager first.
#[tracing::instrument(skip_all, fields(%id))]
pub async fn send(cx: &RequestCtx, by: Uuid, id: Uuid) -> Result<SendOutcome, AppError> {
    let mut tx = cx.tx().await?;
    let q = repo::quotes::get_for_update(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    match q.status {
        QuoteStatus::Approved | QuoteStatus::Declined => {
            return Err(AppError::Conflict(format!(
                "The customer already answered this quote ({}). Edit it to send a new version.",
                q.status.label().to_lowercase()
            )))
        }
        QuoteStatus::PendingApproval => {
            return Err(AppError::Conflict(
                "This quote is waiting for a manager's approval.".into(),
            ))
        }
        QuoteStatus::Draft | QuoteStatus::Sent => {}
    }
    let v = repo::quotes::version(&mut tx, id, q.version).await?;
    if v.priced.total <= Decimal::ZERO {
        return Err(AppError::Conflict(
            "This quote has no price yet: draw the boundary or add an item, then save.".into(),
        ));
    }
    let catalogue = repo::pricing::catalogue(&mut tx).await?;
    let workflow = repo::quotes::workflow_enabled(&mut tx).await?;
    if needs_manager_approval(&v.priced, &catalogue, workflow)
        && q.manager_approved_version != Some(q.version)
    {
        repo::quotes::set_status(&mut tx, id, QuoteStatus::PendingApproval).await?;
        repo::audit::record(
            &mut tx,
            Some(by),
            "quote.approval_requested",
            Some(id),
            serde_json::json!({ "version": q.version, "discount_pct": v.priced.effective_discount_pct.to_string() }),
        )
        .await?;
        tx.commit().await?;
        return Ok(SendOutcome {
            link: None,
            emailed: false,
            texted: false,
            pending_approval: true,
        });
    }
    let (token, hash) = tokens::new_token();
    let hash = hex::decode(hash).map_err(|e| super::db::internal(&e))?;
    let expires = Utc::now() + chrono::Duration::days(LINK_DAYS);
    repo::quotes::add_link(&mut tx, id, &hash, expires).await?;
    repo::quotes::set_status(&mut tx, id, QuoteStatus::Sent).await?;
    let brand = repo::orgs::brand(&mut tx).await?;
    let link = format!("{}/q/{token}", cx.state.tenant_base(&brand));
    let customer = repo::customers::get(&mut tx, q.customer_id).await?;
    let mut emailed = false;
    // The link by text too, with the SMS add-on.
    let total = money(v.priced.total);
    let texted = super::sms::to_customer(
        &mut tx,
        crate::model::sms::SmsKind::QuoteLink,
        q.customer_id,
        Some(id),
        Some(by),
        Utc::now(),
        |c| crate::model::sms::quote_text(&brand.company_name, &c.name, q.number, &total, &link),
    )
    .await?
    .queued();
    if let Some(c) = customer {
        if let Some(email) = &c.email {
            let custom =
                super::templates::custom(&mut tx, crate::model::templates::TemplateKind::QuoteSent)
                    .await?;
            let mail = emails::quote_sent(
                custom.as_ref(),
                &c.name,
                &brand.company_name,
                q.number,
                &money(v.priced.total),
                &link,
                LINK_DAYS,
            );
            repo::outbox::queue(&mut tx, email, &mail, Some(id)).await?;
            emailed = true;
        }
    }
    repo::audit::record(
        &mut tx,
        Some(by),
        "quote.sent",
        Some(id),
        serde_json::json!({ "version": q.version, "emailed": emailed, "texted": texted }),
    )
    .await?;
    tx.commit().await?;
    Ok(SendOutcome {
        link: Some(link),
        emailed,
        texted,
        pending_approval: false,
    })
}

/// A manager approves the current version for sending (Enterprise).
#[tracing::instrument(skip_all, fields(%id))]
pub async fn manager_approve(cx: &RequestCtx, by: Uuid, id: Uuid) -> Result<(), AppError> {
    let mut tx = cx.tx().await?;
    if !repo::quotes::workflow_enabled(&mut tx).await? {
        return Err(AppError::Forbidden(
            "Approval workflows are part of the Enterprise plan.".into(),
        ));
    }
    let q = repo::quotes::get_for_update(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if q.status != QuoteStatus::PendingApproval {
        return Err(AppError::Conflict(
            "This quote is not waiting for approval.".into(),
        ));
    }
    repo::quotes::manager_approve(&mut tx, id, q.version, by).await?;
    repo::audit::record(
        &mut tx,
        Some(by),
        "quote.manager_approved",
        Some(id),
        serde_json::json!({ "version": q.version }),
    )
    .await?;
    tx.commit().await
}

/// Resolves an approval token to its quote within this host's tenant.
async fn link_quote(
    tx: &mut TenantTx,
    token: &str,
) -> Result<(Uuid, chrono::DateTime<Utc>), AppError> {
    if token.len() != 64 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    let hash = hex::decode(tokens::hash(token)).map_err(|e| super::db::internal(&e))?;
    repo::quotes::by_link(tx, &hash)
        .await?
        .ok_or(AppError::NotFound)
}

/// The quote an approval link shows: this host's tenant, this quote only,
/// prices only.
#[tracing::instrument(skip_all)]
pub async fn public_quote(cx: &RequestCtx, token: &str) -> Result<PublicQuote, AppError> {
    let mut tx = cx.tx().await?;
    let (id, expires_at) = link_quote(&mut tx, token).await?;
    let q = repo::quotes::get(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let v = repo::quotes::version(&mut tx, id, q.version).await?;
    let property = repo::properties::get(&mut tx, q.property_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let settings = repo::orgs::settings(&mut tx).await?;
    tx.commit().await?;
    Ok(PublicQuote {
        company_name: settings.company_name,
        support_email: settings.support_email,
        phone: settings.phone,
        number: q.number,
        version: q.version,
        status: q.status,
        customer_name: property.customer_name.clone(),
        address: format!(
            "{}, {}, {} {}",
            property.street, property.city, property.state, property.zip
        ),
        boundary_ft: v.takeoff.boundary_ft,
        pets: property.pets.len() as i64,
        price: CustomerPrice::from(&v.priced),
        notes: v.terms.notes,
        expires_at,
        decided_name: q.decided_name,
        decline_reason: q.decline_reason,
        created_at: q.created_at,
    })
}

/// The homeowner approves (typing their name) or declines (with a reason).
#[tracing::instrument(skip_all, fields(approve))]
pub async fn respond(
    cx: &RequestCtx,
    token: &str,
    approve: bool,
    name: &str,
    reason: &str,
) -> Result<(), AppError> {
    let name = name.trim();
    let reason = reason.trim();
    if approve && !(2..=120).contains(&name.chars().count()) {
        return Err(AppError::field(
            "name",
            "Type your full name to approve the quote.",
        ));
    }
    if !approve && (reason.is_empty() || reason.chars().count() > 1000) {
        return Err(AppError::field(
            "reason",
            "Tell us briefly why you are declining (up to 1000 characters).",
        ));
    }
    let mut tx = cx.tx().await?;
    let (id, _) = link_quote(&mut tx, token).await?;
    let q = repo::quotes::get_for_update(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if q.status != QuoteStatus::Sent {
        return Err(AppError::Conflict(format!(
            "This quote was already {}.",
            q.status.label().to_lowercase()
        )));
    }
    let signed = if approve { name } else { "" };
    repo::quotes::decide(&mut tx, id, approve, signed, (!approve).then_some(reason)).await?;
    repo::audit::record(
        &mut tx,
        None,
        if approve {
            "quote.approved"
        } else {
            "quote.declined"
        },
        Some(id),
        serde_json::json!({ "name": name, "version": q.version }),
    )
    .await?;
    let customer = repo::customers::get(&mut tx, q.customer_id)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    super::notices::quote_answered(
        &cx.state,
        &mut tx,
        id,
        q.number,
        &customer,
        &money(q.total),
        approve,
        reason,
    )
    .await?;
    tx.commit().await
}

/// Turns an approved quote into a job, within the plan's monthly limit.
/// An existing job for the quote is returned as it is.
#[tracing::instrument(skip_all, fields(%quote_id))]
pub async fn create_job(cx: &RequestCtx, by: Uuid, quote_id: Uuid) -> Result<Uuid, AppError> {
    let mut tx = cx.tx().await?;
    let (usage, plan) = repo::jobs::usage_for_update(&mut tx).await?;
    let q = repo::quotes::get_for_update(&mut tx, quote_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if q.status != QuoteStatus::Approved {
        return Err(AppError::Conflict(
            "Only a quote the customer approved can become a job.".into(),
        ));
    }
    if let Some(existing) = repo::jobs::for_quote(&mut tx, quote_id).await? {
        return Ok(existing);
    }
    if let Some(limit) = usage.limit {
        if usage.used >= i64::from(limit) {
            return Err(AppError::Limit(crate::model::job_limit_message(
                plan,
                limit as u32,
                &usage.month,
            )));
        }
    }
    let note = format!(
        "From quote Q-{} v{}, approved by {} on {}",
        q.number,
        q.version,
        q.decided_name.clone().unwrap_or_default(),
        q.decided_at
            .map(|d| d.format("%b %-d, %Y").to_string())
            .unwrap_or_default()
    );
    // The job's length on the board, from the take-off's labour hours.
    let takeoff = repo::quotes::version(&mut tx, quote_id, q.version)
        .await?
        .takeoff;
    let minutes = crate::model::schedule::estimate_minutes(takeoff.labour_hours);
    let (id, number) = repo::jobs::create(
        &mut tx,
        by,
        quote_id,
        q.property_id,
        q.customer_id,
        q.total,
        minutes,
        &note,
    )
    .await?;
    repo::audit::record(
        &mut tx,
        Some(by),
        "job.created",
        Some(id),
        serde_json::json!({ "number": number, "quote": q.number }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
