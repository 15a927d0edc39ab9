//! Team and invitation types.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Role;

/// A member of the team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub last_login_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// An invitation not yet accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingInvitation {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub expired: bool,
    /// What became of the invitation email.
    pub delivery: Option<super::Delivery>,
}

/// The team page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub members: Vec<Member>,
    pub invitations: Vec<PendingInvitation>,
    pub seats: Option<i32>,
    pub plan_name: String,
}

/// What the accept-invitation page shows before the form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationInfo {
    pub email: String,
    pub role: Role,
    pub company_name: String,
}

/// A tenant as the platform admin sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantRow {
    pub id: Uuid,
    pub company_name: String,
    pub subdomain: String,
    pub plan: crate::model::PlanCode,
    pub status: crate::model::OrgStatus,
    pub trial_ends_at: chrono::DateTime<chrono::Utc>,
    pub users: i64,
    pub customers: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Why a platform administrator suspended it, while suspended.
    pub status_reason: Option<String>,
    pub status_changed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When its deletion is due, once scheduled.
    pub deletion_due: Option<chrono::DateTime<chrono::Utc>>,
}

/// A page of tenants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantList {
    pub rows: Vec<TenantRow>,
    pub total: i64,
}

/// The dashboard's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    /// Who is looking: the dashboard offers each role what it may do.
    pub role: crate::model::Role,
    pub customers: i64,
    pub team: i64,
    pub recent: Vec<crate::model::Customer>,
    pub onboarding: crate::model::Onboarding,
    /// The day: crews' jobs today, the queue, money in, batteries due and
    /// what needs attention (the office's roles only; empty for others).
    #[serde(default)]
    pub day: crate::model::schedule::DayOverview,
}
