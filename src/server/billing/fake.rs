//! A stateful stand-in for Stripe's API, in memory on a loopback port, for
//! the tests and for a demo without a Stripe account (no real Stripe peer
//! can run on these machines: `../shared/data/stripe/README.md`).
//!
//! Every object it returns starts as Stripe's official fixture of that
//! resource (`stripe-fixtures3-v814.json`, the API version async-stripe 0.41
//! speaks) with this fake's values written over it, so each carries the
//! fields real Stripe sends; a contract test holds it to that. It covers
//! what the app calls: customers, products, prices, subscriptions with
//! several items and quantities, trials, Checkout with a minimal hosted page
//! (a card that succeeds and one that attaches but fails to charge), the
//! billing portal, invoices, and a clock that ends trials, renews, fails
//! payments and cancels. It delivers signed webhooks in order, the way
//! Stripe signs them, retrying while the app is unreachable.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde_json::{json, Map, Value};
use sha2::Sha256;
use tokio::sync::mpsc;

/// Stripe's official fixtures (MIT, Stripe, Inc.: see the licence beside it).
pub const FIXTURES: &str = include_str!("stripe-fixtures3-v814.json");

/// The official fixture of one resource (`subscription`, `checkout.session`).
pub fn fixture(resource: &str) -> Value {
    static PARSED: OnceLock<Value> = OnceLock::new();
    PARSED
        .get_or_init(|| serde_json::from_str(FIXTURES).expect("fixtures parse"))
        .get("resources")
        .and_then(|r| r.get(resource))
        .cloned()
        .unwrap_or_else(|| panic!("no official fixture for {resource}"))
}

/// Card numbers the hosted pages offer.
pub const GOOD_CARD: &str = "4242424242424242";
/// Attaches to the customer, then every charge is declined.
pub const DECLINING_CARD: &str = "4000000000000341";

#[derive(Clone)]
pub struct FakeStripe(Arc<Inner>);

struct Inner {
    state: Mutex<World>,
    base: String,
    hooks: mpsc::UnboundedSender<Value>,
    /// Where the world is kept between runs (the demo), if anywhere.
    file: Option<std::path::PathBuf>,
}

#[derive(Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
struct World {
    /// Seconds the fake's clock runs ahead of the real one.
    offset: i64,
    customers: BTreeMap<String, Value>,
    products: Vec<Value>,
    prices: Vec<Value>,
    sessions: HashMap<String, Checkout>,
    portals: HashMap<String, Value>,
    subs: BTreeMap<String, Sub>,
    cards: HashMap<String, Card>,
    invoices: BTreeMap<String, Value>,
    events: Vec<Value>,
    invoice_seq: u32,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Checkout {
    session: Value,
    items: Vec<(String, u64)>,
    trial_end: Option<i64>,
    sub_metadata: Value,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Card {
    customer: String,
    brand: String,
    last4: String,
    declines: bool,
    created: i64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Sub {
    id: String,
    customer: String,
    items: Vec<Item>,
    status: String,
    created: i64,
    period_start: i64,
    period_end: i64,
    trial_start: Option<i64>,
    trial_end: Option<i64>,
    cancel_at_period_end: bool,
    canceled_at: Option<i64>,
    default_pm: Option<String>,
    latest_invoice: Option<String>,
    metadata: Value,
    /// Prorations owed on the next invoice, in cents.
    pending_proration: i64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Item {
    id: String,
    price: String,
    quantity: u64,
    created: i64,
}

fn new_id(prefix: &str) -> String {
    let tail: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(24)
        .map(char::from)
        .collect();
    format!("{prefix}_{tail}")
}

/// Writes `over`'s keys onto a fixture (shallow: nested objects are given
/// whole by the caller, themselves built from fixtures).
fn from_fixture(resource: &str, over: Value) -> Value {
    let mut v = fixture(resource);
    if let (Some(v), Value::Object(o)) = (v.as_object_mut(), over) {
        for (k, x) in o {
            v.insert(k, x);
        }
    }
    v
}

/// A form body as Stripe's clients send it (`items[0][price]=...`) as a
/// nested JSON object; list indexes become object keys in order.
pub fn parse_form(body: &str) -> Value {
    let mut root = Map::new();
    for (k, v) in url::form_urlencoded::parse(body.as_bytes()) {
        let mut parts: Vec<String> = Vec::new();
        let (head, rest) = k.split_once('[').unwrap_or((&k, ""));
        parts.push(head.to_string());
        if !rest.is_empty() {
            for p in format!("[{rest}").split('[').skip(1) {
                parts.push(p.trim_end_matches(']').to_string());
            }
        }
        let mut cur = &mut root;
        for (i, p) in parts.iter().enumerate() {
            let key = if p.is_empty() {
                cur.len().to_string()
            } else {
                p.clone()
            };
            if i + 1 == parts.len() {
                cur.insert(key, Value::String(v.to_string()));
                break;
            }
            let next = cur.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if !next.is_object() {
                *next = Value::Object(Map::new());
            }
            cur = next.as_object_mut().expect("object");
        }
    }
    Value::Object(root)
}

/// A parsed list (`items[0]`, `items[1]`) in index order.
fn list(v: &Value, key: &str) -> Vec<Value> {
    let Some(o) = v.get(key).and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut entries: Vec<(usize, Value)> = o
        .iter()
        .map(|(k, x)| (k.parse().unwrap_or(usize::MAX), x.clone()))
        .collect();
    entries.sort_by_key(|(i, _)| *i);
    entries.into_iter().map(|(_, x)| x).collect()
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn num(v: &Value, key: &str) -> Option<i64> {
    match v.get(key) {
        Some(Value::String(s)) => s.parse().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    }
}

fn flag(v: &Value, key: &str) -> Option<bool> {
    text(v, key).map(|s| s == "true")
}

fn expands(v: &Value, what: &str) -> bool {
    list(v, "expand").iter().any(|x| x.as_str() == Some(what))
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"type": "invalid_request_error", "message": message}})),
    )
        .into_response()
}

fn list_object(data: Vec<Value>, url: &str) -> Value {
    json!({"object": "list", "data": data, "has_more": false, "url": url})
}

/// Signs a payload the way Stripe does: `t=<unix>,v1=<hex hmac>`.
pub fn sign(secret: &str, timestamp: i64, payload: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{timestamp}.{payload}").as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

impl World {
    fn now(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.offset
    }

    fn price(&self, id: &str) -> Option<&Value> {
        self.prices.iter().find(|p| p["id"] == id)
    }

    fn card_json(&self, id: &str) -> Value {
        let c = &self.cards[id];
        let mut card = fixture("payment_method")["card"].clone();
        card["brand"] = json!(c.brand);
        card["last4"] = json!(c.last4);
        card["exp_month"] = json!(12);
        card["exp_year"] = json!(2030);
        card["fingerprint"] = json!(format!("fp{}", c.last4));
        card["networks"]["available"] = json!([c.brand]);
        from_fixture(
            "payment_method",
            json!({"id": id, "customer": c.customer, "created": c.created,
                   "card": card, "metadata": {},
                   "billing_details": {"address": null, "email": null, "name": null, "phone": null}}),
        )
    }

    fn item_json(&self, sub: &str, it: &Item) -> Value {
        from_fixture(
            "subscription_item",
            json!({"id": it.id, "created": it.created, "metadata": {},
                   "price": self.price(&it.price).cloned().unwrap_or(Value::Null),
                   "quantity": it.quantity, "subscription": sub, "tax_rates": []}),
        )
    }

    fn sub_json(&self, id: &str, expand_pm: bool) -> Value {
        let s = &self.subs[id];
        let items: Vec<Value> = s.items.iter().map(|i| self.item_json(id, i)).collect();
        let n = items.len();
        let pm = match (&s.default_pm, expand_pm) {
            (Some(pm), true) => self.card_json(pm),
            (Some(pm), false) => json!(pm),
            (None, _) => Value::Null,
        };
        let mut v = from_fixture(
            "subscription",
            json!({
                "id": s.id, "customer": s.customer, "status": s.status, "created": s.created,
                "start_date": s.created, "billing_cycle_anchor": s.period_start,
                "current_period_start": s.period_start, "current_period_end": s.period_end,
                "trial_start": s.trial_start, "trial_end": s.trial_end,
                "cancel_at_period_end": s.cancel_at_period_end,
                "cancel_at": if s.cancel_at_period_end { json!(s.period_end) } else { Value::Null },
                "canceled_at": s.canceled_at,
                "ended_at": if s.status == "canceled" { json!(s.canceled_at) } else { Value::Null },
                "next_pending_invoice_item_invoice": null,
                "default_payment_method": pm, "latest_invoice": s.latest_invoice,
                "metadata": s.metadata,
                "items": {"object": "list", "data": items, "has_more": false, "total_count": n,
                          "url": format!("/v1/subscription_items?subscription={id}")},
            }),
        );
        // Stripe's single-price shortcuts, present only for one item.
        if let Some(o) = v.as_object_mut() {
            if n != 1 {
                for k in ["plan", "quantity"] {
                    if o.contains_key(k) {
                        o.insert(k.into(), Value::Null);
                    }
                }
            }
        }
        v
    }

    fn monthly(&self, items: &[Item]) -> i64 {
        items
            .iter()
            .map(|i| {
                self.price(&i.price)
                    .and_then(|p| p["unit_amount"].as_i64())
                    .unwrap_or(0)
                    * i.quantity as i64
            })
            .sum()
    }

    fn event(&mut self, kind: &str, object: Value, previous: Option<Value>) -> Value {
        let mut data = json!({"object": object});
        if let Some(p) = previous {
            data["previous_attributes"] = p;
        }
        let e = from_fixture(
            "event",
            json!({"id": new_id("evt"), "created": self.now(), "type": kind, "data": data,
                   "api_version": "2023-10-16", "pending_webhooks": 1,
                   "request": {"id": null, "idempotency_key": null}}),
        );
        self.events.push(e.clone());
        e
    }

    /// Bills a subscription's period: a paid invoice, or an open one whose
    /// charge the card declined. Returns the events in Stripe's order.
    fn bill(&mut self, sub_id: &str, reason: &str, base: &str) -> Vec<Value> {
        let now = self.now();
        let (customer, amount, pm, period_start, period_end) = {
            let s = &self.subs[sub_id];
            let amount = self.monthly(&s.items) + s.pending_proration;
            (
                s.customer.clone(),
                amount,
                s.default_pm.clone(),
                s.period_start,
                s.period_end,
            )
        };
        let declines = pm
            .as_ref()
            .and_then(|p| self.cards.get(p))
            .is_none_or(|c| c.declines);
        let amount = if reason == "subscription_create" && self.subs[sub_id].status == "trialing" {
            0
        } else {
            amount
        };
        let paid = amount == 0 || !declines;
        self.invoice_seq += 1;
        let id = new_id("in");
        let lines: Vec<Value> = self.subs[sub_id]
            .items
            .iter()
            .map(|it| {
                let price = self.price(&it.price).cloned().unwrap_or(Value::Null);
                let unit = price["unit_amount"].as_i64().unwrap_or(0);
                let line_amount = if amount == 0 {
                    0
                } else {
                    unit * it.quantity as i64
                };
                let mut l = fixture("invoice")["lines"]["data"][0].clone();
                for (k, v) in [
                    ("id", json!(new_id("il"))),
                    ("amount", json!(line_amount)),
                    ("amount_excluding_tax", json!(line_amount)),
                    (
                        "description",
                        json!(format!(
                            "{} × {}",
                            it.quantity,
                            price["nickname"].as_str().unwrap_or("Subscription")
                        )),
                    ),
                    ("invoice_item", Value::Null),
                    ("period", json!({"start": period_start, "end": period_end})),
                    ("price", price),
                    ("quantity", json!(it.quantity)),
                    ("subscription", json!(sub_id)),
                    ("subscription_item", json!(it.id)),
                    ("type", json!("subscription")),
                    ("unit_amount_excluding_tax", json!(unit.to_string())),
                ] {
                    l[k] = v;
                }
                l
            })
            .collect();
        let cust = self
            .customers
            .get(&customer)
            .cloned()
            .unwrap_or(Value::Null);
        let invoice = from_fixture(
            "invoice",
            json!({
                "id": id, "customer": customer, "subscription": sub_id,
                "number": format!("FAKE-{:04}", self.invoice_seq),
                "billing_reason": reason, "created": now, "effective_at": now,
                "period_start": period_start, "period_end": period_end,
                "amount_due": amount, "amount_paid": if paid { amount } else { 0 },
                "amount_remaining": if paid { 0 } else { amount },
                "subtotal": amount, "subtotal_excluding_tax": amount,
                "total": amount, "total_excluding_tax": amount,
                "attempt_count": 1, "attempted": true, "auto_advance": !paid,
                "paid": paid, "status": if paid { "paid" } else { "open" },
                "due_date": null, "next_payment_attempt": if paid { Value::Null } else { json!(now + 3 * 86400) },
                "customer_email": cust["email"], "customer_name": cust["name"],
                "default_payment_method": pm,
                "hosted_invoice_url": format!("{base}/pay/invoice/{id}"),
                "invoice_pdf": format!("{base}/pay/invoice/{id}/pdf"),
                "status_transitions": {"finalized_at": now, "marked_uncollectible_at": null,
                                       "paid_at": if paid { json!(now) } else { Value::Null },
                                       "voided_at": null},
                "subscription_details": {"metadata": self.subs[sub_id].metadata},
                "webhooks_delivered_at": now,
                "lines": {"object": "list", "data": lines, "has_more": false,
                          "url": format!("/v1/invoices/{id}/lines")},
            }),
        );
        self.invoices.insert(id.clone(), invoice.clone());
        let mut out = vec![self.event("invoice.finalized", invoice.clone(), None)];
        {
            let s = self.subs.get_mut(sub_id).expect("sub");
            s.latest_invoice = Some(id.clone());
            s.pending_proration = 0;
        }
        if paid {
            out.push(self.event("invoice.paid", invoice.clone(), None));
            out.push(self.event("invoice.payment_succeeded", invoice, None));
        } else {
            out.push(self.event("invoice.payment_failed", invoice, None));
        }
        out
    }

    fn set_status(&mut self, sub_id: &str, status: &str) -> Option<Value> {
        let s = self.subs.get_mut(sub_id)?;
        if s.status == status {
            return None;
        }
        let before = std::mem::replace(&mut s.status, status.to_string());
        let obj = self.sub_json(sub_id, false);
        Some(self.event(
            "customer.subscription.updated",
            obj,
            Some(json!({"status": before})),
        ))
    }

    /// Moves the clock on by `seconds` and does what falls due on the way:
    /// trials end, periods renew (a charge, which the card may decline),
    /// subscriptions cancelled at period end end.
    fn advance(&mut self, seconds: i64, base: &str) -> Vec<Value> {
        self.offset += seconds.max(0);
        let now = self.now();
        let mut out = Vec::new();
        let ids: Vec<String> = self.subs.keys().cloned().collect();
        for id in ids {
            loop {
                let (status, end, cancel) = {
                    let s = &self.subs[&id];
                    (s.status.clone(), s.period_end, s.cancel_at_period_end)
                };
                if status == "canceled" || end > now {
                    break;
                }
                if cancel {
                    let s = self.subs.get_mut(&id).expect("sub");
                    s.status = "canceled".into();
                    s.canceled_at = Some(end);
                    let obj = self.sub_json(&id, false);
                    out.push(self.event("customer.subscription.deleted", obj, None));
                    break;
                }
                {
                    let s = self.subs.get_mut(&id).expect("sub");
                    s.period_start = end;
                    s.period_end = end + 30 * 86400;
                }
                let events = self.bill(&id, "subscription_cycle", base);
                let failed = events.iter().any(|e| e["type"] == "invoice.payment_failed");
                out.extend(events);
                let next = if failed { "past_due" } else { "active" };
                if let Some(e) = self.set_status(&id, next) {
                    out.push(e);
                } else {
                    let obj = self.sub_json(&id, false);
                    out.push(self.event(
                        "customer.subscription.updated",
                        obj,
                        Some(json!({"current_period_end": end})),
                    ));
                }
                if failed {
                    break;
                }
            }
        }
        out
    }

    /// Retries a customer's open invoices with its default card.
    fn retry_open(&mut self, customer: &str) -> Vec<Value> {
        let now = self.now();
        let mut out = Vec::new();
        let pm = self.customers.get(customer).and_then(|c| {
            c["invoice_settings"]["default_payment_method"]
                .as_str()
                .map(str::to_string)
        });
        let good = pm
            .as_ref()
            .and_then(|p| self.cards.get(p))
            .is_some_and(|c| !c.declines);
        let open: Vec<String> = self
            .invoices
            .iter()
            .filter(|(_, i)| i["customer"] == customer && i["status"] == "open")
            .map(|(k, _)| k.clone())
            .collect();
        for id in open {
            let inv = self.invoices.get_mut(&id).expect("invoice");
            inv["attempt_count"] = json!(inv["attempt_count"].as_i64().unwrap_or(0) + 1);
            if good {
                inv["status"] = json!("paid");
                inv["paid"] = json!(true);
                inv["amount_paid"] = inv["amount_due"].clone();
                inv["amount_remaining"] = json!(0);
                inv["status_transitions"]["paid_at"] = json!(now);
                inv["next_payment_attempt"] = Value::Null;
                let v = inv.clone();
                out.push(self.event("invoice.paid", v.clone(), None));
                out.push(self.event("invoice.payment_succeeded", v.clone(), None));
                if let Some(sub) = v["subscription"].as_str() {
                    if let Some(e) = self.set_status(sub, "active") {
                        out.push(e);
                    }
                }
            } else {
                let v = inv.clone();
                out.push(self.event("invoice.payment_failed", v, None));
            }
        }
        out
    }
}

impl FakeStripe {
    /// Starts the fake on `addr` (port 0: any free port). Webhooks go to
    /// `webhook_url` signed with `webhook_secret`, one at a time in order.
    pub async fn start(
        addr: SocketAddr,
        webhook_url: Option<String>,
        webhook_secret: String,
        file: Option<std::path::PathBuf>,
    ) -> std::io::Result<FakeStripe> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let base = format!("http://{local}");
        let (hooks, mut queue) = mpsc::unbounded_channel::<Value>();
        // The demo keeps what it made (customers, subscriptions, the clock)
        // across restarts, as Stripe would.
        let world = file
            .as_ref()
            .and_then(|f| std::fs::read(f).ok())
            .and_then(|b| serde_json::from_slice::<World>(&b).ok())
            .unwrap_or_default();
        let fake = FakeStripe(Arc::new(Inner {
            state: Mutex::new(world),
            base,
            hooks,
            file,
        }));
        if let Some(url) = webhook_url {
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                while let Some(event) = queue.recv().await {
                    let payload = event.to_string();
                    for attempt in 0..20u32 {
                        let t = chrono::Utc::now().timestamp();
                        let r = http
                            .post(&url)
                            .header("stripe-signature", sign(&webhook_secret, t, &payload))
                            .header("content-type", "application/json; charset=utf-8")
                            .body(payload.clone())
                            .send()
                            .await;
                        match r {
                            Ok(r) if r.status().is_success() => break,
                            Ok(r) => {
                                tracing::warn!(status = %r.status(), url = %url, "stand-in webhook refused")
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, url = %url, "stand-in webhook not delivered")
                            }
                        }
                        tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt + 1)))
                            .await;
                    }
                }
            });
        }
        let app = fake.router();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(fake)
    }

    /// Where the fake answers, e.g. `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> &str {
        &self.0.base
    }

    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.0.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn send(&self, events: Vec<Value>) {
        for e in events {
            let _ = self.0.hooks.send(e);
        }
    }

    /// Writes the world to its file, if it has one (after every change).
    fn save(&self) {
        let Some(path) = &self.0.file else { return };
        let bytes = match serde_json::to_vec(&*self.world()) {
            Ok(b) => b,
            Err(_) => return,
        };
        let tmp = path.with_extension("tmp");
        if std::fs::write(&tmp, bytes).is_ok() {
            let _ = std::fs::rename(&tmp, path);
        }
    }

    /// Moves the clock on (trials end, renewals charge, cancellations end).
    pub fn advance(&self, seconds: i64) {
        let events = self.world().advance(seconds, &self.0.base);
        self.send(events);
        self.save();
    }

    /// Every event sent so far, oldest first.
    pub fn events(&self) -> Vec<Value> {
        self.world().events.clone()
    }

    /// Sets a customer's card (the test's way to make the next charge fail).
    pub fn set_card(&self, customer: &str, number: &str) -> Result<(), String> {
        let events = {
            let mut w = self.world();
            attach_card(&mut w, customer, number)?;
            w.retry_open(customer)
        };
        self.send(events);
        self.save();
        Ok(())
    }

    fn router(&self) -> Router {
        Router::new()
            .route("/v1/customers", post(create_customer))
            .route(
                "/v1/customers/{id}",
                get(get_customer).post(update_customer),
            )
            .route("/v1/products", get(list_products).post(create_product))
            .route("/v1/prices", get(list_prices).post(create_price))
            .route("/v1/checkout/sessions", post(create_session))
            .route("/v1/checkout/sessions/{id}", get(get_session))
            .route("/v1/billing_portal/sessions", post(create_portal))
            .route(
                "/v1/subscriptions/{id}",
                get(get_subscription).post(update_subscription),
            )
            .route("/v1/invoices", get(list_invoices))
            .route("/v1/payment_methods/{id}", get(get_payment_method))
            .route("/pay/checkout/{id}", get(checkout_page).post(checkout_pay))
            .route("/pay/portal/{id}", get(portal_page).post(portal_act))
            .route("/pay/invoice/{id}", get(invoice_page))
            .route("/pay/invoice/{id}/pdf", get(invoice_page))
            .route("/_fake/clock", post(clock))
            .route("/_fake/events", get(all_events))
            .route("/v1/events", get(all_events))
            .layer(axum::middleware::from_fn_with_state(self.clone(), persist))
            .with_state(self.clone())
    }
}

/// Saves the world after every request that may have changed it.
async fn persist(
    State(f): State<FakeStripe>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let writes = req.method() != axum::http::Method::GET;
    let res = next.run(req).await;
    if writes {
        f.save();
    }
    res
}

fn attach_card(w: &mut World, customer: &str, number: &str) -> Result<String, String> {
    if !w.customers.contains_key(customer) {
        return Err(format!("No such customer: '{customer}'"));
    }
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 12 {
        return Err("Your card number is incomplete.".into());
    }
    let id = new_id("pm");
    let now = w.now();
    w.cards.insert(
        id.clone(),
        Card {
            customer: customer.into(),
            brand: if digits.starts_with('5') {
                "mastercard".into()
            } else {
                "visa".into()
            },
            last4: digits[digits.len() - 4..].to_string(),
            declines: digits == DECLINING_CARD,
            created: now,
        },
    );
    if let Some(c) = w.customers.get_mut(customer) {
        c["invoice_settings"]["default_payment_method"] = json!(id);
    }
    for s in w.subs.values_mut().filter(|s| s.customer == customer) {
        s.default_pm = Some(id.clone());
    }
    Ok(id)
}

async fn create_customer(State(f): State<FakeStripe>, body: String) -> Response {
    let p = parse_form(&body);
    let mut w = f.world();
    let id = new_id("cus");
    let mut invoice_settings = fixture("customer")["invoice_settings"].clone();
    invoice_settings["default_payment_method"] = Value::Null;
    let c = from_fixture(
        "customer",
        json!({"id": id, "created": w.now(), "email": text(&p, "email"), "name": text(&p, "name"),
               "description": null, "phone": null, "address": null, "shipping": null,
               "metadata": p.get("metadata").cloned().unwrap_or(json!({})),
               "invoice_prefix": "FAKE", "invoice_settings": invoice_settings,
               "test_clock": null, "default_source": null, "discount": null}),
    );
    w.customers.insert(id, c.clone());
    Json(c).into_response()
}

async fn get_customer(State(f): State<FakeStripe>, Path(id): Path<String>) -> Response {
    match f.world().customers.get(&id) {
        Some(c) => Json(c.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, &format!("No such customer: '{id}'")),
    }
}

async fn update_customer(
    State(f): State<FakeStripe>,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let p = parse_form(&body);
    let mut w = f.world();
    let Some(c) = w.customers.get_mut(&id) else {
        return error(StatusCode::NOT_FOUND, &format!("No such customer: '{id}'"));
    };
    for k in ["email", "name"] {
        if let Some(v) = text(&p, k) {
            c[k] = json!(v);
        }
    }
    Json(c.clone()).into_response()
}

async fn list_products(State(f): State<FakeStripe>) -> Response {
    let w = f.world();
    Json(list_object(w.products.clone(), "/v1/products")).into_response()
}

async fn create_product(State(f): State<FakeStripe>, body: String) -> Response {
    let p = parse_form(&body);
    let mut w = f.world();
    let now = w.now();
    let v = from_fixture(
        "product",
        json!({"id": text(&p, "id").unwrap_or_else(|| new_id("prod")), "created": now, "updated": now,
               "name": text(&p, "name"), "description": text(&p, "description"),
               "metadata": p.get("metadata").cloned().unwrap_or(json!({})),
               "default_price": null, "images": [], "features": [], "url": null,
               "statement_descriptor": null, "unit_label": null, "tax_code": null}),
    );
    if w.products.iter().any(|x| x["id"] == v["id"]) {
        return error(StatusCode::BAD_REQUEST, "Product already exists.");
    }
    w.products.push(v.clone());
    Json(v).into_response()
}

async fn list_prices(State(f): State<FakeStripe>, uri: axum::http::Uri) -> Response {
    let q = parse_form(uri.query().unwrap_or(""));
    let keys: Vec<String> = list(&q, "lookup_keys")
        .into_iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let w = f.world();
    let data = w
        .prices
        .iter()
        .filter(|p| {
            keys.is_empty()
                || p["lookup_key"]
                    .as_str()
                    .is_some_and(|k| keys.iter().any(|x| x == k))
        })
        .cloned()
        .collect();
    Json(list_object(data, "/v1/prices")).into_response()
}

async fn create_price(State(f): State<FakeStripe>, body: String) -> Response {
    let p = parse_form(&body);
    let mut w = f.world();
    let Some(product) = text(&p, "product") else {
        return error(StatusCode::BAD_REQUEST, "Missing required param: product.");
    };
    let Some(amount) = num(&p, "unit_amount") else {
        return error(
            StatusCode::BAD_REQUEST,
            "Missing required param: unit_amount.",
        );
    };
    let lookup = text(&p, "lookup_key");
    if lookup.is_some()
        && w.prices
            .iter()
            .any(|x| x["lookup_key"].as_str() == lookup.as_deref())
    {
        return error(
            StatusCode::BAD_REQUEST,
            "A price with this lookup_key already exists.",
        );
    }
    let mut recurring = fixture("price")["recurring"].clone();
    recurring["interval"] = json!("month");
    recurring["interval_count"] = json!(1);
    let v = from_fixture(
        "price",
        json!({"id": new_id("price"), "created": w.now(), "product": product,
               "unit_amount": amount, "unit_amount_decimal": amount.to_string(),
               "currency": text(&p, "currency").unwrap_or_else(|| "usd".into()),
               "lookup_key": lookup, "nickname": text(&p, "nickname"),
               "metadata": p.get("metadata").cloned().unwrap_or(json!({})),
               "recurring": recurring, "type": "recurring"}),
    );
    w.prices.push(v.clone());
    Json(v).into_response()
}

async fn create_session(State(f): State<FakeStripe>, body: String) -> Response {
    let p = parse_form(&body);
    let mut w = f.world();
    let Some(customer) = text(&p, "customer") else {
        return error(StatusCode::BAD_REQUEST, "This fake needs a customer.");
    };
    if !w.customers.contains_key(&customer) {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("No such customer: '{customer}'"),
        );
    }
    let mode = text(&p, "mode").unwrap_or_else(|| "payment".into());
    let mut items = Vec::new();
    for li in list(&p, "line_items") {
        let Some(price) = text(&li, "price") else {
            return error(StatusCode::BAD_REQUEST, "Each line item needs a price.");
        };
        if w.price(&price).is_none() {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("No such price: '{price}'"),
            );
        }
        items.push((price, num(&li, "quantity").unwrap_or(1).max(1) as u64));
    }
    if mode == "subscription" && items.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "line_items are required in subscription mode.",
        );
    }
    let sd = p.get("subscription_data").cloned().unwrap_or(json!({}));
    let trial_end = num(&sd, "trial_end");
    let now = w.now();
    if trial_end.is_some_and(|t| t < now + 48 * 3600) {
        return error(
            StatusCode::BAD_REQUEST,
            "subscription_data.trial_end must be at least 48 hours in the future.",
        );
    }
    let id = new_id("cs_test");
    let amount: i64 = items
        .iter()
        .map(|(pr, q)| {
            w.price(pr)
                .and_then(|x| x["unit_amount"].as_i64())
                .unwrap_or(0)
                * *q as i64
        })
        .sum();
    let email = w.customers[&customer]["email"].clone();
    let session = from_fixture(
        "checkout.session",
        json!({"id": id, "created": now, "expires_at": now + 86400, "mode": mode,
               "customer": customer, "client_reference_id": text(&p, "client_reference_id"),
               "success_url": text(&p, "success_url"), "cancel_url": text(&p, "cancel_url"),
               "metadata": p.get("metadata").cloned().unwrap_or(json!({})),
               "amount_subtotal": amount, "amount_total": amount, "currency": "usd",
               "customer_details": {"address": null, "email": email, "name": null, "phone": null,
                                    "tax_exempt": "none", "tax_ids": null},
               "payment_intent": null, "payment_status": "unpaid", "status": "open",
               "url": format!("{}/pay/checkout/{id}", f.0.base)}),
    );
    w.sessions.insert(
        id,
        Checkout {
            session: session.clone(),
            items,
            trial_end,
            sub_metadata: sd.get("metadata").cloned().unwrap_or(json!({})),
        },
    );
    Json(session).into_response()
}

async fn get_session(
    State(f): State<FakeStripe>,
    Path(id): Path<String>,
    uri: axum::http::Uri,
) -> Response {
    let q = parse_form(uri.query().unwrap_or(""));
    let w = f.world();
    let Some(c) = w.sessions.get(&id) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("No such checkout.session: '{id}'"),
        );
    };
    let mut s = c.session.clone();
    if expands(&q, "subscription") {
        if let Some(sub) = s["subscription"].as_str().map(str::to_string) {
            s["subscription"] = w.sub_json(&sub, false);
        }
    }
    Json(s).into_response()
}

async fn create_portal(State(f): State<FakeStripe>, body: String) -> Response {
    let p = parse_form(&body);
    let mut w = f.world();
    let Some(customer) = text(&p, "customer").filter(|c| w.customers.contains_key(c)) else {
        return error(StatusCode::BAD_REQUEST, "No such customer.");
    };
    let id = new_id("bps");
    let v = from_fixture(
        "billing_portal.session",
        json!({"id": id, "created": w.now(), "customer": customer,
               "return_url": text(&p, "return_url"), "configuration": "bpc_fake",
               "flow": null, "locale": null, "on_behalf_of": null,
               "url": format!("{}/pay/portal/{id}", f.0.base)}),
    );
    w.portals.insert(id, v.clone());
    Json(v).into_response()
}

async fn get_subscription(
    State(f): State<FakeStripe>,
    Path(id): Path<String>,
    uri: axum::http::Uri,
) -> Response {
    let q = parse_form(uri.query().unwrap_or(""));
    let w = f.world();
    if !w.subs.contains_key(&id) {
        return error(
            StatusCode::NOT_FOUND,
            &format!("No such subscription: '{id}'"),
        );
    }
    Json(w.sub_json(&id, expands(&q, "default_payment_method"))).into_response()
}

/// Items added, changed (price or quantity) or deleted; cancellation at
/// period end and its undo. Changes take effect at once; the difference for
/// the rest of the period is prorated onto the next invoice, or charged now
/// with `proration_behavior=always_invoice`.
async fn update_subscription(
    State(f): State<FakeStripe>,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let p = parse_form(&body);
    let events = {
        let mut w = f.world();
        let now = w.now();
        let Some(s) = w.subs.get(&id) else {
            return error(
                StatusCode::NOT_FOUND,
                &format!("No such subscription: '{id}'"),
            );
        };
        if s.status == "canceled" {
            return error(
                StatusCode::BAD_REQUEST,
                "A canceled subscription can only update its cancellation_details and metadata.",
            );
        }
        let before_amount = w.monthly(&w.subs[&id].items);
        let mut items: Vec<Item> = w.subs[&id]
            .items
            .iter()
            .map(|i| Item {
                id: i.id.clone(),
                price: i.price.clone(),
                quantity: i.quantity,
                created: i.created,
            })
            .collect();
        for change in list(&p, "items") {
            let deleted = flag(&change, "deleted") == Some(true);
            match text(&change, "id") {
                Some(item_id) => {
                    let Some(pos) = items.iter().position(|i| i.id == item_id) else {
                        return error(
                            StatusCode::BAD_REQUEST,
                            &format!("No such subscription item: '{item_id}'"),
                        );
                    };
                    if deleted {
                        items.remove(pos);
                        continue;
                    }
                    if let Some(price) = text(&change, "price") {
                        if w.price(&price).is_none() {
                            return error(
                                StatusCode::BAD_REQUEST,
                                &format!("No such price: '{price}'"),
                            );
                        }
                        items[pos].price = price;
                    }
                    if let Some(q) = num(&change, "quantity") {
                        items[pos].quantity = q.max(0) as u64;
                    }
                }
                None => {
                    let Some(price) = text(&change, "price").filter(|x| w.price(x).is_some())
                    else {
                        return error(StatusCode::BAD_REQUEST, "A new item needs a known price.");
                    };
                    if items.iter().any(|i| i.price == price) {
                        return error(
                            StatusCode::BAD_REQUEST,
                            "Cannot add multiple subscription items with the same plan.",
                        );
                    }
                    items.push(Item {
                        id: new_id("si"),
                        price,
                        quantity: num(&change, "quantity").unwrap_or(1).max(1) as u64,
                        created: now,
                    });
                }
            }
        }
        if items.is_empty() {
            return error(
                StatusCode::BAD_REQUEST,
                "A subscription needs at least one item.",
            );
        }
        let after_amount = w.monthly(&items);
        let behavior = text(&p, "proration_behavior").unwrap_or_else(|| "create_prorations".into());
        let s = w.subs.get_mut(&id).expect("sub");
        let before_cancel = s.cancel_at_period_end;
        if let Some(c) = flag(&p, "cancel_at_period_end") {
            s.cancel_at_period_end = c;
        }
        let remaining =
            (s.period_end - now).max(0) as f64 / (s.period_end - s.period_start).max(1) as f64;
        let proration = ((after_amount - before_amount) as f64 * remaining).round() as i64;
        if s.status != "trialing" && behavior != "none" {
            s.pending_proration += proration;
        }
        s.items = items;
        if let Some(m) = p.get("metadata") {
            s.metadata = m.clone();
        }
        let obj = w.sub_json(&id, false);
        let mut out = vec![w.event(
            "customer.subscription.updated",
            obj,
            Some(json!({"cancel_at_period_end": before_cancel})),
        )];
        if behavior == "always_invoice" && w.subs[&id].status != "trialing" && proration != 0 {
            out.extend(w.bill(&id, "subscription_update", &f.0.base));
        }
        out
    };
    let body = f.world().sub_json(&id, false);
    f.send(events);
    Json(body).into_response()
}

async fn list_invoices(State(f): State<FakeStripe>, uri: axum::http::Uri) -> Response {
    let q = parse_form(uri.query().unwrap_or(""));
    let customer = text(&q, "customer");
    let w = f.world();
    let mut data: Vec<Value> = w
        .invoices
        .values()
        .filter(|i| customer.is_none() || i["customer"].as_str() == customer.as_deref())
        .cloned()
        .collect();
    data.sort_by_key(|i| std::cmp::Reverse(i["created"].as_i64()));
    Json(list_object(data, "/v1/invoices")).into_response()
}

async fn get_payment_method(State(f): State<FakeStripe>, Path(id): Path<String>) -> Response {
    let w = f.world();
    if !w.cards.contains_key(&id) {
        return error(
            StatusCode::NOT_FOUND,
            &format!("No such PaymentMethod: '{id}'"),
        );
    }
    Json(w.card_json(&id)).into_response()
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:6vh auto;padding:0 1.2rem;color:#1a1f36}}\
         .note{{background:#fff4e5;border:1px solid #f5c27a;padding:.6rem .8rem;border-radius:6px;font-size:.9rem}}\
         button{{display:block;width:100%;margin:.6rem 0;padding:.8rem;font-size:1rem;border-radius:6px;border:1px solid #635bff;background:#635bff;color:#fff;cursor:pointer}}\
         button.alt{{background:#fff;color:#635bff}}li{{margin:.3rem 0}}</style></head><body>\
         <p class=\"note\">Test payment page of the local Stripe stand-in. No real card is charged.</p>{body}</body></html>"
    ))
}

fn esc(s: &str) -> String {
    super::super::telemetry::html_escape(s)
}

#[derive(serde::Deserialize)]
struct PageQuery {
    declined: Option<String>,
}

async fn checkout_page(
    State(f): State<FakeStripe>,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let w = f.world();
    let declined = if q.declined.is_some() {
        "<p class=\"note\" role=\"alert\">Your card was declined. Try another card.</p>"
    } else {
        ""
    };
    let Some(c) = w.sessions.get(&id) else {
        return (StatusCode::NOT_FOUND, "No such checkout session").into_response();
    };
    if c.session["status"] != "open" {
        return page("Checkout", "<h1>This checkout is complete.</h1>").into_response();
    }
    let lines: String = c
        .items
        .iter()
        .map(|(pr, q)| {
            let p = w.price(pr).cloned().unwrap_or(Value::Null);
            format!(
                "<li>{} × {} — ${:.2}/month</li>",
                q,
                esc(p["nickname"].as_str().unwrap_or("Subscription")),
                p["unit_amount"].as_i64().unwrap_or(0) as f64 / 100.0 * *q as f64
            )
        })
        .collect();
    let trial = c
        .trial_end
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|t| {
            format!(
                "<p>Free trial until {}: nothing is charged today.</p>",
                t.format("%B %-d, %Y")
            )
        })
        .unwrap_or_default();
    page(
        "Checkout",
        &format!(
            "<h1>Subscribe</h1>{declined}<ul>{lines}</ul>{trial}\
             <form method=\"post\"><input type=\"hidden\" name=\"card\" value=\"{GOOD_CARD}\">\
             <button type=\"submit\" data-card=\"good\">Pay with test card 4242 4242 4242 4242</button></form>\
             <form method=\"post\"><input type=\"hidden\" name=\"card\" value=\"{DECLINING_CARD}\">\
             <button class=\"alt\" type=\"submit\" data-card=\"declining\">Use card 4000 0000 0000 0341 (attaches, charges fail)</button></form>\
             <p><a href=\"{}\">Cancel and go back</a></p>",
            esc(c.session["cancel_url"].as_str().unwrap_or("/"))
        ),
    )
    .into_response()
}

#[derive(serde::Deserialize)]
struct CardForm {
    card: String,
}

async fn checkout_pay(
    State(f): State<FakeStripe>,
    Path(id): Path<String>,
    Form(form): Form<CardForm>,
) -> Response {
    let (events, target) = {
        let mut w = f.world();
        let now = w.now();
        let Some(c) = w.sessions.get(&id) else {
            return (StatusCode::NOT_FOUND, "No such checkout session").into_response();
        };
        if c.session["status"] != "open" {
            return Redirect::to(c.session["success_url"].as_str().unwrap_or("/")).into_response();
        }
        let customer = c.session["customer"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let items: Vec<(String, u64)> = c.items.clone();
        let trial_end = c.trial_end;
        let metadata = c.sub_metadata.clone();
        let success = c.session["success_url"]
            .as_str()
            .unwrap_or("/")
            .replace("{CHECKOUT_SESSION_ID}", &id);
        let trialing = trial_end.is_some_and(|t| t > now);
        // As Stripe's page does: a card that declines a charge due now keeps
        // the customer on the page (nothing is created).
        let digits: String = form.card.chars().filter(char::is_ascii_digit).collect();
        if !trialing && digits == DECLINING_CARD {
            let back = format!("/pay/checkout/{id}?declined=1");
            return Redirect::to(&back).into_response();
        }
        let pm = match attach_card(&mut w, &customer, &form.card) {
            Ok(pm) => pm,
            Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
        };
        let sub_id = new_id("sub");
        w.subs.insert(
            sub_id.clone(),
            Sub {
                id: sub_id.clone(),
                customer: customer.clone(),
                items: items
                    .into_iter()
                    .map(|(price, quantity)| Item {
                        id: new_id("si"),
                        price,
                        quantity,
                        created: now,
                    })
                    .collect(),
                status: if trialing { "trialing" } else { "incomplete" }.into(),
                created: now,
                period_start: now,
                period_end: trial_end.filter(|_| trialing).unwrap_or(now + 30 * 86400),
                trial_start: trialing.then_some(now),
                trial_end: trial_end.filter(|_| trialing),
                cancel_at_period_end: false,
                canceled_at: None,
                default_pm: Some(pm),
                latest_invoice: None,
                metadata,
                pending_proration: 0,
            },
        );
        let mut out = Vec::new();
        let created = w.sub_json(&sub_id, false);
        out.push(w.event("customer.subscription.created", created, None));
        let bill = w.bill(&sub_id, "subscription_create", &f.0.base);
        let failed = bill.iter().any(|e| e["type"] == "invoice.payment_failed");
        out.extend(bill);
        if !trialing {
            // A first charge that fails leaves the subscription incomplete
            // (Checkout would keep the customer on its page).
            if let Some(e) = w.set_status(&sub_id, if failed { "incomplete" } else { "active" }) {
                out.push(e);
            }
        }
        let invoice = w.subs[&sub_id].latest_invoice.clone();
        let s = w.sessions.get_mut(&id).expect("session");
        s.session["status"] = json!("complete");
        s.session["payment_status"] = json!(if trialing {
            "no_payment_required"
        } else if failed {
            "unpaid"
        } else {
            "paid"
        });
        s.session["subscription"] = json!(sub_id);
        s.session["invoice"] = json!(invoice);
        let done = s.session.clone();
        out.insert(0, w.event("checkout.session.completed", done, None));
        (out, success)
    };
    f.send(events);
    Redirect::to(&target).into_response()
}

async fn portal_page(State(f): State<FakeStripe>, Path(id): Path<String>) -> Response {
    let w = f.world();
    let Some(p) = w.portals.get(&id) else {
        return (StatusCode::NOT_FOUND, "No such portal session").into_response();
    };
    let customer = p["customer"].as_str().unwrap_or_default();
    let card = w.customers[customer]["invoice_settings"]["default_payment_method"]
        .as_str()
        .and_then(|pm| w.cards.get(pm))
        .map(|c| format!("{} ending {}", esc(&c.brand), esc(&c.last4)))
        .unwrap_or_else(|| "none".into());
    let invoices: String = w
        .invoices
        .values()
        .filter(|i| i["customer"] == customer)
        .map(|i| {
            format!(
                "<li>{} — ${:.2} — {}</li>",
                esc(i["number"].as_str().unwrap_or("")),
                i["amount_due"].as_i64().unwrap_or(0) as f64 / 100.0,
                esc(i["status"].as_str().unwrap_or(""))
            )
        })
        .collect();
    page(
        "Billing",
        &format!(
            "<h1>Manage billing</h1><p>Card on file: <strong>{card}</strong></p>\
             <form method=\"post\"><input type=\"hidden\" name=\"card\" value=\"{GOOD_CARD}\">\
             <button type=\"submit\" data-card=\"good\">Use test card 4242 4242 4242 4242 and pay what is due</button></form>\
             <form method=\"post\"><input type=\"hidden\" name=\"card\" value=\"{DECLINING_CARD}\">\
             <button class=\"alt\" type=\"submit\" data-card=\"declining\">Use card 4000 0000 0000 0341 (charges fail)</button></form>\
             <h2>Invoices</h2><ul>{invoices}</ul><p><a href=\"{}\">Return to the app</a></p>",
            esc(p["return_url"].as_str().unwrap_or("/"))
        ),
    )
    .into_response()
}

async fn portal_act(
    State(f): State<FakeStripe>,
    Path(id): Path<String>,
    Form(form): Form<CardForm>,
) -> Response {
    let customer = {
        let w = f.world();
        match w.portals.get(&id) {
            Some(p) => p["customer"].as_str().unwrap_or_default().to_string(),
            None => return (StatusCode::NOT_FOUND, "No such portal session").into_response(),
        }
    };
    if let Err(e) = f.set_card(&customer, &form.card) {
        return (StatusCode::BAD_REQUEST, e).into_response();
    }
    Redirect::to(&format!("/pay/portal/{id}")).into_response()
}

async fn invoice_page(State(f): State<FakeStripe>, Path(id): Path<String>) -> Response {
    let w = f.world();
    let Some(i) = w.invoices.get(&id) else {
        return (StatusCode::NOT_FOUND, "No such invoice").into_response();
    };
    page(
        "Invoice",
        &format!(
            "<h1>Invoice {}</h1><p>Amount: ${:.2}</p><p>Status: {}</p>",
            esc(i["number"].as_str().unwrap_or("")),
            i["amount_due"].as_i64().unwrap_or(0) as f64 / 100.0,
            esc(i["status"].as_str().unwrap_or(""))
        ),
    )
    .into_response()
}

#[derive(serde::Deserialize)]
struct ClockQuery {
    /// Seconds to move on; or `days`.
    seconds: Option<i64>,
    days: Option<i64>,
}

/// `POST /_fake/clock?days=31`: the test's clock control.
async fn clock(
    State(f): State<FakeStripe>,
    Query(q): Query<ClockQuery>,
    _h: HeaderMap,
) -> Response {
    let secs = q.seconds.unwrap_or(0) + q.days.unwrap_or(0) * 86400;
    f.advance(secs);
    Json(json!({"now": f.world().now()})).into_response()
}

async fn all_events(State(f): State<FakeStripe>) -> Response {
    Json(list_object(f.events(), "/v1/events")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_demo_keeps_its_world_between_runs() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("stand-in.json");
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let first = FakeStripe::start(addr, None, "s".into(), Some(file.clone()))
            .await
            .unwrap();
        let http = reqwest::Client::new();
        let c: Value = http
            .post(format!("{}/v1/customers", first.base_url()))
            .form(&[("email", "a@example.com")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = c["id"].as_str().unwrap().to_string();
        first.advance(86400);
        let again = FakeStripe::start(addr, None, "s".into(), Some(file))
            .await
            .unwrap();
        let r = http
            .get(format!("{}/v1/customers/{id}", again.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "the customer survived the restart");
        assert_eq!(again.world().offset, 86400, "and so did the clock");
    }

    #[test]
    fn forms_parse_into_nested_lists() {
        let v = parse_form(
            "items%5B0%5D%5Bprice%5D=p1&items%5B0%5D%5Bquantity%5D=2&items%5B1%5D%5Bid%5D=si&items%5B1%5D%5Bdeleted%5D=true&expand%5B0%5D=subscription&metadata%5Borg_id%5D=x",
        );
        let items = list(&v, "items");
        assert_eq!(items.len(), 2);
        assert_eq!(text(&items[0], "price").unwrap(), "p1");
        assert_eq!(num(&items[0], "quantity"), Some(2));
        assert_eq!(flag(&items[1], "deleted"), Some(true));
        assert!(expands(&v, "subscription"));
        assert_eq!(v["metadata"]["org_id"], "x");
    }
}
