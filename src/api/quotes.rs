//! Quotes: create from a property, save (the server recomputes every
//! number), send with an approval link, manager approval on Enterprise, the
//! customer's answer through the link, and turning an approved quote into a job.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::pricing::QuoteTerms;
use crate::model::{PublicQuote, QuoteDetail, QuoteRow};

/// How long an approval link stays valid.
pub const LINK_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendOutcome {
    /// The approval link (also emailed when the customer has an address).
    pub link: Option<String>,
    pub emailed: bool,
    /// Waiting for a manager instead.
    pub pending_approval: bool,
}

#[server(endpoint = "quotes/list")]
pub async fn list_quotes(status: Option<String>) -> Result<Vec<QuoteRow>, AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.member()?;
            let status = status
                .filter(|s| !s.is_empty())
                .map(|s| crate::model::QuoteStatus::parse(&s));
            let mut tx = cx.tx().await?;
            let rows = repo::quotes::list(&mut tx, status, None).await?;
            tx.commit().await?;
            Ok(rows)
        }
        .await,
    )
}

#[server(endpoint = "quotes/create")]
pub async fn create_quote(property_id: Uuid) -> Result<Uuid, AppError> {
    use crate::model::pricing::ValidTerms;
    use crate::server::{ctx, quoting, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::edits_customers, "create quotes")?
                .id;
            let mut tx = cx.tx().await?;
            let property = repo::properties::get(&mut tx, property_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let pc = quoting::context(&mut tx, &property.state).await?;
            let terms = QuoteTerms {
                tax_pct: pc.catalogue.default_tax_pct.normalize().to_string(),
                ..Default::default()
            };
            let valid = ValidTerms {
                tax_pct: pc.catalogue.default_tax_pct,
                ..Default::default()
            };
            let drawing = property.drawing.clone();
            let (takeoff, priced) = quoting::compute(&pc, &property, &drawing, &valid);
            let v = repo::quotes::Version {
                drawing,
                terms,
                takeoff,
                priced,
            };
            let (id, number) =
                repo::quotes::create(&mut tx, m, property.id, property.customer_id, &v).await?;
            repo::audit::record(
                &mut tx,
                Some(m),
                "quote.created",
                Some(id),
                serde_json::json!({ "number": number }),
            )
            .await?;
            tx.commit().await?;
            leptos_axum::redirect(&format!("/quotes/{id}"));
            Ok(id)
        }
        .await,
    )
}

#[server(endpoint = "quotes/get")]
pub async fn get_quote(id: Uuid) -> Result<QuoteDetail, AppError> {
    use crate::server::{ctx, quoting, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member()?;
            let can_approve = me.role.manages_settings();
            let can_edit = me.role.edits_customers();
            let mut tx = cx.tx().await?;
            let q = repo::quotes::get(&mut tx, id, false)
                .await?
                .ok_or(AppError::NotFound)?;
            let property = repo::properties::get(&mut tx, q.property_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let customer = repo::customers::get(&mut tx, q.customer_id).await?;
            let v = repo::quotes::version(&mut tx, id, q.version).await?;
            let pc = quoting::context(&mut tx, &property.state).await?;
            let workflow = repo::quotes::workflow_enabled(&mut tx).await?;
            let job_id = repo::jobs::for_quote(&mut tx, id).await?;
            let link_expires_at = repo::quotes::live_link_expiry(&mut tx, id).await?;
            let versions = repo::quotes::versions(&mut tx, id).await?;
            tx.commit().await?;
            Ok(QuoteDetail {
                id,
                number: q.number,
                status: q.status(),
                version: q.version,
                customer_email: customer.and_then(|c| c.email),
                drawing: v.drawing,
                terms: v.terms,
                takeoff: v.takeoff,
                priced: v.priced,
                multiplier: pc.multiplier,
                multiplier_source: pc.source,
                zone_name: pc.zone_name,
                catalogue: pc.catalogue,
                workflow,
                can_edit,
                manager_approved: q.manager_approved_version == Some(q.version),
                can_approve,
                job_id,
                decided_name: q.decided_name,
                decline_reason: q.decline_reason,
                decided_at: q.decided_at,
                link_expires_at,
                versions,
                property,
                map_tiles: cx.state.config.map_tile_url.clone(),
            })
        }
        .await,
    )
}

/// Saves the drawing and terms as a new version. Totals are recomputed here;
/// the browser sends only what the user drew and typed.
#[server(endpoint = "quotes/save")]
pub async fn save_quote(
    id: Uuid,
    drawing: String,
    #[server(default)] terms: QuoteTerms,
) -> Result<i32, AppError> {
    use crate::server::{ctx, quoting, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::edits_customers, "change quotes")?
                .id;
            let d: crate::model::Drawing = serde_json::from_str(&drawing).map_err(|_| {
                AppError::field("drawing", "The drawing could not be read; reload the page and try again.")
            })?;
            d.validate().map_err(|m| AppError::field("drawing", m))?;
            let valid = terms.validate()?;
            let mut tx = cx.tx().await?;
            let q = repo::quotes::get(&mut tx, id, true)
                .await?
                .ok_or(AppError::NotFound)?;
            if !q.status().editable() {
                return Err(AppError::Conflict(
                    "The customer approved this quote; it can no longer be changed. Create a new quote for other work.".into(),
                ));
            }
            let property = repo::properties::get(&mut tx, q.property_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let pc = quoting::context(&mut tx, &property.state).await?;
            let (takeoff, priced) = quoting::compute(&pc, &property, &d, &valid);
            let version = q.version + 1;
            let total = priced.total;
            let v = repo::quotes::Version {
                drawing: d.clone(),
                terms,
                takeoff,
                priced,
            };
            repo::quotes::insert_version(&mut tx, id, version, m, &v).await?;
            repo::quotes::revise(&mut tx, id, version, total).await?;
            repo::properties::set_drawing(&mut tx, property.id, &d).await?;
            repo::audit::record(&mut tx, Some(m), "quote.saved", Some(id), serde_json::json!({ "version": version, "total": total.to_string() })).await?;
            tx.commit().await?;
            Ok(version)
        }
        .await,
    )
}

/// Sends the quote: a fresh approval link (older ones stop working), emailed
/// to the customer when they have an address. On a plan with approval
/// workflows, a discount past the tenant's threshold goes to a manager first.
#[server(endpoint = "quotes/send")]
pub async fn send_quote(id: Uuid) -> Result<SendOutcome, AppError> {
    use crate::model::pricing::needs_manager_approval;
    use crate::model::QuoteStatus;
    use crate::server::{ctx, repo, tokens};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::edits_customers, "send quotes")?
                .id;
            let mut tx = cx.tx().await?;
            let q = repo::quotes::get(&mut tx, id, true)
                .await?
                .ok_or(AppError::NotFound)?;
            match q.status() {
                QuoteStatus::Approved | QuoteStatus::Declined => {
                    return Err(AppError::Conflict(format!(
                        "The customer already answered this quote ({}). Edit it to send a new version.",
                        q.status().label().to_lowercase()
                    )))
                }
                QuoteStatus::PendingApproval => {
                    return Err(AppError::Conflict(
                        "This quote is waiting for a manager's approval.".into(),
                    ))
                }
                _ => {}
            }
            let v = repo::quotes::version(&mut tx, id, q.version).await?;
            if v.priced.total <= rust_decimal::Decimal::ZERO {
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
                repo::audit::record(&mut tx, Some(m), "quote.approval_requested", Some(id), serde_json::json!({ "version": q.version })).await?;
                tx.commit().await?;
                return Ok(SendOutcome {
                    link: None,
                    emailed: false,
                    pending_approval: true,
                });
            }
            let (token, hash) = tokens::new_token();
            let hash = hex::decode(hash).map_err(crate::server::db::internal)?;
            let expires = chrono::Utc::now() + chrono::Duration::days(LINK_DAYS);
            repo::quotes::add_link(&mut tx, id, &hash, expires).await?;
            repo::quotes::set_status(&mut tx, id, QuoteStatus::Sent).await?;
            let brand = repo::orgs::brand(&mut tx).await?;
            let link = format!("{}/q/{token}", cx.state.config.tenant_url(&brand.subdomain));
            let customer = repo::customers::get(&mut tx, q.customer_id).await?;
            let mut emailed = false;
            if let Some(c) = customer {
                if let Some(email) = &c.email {
                    repo::outbox::queue(
                        &mut tx,
                        email,
                        &format!("Your quote from {}", brand.company_name),
                        &format!(
                            "Hello {},\n\n{} has prepared quote Q-{} for your pet fence: {}.\n\nReview and approve it here (valid for {LINK_DAYS} days):\n{link}\n",
                            c.name, brand.company_name, q.number, v.priced.total
                        ),
                    )
                    .await?;
                    emailed = true;
                }
            }
            repo::audit::record(&mut tx, Some(m), "quote.sent", Some(id), serde_json::json!({ "version": q.version, "emailed": emailed })).await?;
            tx.commit().await?;
            Ok(SendOutcome {
                link: Some(link),
                emailed,
                pending_approval: false,
            })
        }
        .await,
    )
}

/// A manager approves the current version for sending (Enterprise).
#[server(endpoint = "quotes/manager_approve")]
pub async fn manager_approve(id: Uuid) -> Result<(), AppError> {
    use crate::model::QuoteStatus;
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::manages_settings, "approve discounts")?
                .id;
            let mut tx = cx.tx().await?;
            if !repo::quotes::workflow_enabled(&mut tx).await? {
                return Err(AppError::Forbidden(
                    "Approval workflows are part of the Enterprise plan.".into(),
                ));
            }
            let q = repo::quotes::get(&mut tx, id, true)
                .await?
                .ok_or(AppError::NotFound)?;
            if q.status() != QuoteStatus::PendingApproval {
                return Err(AppError::Conflict(
                    "This quote is not waiting for approval.".into(),
                ));
            }
            repo::quotes::manager_approve(&mut tx, id, q.version, m).await?;
            repo::audit::record(
                &mut tx,
                Some(m),
                "quote.manager_approved",
                Some(id),
                serde_json::json!({ "version": q.version }),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        }
        .await,
    )
}

/// Resolves an approval token to its quote within this host's tenant.
#[cfg(feature = "ssr")]
async fn link_quote(
    tx: &mut crate::server::TenantTx,
    token: &str,
) -> Result<(Uuid, chrono::DateTime<chrono::Utc>), AppError> {
    use crate::server::{repo, tokens};
    if token.len() != 64 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    let hash = hex::decode(tokens::hash(token)).map_err(crate::server::db::internal)?;
    repo::quotes::by_link(tx, &hash)
        .await?
        .ok_or(AppError::NotFound)
}

/// The quote an approval link shows: no login, this host's tenant, this
/// quote only.
#[server(endpoint = "quotes/public")]
pub async fn open_quote_link(token: String) -> Result<PublicQuote, AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let mut tx = cx.tx().await?;
            let (id, expires_at) = link_quote(&mut tx, &token).await?;
            let q = repo::quotes::get(&mut tx, id, false)
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
                status: q.status(),
                customer_name: property.customer_name.clone(),
                address: format!(
                    "{}, {}, {} {}",
                    property.street, property.city, property.state, property.zip
                ),
                boundary_ft: v.takeoff.boundary_ft,
                pets: property.pets.len() as i64,
                price: crate::model::CustomerPrice::from(&v.priced),
                notes: v.terms.notes,
                expires_at,
                decided_name: q.decided_name,
                decline_reason: q.decline_reason,
                created_at: q.created_at,
            })
        }
        .await,
    )
}

/// The customer approves (typing their name) or declines (with a reason).
#[server(endpoint = "quotes/respond")]
pub async fn respond_to_quote(
    token: String,
    approve: bool,
    name: String,
    reason: String,
) -> Result<(), AppError> {
    use crate::model::QuoteStatus;
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let name = name.trim().to_string();
            let reason = reason.trim().to_string();
            if approve && (name.chars().count() < 2 || name.chars().count() > 120) {
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
            let (id, _) = link_quote(&mut tx, &token).await?;
            let q = repo::quotes::get(&mut tx, id, true)
                .await?
                .ok_or(AppError::NotFound)?;
            if q.status() != QuoteStatus::Sent {
                return Err(AppError::Conflict(format!(
                    "This quote was already {}.",
                    q.status().label().to_lowercase()
                )));
            }
            let name_or_customer = if approve { name.clone() } else { String::new() };
            repo::quotes::decide(
                &mut tx,
                id,
                approve,
                &name_or_customer,
                (!approve).then_some(reason.as_str()),
            )
            .await?;
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
            tx.commit().await?;
            Ok(())
        }
        .await,
    )
}

/// Turns an approved quote into a job, within the plan's monthly limit.
#[server(endpoint = "quotes/create_job")]
pub async fn create_job(quote_id: Uuid) -> Result<Uuid, AppError> {
    use crate::model::QuoteStatus;
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::edits_customers, "create jobs")?
                .id;
            let mut tx = cx.tx().await?;
            let (usage, plan) = repo::jobs::usage(&mut tx, true).await?;
            let q = repo::quotes::get(&mut tx, quote_id, true)
                .await?
                .ok_or(AppError::NotFound)?;
            if q.status() != QuoteStatus::Approved {
                return Err(AppError::Conflict(
                    "Only a quote the customer approved can become a job.".into(),
                ));
            }
            if let Some(existing) = repo::jobs::for_quote(&mut tx, quote_id).await? {
                leptos_axum::redirect(&format!("/jobs/{existing}"));
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
            let (id, number) = repo::jobs::create(
                &mut tx,
                m,
                quote_id,
                q.property_id,
                q.customer_id,
                q.total,
                &note,
            )
            .await?;
            repo::audit::record(
                &mut tx,
                Some(m),
                "job.created",
                Some(id),
                serde_json::json!({ "number": number, "quote": q.number }),
            )
            .await?;
            tx.commit().await?;
            leptos_axum::redirect(&format!("/jobs/{id}"));
            Ok(id)
        }
        .await,
    )
}
