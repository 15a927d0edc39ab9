//! The job lifecycle from the domain notes: lead → quoted → approved →
//! scheduled → in progress → completed → invoiced → paid, or cancelled.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Lead,
    Quoted,
    Approved,
    Scheduled,
    InProgress,
    Completed,
    Invoiced,
    Paid,
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 9] = [
        JobStatus::Lead,
        JobStatus::Quoted,
        JobStatus::Approved,
        JobStatus::Scheduled,
        JobStatus::InProgress,
        JobStatus::Completed,
        JobStatus::Invoiced,
        JobStatus::Paid,
        JobStatus::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            JobStatus::Lead => "lead",
            JobStatus::Quoted => "quoted",
            JobStatus::Approved => "approved",
            JobStatus::Scheduled => "scheduled",
            JobStatus::InProgress => "in_progress",
            JobStatus::Completed => "completed",
            JobStatus::Invoiced => "invoiced",
            JobStatus::Paid => "paid",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            JobStatus::Lead => "Lead",
            JobStatus::Quoted => "Quoted",
            JobStatus::Approved => "Approved",
            JobStatus::Scheduled => "Scheduled",
            JobStatus::InProgress => "In progress",
            JobStatus::Completed => "Completed",
            JobStatus::Invoiced => "Invoiced",
            JobStatus::Paid => "Paid",
            JobStatus::Cancelled => "Cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<JobStatus> {
        JobStatus::ALL.into_iter().find(|j| j.code() == s)
    }

    /// The statuses a job may move to from this one.
    pub fn next(self) -> &'static [JobStatus] {
        use JobStatus::*;
        match self {
            Lead => &[Quoted, Cancelled],
            Quoted => &[Approved, Cancelled],
            Approved => &[Scheduled, Cancelled],
            Scheduled => &[InProgress, Approved, Cancelled],
            InProgress => &[Completed, Cancelled],
            Completed => &[Invoiced],
            Invoiced => &[Paid],
            Paid | Cancelled => &[],
        }
    }

    pub fn can_go_to(self, to: JobStatus) -> bool {
        self.next().contains(&to)
    }

    /// The button that moves a job to this status.
    pub fn verb(self) -> &'static str {
        match self {
            JobStatus::Lead => "Reopen as lead",
            JobStatus::Quoted => "Mark quoted",
            JobStatus::Approved => "Unschedule",
            JobStatus::Scheduled => "Schedule",
            JobStatus::InProgress => "Start job",
            JobStatus::Completed => "Complete job",
            JobStatus::Invoiced => "Mark invoiced",
            JobStatus::Paid => "Mark paid",
            JobStatus::Cancelled => "Cancel job",
        }
    }
}

/// Photos a job needs before it can be completed.
pub const REQUIRED_PHOTOS: [(&str, &str); 2] = [("before", "before"), ("after", "after")];

/// The installation checklist every job carries, in working order: the key
/// stored when ticked, and what the crew reads.
pub const CHECKLIST: [(&str, &str); 7] = [
    ("call_ahead", "Call the homeowner when on the way"),
    ("locate", "Utility locate (811) marked before any digging"),
    ("walk", "Walk the plan's boundary with the homeowner"),
    ("wire", "Wire buried at 1-3 in; every splice sealed"),
    ("signal", "Signal tested all the way round the loop"),
    ("flags", "Training flags every 10 ft along the boundary"),
    (
        "collars",
        "Each pet's collar fitted, set and tested at the boundary",
    ),
];

/// What a job is: an installation (from an approved quote) or a battery
/// visit (fresh receiver batteries for the pets of a property; no quote).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    #[default]
    Install,
    Battery,
}

impl JobKind {
    pub fn code(self) -> &'static str {
        match self {
            JobKind::Install => "install",
            JobKind::Battery => "battery",
        }
    }

    pub fn parse(s: &str) -> Option<JobKind> {
        match s {
            "install" => Some(JobKind::Install),
            "battery" => Some(JobKind::Battery),
            _ => None,
        }
    }

    /// What the crew ticks off on this kind of job.
    pub fn checklist(self) -> &'static [(&'static str, &'static str)] {
        match self {
            JobKind::Install => &CHECKLIST,
            JobKind::Battery => &BATTERY_CHECKLIST,
        }
    }

    /// The photos the job needs before it can be completed (a battery
    /// visit needs none: photos stay welcome, not required).
    pub fn required_photos(self) -> &'static [(&'static str, &'static str)] {
        match self {
            JobKind::Install => &REQUIRED_PHOTOS,
            JobKind::Battery => &[],
        }
    }
}

/// A battery visit's checklist.
pub const BATTERY_CHECKLIST: [(&str, &str); 4] = [
    ("call_ahead", "Call the homeowner when on the way"),
    (
        "replace",
        "New battery in each listed pet's collar; old ones taken away",
    ),
    ("fit", "Collar fit checked (two fingers under the strap)"),
    (
        "test",
        "Each collar tested at the boundary; warning and correction work",
    ),
];

/// A battery visit's length: a quarter hour to set up and a quarter hour
/// per collar.
pub fn battery_visit_minutes(collars: usize) -> u32 {
    15 + 15 * collars.clamp(1, 20) as u32
}

/// Whether a job's checklist can be ticked in this status: while the job
/// is booked, worked or just finished.
pub fn checklist_open(status: JobStatus) -> bool {
    matches!(
        status,
        JobStatus::Scheduled | JobStatus::InProgress | JobStatus::Completed
    )
}

/// The ticked keys after ticking (or unticking) `item`, in the list's order;
/// `None` for a key that is not on the list.
pub fn tick(done: &[String], item: &str, on: bool) -> Option<Vec<String>> {
    tick_on(&CHECKLIST, done, item, on)
}

/// [`tick`] on a given list (each kind of job has its own).
pub fn tick_on(
    list: &[(&str, &str)],
    done: &[String],
    item: &str,
    on: bool,
) -> Option<Vec<String>> {
    list.iter().find(|(k, _)| *k == item)?;
    Some(
        list.iter()
            .filter(|(k, _)| {
                if *k == item {
                    on
                } else {
                    done.iter().any(|d| d == k)
                }
            })
            .map(|(k, _)| k.to_string())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticking_keeps_the_lists_order_and_refuses_unknown_items() {
        let none: Vec<String> = vec![];
        let a = tick(&none, "signal", true).unwrap();
        assert_eq!(a, vec!["signal"]);
        let b = tick(&a, "call_ahead", true).unwrap();
        assert_eq!(b, vec!["call_ahead", "signal"]);
        assert_eq!(tick(&b, "call_ahead", true).unwrap(), b, "twice is once");
        assert_eq!(tick(&b, "signal", false).unwrap(), vec!["call_ahead"]);
        assert_eq!(tick(&b, "<script>", true), None);
        // Stale keys (an item since dropped from the list) fall away.
        let stale = vec!["old_item".to_string(), "signal".to_string()];
        assert_eq!(
            tick(&stale, "flags", true).unwrap(),
            vec!["signal", "flags"]
        );
    }

    #[test]
    fn a_battery_visit_has_its_own_checklist_and_needs_no_photos() {
        let none: Vec<String> = vec![];
        let list = JobKind::Battery.checklist();
        assert_eq!(
            tick_on(list, &none, "replace", true).unwrap(),
            vec!["replace"]
        );
        assert_eq!(tick_on(list, &none, "wire", true), None, "an install item");
        assert!(JobKind::Battery.required_photos().is_empty());
        assert_eq!(JobKind::Install.required_photos().len(), 2);
        assert_eq!(battery_visit_minutes(1), 30);
        assert_eq!(battery_visit_minutes(3), 60);
        assert_eq!(battery_visit_minutes(0), 30, "at least one collar");
        for k in [JobKind::Install, JobKind::Battery] {
            assert_eq!(JobKind::parse(k.code()), Some(k));
        }
    }

    #[test]
    fn only_valid_transitions_are_allowed() {
        use JobStatus::*;
        assert!(Approved.can_go_to(Scheduled));
        assert!(Scheduled.can_go_to(InProgress));
        assert!(InProgress.can_go_to(Completed));
        assert!(Completed.can_go_to(Invoiced));
        assert!(Invoiced.can_go_to(Paid));
        assert!(!Approved.can_go_to(Completed), "no skipping the work");
        assert!(!Paid.can_go_to(Cancelled), "paid is final");
        assert!(!Completed.can_go_to(Cancelled));
        assert!(!Cancelled.can_go_to(Approved));
        for s in JobStatus::ALL {
            assert_eq!(JobStatus::parse(s.code()), Some(s));
            assert!(!s.can_go_to(s), "{s:?} to itself");
        }
    }
}

/// Which amount of a job: what was invoiced, or what was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AmountKind {
    Invoiced,
    Paid,
}

impl AmountKind {
    pub fn parse(s: &str) -> Option<AmountKind> {
        match s {
            "invoiced" => Some(AmountKind::Invoiced),
            "paid" => Some(AmountKind::Paid),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AmountKind::Invoiced => "Invoice amount",
            AmountKind::Paid => "Amount paid",
        }
    }
}

/// An amount of money typed into a form: dollars and cents, at least zero,
/// at most $10,000,000.
pub fn money_amount(raw: &str, label: &str) -> Result<rust_decimal::Decimal, String> {
    let v = super::catalogue::parse_in_range(raw, label, "0", "10000000")?;
    if v.scale() > 2 {
        return Err(format!("{label} is in dollars and cents, like 1250.00."));
    }
    Ok(v.round_dp(2))
}
