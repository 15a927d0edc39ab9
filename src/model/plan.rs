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
    pub highlights: &'static [&'static str],
}

pub const PLANS: [PlanInfo; 3] = [
    PlanInfo {
        code: PlanCode::Starter,
        name: "Starter",
        monthly_price_dollars: 29,
        seats: Some(1),
        monthly_jobs: Some(50),
        highlights: &[
            "1 user",
            "50 jobs a month",
            "ROI calculator",
            "Location-based pricing",
            "Email support",
            "Local backup export",
        ],
    },
    PlanInfo {
        code: PlanCode::Growth,
        name: "Growth",
        monthly_price_dollars: 99,
        seats: Some(5),
        monthly_jobs: Some(500),
        highlights: &[
            "5 users",
            "500 jobs a month",
            "Everything in Starter",
            "Smart scheduling",
            "Route optimisation",
            "Phone support",
            "Cloud backup",
        ],
    },
    PlanInfo {
        code: PlanCode::Enterprise,
        name: "Enterprise",
        monthly_price_dollars: 299,
        seats: None,
        monthly_jobs: None,
        highlights: &[
            "Unlimited users",
            "Unlimited jobs",
            "Everything in Growth",
            "Approval workflows",
            "API access",
            "Custom integrations",
            "White-labelling",
            "Dedicated support",
        ],
    },
];

/// Add-ons: (name, price per month in dollars, unit).
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
        "Your {} plan includes {seats} user{}, and every seat is taken or invited. {upgrade} or add extra users at $10/user/month in Settings → Plan.",
        info.name,
        if seats == 1 { "" } else { "s" }
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
        "Your {} plan includes {limit} job{s} a month and all {limit} have been created in {month}. {upgrade} in Settings → Plan to create more, or wait until next month.",
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
    fn plans_parse_by_code() {
        assert_eq!(PlanCode::parse("Growth").unwrap(), PlanCode::Growth);
        assert!(PlanCode::parse("free").is_err());
    }
}
