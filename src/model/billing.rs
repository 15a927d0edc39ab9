//! What a tenant may use, computed in one place from its subscription: the
//! plan, the add-ons bought on top of it and the account's standing. The
//! server stores the result on the organization whenever billing changes
//! (`platform.set_billing`) and every check reads it from there.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{OrgStatus, PlanCode, PLANS};

/// Every feature flag of the brief, and each add-on's own flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    RoiCalculator,
    LocationPricing,
    SmartScheduling,
    RouteOptimization,
    ApprovalWorkflow,
    ApiAccess,
    WhiteLabel,
    Sms,
    AdvancedAnalytics,
    CustomDomain,
}

impl Feature {
    pub const ALL: [Feature; 10] = [
        Feature::RoiCalculator,
        Feature::LocationPricing,
        Feature::SmartScheduling,
        Feature::RouteOptimization,
        Feature::ApprovalWorkflow,
        Feature::ApiAccess,
        Feature::WhiteLabel,
        Feature::Sms,
        Feature::AdvancedAnalytics,
        Feature::CustomDomain,
    ];

    /// The key in `organizations.features` (and `shared.plans.features`).
    pub fn code(self) -> &'static str {
        match self {
            Feature::RoiCalculator => "roi_calculator",
            Feature::LocationPricing => "location_pricing",
            Feature::SmartScheduling => "smart_scheduling",
            Feature::RouteOptimization => "route_optimization",
            Feature::ApprovalWorkflow => "approval_workflow",
            Feature::ApiAccess => "api_access",
            Feature::WhiteLabel => "white_label",
            Feature::Sms => "sms",
            Feature::AdvancedAnalytics => "advanced_analytics",
            Feature::CustomDomain => "custom_domain",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Feature::RoiCalculator => "ROI calculator",
            Feature::LocationPricing => "Location-based pricing",
            Feature::SmartScheduling => "Smart scheduling",
            Feature::RouteOptimization => "Route optimisation",
            Feature::ApprovalWorkflow => "Approval workflows",
            Feature::ApiAccess => "API access",
            Feature::WhiteLabel => "White-labelling",
            Feature::Sms => "SMS notifications",
            Feature::AdvancedAnalytics => "Advanced analytics",
            Feature::CustomDomain => "Custom domain",
        }
    }

    /// The cheapest plan that includes it, if a plan does.
    pub fn first_plan(self) -> Option<PlanCode> {
        PLANS
            .iter()
            .map(|p| p.code)
            .find(|p| plan_includes(*p, self))
    }

    /// The add-on that unlocks it on any plan, if one does.
    pub fn addon(self) -> Option<Addon> {
        Addon::ALL.into_iter().find(|a| a.unlocks() == Some(self))
    }

    /// What unlocks it, as the locked control says: "Included in Growth
    /// and Enterprise" or "Add SMS notifications ($20/month)".
    pub fn unlocked_by(self) -> String {
        match (self.addon(), self.first_plan()) {
            (Some(a), _) => format!(
                "Add {} (${}/month) in Settings → Plan & billing",
                a.name(),
                a.price_cents() / 100
            ),
            (None, Some(p)) => format!(
                "Included from the {} plan: upgrade in Settings → Plan & billing",
                p.info().name
            ),
            (None, None) => "Not available".into(),
        }
    }

    /// What unlocks it, in a few words for a list: "Enterprise plan",
    /// "add-on, $20/month".
    pub fn unlocked_by_short(self) -> String {
        match (self.addon(), self.first_plan()) {
            (Some(a), _) => format!("add-on, ${}/month", a.price_cents() / 100),
            (None, Some(p)) => format!("{} plan and up", p.info().name),
            (None, None) => "not available".into(),
        }
    }

    /// The server's refusal when a tenant without it tries to use it.
    pub fn locked_message(self) -> String {
        format!(
            "{} is not part of your subscription. {}.",
            self.label(),
            self.unlocked_by()
        )
    }
}

/// Whether a plan includes a feature by itself (mirrored by
/// `shared.plans.features`; a database test keeps the two in step).
pub fn plan_includes(plan: PlanCode, feature: Feature) -> bool {
    use Feature::*;
    match feature {
        RoiCalculator | LocationPricing => true,
        SmartScheduling | RouteOptimization => plan != PlanCode::Starter,
        ApprovalWorkflow | ApiAccess | WhiteLabel => plan == PlanCode::Enterprise,
        Sms | AdvancedAnalytics | CustomDomain => false,
    }
}

/// The add-ons of the brief, sold as extra subscription items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Addon {
    AdditionalUsers,
    Sms,
    AdvancedAnalytics,
    CustomDomain,
}

impl Addon {
    pub const ALL: [Addon; 4] = [
        Addon::AdditionalUsers,
        Addon::Sms,
        Addon::AdvancedAnalytics,
        Addon::CustomDomain,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Addon::AdditionalUsers => "additional_users",
            Addon::Sms => "sms",
            Addon::AdvancedAnalytics => "advanced_analytics",
            Addon::CustomDomain => "custom_domain",
        }
    }

    pub fn parse(value: &str) -> Result<Addon, String> {
        Addon::ALL
            .into_iter()
            .find(|a| a.code() == value.trim())
            .ok_or_else(|| format!("There is no add-on called {value:?}."))
    }

    pub fn name(self) -> &'static str {
        match self {
            Addon::AdditionalUsers => "Additional users",
            Addon::Sms => "SMS notifications",
            Addon::AdvancedAnalytics => "Advanced analytics",
            Addon::CustomDomain => "Custom domain",
        }
    }

    /// Price per unit per month, in cents.
    pub fn price_cents(self) -> i64 {
        match self {
            Addon::AdditionalUsers => 1000,
            Addon::Sms => 2000,
            Addon::AdvancedAnalytics => 3000,
            Addon::CustomDomain => 1000,
        }
    }

    /// Additional users are bought by the seat; the others once.
    pub fn per_unit(self) -> bool {
        self == Addon::AdditionalUsers
    }

    pub fn unlocks(self) -> Option<Feature> {
        match self {
            Addon::AdditionalUsers => None,
            Addon::Sms => Some(Feature::Sms),
            Addon::AdvancedAnalytics => Some(Feature::AdvancedAnalytics),
            Addon::CustomDomain => Some(Feature::CustomDomain),
        }
    }

    /// Stripe's lookup key for its price (`fence_stripe-sync` creates it).
    pub fn lookup_key(self) -> String {
        format!("fence_addon_{}", self.code())
    }
}

/// The Stripe lookup key of a plan's monthly price.
pub fn plan_lookup_key(plan: PlanCode) -> String {
    format!("fence_plan_{}", plan.as_str())
}

/// The add-ons a tenant has, as stored in `organizations.addons`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Addons {
    pub additional_users: u32,
    pub sms: bool,
    pub advanced_analytics: bool,
    pub custom_domain: bool,
}

impl Addons {
    /// The quantity of an add-on (0 when not bought).
    pub fn quantity(&self, a: Addon) -> u32 {
        match a {
            Addon::AdditionalUsers => self.additional_users,
            Addon::Sms => self.sms as u32,
            Addon::AdvancedAnalytics => self.advanced_analytics as u32,
            Addon::CustomDomain => self.custom_domain as u32,
        }
    }

    pub fn set(&mut self, a: Addon, quantity: u32) {
        match a {
            Addon::AdditionalUsers => self.additional_users = quantity,
            Addon::Sms => self.sms = quantity > 0,
            Addon::AdvancedAnalytics => self.advanced_analytics = quantity > 0,
            Addon::CustomDomain => self.custom_domain = quantity > 0,
        }
    }
}

/// What a subscription entitles its tenant to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entitlements {
    pub plan: PlanCode,
    pub features: Vec<Feature>,
    /// `None`: unlimited.
    pub seats: Option<u32>,
    pub monthly_jobs: Option<u32>,
    pub storage_mb: u32,
}

impl Entitlements {
    /// The one computation: the plan's own features and limits, each
    /// add-on's feature, and extra seats on top of the plan's.
    pub fn of(plan: PlanCode, addons: &Addons) -> Entitlements {
        let info = plan.info();
        let features = Feature::ALL
            .into_iter()
            .filter(|f| {
                plan_includes(plan, *f) || f.addon().is_some_and(|a| addons.quantity(a) > 0)
            })
            .collect();
        Entitlements {
            plan,
            features,
            seats: info.seats.map(|s| s + addons.additional_users),
            monthly_jobs: info.monthly_jobs,
            storage_mb: info.storage_gb * 1024,
        }
    }

    pub fn has(&self, f: Feature) -> bool {
        self.features.contains(&f)
    }

    /// The `features` document: every flag, true or false.
    pub fn features_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            Feature::ALL
                .into_iter()
                .map(|f| (f.code().to_string(), serde_json::Value::Bool(self.has(f))))
                .collect(),
        )
    }
}

/// The monthly price of a plan with its add-ons, in cents.
pub fn monthly_cents(plan: PlanCode, addons: &Addons) -> i64 {
    i64::from(plan.info().monthly_price_dollars) * 100
        + Addon::ALL
            .into_iter()
            .map(|a| a.price_cents() * i64::from(addons.quantity(a)))
            .sum::<i64>()
}

/// Why a tenant may look but not change anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadOnly {
    TrialEnded,
    PaymentOverdue,
    Cancelled,
}

impl ReadOnly {
    pub fn message(self) -> &'static str {
        match self {
            ReadOnly::TrialEnded => {
                "Your free trial has ended, so your workspace is read-only: everything stays visible and exportable, but nothing new can be saved. Add a card in Settings → Plan & billing to continue."
            }
            ReadOnly::PaymentOverdue => {
                "Your subscription payment is overdue past its grace period, so your workspace is read-only: everything stays visible and exportable, but nothing new can be saved. Update your card in Settings → Plan & billing; access returns the moment the payment goes through."
            }
            ReadOnly::Cancelled => {
                "Your subscription has ended, so your workspace is read-only: everything stays visible and exportable, but nothing new can be saved. Choose a plan in Settings → Plan & billing to continue."
            }
        }
    }
}

/// What the request layer knows of a tenant's billing, from the host
/// lookup.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    pub status: OrgStatus,
    pub trial_ends_at: DateTime<Utc>,
    pub past_due_since: Option<DateTime<Utc>>,
    pub subscribed: bool,
    pub comped: bool,
}

impl Standing {
    /// Whether the tenant is read-only at `now`, and why. A comped tenant
    /// never is; a trial with a card on file runs on Stripe's schedule.
    pub fn read_only(&self, now: DateTime<Utc>, grace_days: i64) -> Option<ReadOnly> {
        if self.comped {
            return None;
        }
        match self.status {
            OrgStatus::Trialing if !self.subscribed && self.trial_ends_at <= now => {
                Some(ReadOnly::TrialEnded)
            }
            OrgStatus::PastDue
                if self
                    .past_due_since
                    .is_some_and(|s| s + Duration::days(grace_days) <= now) =>
            {
                Some(ReadOnly::PaymentOverdue)
            }
            OrgStatus::Cancelled => Some(ReadOnly::Cancelled),
            _ => None,
        }
    }
}

/// What is in use that a smaller subscription would not allow.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub seats_used: u32,
    pub jobs_this_month: u32,
    pub storage_used_bytes: i64,
    pub quotes_awaiting_manager: u32,
    pub custom_domain: Option<String>,
}

/// What must change before moving to `plan` with `addons`: each item says
/// exactly what to do. Empty: the change is allowed.
pub fn change_blockers(plan: PlanCode, addons: &Addons, usage: &Usage) -> Vec<String> {
    let e = Entitlements::of(plan, addons);
    let name = plan.info().name;
    let mut out = Vec::new();
    if let Some(seats) = e.seats {
        if usage.seats_used > seats {
            let extra = usage.seats_used - seats;
            out.push(format!(
                "{} people have or are invited to seats, and {name} with {} additional user{} allows {seats}. Remove {extra} member{} or invitation{} in Settings → Team, or add {extra} more additional user{}.",
                usage.seats_used,
                addons.additional_users,
                if addons.additional_users == 1 { "" } else { "s" },
                if extra == 1 { "" } else { "s" },
                if extra == 1 { "" } else { "s" },
                if extra == 1 { "" } else { "s" },
            ));
        }
    }
    if let Some(jobs) = e.monthly_jobs {
        if usage.jobs_this_month > jobs {
            out.push(format!(
                "{} jobs were created this month and {name} allows {jobs} a month. Change plans next month, or keep your current plan.",
                usage.jobs_this_month
            ));
        }
    }
    let quota = i64::from(e.storage_mb) * 1024 * 1024;
    if usage.storage_used_bytes > quota {
        out.push(format!(
            "Your photos take {} and {name} includes {}. Remove photos you no longer need first.",
            super::human_bytes(usage.storage_used_bytes),
            super::human_bytes(quota)
        ));
    }
    if usage.quotes_awaiting_manager > 0 && !e.has(Feature::ApprovalWorkflow) {
        out.push(format!(
            "{} quote{} wait for a manager's approval, which {name} does not include. Approve or decline {} on the Quotes page first.",
            usage.quotes_awaiting_manager,
            if usage.quotes_awaiting_manager == 1 { "" } else { "s" },
            if usage.quotes_awaiting_manager == 1 { "it" } else { "them" },
        ));
    }
    if let Some(domain) = &usage.custom_domain {
        if !e.has(Feature::CustomDomain) {
            out.push(format!(
                "Your workspace answers at {domain}. Remove the custom domain in Settings first, or keep the Custom domain add-on."
            ));
        }
    }
    out
}

/// An invoice on the billing page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceRow {
    pub number: Option<String>,
    pub status: String,
    pub amount_cents: i64,
    pub created: DateTime<Utc>,
    pub hosted_url: Option<String>,
    pub pdf_url: Option<String>,
    pub payment_failed: bool,
}

/// The billing page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingOverview {
    pub plan: PlanCode,
    pub status: OrgStatus,
    pub addons: Addons,
    pub entitlements: Entitlements,
    pub comped: bool,
    pub subscribed: bool,
    pub trial_ends_at: DateTime<Utc>,
    pub trial_days_left: i64,
    pub read_only: Option<ReadOnly>,
    pub past_due_since: Option<DateTime<Utc>>,
    /// When a failed payment turns the workspace read-only.
    pub grace_ends_at: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    pub current_period_end: Option<DateTime<Utc>>,
    pub next_amount_cents: Option<i64>,
    pub card: Option<(String, String)>,
    pub invoices: Vec<InvoiceRow>,
    pub usage: Usage,
    /// Whether the viewer may change billing (owners and admins).
    pub can_manage: bool,
    /// A note for the page after a return from Stripe.
    pub notice: Option<String>,
}

/// The banner every page of a tenant shows owners and admins about billing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingBanner {
    pub tone: String,
    pub text: String,
}

/// One tenant in the platform administrator's billing view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantBilling {
    pub id: Uuid,
    pub company_name: String,
    pub subdomain: String,
    pub plan: PlanCode,
    pub status: OrgStatus,
    pub comped: bool,
    pub monthly_cents: i64,
    pub trial_ends_at: DateTime<Utc>,
    pub read_only: bool,
    pub past_due_since: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
}

/// The platform's billing dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlatformBilling {
    /// Monthly recurring revenue of paying tenants (not comped, not trials).
    pub mrr_cents: i64,
    /// Tenants per plan (every status).
    pub plan_mix: Vec<(PlanCode, u32)>,
    pub trials_ending: Vec<TenantBilling>,
    pub past_due: Vec<TenantBilling>,
    pub read_only: Vec<TenantBilling>,
    pub comped: Vec<TenantBilling>,
    pub paying: u32,
    pub trialing: u32,
}

impl PlatformBilling {
    /// The dashboard's figures from every tenant's standing at `now`.
    pub fn of(tenants: &[TenantBilling], now: DateTime<Utc>) -> PlatformBilling {
        let pick = |f: &dyn Fn(&TenantBilling) -> bool| -> Vec<TenantBilling> {
            tenants.iter().filter(|t| f(t)).cloned().collect()
        };
        PlatformBilling {
            mrr_cents: tenants.iter().map(|t| t.monthly_cents).sum(),
            plan_mix: PLANS
                .iter()
                .map(|p| {
                    (
                        p.code,
                        tenants.iter().filter(|t| t.plan == p.code).count() as u32,
                    )
                })
                .collect(),
            trials_ending: pick(&|t| {
                t.status == OrgStatus::Trialing
                    && !t.comped
                    && t.trial_ends_at > now
                    && t.trial_ends_at <= now + Duration::days(7)
            }),
            past_due: pick(&|t| t.status == OrgStatus::PastDue),
            read_only: pick(&|t| t.read_only),
            comped: pick(&|t| t.comped),
            paying: tenants.iter().filter(|t| t.monthly_cents > 0).count() as u32,
            trialing: tenants
                .iter()
                .filter(|t| t.status == OrgStatus::Trialing && !t.comped)
                .count() as u32,
        }
    }
}

/// A tenant's billing history for the platform administrator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingHistory {
    /// (event type, received, what it did)
    pub events: Vec<(String, DateTime<Utc>, String)>,
    pub invoices: Vec<InvoiceRow>,
    /// (action, when, detail) of billing changes made by people.
    pub audit: Vec<(String, DateTime<Utc>, String)>,
}

/// Dollars from cents: `$1,234.50`, `$29.00`.
pub fn dollars(cents: i64) -> String {
    let neg = cents < 0;
    let c = cents.unsigned_abs();
    let whole = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{}${grouped}.{:02}", if neg { "-" } else { "" }, c % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_and_addons_give_the_features_of_the_brief() {
        let starter = Entitlements::of(PlanCode::Starter, &Addons::default());
        assert!(starter.has(Feature::RoiCalculator) && starter.has(Feature::LocationPricing));
        for f in [
            Feature::SmartScheduling,
            Feature::ApprovalWorkflow,
            Feature::ApiAccess,
            Feature::WhiteLabel,
            Feature::Sms,
        ] {
            assert!(!starter.has(f), "{f:?}");
        }
        let growth = Entitlements::of(PlanCode::Growth, &Addons::default());
        assert!(growth.has(Feature::SmartScheduling) && !growth.has(Feature::ApprovalWorkflow));
        let ent = Entitlements::of(PlanCode::Enterprise, &Addons::default());
        assert!(ent.has(Feature::WhiteLabel) && ent.has(Feature::ApiAccess));
        assert!(!ent.has(Feature::Sms), "add-ons are bought on every plan");
        let with_sms = Entitlements::of(
            PlanCode::Starter,
            &Addons {
                sms: true,
                ..Default::default()
            },
        );
        assert!(with_sms.has(Feature::Sms));
    }

    #[test]
    fn additional_users_raise_the_seat_limit_but_not_unlimited_plans() {
        let a = Addons {
            additional_users: 3,
            ..Default::default()
        };
        assert_eq!(Entitlements::of(PlanCode::Starter, &a).seats, Some(4));
        assert_eq!(Entitlements::of(PlanCode::Growth, &a).seats, Some(8));
        assert_eq!(Entitlements::of(PlanCode::Enterprise, &a).seats, None);
        assert_eq!(monthly_cents(PlanCode::Growth, &a), 9900 + 3000);
    }

    #[test]
    fn read_only_follows_trial_grace_and_cancellation() {
        let now = Utc::now();
        let mut s = Standing {
            status: OrgStatus::Trialing,
            trial_ends_at: now - Duration::hours(1),
            past_due_since: None,
            subscribed: false,
            comped: false,
        };
        assert_eq!(s.read_only(now, 7), Some(ReadOnly::TrialEnded));
        s.subscribed = true;
        assert_eq!(s.read_only(now, 7), None, "a card on file: Stripe decides");
        s.status = OrgStatus::PastDue;
        s.past_due_since = Some(now - Duration::days(6));
        assert_eq!(s.read_only(now, 7), None, "inside the grace period");
        s.past_due_since = Some(now - Duration::days(8));
        assert_eq!(s.read_only(now, 7), Some(ReadOnly::PaymentOverdue));
        s.comped = true;
        assert_eq!(s.read_only(now, 7), None);
    }

    #[test]
    fn a_downgrade_names_what_to_change_first() {
        let usage = Usage {
            seats_used: 3,
            jobs_this_month: 80,
            quotes_awaiting_manager: 2,
            ..Default::default()
        };
        let b = change_blockers(PlanCode::Starter, &Addons::default(), &usage);
        assert_eq!(b.len(), 3, "{b:?}");
        assert!(b[0].contains("Remove 2 members"), "{b:?}");
        assert!(b[1].contains("80 jobs"), "{b:?}");
        assert!(b[2].contains("2 quotes wait"), "{b:?}");
        let more = Addons {
            additional_users: 2,
            ..Default::default()
        };
        let b = change_blockers(PlanCode::Growth, &more, &usage);
        assert_eq!(b.len(), 1, "only the approvals: {b:?}");
        assert!(change_blockers(PlanCode::Enterprise, &more, &usage).is_empty());
    }

    #[test]
    fn locked_features_say_what_unlocks_them() {
        assert!(Feature::SmartScheduling
            .locked_message()
            .contains("Included from the Growth plan"));
        assert!(Feature::Sms
            .locked_message()
            .contains("Add SMS notifications ($20/month)"));
        assert_eq!(dollars(123450), "$1,234.50");
        assert_eq!(dollars(2900), "$29.00");
    }
}
