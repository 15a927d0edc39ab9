//! Quotes and jobs as the pages show them.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::catalogue::Catalogue;
use super::job::JobStatus;
use super::pricing::{MultiplierSource, Priced, QuoteTerms};
use super::property::Property;
use super::takeoff::{Drawing, TakeOff};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteStatus {
    Draft,
    PendingApproval,
    Sent,
    Approved,
    Declined,
}

impl QuoteStatus {
    pub const ALL: [QuoteStatus; 5] = [
        QuoteStatus::Draft,
        QuoteStatus::PendingApproval,
        QuoteStatus::Sent,
        QuoteStatus::Approved,
        QuoteStatus::Declined,
    ];

    pub fn code(self) -> &'static str {
        match self {
            QuoteStatus::Draft => "draft",
            QuoteStatus::PendingApproval => "pending_approval",
            QuoteStatus::Sent => "sent",
            QuoteStatus::Approved => "approved",
            QuoteStatus::Declined => "declined",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            QuoteStatus::Draft => "Draft",
            QuoteStatus::PendingApproval => "Awaiting manager",
            QuoteStatus::Sent => "Sent",
            QuoteStatus::Approved => "Approved",
            QuoteStatus::Declined => "Declined",
        }
    }

    /// A status by its code; anything else is `None`, never a default.
    pub fn parse(s: &str) -> Option<QuoteStatus> {
        QuoteStatus::ALL.into_iter().find(|q| q.code() == s)
    }

    /// Whether the installer may still change the quote.
    pub fn editable(self) -> bool {
        !matches!(self, QuoteStatus::Approved)
    }
}

/// A row in a quote list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuoteRow {
    pub id: Uuid,
    pub number: i32,
    pub status: QuoteStatus,
    pub version: i32,
    pub total: Decimal,
    pub customer_name: String,
    pub street: String,
    pub updated_at: DateTime<Utc>,
}

/// Everything the quote editor needs to price live in the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuoteDetail {
    pub id: Uuid,
    pub number: i32,
    pub status: QuoteStatus,
    pub version: i32,
    pub property: Property,
    pub customer_email: Option<String>,
    pub drawing: Drawing,
    pub terms: QuoteTerms,
    pub takeoff: TakeOff,
    pub priced: Priced,
    pub catalogue: Catalogue,
    pub multiplier: Decimal,
    pub multiplier_source: MultiplierSource,
    pub zone_name: Option<String>,
    /// The plan has approval workflows.
    pub workflow: bool,
    pub can_edit: bool,
    /// A manager approved this version for sending.
    pub manager_approved: bool,
    pub can_approve: bool,
    /// The viewer's role sees costs and margins (else they are zeroed).
    pub costs_visible: bool,
    pub job_id: Option<Uuid>,
    pub decided_name: Option<String>,
    pub decline_reason: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub link_expires_at: Option<DateTime<Utc>>,
    /// What became of the last email of the quote to the customer.
    pub delivery: Option<super::Delivery>,
    pub versions: Vec<(i32, Decimal, DateTime<Utc>)>,
    pub map_tiles: Option<String>,
    /// The company's contact details, for the printed quote.
    pub company_email: Option<String>,
    pub company_phone: Option<String>,
}

/// A quote line as the customer sees it (no costs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerLine {
    pub description: String,
    pub qty: Decimal,
    pub unit: String,
    pub unit_price: Decimal,
    pub total: Decimal,
}

/// The customer's copy of the numbers: prices and the fence comparison,
/// never the installer's costs or margin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerPrice {
    pub lines: Vec<CustomerLine>,
    pub subtotal: Decimal,
    pub discount: Decimal,
    pub net: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
    pub fences: Vec<super::pricing::FenceCompare>,
    pub per_year: Decimal,
}

impl From<&Priced> for CustomerPrice {
    fn from(p: &Priced) -> Self {
        CustomerPrice {
            lines: p
                .lines
                .iter()
                .map(|l| CustomerLine {
                    description: l.description.clone(),
                    qty: l.qty,
                    unit: l.unit.clone(),
                    unit_price: l.unit_price,
                    total: l.total,
                })
                .collect(),
            subtotal: p.subtotal,
            discount: p.subtotal - p.net,
            net: p.net,
            tax: p.tax,
            total: p.total,
            fences: p.fences.clone(),
            per_year: p.per_year,
        }
    }
}

/// What a customer sees through an approval link: this one quote only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicQuote {
    pub company_name: String,
    pub support_email: Option<String>,
    pub phone: Option<String>,
    pub number: i32,
    pub version: i32,
    pub status: QuoteStatus,
    pub customer_name: String,
    pub address: String,
    pub price: CustomerPrice,
    pub boundary_ft: Decimal,
    pub pets: i64,
    pub notes: String,
    pub expires_at: DateTime<Utc>,
    pub decided_name: Option<String>,
    pub decline_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A row in the job list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRow {
    pub id: Uuid,
    pub number: i32,
    pub status: JobStatus,
    pub customer_name: String,
    pub street: String,
    pub city: String,
    pub scheduled_for: Option<NaiveDate>,
    pub total: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobEvent {
    pub from: Option<JobStatus>,
    pub to: JobStatus,
    pub by: Option<String>,
    pub note: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoInfo {
    pub id: Uuid,
    pub kind: String,
    pub width: i32,
    pub height: i32,
    pub size_bytes: i32,
    pub taken_at: Option<DateTime<Utc>>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub uploaded_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobDetail {
    pub id: Uuid,
    pub number: i32,
    pub status: JobStatus,
    /// An installation or a battery visit.
    #[serde(default)]
    pub kind: super::job::JobKind,
    /// The quote an installation came from (a battery visit has none).
    pub quote_id: Option<Uuid>,
    pub quote_number: Option<i32>,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub customer_phone: Option<String>,
    pub property_id: Uuid,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub scheduled_for: Option<NaiveDate>,
    pub total: Decimal,
    pub takeoff: TakeOff,
    pub events: Vec<JobEvent>,
    pub photos: Vec<PhotoInfo>,
    pub can_manage: bool,
    /// The statuses this viewer may move the job to now.
    pub allowed: Vec<JobStatus>,
    pub invoiced_amount: Option<rust_decimal::Decimal>,
    pub paid_amount: Option<rust_decimal::Decimal>,
    /// Whether this viewer (the owner) may correct those amounts.
    pub can_correct: bool,
    /// The viewer's role (what a queued change would allow next is worked
    /// out on the phone from it).
    pub role: crate::model::Role,
    /// For the crew at the gate and on site.
    pub gate_notes: String,
    pub site_notes: String,
    pub pets: Vec<crate::model::Pet>,
    /// The plan as quoted.
    pub drawing: crate::model::takeoff::Drawing,
    /// The pets a battery visit is for.
    #[serde(default)]
    pub visit_pets: Vec<Uuid>,
    /// The checklist items ticked (keys of the kind's checklist).
    pub checklist_done: Vec<String>,
}

impl JobDetail {
    /// The photo kinds still missing before the job can be completed.
    pub fn missing_photos(&self) -> Vec<&'static str> {
        missing_photos(self.kind, &self.photos)
    }
}

/// The required photo kinds (labels) that `photos` lacks for a job of
/// `kind`.
pub fn missing_photos(kind: super::job::JobKind, photos: &[PhotoInfo]) -> Vec<&'static str> {
    kind.required_photos()
        .iter()
        .filter(|(k, _)| !photos.iter().any(|p| p.kind == *k))
        .map(|(_, label)| *label)
        .collect()
}

/// Jobs created this month against the plan's limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobUsage {
    pub used: i64,
    pub limit: Option<i32>,
    pub month: String,
}
