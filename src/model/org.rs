//! Organizations (tenants): signup, subdomains, branding, settings and the
//! page shell every page is drawn in.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::validate::*;
use super::{PlanCode, Role};

/// Names that can never be a tenant's subdomain.
pub const RESERVED_SUBDOMAINS: [&str; 24] = [
    "www",
    "app",
    "api",
    "admin",
    "administrator",
    "platform",
    "mail",
    "smtp",
    "imap",
    "ftp",
    "static",
    "assets",
    "cdn",
    "help",
    "support",
    "status",
    "billing",
    "docs",
    "blog",
    "login",
    "signup",
    "auth",
    "demo-admin",
    "root",
];

/// A subdomain: 3-32 lower-case letters, digits or hyphens, starting and
/// ending with a letter or digit, not reserved.
pub fn subdomain(value: &str) -> Result<String, String> {
    let v = value.trim().to_lowercase();
    if v.is_empty() {
        return Err("Choose a subdomain for your company's address.".into());
    }
    if v.len() < 3 || v.len() > 32 {
        return Err("Use 3 to 32 characters.".into());
    }
    if !v
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err("Use only letters a-z, digits and hyphens.".into());
    }
    if v.starts_with('-') || v.ends_with('-') {
        return Err("Start and end with a letter or digit.".into());
    }
    if v.contains("--") {
        return Err("Don't use two hyphens in a row.".into());
    }
    if RESERVED_SUBDOMAINS.contains(&v.as_str()) {
        return Err(format!("\u{201c}{v}\u{201d} is reserved; choose another."));
    }
    Ok(v)
}

/// Suggests a subdomain from a company name ("Acme Fence Co." -> "acme-fence-co").
pub fn suggest_subdomain(company: &str) -> String {
    let mut out = String::new();
    for c in company.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-')
        .chars()
        .take(32)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

/// The signup form.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct SignupForm {
    pub company: String,
    pub subdomain: String,
    pub owner_name: String,
    pub email: String,
    pub password: String,
    pub plan: String,
}

/// A signup that passed every rule.
#[derive(Debug, Clone)]
pub struct ValidSignup {
    pub company: String,
    pub subdomain: String,
    pub owner_name: String,
    pub email: String,
    pub password: String,
    pub plan: PlanCode,
}

impl SignupForm {
    pub fn validate(&self) -> Result<ValidSignup, FieldErrors> {
        let mut e = FieldErrors::default();
        let company = e.check("company", required_text(&self.company, "Company name", 120));
        let subdomain = e.check("subdomain", subdomain(&self.subdomain));
        let owner_name = e.check(
            "owner_name",
            required_text(&self.owner_name, "Your name", 100),
        );
        let email = e.check("email", email(&self.email));
        let password = e.check("password", password(&self.password));
        let plan = e.check("plan", PlanCode::parse(&self.plan));
        if let (Some(pw), Some(em)) = (&password, &email) {
            if pw.to_lowercase() == *em {
                e.add("password", "Don't use your email address as the password.");
            }
        }
        e.finish(|| ValidSignup {
            company: company.unwrap_or_default(),
            subdomain: subdomain.unwrap_or_default(),
            owner_name: owner_name.unwrap_or_default(),
            email: email.unwrap_or_default(),
            password: password.unwrap_or_default(),
            plan: plan.unwrap_or(PlanCode::Starter),
        })
    }
}

/// Availability of a subdomain, for the live check at signup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SubdomainStatus {
    Available(String),
    Taken(String),
    Invalid(String),
}

/// A tenant's standing (`organizations.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgStatus {
    Trialing,
    Active,
    PastDue,
    Suspended,
    Cancelled,
}

impl OrgStatus {
    pub const ALL: [OrgStatus; 5] = [
        OrgStatus::Trialing,
        OrgStatus::Active,
        OrgStatus::PastDue,
        OrgStatus::Suspended,
        OrgStatus::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrgStatus::Trialing => "trialing",
            OrgStatus::Active => "active",
            OrgStatus::PastDue => "past_due",
            OrgStatus::Suspended => "suspended",
            OrgStatus::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OrgStatus::Trialing => "Free trial",
            OrgStatus::Active => "Active",
            OrgStatus::PastDue => "Payment overdue",
            OrgStatus::Suspended => "Suspended",
            OrgStatus::Cancelled => "Cancelled",
        }
    }

    /// A stored status; anything else is an error, never a default.
    pub fn parse(value: &str) -> Result<OrgStatus, String> {
        OrgStatus::ALL
            .into_iter()
            .find(|s| s.code() == value)
            .ok_or_else(|| format!("unknown organization status {value:?}"))
    }
}

/// Where a page is served: the platform's own domain, or one tenant's host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SiteKind {
    Platform,
    Tenant(TenantBrand),
}

/// What a tenant's pages show of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantBrand {
    pub company_name: String,
    pub subdomain: String,
    pub brand_color: String,
    pub logo_version: i32,
    pub plan: PlanCode,
    pub status: OrgStatus,
    pub trial_days_left: i64,
    /// The platform's branding is hidden (an Enterprise tenant chose to).
    pub white_label: bool,
    /// The tenant's own browser-tab icon (0: none).
    pub favicon_version: i32,
    /// Its verified custom domain: links in emails use it.
    pub custom_domain: Option<String>,
    /// The plan's approval workflows (discounts past a threshold wait for a
    /// manager): the quotes list shows "Awaiting manager" only with them.
    pub approval_workflow: bool,
    /// The zone every time is shown in (IANA name; set, or the home
    /// state's).
    pub time_zone: String,
    /// A card is on file (a Stripe subscription exists).
    pub subscribed: bool,
    pub comped: bool,
    /// Why nothing may be saved now, if so.
    pub read_only: Option<crate::model::billing::ReadOnly>,
    /// A failed payment: until when everything keeps working.
    pub grace_ends_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The signed-in person, as pages see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Viewer {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    /// `None` for a platform administrator.
    pub role: Option<Role>,
}

/// Everything the page shell needs: where we are and who is looking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shell {
    pub site: SiteKind,
    pub viewer: Option<Viewer>,
    pub platform_name: String,
    pub platform_url: String,
    /// How the reader writes dates and times (their browser's language).
    #[serde(default)]
    pub date_style: super::time::DateStyle,
}

/// Company details as edited in settings and the wizard.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct CompanyForm {
    pub company_name: String,
    pub support_email: String,
    pub phone: String,
    /// Blank: follow the home state's zone.
    pub time_zone: String,
}

#[derive(Debug, Clone)]
pub struct ValidCompany {
    pub company_name: String,
    pub support_email: Option<String>,
    pub phone: Option<String>,
    pub time_zone: Option<String>,
}

impl CompanyForm {
    pub fn validate(&self) -> Result<ValidCompany, FieldErrors> {
        let mut e = FieldErrors::default();
        let company_name = e.check(
            "company_name",
            required_text(&self.company_name, "Company name", 120),
        );
        let support_email = e.check("support_email", optional_email(&self.support_email));
        let phone = e.check("phone", optional_phone(&self.phone));
        let time_zone = e.check(
            "time_zone",
            if self.time_zone.trim().is_empty() {
                Ok(None)
            } else {
                crate::model::time::time_zone(&self.time_zone).map(Some)
            },
        );
        e.finish(|| ValidCompany {
            company_name: company_name.unwrap_or_default(),
            support_email: support_email.flatten(),
            phone: phone.flatten(),
            time_zone: time_zone.flatten(),
        })
    }
}

/// The tenant's settings page data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgSettings {
    pub company_name: String,
    /// The workspace's own address, e.g. `https://acme.fenceline.app`.
    pub workspace_url: String,
    pub subdomain: String,
    pub support_email: Option<String>,
    pub phone: Option<String>,
    pub brand_color: String,
    pub logo_version: i32,
    pub home_state: Option<String>,
    /// The zone times are shown in, and whether it was chosen (else it
    /// follows the home state).
    pub time_zone: String,
    pub time_zone_chosen: bool,
    pub custom_markup: Option<String>,
    pub zone_multiplier: Option<String>,
    pub plan: PlanCode,
    pub status: OrgStatus,
    pub seats: Option<i32>,
    pub seats_used: i64,
    pub monthly_jobs_limit: Option<i32>,
    /// Jobs created this calendar month.
    pub jobs_used: i64,
    pub trial_ends_at: chrono::DateTime<chrono::Utc>,
    pub trial_days_left: i64,
    pub custom_domain: Option<String>,
    pub custom_domain_verified: bool,
    /// White-labelling: the plan allows it, the tenant hid the platform's
    /// branding, its own icon's version (0: none).
    pub white_label_allowed: bool,
    pub hide_platform_brand: bool,
    pub favicon_version: i32,
    /// Photo bytes stored, and the plan's quota.
    pub storage_used_bytes: i64,
    pub storage_quota_bytes: Option<i64>,
}

/// A pricing zone as offered in the home-state select.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Zone {
    pub state_code: String,
    pub zone_name: String,
    pub base_multiplier: String,
}

/// The onboarding wizard's steps, in order.
pub const ONBOARDING_STEPS: [(&str, &str); 5] = [
    ("company", "Company details"),
    ("branding", "Brand colour and logo"),
    ("pricing", "Home state and pricing"),
    ("team", "Invite your team"),
    ("customer", "Your first customer"),
];

/// Progress through the wizard: each step is pending, done or skipped.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Onboarding {
    pub steps: Vec<(String, String)>,
}

impl Onboarding {
    pub fn state(&self, step: &str) -> &str {
        self.steps
            .iter()
            .find(|(s, _)| s == step)
            .map(|(_, st)| st.as_str())
            .unwrap_or("pending")
    }

    /// The first step neither done nor skipped.
    pub fn next_step(&self) -> Option<&'static str> {
        ONBOARDING_STEPS
            .iter()
            .map(|(s, _)| *s)
            .find(|s| self.state(s) == "pending")
    }

    pub fn done_count(&self) -> usize {
        ONBOARDING_STEPS
            .iter()
            .filter(|(s, _)| self.state(s) == "done")
            .count()
    }
}

/// Whether a step name is one of the wizard's.
pub fn onboarding_step(value: &str) -> Result<&'static str, String> {
    ONBOARDING_STEPS
        .iter()
        .map(|(s, _)| *s)
        .find(|s| *s == value)
        .ok_or_else(|| "Unknown onboarding step.".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomains_follow_dns_label_rules() {
        assert_eq!(subdomain(" Acme-Fence ").unwrap(), "acme-fence");
        for bad in [
            "",
            "ab",
            "-acme",
            "acme-",
            "ac me",
            "acme.co",
            "a--b",
            "www",
            "admin",
            &"a".repeat(33),
        ] {
            assert!(subdomain(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn a_subdomain_is_suggested_from_the_company_name() {
        assert_eq!(suggest_subdomain("Acme Fence Co."), "acme-fence-co");
        assert_eq!(suggest_subdomain("  K9 & Sons!! "), "k9-sons");
    }

    #[test]
    fn a_signup_reports_every_bad_field_at_once() {
        let form = SignupForm {
            plan: "free".into(),
            ..Default::default()
        };
        let errors = form.validate().unwrap_err();
        for field in [
            "company",
            "subdomain",
            "owner_name",
            "email",
            "password",
            "plan",
        ] {
            assert!(
                errors.get(field).is_some(),
                "{field} missing from {errors:?}"
            );
        }
    }

    #[test]
    fn the_wizard_resumes_at_the_first_pending_step() {
        let mut o = Onboarding::default();
        assert_eq!(o.next_step(), Some("company"));
        o.steps.push(("company".into(), "done".into()));
        o.steps.push(("branding".into(), "skipped".into()));
        assert_eq!(o.next_step(), Some("pricing"));
        assert_eq!(o.done_count(), 1);
    }
}

/// Settings → Plan & billing → "Delete this workspace".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Deletion {
    /// The workspace's subdomain (typed to confirm).
    pub subdomain: String,
    /// When it will be deleted ("January 1, 2027"), once asked for.
    pub due: Option<String>,
    /// Why it cannot be asked for now (a subscription still running).
    pub blocked: Option<String>,
}

/// Days between asking for a workspace's deletion and the deletion.
pub const DELETION_GRACE_DAYS: i64 = 30;
