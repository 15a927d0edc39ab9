//! Roles within an organization and what each may do.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Dispatcher,
    Crew,
    Viewer,
}

impl Role {
    pub const INVITABLE: [Role; 4] = [Role::Admin, Role::Dispatcher, Role::Crew, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Dispatcher => "dispatcher",
            Role::Crew => "crew",
            Role::Viewer => "viewer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Dispatcher => "Dispatcher",
            Role::Crew => "Crew",
            Role::Viewer => "Viewer",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Role::Owner => "Everything, including the plan and billing.",
            Role::Admin => "Everything but the plan: team, settings, customers.",
            Role::Dispatcher => "Customers, quotes, jobs and schedules.",
            Role::Crew => "Sees customers and their assigned jobs.",
            Role::Viewer => "Read-only access.",
        }
    }

    pub const ALL: [Role; 5] = [
        Role::Owner,
        Role::Admin,
        Role::Dispatcher,
        Role::Crew,
        Role::Viewer,
    ];

    pub fn parse(value: &str) -> Result<Role, String> {
        match value.trim().to_lowercase().as_str() {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "dispatcher" => Ok(Role::Dispatcher),
            "crew" => Ok(Role::Crew),
            "viewer" => Ok(Role::Viewer),
            _ => Err("Choose a role: admin, dispatcher, crew or viewer.".into()),
        }
    }

    /// A role someone can be invited with or changed to (not owner).
    pub fn parse_assignable(value: &str) -> Result<Role, String> {
        Role::parse(value).and_then(|r| {
            if r == Role::Owner {
                Err("There is one owner per organization; choose another role.".into())
            } else {
                Ok(r)
            }
        })
    }

    /// Team, company settings and branding.
    pub fn manages_settings(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    /// Create and change customers, properties, quotes and jobs.
    pub fn edits_customers(self) -> bool {
        matches!(self, Role::Owner | Role::Admin | Role::Dispatcher)
    }

    /// See the installer's costs and margins (the price book's costs, the
    /// ROI panel's margin). Crews and viewers see prices only.
    pub fn sees_costs(self) -> bool {
        self.edits_customers()
    }

    /// Whether this role may move a job to `to`: crews start and finish
    /// work; the office does the rest (schedule, cancel, invoice, paid).
    /// The server checks this and the job page offers only these.
    pub fn moves_job_to(self, to: crate::model::JobStatus) -> bool {
        use crate::model::JobStatus;
        self.edits_customers()
            || (self.works_jobs() && matches!(to, JobStatus::InProgress | JobStatus::Completed))
    }

    /// Start and complete jobs and add their photos.
    pub fn works_jobs(self) -> bool {
        matches!(
            self,
            Role::Owner | Role::Admin | Role::Dispatcher | Role::Crew
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_owners_and_admins_manage_settings() {
        assert!(Role::Owner.manages_settings());
        assert!(Role::Admin.manages_settings());
        assert!(!Role::Dispatcher.manages_settings());
        assert!(!Role::Viewer.edits_customers());
        assert!(!Role::Crew.edits_customers());
    }

    #[test]
    fn nobody_can_be_made_owner_by_invitation() {
        assert!(Role::parse_assignable("owner").is_err());
        assert_eq!(Role::parse_assignable("Crew").unwrap(), Role::Crew);
        assert!(Role::parse("root").is_err());
    }
}
