//! Subscriptions on Stripe (issue 11): the catalogue, Checkout and the
//! billing portal, plan and add-on changes, webhooks applied exactly once,
//! dunning, trial reminders and the platform's billing view.
//!
//! Stripe is the source of truth for what a tenant pays for; the tenant's
//! organization row holds the last state applied (and the entitlements it
//! gives, `model::billing::Entitlements`). A webhook's effect and its event
//! id are written in one transaction; each tenant's events apply one at a
//! time (its row is locked) and never move the state back to an older one.
//! No card data touches these servers: cards are entered on Stripe's pages.

pub mod fake;
pub mod signature;

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::RwLock;
use uuid::Uuid;

use super::config::Config;
use super::context::RequestCtx;
use super::{emails, repo, AppState, TenantTx};
use crate::error::AppError;
use crate::model::billing::{
    change_blockers, monthly_cents, plan_lookup_key, Addon, Addons, BillingOverview, Entitlements,
    Feature, Standing, TenantBilling,
};
use crate::model::{OrgStatus, PlanCode, Role, PLANS};
use fake::FakeStripe;

/// The connection to Stripe (or its stand-in) and the webhook secrets.
pub struct Billing {
    client: stripe::Client,
    secrets: Vec<String>,
    pub grace_days: i64,
    /// The built-in stand-in, when no Stripe key is configured.
    pub fake: Option<FakeStripe>,
    /// Price ids by lookup key, read once.
    prices: RwLock<HashMap<String, String>>,
    /// Where billing forms may send the browser: Stripe's hosted pages.
    form_origins: String,
}

fn stripe_error(e: stripe::StripeError) -> AppError {
    tracing::error!(error = %e, "stripe request failed");
    metrics::counter!("stripe_errors_total").increment(1);
    AppError::Conflict(
        "Stripe could not be reached or refused the request. Nothing was changed; please try again in a minute."
            .into(),
    )
}

fn at(ts: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(ts, 0).unwrap_or_else(Utc::now)
}

#[derive(Serialize)]
struct LineItem {
    price: String,
    quantity: u64,
}

#[derive(Serialize)]
struct CheckoutParams {
    mode: &'static str,
    customer: String,
    client_reference_id: String,
    success_url: String,
    cancel_url: String,
    line_items: Vec<LineItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subscription_data: Option<SubscriptionData>,
    metadata: HashMap<String, String>,
}

#[derive(Serialize)]
struct SubscriptionData {
    #[serde(skip_serializing_if = "Option::is_none")]
    trial_end: Option<i64>,
    metadata: HashMap<String, String>,
}

#[derive(Serialize)]
struct ItemChange {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quantity: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted: Option<bool>,
}

#[derive(Serialize)]
struct SubscriptionUpdate {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    items: Vec<ItemChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cancel_at_period_end: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    proration_behavior: Option<&'static str>,
}

impl Billing {
    /// Connects to Stripe with a key, else starts the stand-in (its
    /// webhooks go to this platform's `/stripe/webhook`) and creates the
    /// catalogue in it.
    pub async fn start(c: &Config) -> Result<Billing, String> {
        let b = &c.billing;
        match &b.stripe_secret_key {
            Some(key) => {
                let base = b
                    .api_base
                    .clone()
                    .unwrap_or_else(|| "https://api.stripe.com/".into());
                Ok(Billing {
                    client: stripe::Client::from_url(base.as_str(), key.expose_secret()),
                    secrets: b
                        .webhook_secrets
                        .iter()
                        .map(|s| s.expose_secret().to_string())
                        .collect(),
                    grace_days: b.grace_days,
                    fake: None,
                    prices: RwLock::new(HashMap::new()),
                    form_origins: "https://checkout.stripe.com https://billing.stripe.com".into(),
                })
            }
            None => {
                // Signed with its own secret; configured ones are accepted
                // too (a test rotates them).
                let secret = format!("whsec_fake_{}", Uuid::new_v4().simple());
                let hook = format!("{}/stripe/webhook", c.platform.public_url);
                let fake = FakeStripe::start(
                    b.fake_addr,
                    Some(hook),
                    secret.clone(),
                    b.fake_state.clone(),
                )
                .await
                .map_err(|e| {
                    format!(
                        "the Stripe stand-in could not listen on {}: {e}",
                        b.fake_addr
                    )
                })?;
                let billing = Billing {
                    client: stripe::Client::from_url(fake.base_url(), "sk_test_fake"),
                    secrets: std::iter::once(secret)
                        .chain(
                            b.webhook_secrets
                                .iter()
                                .map(|s| s.expose_secret().to_string()),
                        )
                        .collect(),
                    grace_days: b.grace_days,
                    form_origins: fake.base_url().to_string(),
                    fake: Some(fake),
                    prices: RwLock::new(HashMap::new()),
                };
                billing.sync_catalogue().await?;
                Ok(billing)
            }
        }
    }

    /// Creates the products and prices of the catalogue that Stripe lacks,
    /// found by lookup key, so running it again changes nothing. Returns
    /// one line per price: created or found.
    pub async fn sync_catalogue(&self) -> Result<Vec<String>, String> {
        let mut wanted: Vec<(String, String, String, i64)> = PLANS
            .iter()
            .map(|p| {
                (
                    plan_lookup_key(p.code),
                    format!("fence_plan_{}", p.code.as_str()),
                    format!("{} plan", p.name),
                    i64::from(p.monthly_price_dollars) * 100,
                )
            })
            .collect();
        wanted.extend(Addon::ALL.into_iter().map(|a| {
            (
                a.lookup_key(),
                format!("fence_addon_{}", a.code()),
                a.name().to_string(),
                a.price_cents(),
            )
        }));
        #[derive(Serialize)]
        struct Lookup {
            lookup_keys: Vec<String>,
            limit: u64,
        }
        let found: stripe::List<stripe::Price> = self
            .client
            .get_query(
                "/prices",
                Lookup {
                    lookup_keys: wanted.iter().map(|w| w.0.clone()).collect(),
                    limit: 100,
                },
            )
            .await
            .map_err(|e| format!("listing prices: {e}"))?;
        let mut have: HashMap<String, String> = found
            .data
            .into_iter()
            .filter_map(|p| p.lookup_key.clone().map(|k| (k, p.id.to_string())))
            .collect();
        let mut report = Vec::new();
        for (key, product_id, name, cents) in wanted {
            if let Some(id) = have.get(&key) {
                report.push(format!("found {key} ({id})"));
                continue;
            }
            #[derive(Serialize)]
            struct NewProduct<'a> {
                id: &'a str,
                name: &'a str,
            }
            let made: Result<stripe::Product, _> = self
                .client
                .post_form(
                    "/products",
                    NewProduct {
                        id: &product_id,
                        name: &name,
                    },
                )
                .await;
            if let Err(e) = made {
                // Already there from an earlier run: fine.
                tracing::info!(error = %e, product = %product_id, "product not created");
            }
            #[derive(Serialize)]
            struct Recurring {
                interval: &'static str,
            }
            #[derive(Serialize)]
            struct NewPrice<'a> {
                product: &'a str,
                currency: &'static str,
                unit_amount: i64,
                lookup_key: &'a str,
                nickname: &'a str,
                recurring: Recurring,
            }
            let price: stripe::Price = self
                .client
                .post_form(
                    "/prices",
                    NewPrice {
                        product: &product_id,
                        currency: "usd",
                        unit_amount: cents,
                        lookup_key: &key,
                        nickname: &name,
                        recurring: Recurring { interval: "month" },
                    },
                )
                .await
                .map_err(|e| format!("creating the price {key}: {e}"))?;
            report.push(format!("created {key} ({})", price.id));
            have.insert(key, price.id.to_string());
        }
        *self.prices.write().await = have;
        Ok(report)
    }

    async fn price_id(&self, key: &str) -> Result<String, AppError> {
        if let Some(id) = self.prices.read().await.get(key) {
            return Ok(id.clone());
        }
        self.sync_catalogue()
            .await
            .map_err(|e| super::db::internal_msg(&e))?;
        self.prices.read().await.get(key).cloned().ok_or_else(|| {
            super::db::internal_msg("a catalogue price is missing: run fence stripe-sync")
        })
    }

    /// The origins of Stripe's hosted pages, for the pages' CSP.
    pub fn form_origins(&self) -> &str {
        &self.form_origins
    }

    /// The secret the built-in stand-in signs its webhooks with (tests sign
    /// their own events with it); `None` with real Stripe.
    pub fn stand_in_secret(&self) -> Option<&str> {
        self.fake.as_ref().map(|_| self.secrets[0].as_str())
    }

    /// Checks a webhook's signature on its raw body.
    pub fn verify(
        &self,
        header: Option<&str>,
        body: &[u8],
    ) -> Result<(), signature::SignatureError> {
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        signature::verify(header, body, &secrets, Utc::now().timestamp())
    }

    async fn subscription(&self, id: &str) -> Result<stripe::Subscription, AppError> {
        #[derive(Serialize)]
        struct Expand {
            expand: Vec<&'static str>,
        }
        self.client
            .get_query(
                &format!("/subscriptions/{id}"),
                Expand {
                    expand: vec!["default_payment_method"],
                },
            )
            .await
            .map_err(stripe_error)
    }

    async fn update(
        &self,
        id: &str,
        change: SubscriptionUpdate,
    ) -> Result<stripe::Subscription, AppError> {
        self.client
            .post_form(&format!("/subscriptions/{id}"), change)
            .await
            .map_err(stripe_error)
    }
}

/// The tenant's standing as the request layer needs it.
pub fn standing(row: &repo::billing::BillingRow) -> Standing {
    Standing {
        status: row.status,
        trial_ends_at: row.trial_ends_at,
        past_due_since: row.past_due_since,
        subscribed: row.stripe_subscription_id.is_some(),
        comped: row.comped,
    }
}

/// The plan and add-ons a subscription's items say, by their prices'
/// lookup keys; `None` when no item is one of our plans.
fn plan_of(sub: &stripe::Subscription) -> Option<(PlanCode, Addons)> {
    let mut plan = None;
    let mut addons = Addons::default();
    for item in &sub.items.data {
        let Some(key) = item.price.as_ref().and_then(|p| p.lookup_key.as_deref()) else {
            continue;
        };
        let qty = item.quantity.unwrap_or(1) as u32;
        if let Some(p) = PLANS.iter().find(|p| plan_lookup_key(p.code) == key) {
            plan = Some(p.code);
        } else if let Some(a) = Addon::ALL.into_iter().find(|a| a.lookup_key() == key) {
            addons.set(a, qty);
        }
    }
    plan.map(|p| (p, addons))
}

fn status_of(s: stripe::SubscriptionStatus) -> Option<OrgStatus> {
    use stripe::SubscriptionStatus as S;
    match s {
        S::Trialing => Some(OrgStatus::Trialing),
        S::Active => Some(OrgStatus::Active),
        S::PastDue | S::Unpaid => Some(OrgStatus::PastDue),
        S::Canceled | S::IncompleteExpired => Some(OrgStatus::Cancelled),
        // A first payment still being attempted, or paused: no change.
        S::Incomplete | S::Paused => None,
    }
}

/// The state keys a plan and its add-ons set: the plan, the add-ons and
/// the entitlements computed from them.
fn entitlement_state(plan: PlanCode, addons: &Addons) -> Value {
    let e = Entitlements::of(plan, addons);
    json!({
        "plan": plan.as_str(),
        "addons": addons,
        "features": e.features_json(),
        "seats": e.seats,
        "monthly_jobs_limit": e.monthly_jobs,
        "storage_quota_mb": e.storage_mb,
    })
}

/// Applies a subscription's state to the tenant (row locked by the caller).
/// `event_at`: the Stripe time of the event carrying it, or `None` for a
/// state just read from Stripe (applied, without moving the event clock).
/// Returns a summary, or `None` when it was older than what is applied.
async fn apply_subscription(
    tx: &mut TenantTx,
    row: &repo::billing::BillingRow,
    sub: &stripe::Subscription,
    event_at: Option<DateTime<Utc>>,
    actor: Option<Uuid>,
) -> Result<Option<String>, AppError> {
    if let (Some(t), Some(synced)) = (event_at, row.billing_synced_at) {
        if t < synced {
            return Ok(None);
        }
    }
    let sub_id = sub.id.to_string();
    let new_status = status_of(sub.status);
    // A subscription whose first payment has not gone through is not the
    // tenant's yet (it gives nothing; Checkout would not have created it).
    if matches!(
        sub.status,
        stripe::SubscriptionStatus::Incomplete | stripe::SubscriptionStatus::IncompleteExpired
    ) && row.stripe_subscription_id.as_deref() != Some(sub_id.as_str())
    {
        return Ok(None);
    }
    // The end of an old subscription (replaced by a new one) changes nothing.
    if row
        .stripe_subscription_id
        .as_deref()
        .is_some_and(|s| s != sub_id)
        && new_status == Some(OrgStatus::Cancelled)
    {
        return Ok(None);
    }
    let mut state = serde_json::Map::new();
    let bought = plan_of(sub);
    if let Some((plan, addons)) = &bought {
        if let Value::Object(o) = entitlement_state(*plan, addons) {
            state.extend(o);
        }
    }
    state.insert("stripe_subscription_id".into(), json!(sub_id));
    if let Some(status) = new_status {
        state.insert("status".into(), json!(status.code()));
        match status {
            OrgStatus::PastDue => {
                if row.past_due_since.is_none() {
                    state.insert("past_due_since".into(), json!(Utc::now()));
                }
            }
            _ => {
                state.insert("past_due_since".into(), Value::Null);
            }
        }
    }
    if let Some(t) = sub.trial_end {
        if status_of(sub.status) == Some(OrgStatus::Trialing) {
            state.insert("trial_ends_at".into(), json!(at(t)));
        }
    }
    state.insert(
        "cancel_at_period_end".into(),
        json!(sub.cancel_at_period_end),
    );
    state.insert(
        "current_period_end".into(),
        json!(at(sub.current_period_end)),
    );
    let amount: i64 = sub
        .items
        .data
        .iter()
        .map(|i| {
            i.price.as_ref().and_then(|p| p.unit_amount).unwrap_or(0)
                * i.quantity.unwrap_or(1) as i64
        })
        .sum();
    state.insert("next_amount_cents".into(), json!(amount));
    if let Some(stripe::Expandable::Object(pm)) = &sub.default_payment_method {
        if let Some(card) = &pm.card {
            state.insert("card_brand".into(), json!(card.brand));
            state.insert("card_last4".into(), json!(card.last4));
            state.insert("card_payment_method".into(), json!(pm.id.to_string()));
        }
    }
    if let Some(t) = event_at {
        state.insert("billing_synced_at".into(), json!(t));
    }
    let summary = format!(
        "Subscription {}: {}{}",
        sub.status.as_str(),
        bought
            .as_ref()
            .map(|(p, a)| {
                let extras: Vec<String> = Addon::ALL
                    .into_iter()
                    .filter(|x| a.quantity(*x) > 0)
                    .map(|x| format!("{} × {}", a.quantity(x), x.name()))
                    .collect();
                if extras.is_empty() {
                    p.info().name.to_string()
                } else {
                    format!("{} + {}", p.info().name, extras.join(", "))
                }
            })
            .unwrap_or_else(|| "unknown plan".into()),
        if sub.cancel_at_period_end {
            ", cancels at period end"
        } else {
            ""
        }
    );
    repo::billing::set(tx, Value::Object(state)).await?;
    let changed = bought
        .as_ref()
        .is_some_and(|(p, a)| *p != row.plan || *a != row.addons)
        || new_status.is_some_and(|s| s != row.status);
    if changed {
        repo::audit::record(
            tx,
            actor,
            "billing.subscription_changed",
            None,
            json!({"summary": summary, "from_plan": row.plan.as_str(), "from_status": row.status.code()}),
        )
        .await?;
    }
    Ok(Some(summary))
}

/// The tenant's page: its subscription, and after a return from Checkout
/// the state Stripe already has (the webhook may still be on its way).
#[tracing::instrument(skip(ctx))]
pub async fn overview(
    ctx: &RequestCtx,
    checkout_session: Option<String>,
) -> Result<BillingOverview, AppError> {
    let member = ctx.member()?.clone();
    let mut notice = None;
    // Rendered on the return from Checkout: the request layer has synced.
    let synced = leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<CheckoutNotice>().cloned());
    if let Some(CheckoutNotice(n)) = synced {
        notice = Some(n);
    } else if let Some(id) = checkout_session.filter(|s| !s.is_empty()) {
        if member.role.manages_settings() {
            notice = Some(sync_checkout(ctx, &id, member.id).await?);
        }
    }
    let mut tx = ctx.tx().await?;
    let row = repo::billing::row(&mut tx, false).await?;
    let usage = repo::billing::usage(&mut tx).await?;
    let invoices = if member.role.manages_settings() {
        repo::billing::invoices(&mut tx, 24).await?
    } else {
        Vec::new()
    };
    tx.commit().await?;
    let grace = ctx.state.billing.grace_days;
    let now = Utc::now();
    let manage = member.role.manages_settings();
    Ok(BillingOverview {
        plan: row.plan,
        status: row.status,
        entitlements: Entitlements::of(row.plan, &row.addons),
        addons: row.addons.clone(),
        comped: row.comped,
        subscribed: row.stripe_subscription_id.is_some(),
        trial_ends_at: row.trial_ends_at,
        trial_days_left: ((row.trial_ends_at - now).num_seconds() as f64 / 86400.0)
            .ceil()
            .max(0.0) as i64,
        read_only: standing(&row).read_only(now, grace),
        past_due_since: row.past_due_since,
        grace_ends_at: row.past_due_since.map(|s| s + Duration::days(grace)),
        cancel_at_period_end: row.cancel_at_period_end,
        current_period_end: row.current_period_end,
        next_amount_cents: row.next_amount_cents,
        card: manage
            .then(|| row.card_brand.clone().zip(row.card_last4.clone()))
            .flatten(),
        invoices,
        usage,
        can_manage: manage,
        notice,
    })
}

/// What the return from Checkout found, for the page rendered with it.
#[derive(Debug, Clone)]
pub struct CheckoutNotice(pub String);

/// The request layer's half of the return from Checkout
/// (`/settings/billing?checkout=<session>`): for an owner or admin of
/// the tenant, the session's subscription is applied before the page
/// renders. Failures leave the page to say so.
pub async fn sync_on_return(ctx: &RequestCtx, query: Option<&str>) -> Option<CheckoutNotice> {
    let id = url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "checkout")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty() && v.len() <= 255)?;
    let member = ctx.member().ok()?.clone();
    if !member.role.manages_settings() {
        return None;
    }
    match sync_checkout(ctx, &id, member.id).await {
        Ok(n) => Some(CheckoutNotice(n)),
        Err(e) => {
            tracing::warn!(error = %e, "checkout return not synced");
            None
        }
    }
}

/// Back from Checkout: reads the session from Stripe and applies its
/// subscription at once. The session must belong to this tenant's
/// customer (a session id from another tenant changes nothing).
async fn sync_checkout(ctx: &RequestCtx, id: &str, actor: Uuid) -> Result<String, AppError> {
    let billing = &ctx.state.billing;
    #[derive(Serialize)]
    struct Expand {
        expand: Vec<&'static str>,
    }
    let session: stripe::CheckoutSession = match billing
        .client
        .get_query(
            &format!("/checkout/sessions/{}", urlencode(id)),
            Expand {
                expand: vec!["subscription"],
            },
        )
        .await
    {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "checkout session not readable");
            return Ok(
                "We could not confirm the checkout yet; the page updates once Stripe tells us."
                    .into(),
            );
        }
    };
    let mut tx = ctx.tx().await?;
    let row = repo::billing::row(&mut tx, true).await?;
    let customer = session.customer.as_ref().map(|c| c.id().to_string());
    if customer.is_none() || customer != row.stripe_customer_id {
        tx.commit().await?;
        return Err(AppError::NotFound);
    }
    let sub_id = session.subscription.as_ref().map(|s| s.id().to_string());
    let Some(sub_id) = sub_id else {
        tx.commit().await?;
        return Ok("Checkout was not completed; nothing was charged.".into());
    };
    drop(tx);
    let sub = billing.subscription(&sub_id).await?;
    let mut tx = ctx.tx().await?;
    let row = repo::billing::row(&mut tx, true).await?;
    apply_subscription(&mut tx, &row, &sub, None, Some(actor)).await?;
    tx.commit().await?;
    Ok(match sub.status {
        stripe::SubscriptionStatus::Trialing => {
            "Your card is saved. Nothing is charged until your trial ends.".to_string()
        }
        stripe::SubscriptionStatus::Active => "Thank you: your subscription is active.".to_string(),
        _ => "Checkout finished; the payment is still being confirmed.".to_string(),
    })
}

fn urlencode(s: &str) -> String {
    super::context::urlencode(s).replace('/', "%2F")
}

fn billing_url(ctx: &RequestCtx, subdomain: &str) -> String {
    format!(
        "{}/settings/billing",
        ctx.state.config.tenant_url(subdomain)
    )
}

/// Makes sure the tenant has a Stripe customer (row locked by the caller).
async fn ensure_customer(
    billing: &Billing,
    tx: &mut TenantTx,
    row: &repo::billing::BillingRow,
    email: &str,
) -> Result<String, AppError> {
    if let Some(c) = &row.stripe_customer_id {
        // Still there? (A customer deleted in Stripe's dashboard, or a
        // stand-in that forgot it, is made again.)
        let found: Result<stripe::Customer, _> = billing
            .client
            .get(&format!("/customers/{}", urlencode(c)))
            .await;
        match found {
            Ok(_) => return Ok(c.clone()),
            Err(stripe::StripeError::Stripe(e)) if e.http_status == 404 => {
                tracing::warn!(customer = %c, "the Stripe customer is gone: making a new one");
            }
            Err(e) => return Err(stripe_error(e)),
        }
    }
    #[derive(Serialize)]
    struct NewCustomer<'a> {
        name: &'a str,
        email: &'a str,
        metadata: HashMap<&'static str, String>,
    }
    let org = tx.org_id();
    let customer: stripe::Customer = billing
        .client
        .post_form(
            "/customers",
            NewCustomer {
                name: &row.company_name,
                email: row.support_email.as_deref().unwrap_or(email),
                metadata: HashMap::from([
                    ("org_id", org.to_string()),
                    ("subdomain", row.subdomain.clone()),
                ]),
            },
        )
        .await
        .map_err(stripe_error)?;
    let id = customer.id.to_string();
    repo::billing::set(tx, json!({"stripe_customer_id": id})).await?;
    Ok(id)
}

/// Starts Stripe Checkout for the tenant's plan and add-ons; returns the
/// hosted page's URL. A trial keeps its remaining days (nothing is charged
/// until it ends) when at least two are left, as Stripe requires.
#[tracing::instrument(skip(ctx))]
pub async fn checkout(ctx: &RequestCtx) -> Result<String, AppError> {
    let member = ctx
        .member_who(Role::manages_settings, "manage billing")?
        .clone();
    let billing = &ctx.state.billing;
    let mut tx = ctx.tx().await?;
    let row = repo::billing::row(&mut tx, true).await?;
    if row.stripe_subscription_id.is_some() && row.status != OrgStatus::Cancelled {
        return Err(AppError::Conflict(
            "You already have a subscription: change your card with “Manage card and invoices”."
                .into(),
        ));
    }
    if row.comped {
        return Err(AppError::Conflict(
            "Your subscription is provided free by the platform: there is nothing to pay.".into(),
        ));
    }
    let customer = ensure_customer(billing, &mut tx, &row, &member.email).await?;
    let mut line_items = vec![LineItem {
        price: billing.price_id(&plan_lookup_key(row.plan)).await?,
        quantity: 1,
    }];
    for a in Addon::ALL {
        let q = row.addons.quantity(a);
        if q > 0 {
            line_items.push(LineItem {
                price: billing.price_id(&a.lookup_key()).await?,
                quantity: u64::from(q),
            });
        }
    }
    let trial_end = (row.status == OrgStatus::Trialing
        && row.trial_ends_at > Utc::now() + Duration::hours(49))
    .then(|| row.trial_ends_at.timestamp());
    let back = billing_url(ctx, &row.subdomain);
    let org = tx.org_id().to_string();
    let session: stripe::CheckoutSession = billing
        .client
        .post_form(
            "/checkout/sessions",
            CheckoutParams {
                mode: "subscription",
                customer,
                client_reference_id: org.clone(),
                success_url: format!("{back}?checkout={{CHECKOUT_SESSION_ID}}"),
                cancel_url: back,
                line_items,
                subscription_data: Some(SubscriptionData {
                    trial_end,
                    metadata: HashMap::from([("org_id".to_string(), org.clone())]),
                }),
                metadata: HashMap::from([("org_id".to_string(), org)]),
            },
        )
        .await
        .map_err(stripe_error)?;
    tx.commit().await?;
    session
        .url
        .ok_or_else(|| super::db::internal_msg("Checkout session without a URL"))
}

/// The billing portal (cards and invoices) for the tenant's customer.
#[tracing::instrument(skip(ctx))]
pub async fn portal(ctx: &RequestCtx) -> Result<String, AppError> {
    ctx.member_who(Role::manages_settings, "manage billing")?;
    let billing = &ctx.state.billing;
    let mut tx = ctx.tx().await?;
    let row = repo::billing::row(&mut tx, false).await?;
    tx.commit().await?;
    let Some(customer) = row.stripe_customer_id else {
        return Err(AppError::Conflict(
            "Add a card first: there is no billing account yet.".into(),
        ));
    };
    #[derive(Serialize)]
    struct NewPortal {
        customer: String,
        return_url: String,
    }
    let s: stripe::BillingPortalSession = billing
        .client
        .post_form(
            "/billing_portal/sessions",
            NewPortal {
                customer,
                return_url: billing_url(ctx, &row.subdomain),
            },
        )
        .await
        .map_err(stripe_error)?;
    Ok(s.url)
}

/// Moves the tenant to another plan. During a trial without a card the
/// trial simply continues on the new plan; with a subscription Stripe
/// changes the plan's item at once, prorated (an upgrade is invoiced now).
#[tracing::instrument(skip(ctx))]
pub async fn change_plan(ctx: &RequestCtx, plan: PlanCode) -> Result<String, AppError> {
    let member = ctx
        .member_who(Role::manages_settings, "change the plan")?
        .clone();
    change(ctx, member.id, Some(plan), None).await
}

/// Buys, changes or removes an add-on (quantity 0 removes it).
#[tracing::instrument(skip(ctx))]
pub async fn set_addon(ctx: &RequestCtx, addon: Addon, quantity: u32) -> Result<String, AppError> {
    let member = ctx
        .member_who(Role::manages_settings, "change add-ons")?
        .clone();
    if quantity > 500 {
        return Err(AppError::field("quantity", "Choose at most 500."));
    }
    let quantity = if addon.per_unit() {
        quantity
    } else {
        quantity.min(1)
    };
    change(ctx, member.id, None, Some((addon, quantity))).await
}

async fn change(
    ctx: &RequestCtx,
    actor: Uuid,
    plan: Option<PlanCode>,
    addon: Option<(Addon, u32)>,
) -> Result<String, AppError> {
    let billing = &ctx.state.billing;
    let mut tx = ctx.tx().await?;
    let row = repo::billing::row(&mut tx, true).await?;
    let target_plan = plan.unwrap_or(row.plan);
    let mut target_addons = row.addons.clone();
    if let Some((a, q)) = addon {
        target_addons.set(a, q);
    }
    if target_plan == row.plan && target_addons == row.addons {
        return Ok("Nothing to change.".into());
    }
    let usage = repo::billing::usage(&mut tx).await?;
    let blockers = change_blockers(target_plan, &target_addons, &usage);
    if !blockers.is_empty() {
        return Err(AppError::Conflict(format!(
            "Before this change: {}",
            blockers.join(" ")
        )));
    }
    let subscribed = row.stripe_subscription_id.is_some() && row.status != OrgStatus::Cancelled;
    if !subscribed {
        if addon.is_some() && !row.comped {
            return Err(AppError::Conflict(
                "Add-ons are billed monthly: add a card first (Add a card below), then buy them."
                    .into(),
            ));
        }
        repo::billing::set(&mut tx, entitlement_state(target_plan, &target_addons)).await?;
        repo::audit::record(
            &mut tx,
            Some(actor),
            "billing.plan_changed",
            None,
            json!({"from": row.plan.as_str(), "to": target_plan.as_str(), "addons": target_addons}),
        )
        .await?;
        tx.commit().await?;
        return Ok(format!(
            "You are now on the {} plan.",
            target_plan.info().name
        ));
    }
    let sub_id = row.stripe_subscription_id.clone().unwrap_or_default();
    drop(tx);
    let current = billing.subscription(&sub_id).await?;
    let mut items = Vec::new();
    let find = |key: &str| {
        current
            .items
            .data
            .iter()
            .find(|i| i.price.as_ref().and_then(|p| p.lookup_key.as_deref()) == Some(key))
    };
    if plan.is_some() {
        let existing = PLANS
            .iter()
            .find_map(|p| find(&plan_lookup_key(p.code)))
            .map(|i| i.id.to_string());
        items.push(ItemChange {
            id: existing,
            price: Some(billing.price_id(&plan_lookup_key(target_plan)).await?),
            quantity: Some(1),
            deleted: None,
        });
    }
    if let Some((a, q)) = addon {
        let existing = find(&a.lookup_key()).map(|i| i.id.to_string());
        match (existing, q) {
            (Some(id), 0) => items.push(ItemChange {
                id: Some(id),
                price: None,
                quantity: None,
                deleted: Some(true),
            }),
            (Some(id), q) => items.push(ItemChange {
                id: Some(id),
                price: None,
                quantity: Some(u64::from(q)),
                deleted: None,
            }),
            (None, 0) => {}
            (None, q) => items.push(ItemChange {
                id: None,
                price: Some(billing.price_id(&a.lookup_key()).await?),
                quantity: Some(u64::from(q)),
                deleted: None,
            }),
        }
    }
    let upgrade = monthly_cents(target_plan, &target_addons) > monthly_cents(row.plan, &row.addons);
    let updated = billing
        .update(
            &sub_id,
            SubscriptionUpdate {
                items,
                cancel_at_period_end: None,
                proration_behavior: Some(if upgrade {
                    "always_invoice"
                } else {
                    "create_prorations"
                }),
            },
        )
        .await?;
    let mut tx = ctx.tx().await?;
    let row = repo::billing::row(&mut tx, true).await?;
    apply_subscription(&mut tx, &row, &updated, None, Some(actor)).await?;
    tx.commit().await?;
    Ok(if updated.status == stripe::SubscriptionStatus::Trialing {
        "Done: the change applies now; nothing is charged until your trial ends.".into()
    } else if upgrade {
        "Done: the change applies now, and the difference for the rest of this month is charged now."
            .into()
    } else {
        "Done: the change applies now, and the unused part of this month is credited on your next invoice."
            .into()
    })
}

/// Cancels at the end of the period, or undoes that.
#[tracing::instrument(skip(ctx))]
pub async fn set_cancel(ctx: &RequestCtx, cancel: bool) -> Result<String, AppError> {
    let member = ctx
        .member_who(Role::manages_settings, "cancel the subscription")?
        .clone();
    let billing = &ctx.state.billing;
    let mut tx = ctx.tx().await?;
    let row = repo::billing::row(&mut tx, false).await?;
    tx.commit().await?;
    let Some(sub_id) = row
        .stripe_subscription_id
        .filter(|_| row.status != OrgStatus::Cancelled)
    else {
        return Err(AppError::Conflict(
            "There is no running subscription to cancel.".into(),
        ));
    };
    let updated = billing
        .update(
            &sub_id,
            SubscriptionUpdate {
                items: Vec::new(),
                cancel_at_period_end: Some(cancel),
                proration_behavior: None,
            },
        )
        .await?;
    let mut tx = ctx.tx().await?;
    let row = repo::billing::row(&mut tx, true).await?;
    apply_subscription(&mut tx, &row, &updated, None, Some(member.id)).await?;
    tx.commit().await?;
    Ok(if cancel {
        format!(
            "Your subscription ends on {}. Until then everything works as now; you can undo this any time before.",
            at(updated.current_period_end).format("%B %-d, %Y")
        )
    } else {
        "Your subscription continues: the cancellation is undone.".into()
    })
}

/// Refuses a feature the tenant's subscription does not include, saying
/// what unlocks it.
pub async fn require(tx: &mut TenantTx, feature: Feature) -> Result<(), AppError> {
    if repo::schedule::feature(tx, feature.code()).await? {
        Ok(())
    } else {
        Err(AppError::Limit(feature.locked_message()))
    }
}

// ---- webhooks -------------------------------------------------------------

/// `POST /stripe/webhook`: verified on the raw body, applied exactly once,
/// answered fast (emails are queued, not sent, in the transaction).
pub async fn webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let started = std::time::Instant::now();
    let sig = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    if let Err(e) = state.billing.verify(sig, &body) {
        metrics::counter!("stripe_webhooks_total", "outcome" => "bad_signature").increment(1);
        tracing::warn!(reason = e.message(), "webhook refused");
        return (StatusCode::BAD_REQUEST, e.message()).into_response();
    }
    let outcome = match handle_event(&state, &body).await {
        Ok(o) => o,
        Err(HookError::Bad(m)) => {
            metrics::counter!("stripe_webhooks_total", "outcome" => "bad_payload").increment(1);
            return (StatusCode::BAD_REQUEST, m).into_response();
        }
        Err(HookError::App(e)) => {
            tracing::error!(error = %e, "webhook not applied");
            metrics::counter!("stripe_webhooks_total", "outcome" => "error").increment(1);
            // Stripe retries a 5xx later.
            return (StatusCode::INTERNAL_SERVER_ERROR, "try again").into_response();
        }
    };
    metrics::counter!("stripe_webhooks_total", "outcome" => outcome).increment(1);
    metrics::histogram!("stripe_webhook_seconds").record(started.elapsed().as_secs_f64());
    (
        StatusCode::OK,
        axum::Json(json!({"received": true, "outcome": outcome})),
    )
        .into_response()
}

enum HookError {
    Bad(String),
    App(AppError),
}

impl From<AppError> for HookError {
    fn from(e: AppError) -> Self {
        HookError::App(e)
    }
}

impl From<sqlx::Error> for HookError {
    fn from(e: sqlx::Error) -> Self {
        HookError::App(AppError::from(e))
    }
}

/// Applies one verified event. Returns what happened: `applied`,
/// `duplicate`, `stale`, `ignored` or `unknown_customer`.
async fn handle_event(state: &AppState, body: &[u8]) -> Result<&'static str, HookError> {
    let envelope: Value =
        serde_json::from_slice(body).map_err(|_| HookError::Bad("The body is not JSON.".into()))?;
    let (Some(id), Some(kind), Some(created)) = (
        envelope["id"].as_str(),
        envelope["type"].as_str(),
        envelope["created"].as_i64(),
    ) else {
        return Err(HookError::Bad("Not a Stripe event.".into()));
    };
    let object = &envelope["data"]["object"];
    let handled = matches!(
        kind,
        "checkout.session.completed"
            | "customer.subscription.created"
            | "customer.subscription.updated"
            | "customer.subscription.deleted"
            | "customer.subscription.paused"
            | "customer.subscription.resumed"
            | "invoice.paid"
            | "invoice.payment_succeeded"
            | "invoice.payment_failed"
            | "invoice.finalized"
            | "invoice.voided"
            | "invoice.marked_uncollectible"
    );
    if !handled {
        return Ok("ignored");
    }
    let customer = match &object["customer"] {
        Value::String(s) => s.clone(),
        Value::Object(o) => o
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    };
    let org = sqlx::query_scalar!(
        r#"select platform.org_for_stripe_customer($1) as "org""#,
        customer
    )
    .fetch_one(&state.pool)
    .await?;
    let Some(org) = org else {
        tracing::warn!(event = id, kind, "webhook for a customer we do not know");
        return Ok("unknown_customer");
    };
    let created = at(created);
    let mut tx = TenantTx::begin(&state.pool, org).await?;
    if !repo::billing::record_event(&mut tx, id, kind, created, "").await? {
        tx.commit().await?;
        return Ok("duplicate");
    }
    let row = repo::billing::row(&mut tx, true).await?;
    let summary = if kind.starts_with("customer.subscription.") {
        let sub: stripe::Subscription = serde_json::from_value(object.clone())
            .map_err(|e| HookError::Bad(format!("Not a subscription: {e}")))?;
        // A tie at the same second: `created` never overrides a state that
        // is already applied.
        let stale_tie = kind == "customer.subscription.created"
            && row.billing_synced_at == Some(created)
            && row.stripe_subscription_id.as_deref() == Some(sub.id.as_str());
        if stale_tie {
            None
        } else {
            apply_subscription(&mut tx, &row, &sub, Some(created), None).await?
        }
    } else if kind.starts_with("invoice.") {
        let inv: stripe::Invoice = serde_json::from_value(object.clone())
            .map_err(|e| HookError::Bad(format!("Not an invoice: {e}")))?;
        apply_invoice(state, &mut tx, &row, &inv, kind, created).await?
    } else {
        let session: stripe::CheckoutSession = serde_json::from_value(object.clone())
            .map_err(|e| HookError::Bad(format!("Not a checkout session: {e}")))?;
        // The subscription's own events (and the return page) carry its
        // state; the session only says it happened.
        Some(format!(
            "Checkout completed{}",
            session
                .subscription
                .as_ref()
                .map(|s| format!(" (subscription {})", s.id()))
                .unwrap_or_default()
        ))
    };
    let outcome = if summary.is_some() {
        "applied"
    } else {
        "stale"
    };
    repo::billing::describe_event(
        &mut tx,
        id,
        summary
            .as_deref()
            .unwrap_or("Older than the state already applied: ignored"),
    )
    .await?;
    if summary.is_some() {
        super::live::notify(&mut tx, "billing", None, &[]).await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

/// An invoice event: the invoice is stored (a paid one stays paid); a
/// failed renewal starts the grace period and emails the owners and
/// admins once per invoice; a payment ends it at once.
async fn apply_invoice(
    state: &AppState,
    tx: &mut TenantTx,
    row: &repo::billing::BillingRow,
    inv: &stripe::Invoice,
    kind: &str,
    created: DateTime<Utc>,
) -> Result<Option<String>, AppError> {
    let failed = kind == "invoice.payment_failed";
    let status = inv
        .status
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|| "open".into());
    let id = inv.id.to_string();
    let (stored, failed_before) = repo::billing::upsert_invoice(
        tx,
        &repo::billing::NewInvoice {
            stripe_id: &id,
            number: inv.number.as_deref(),
            status: &status,
            amount_due_cents: inv.amount_due.unwrap_or(0),
            amount_paid_cents: inv.amount_paid.unwrap_or(0),
            currency: inv
                .currency
                .map(|c| c.to_string())
                .as_deref()
                .unwrap_or("usd"),
            hosted_url: inv.hosted_invoice_url.as_deref(),
            pdf_url: inv.invoice_pdf.as_deref(),
            payment_failed: failed,
            period_start: inv.period_start.map(at),
            period_end: inv.period_end.map(at),
            created: inv.created.map(at).unwrap_or(created),
        },
    )
    .await?;
    let ours = inv.subscription.as_ref().map(|s| s.id().to_string()) == row.stripe_subscription_id;
    let amount = crate::model::billing::dollars(inv.amount_due.unwrap_or(0));
    let newer = row.billing_synced_at.is_none_or(|t| created >= t);
    if failed && stored == "open" && ours && newer {
        let mut st = json!({"billing_synced_at": created});
        if row.status != OrgStatus::PastDue {
            st["status"] = json!(OrgStatus::PastDue.code());
        }
        let since = row.past_due_since.unwrap_or_else(Utc::now);
        if row.past_due_since.is_none() {
            st["past_due_since"] = json!(since);
        }
        repo::billing::set(tx, st).await?;
        if !failed_before {
            let grace_ends = since + Duration::days(state.billing.grace_days);
            let email = emails::payment_failed(
                &row.company_name,
                &state.config.platform.name,
                &amount,
                &grace_ends.format("%B %-d, %Y").to_string(),
                &format!(
                    "{}/settings/billing",
                    state.config.tenant_url(&row.subdomain)
                ),
            );
            for (_, to) in repo::billing::managers(tx).await? {
                repo::outbox::queue(tx, &to, &email, None).await?;
            }
        }
        return Ok(Some(format!("Payment of {amount} failed")));
    }
    if stored == "paid" && (kind == "invoice.paid" || kind == "invoice.payment_succeeded") {
        if row.status == OrgStatus::PastDue && ours && repo::billing::failed_open(tx).await? == 0 {
            repo::billing::set(
                tx,
                json!({"status": OrgStatus::Active.code(), "past_due_since": null,
                       "billing_synced_at": row.billing_synced_at.map_or(created, |t| t.max(created))}),
            )
            .await?;
            repo::audit::record(
                tx,
                None,
                "billing.payment_restored",
                None,
                json!({"invoice": id, "amount": amount}),
            )
            .await?;
        }
        return Ok(Some(format!("Invoice {amount} paid")));
    }
    Ok(Some(format!(
        "Invoice {} {status}",
        inv.number.as_deref().unwrap_or(&id)
    )))
}

// ---- background work ------------------------------------------------------

/// Emails owners and admins of trials without a card that end within three
/// days, once per trial.
#[tracing::instrument(skip(state))]
pub async fn remind_trials(state: &AppState) -> Result<usize, AppError> {
    let ids = sqlx::query_scalar!(
        r#"select id as "id!" from platform.trials_to_remind(interval '3 days')"#
    )
    .fetch_all(&state.pool)
    .await?;
    let mut sent = 0;
    for org in ids {
        let mut tx = TenantTx::begin(&state.pool, org).await?;
        let row = repo::billing::row(&mut tx, true).await?;
        let email = emails::trial_ending(
            &row.company_name,
            &state.config.platform.name,
            row.plan.info().name,
            &row.trial_ends_at.format("%B %-d, %Y").to_string(),
            &format!(
                "{}/settings/billing",
                state.config.tenant_url(&row.subdomain)
            ),
        );
        for (_, to) in repo::billing::managers(&mut tx).await? {
            repo::outbox::queue(&mut tx, &to, &email, None).await?;
        }
        repo::billing::set(&mut tx, json!({"trial_reminder_sent_at": Utc::now()})).await?;
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}

// ---- the platform's view --------------------------------------------------

/// Every tenant's billing standing (platform administrators only).
#[tracing::instrument(skip(state))]
pub async fn tenants(state: &AppState) -> Result<Vec<TenantBilling>, AppError> {
    let rows = sqlx::query!(
        r#"select id as "id!", company_name as "company_name!", subdomain as "subdomain!",
                  plan as "plan!", status as "status!", addons as "addons!", comped as "comped!",
                  trial_ends_at as "trial_ends_at!: DateTime<Utc>",
                  past_due_since as "past_due_since: DateTime<Utc>",
                  subscribed as "subscribed!", cancel_at_period_end as "cancel_at_period_end!"
             from platform.billing_overview()"#
    )
    .fetch_all(&state.pool)
    .await?;
    let now = Utc::now();
    rows.into_iter()
        .map(|r| {
            let plan = repo::orgs::plan(&r.plan)?;
            let status = repo::orgs::status(&r.status)?;
            let addons: Addons = serde_json::from_value(r.addons).unwrap_or_default();
            let standing = Standing {
                status,
                trial_ends_at: r.trial_ends_at,
                past_due_since: r.past_due_since,
                subscribed: r.subscribed,
                comped: r.comped,
            };
            let paying = matches!(status, OrgStatus::Active | OrgStatus::PastDue)
                && r.subscribed
                && !r.comped;
            Ok(TenantBilling {
                id: r.id,
                company_name: r.company_name,
                subdomain: r.subdomain,
                plan,
                status,
                comped: r.comped,
                monthly_cents: if paying {
                    monthly_cents(plan, &addons)
                } else {
                    0
                },
                trial_ends_at: r.trial_ends_at,
                read_only: standing.read_only(now, state.billing.grace_days).is_some(),
                past_due_since: r.past_due_since,
                cancel_at_period_end: r.cancel_at_period_end,
            })
        })
        .collect()
}

/// A platform administrator extends a trial by `days` (from its end, or
/// from now if it has ended), recorded in the tenant's audit log.
#[tracing::instrument(skip(state))]
pub async fn extend_trial(
    state: &AppState,
    admin: Uuid,
    org: Uuid,
    days: i64,
) -> Result<DateTime<Utc>, AppError> {
    if !(1..=90).contains(&days) {
        return Err(AppError::field("days", "Extend a trial by 1 to 90 days."));
    }
    let mut tx = TenantTx::begin(&state.pool, org).await?;
    let row = repo::billing::row(&mut tx, true).await?;
    if row.stripe_subscription_id.is_some() && row.status != OrgStatus::Cancelled {
        return Err(AppError::Conflict(
            "This tenant has a card on file and its subscription runs on Stripe: extend it there, or give the plan free here."
                .into(),
        ));
    }
    let ends = row.trial_ends_at.max(Utc::now()) + Duration::days(days);
    let mut st = json!({"trial_ends_at": ends, "trial_reminder_sent_at": null});
    if row.status == OrgStatus::Cancelled {
        // The ended subscription is history: a card starts a new one.
        st["stripe_subscription_id"] = Value::Null;
        st["cancel_at_period_end"] = json!(false);
    }
    if row.status != OrgStatus::Suspended {
        st["status"] = json!(OrgStatus::Trialing.code());
    }
    repo::billing::set(&mut tx, st).await?;
    repo::audit::record(
        &mut tx,
        Some(admin),
        "billing.trial_extended",
        Some(org),
        json!({"days": days, "ends": ends, "by": "platform_admin"}),
    )
    .await?;
    super::live::notify(&mut tx, "billing", None, &[]).await?;
    tx.commit().await?;
    Ok(ends)
}

/// A platform administrator gives a tenant its plan free (or ends that),
/// recorded in the tenant's audit log.
#[tracing::instrument(skip(state))]
pub async fn set_comped(
    state: &AppState,
    admin: Uuid,
    org: Uuid,
    comped: bool,
) -> Result<(), AppError> {
    let mut tx = TenantTx::begin(&state.pool, org).await?;
    let row = repo::billing::row(&mut tx, true).await?;
    let mut st = json!({"comped": comped});
    if comped && row.status != OrgStatus::Suspended {
        st["status"] = json!(OrgStatus::Active.code());
        st["past_due_since"] = Value::Null;
    } else if !comped && row.stripe_subscription_id.is_none() {
        // Back to a trial that has ended: read-only until a card is added.
        st["status"] = json!(OrgStatus::Trialing.code());
    }
    repo::billing::set(&mut tx, st).await?;
    repo::audit::record(
        &mut tx,
        Some(admin),
        if comped {
            "billing.comped"
        } else {
            "billing.comp_ended"
        },
        Some(org),
        json!({"by": "platform_admin"}),
    )
    .await?;
    super::live::notify(&mut tx, "billing", None, &[]).await?;
    tx.commit().await?;
    Ok(())
}

/// A tenant's billing history for the platform administrator: events and
/// invoices, newest first.
#[tracing::instrument(skip(state))]
pub async fn history(
    state: &AppState,
    org: Uuid,
) -> Result<crate::model::billing::BillingHistory, AppError> {
    let mut tx = TenantTx::begin(&state.pool, org).await?;
    let events = repo::billing::events(&mut tx, 100).await?;
    let invoices = repo::billing::invoices(&mut tx, 100).await?;
    let audit = repo::billing::admin_actions(&mut tx, 50).await?;
    tx.commit().await?;
    Ok(crate::model::billing::BillingHistory {
        events,
        invoices,
        audit,
    })
}
