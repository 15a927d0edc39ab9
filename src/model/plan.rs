//! The plan catalogue from the brief (mirrored by `shared.plans`, which a
//! database test keeps in step) and its add-ons.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlanCode {
    Starter,
    Growth,
    Enterprise,
}

/// One plan as sold.
pub struct PlanInfo {
    pub code: PlanCode,
    pub name: &'static str,
    pub monthly_price_dollars: u32,
    pub seats: Option<u32>,
    pub monthly_jobs: Option<u32>,
    /// Photo storage included, in GB (of 1,024 MB).
    pub storage_gb: u32,
    /// What a tenant on the plan gets today.
    pub highlights: &'static [&'static str],
    /// What the plan will add, not built yet: shown as coming, never as
    /// included (issue 9: the pages claimed only what exists).
    pub coming: &'static [&'static str],
}

pub const PLANS: [PlanInfo; 3] = [
    PlanInfo {
        code: PlanCode::Starter,
        name: "Starter",
        monthly_price_dollars: 29,
        seats: Some(1),
        monthly_jobs: Some(50),
        storage_gb: 10,
        highlights: &[
            "1 user",
            "50 jobs a month",
            "10 GB of photos",
            "ROI calculator",
            "Location-based pricing",
            "Email support",
        ],
        coming: &["Local backup export"],
    },
    PlanInfo {
        code: PlanCode::Growth,
        name: "Growth",
        monthly_price_dollars: 99,
        seats: Some(5),
        monthly_jobs: Some(500),
        storage_gb: 100,
        highlights: &[
            "5 users",
            "500 jobs a month",
            "100 GB of photos",
            "Everything in Starter",
            "Smart scheduling",
            "Route optimisation",
            "Phone support",
        ],
        coming: &["Cloud backup"],
    },
    PlanInfo {
        code: PlanCode::Enterprise,
        name: "Enterprise",
        monthly_price_dollars: 299,
        seats: None,
        monthly_jobs: None,
        storage_gb: 1000,
        highlights: &[
            "Unlimited users",
            "Unlimited jobs",
            "1,000 GB of photos",
            "Everything in Growth",
            "Approval workflows for large discounts",
            "Dedicated support",
        ],
        coming: &["API access", "Custom integrations", "White-labelling"],
    },
];

/// Add-ons: (name, price per month in dollars, unit), as the landing page
/// lists them (bought in Settings → Plan & billing; `billing::Addon`).
pub const ADDONS: [(&str, u32, &str); 4] = [
    ("Additional users", 10, "per user / month"),
    ("SMS notifications", 20, "per month"),
    ("Advanced analytics", 30, "per month"),
    ("Custom domain", 10, "per month"),
];

impl PlanCode {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanCode::Starter => "starter",
            PlanCode::Growth => "growth",
            PlanCode::Enterprise => "enterprise",
        }
    }

    pub fn parse(value: &str) -> Result<PlanCode, String> {
        match value.trim().to_lowercase().as_str() {
            "starter" => Ok(PlanCode::Starter),
            "growth" => Ok(PlanCode::Growth),
            "enterprise" => Ok(PlanCode::Enterprise),
            _ => Err("Choose a plan: Starter, Growth or Enterprise.".into()),
        }
    }

    pub fn info(self) -> &'static PlanInfo {
        PLANS
            .iter()
            .find(|p| p.code == self)
            .expect("every plan is listed")
    }

    /// The cheapest plan with more seats than `seats`, to name in a limit message.
    pub fn next_with_more_seats(seats: u32) -> Option<&'static PlanInfo> {
        PLANS.iter().find(|p| p.seats.is_none_or(|s| s > seats))
    }
}

/// The message shown when a team is full.
pub fn seat_limit_message(plan: PlanCode, seats: u32) -> String {
    let info = plan.info();
    let upgrade = PlanCode::next_with_more_seats(seats)
        .map(|p| match p.seats {
            Some(s) => format!("Upgrade to {} ({s} users)", p.name),
            None => format!("Upgrade to {} (unlimited users)", p.name),
        })
        .unwrap_or_default();
    format!(
        "Your {} plan includes {seats} user{}, and every seat is taken or invited. {upgrade} or add extra users at $10/user/month in Settings → Plan & billing.",
        info.name,
        if seats == 1 { "" } else { "s" }
    )
}

/// A byte count as people read it: `512 KB`, `1.2 GB`, `100 GB`.
pub fn human_bytes(n: i64) -> String {
    let n = n.max(0) as f64;
    let (v, unit) = if n >= 1024.0 * 1024.0 * 1024.0 {
        (n / (1024.0 * 1024.0 * 1024.0), "GB")
    } else if n >= 1024.0 * 1024.0 {
        (n / (1024.0 * 1024.0), "MB")
    } else {
        (n / 1024.0, "KB")
    };
    if v >= 100.0 || unit == "KB" {
        format!("{v:.0} {unit}")
    } else {
        format!("{v:.1} {unit}")
    }
}

/// The message shown when photo storage is full.
pub fn storage_limit_message(plan: PlanCode, quota_bytes: i64) -> String {
    let gb = quota_bytes / (1024 * 1024 * 1024);
    let upgrade = PLANS
        .iter()
        .skip_while(|p| p.code != plan)
        .skip(1)
        .find(|p| i64::from(p.storage_gb) > gb)
        .map(|p| format!("Upgrade to {} ({} GB)", p.name, p.storage_gb))
        .unwrap_or_else(|| "Contact support for more space".into());
    format!(
        "Your {} plan includes {} of photo storage and it is full. {upgrade} in Settings → Plan & billing, or remove photos you no longer need.",
        plan.info().name,
        human_bytes(quota_bytes)
    )
}

/// The message shown when the month's jobs are used up.
pub fn job_limit_message(plan: PlanCode, limit: u32, month: &str) -> String {
    let upgrade = PLANS
        .iter()
        .skip_while(|p| p.code != plan)
        .skip(1)
        .find(|p| p.monthly_jobs.is_none_or(|j| j > limit))
        .map(|p| match p.monthly_jobs {
            Some(j) => format!("Upgrade to {} ({j} jobs a month)", p.name),
            None => format!("Upgrade to {} (unlimited jobs)", p.name),
        })
        .unwrap_or_else(|| "Contact support".into());
    format!(
        "Your {} plan includes {limit} job{s} a month and all {limit} have been created in {month}. {upgrade} in Settings → Plan & billing to create more, or wait until next month.",
        plan.info().name,
        s = if limit == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_limit_message_names_the_plan_that_lifts_it() {
        let m = job_limit_message(PlanCode::Starter, 50, "November 2026");
        assert!(m.contains("Starter plan includes 50 jobs a month"), "{m}");
        assert!(m.contains("Upgrade to Growth (500 jobs a month)"), "{m}");
        let m = job_limit_message(PlanCode::Growth, 500, "November 2026");
        assert!(m.contains("Upgrade to Enterprise (unlimited jobs)"), "{m}");
    }

    #[test]
    fn the_seat_limit_message_names_the_plan_that_lifts_it() {
        let m = seat_limit_message(PlanCode::Starter, 1);
        assert!(m.contains("Starter plan includes 1 user,"), "{m}");
        assert!(m.contains("Upgrade to Growth (5 users)"), "{m}");
        let m = seat_limit_message(PlanCode::Growth, 5);
        assert!(m.contains("Upgrade to Enterprise (unlimited users)"), "{m}");
    }

    #[test]
    fn the_storage_message_names_the_plan_that_lifts_it() {
        let m = storage_limit_message(PlanCode::Starter, 10 * 1024 * 1024 * 1024);
        assert!(
            m.contains("Starter plan includes 10.0 GB of photo storage"),
            "{m}"
        );
        assert!(m.contains("Upgrade to Growth (100 GB)"), "{m}");
    }

    #[test]
    fn plans_parse_by_code() {
        assert_eq!(PlanCode::parse("Growth").unwrap(), PlanCode::Growth);
        assert!(PlanCode::parse("free").is_err());
    }
}
