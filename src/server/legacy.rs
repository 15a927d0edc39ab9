//! Reading the old single-installer system's fields (issue 13, the legacy
//! import): every value of `fence.db` is untrusted text typed over years,
//! so each parser takes any string and says what it could make of it, and
//! what it could not, for the import's report. Described in
//! `../shared/data/legacy/README.md`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::model::US_STATES;

/// Square feet in an acre.
const SQFT_PER_ACRE: i64 = 43_560;
/// Pounds in a kilogram.
const LB_PER_KG: &str = "2.20462";

/// An amount of money as the old app showed it: "$1,234.50", "1234.5",
/// "-$12", "(12.00)" (negative), " 971.41 "; `None` for anything else.
pub fn money(s: &str) -> Option<Decimal> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let (negative, t) = if let Some(inner) = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        (true, inner.trim())
    } else if let Some(rest) = t.strip_prefix('-') {
        (true, rest.trim())
    } else {
        (false, t)
    };
    let t = t.strip_prefix('$').unwrap_or(t).trim();
    let t = t.strip_prefix('-').map_or(t, |r| r); // "$-12"
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
    {
        return None;
    }
    // Thousands separators only between groups of three digits.
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if frac.contains(',') || frac.contains('.') || frac.len() > 4 {
        return None;
    }
    if whole.contains(',') {
        let groups: Vec<&str> = whole.split(',').collect();
        if groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3) {
            return None;
        }
    }
    let plain = format!(
        "{}.{}",
        whole.replace(',', ""),
        if frac.is_empty() { "0" } else { frac }
    );
    let v: Decimal = plain.parse().ok()?;
    Some(if negative { -v } else { v })
}

/// A percentage: "8.25%", "8.25", " 8.25 % "; a bare fraction below 1
/// ("0.0825") is read as that fraction of a hundred.
pub fn percent(s: &str) -> Option<Decimal> {
    let t = s.trim();
    let (t, had_sign) = match t.strip_suffix('%') {
        Some(x) => (x.trim(), true),
        None => (t, false),
    };
    let v: Decimal = t.parse().ok()?;
    if v < Decimal::ZERO || v > Decimal::from(100) {
        return None;
    }
    if !had_sign && v > Decimal::ZERO && v < Decimal::ONE && t.contains('.') {
        return Some(v * Decimal::from(100));
    }
    Some(v)
}

/// A lot size in square feet from "0.5 acre", "1/4 acre", "2 acres",
/// "21780 sqft", "21,780", "12000" (square feet), "1.2 ac"; `Ok(None)` when
/// empty, `Err` with what was not understood otherwise.
pub fn lot_sqft(s: &str) -> Result<Option<i32>, String> {
    let t = s.trim().to_lowercase();
    if t.is_empty() {
        return Ok(None);
    }
    let split = t.find(|c: char| c.is_alphabetic()).unwrap_or(t.len());
    let (num, unit) = (t[..split].trim(), t[split..].trim().trim_end_matches('.'));
    let value = number(num).ok_or_else(|| format!("lot size \"{}\" has no number", s.trim()))?;
    let sqft = match unit {
        "" | "sqft" | "sq ft" | "sq. ft" | "sf" | "ft2" | "square feet" | "sq feet" => value,
        "acre" | "acres" | "ac" => value * Decimal::from(SQFT_PER_ACRE),
        _ => {
            return Err(format!(
                "lot size \"{}\": unknown unit \"{unit}\"",
                s.trim()
            ))
        }
    };
    let sqft = sqft.round();
    if sqft <= Decimal::ZERO || sqft > Decimal::from(500 * SQFT_PER_ACRE) {
        return Err(format!("lot size \"{}\" is out of range", s.trim()));
    }
    Ok(sqft.to_i32())
}

/// A plain or fractional number: "0.5", "1/4", "21,780", "1 1/2".
fn number(s: &str) -> Option<Decimal> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Some((whole, frac)) = s.split_once(' ') {
        return Some(number(whole)? + number(frac)?);
    }
    if let Some((a, b)) = s.split_once('/') {
        let (a, b): (Decimal, Decimal) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        return (!b.is_zero()).then(|| a / b);
    }
    money(s).filter(|v| *v >= Decimal::ZERO)
}

/// A pet's weight in pounds from "45", "45 lbs", "45lb", "20 kg"; `Ok(None)`
/// when empty.
pub fn weight_lb(s: &str) -> Result<Option<Decimal>, String> {
    let t = s.trim().to_lowercase();
    if t.is_empty() {
        return Ok(None);
    }
    let split = t.find(|c: char| c.is_alphabetic()).unwrap_or(t.len());
    let (num, unit) = (t[..split].trim(), t[split..].trim().trim_end_matches('.'));
    let v = number(num).ok_or_else(|| format!("weight \"{}\" has no number", s.trim()))?;
    let lb = match unit {
        "" | "lb" | "lbs" | "pound" | "pounds" | "#" => v,
        "kg" | "kgs" | "kilo" | "kilos" | "kilograms" => {
            (v * LB_PER_KG.parse::<Decimal>().expect("constant")).round_dp(1)
        }
        _ => return Err(format!("weight \"{}\": unknown unit \"{unit}\"", s.trim())),
    };
    if lb <= Decimal::ZERO || lb > Decimal::from(400) {
        return Err(format!("weight \"{}\" is out of range", s.trim()));
    }
    Ok(Some(lb.normalize()))
}

/// A time as the old app stored it over the years: "YYYY-MM-DD HH:MM:SS",
/// "YYYY-MM-DD", "MM/DD/YYYY" or Unix seconds (all read as UTC).
pub fn date_time(s: &str) -> Option<DateTime<Utc>> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if t.len() >= 9 && t.len() <= 11 && t.chars().all(|c| c.is_ascii_digit()) {
        let secs: i64 = t.parse().ok()?;
        // 1990 to 2100: anything else is not a time this app wrote.
        return (631_152_000..4_102_444_800)
            .contains(&secs)
            .then(|| Utc.timestamp_opt(secs, 0).single())
            .flatten();
    }
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f) {
            return Some(n.and_utc());
        }
    }
    for f in ["%Y-%m-%d", "%m/%d/%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return Some(d.and_hms_opt(0, 0, 0)?.and_utc());
        }
    }
    None
}

/// The day of a time in any of those forms.
pub fn date(s: &str) -> Option<NaiveDate> {
    date_time(s).map(|t| t.date_naive())
}

/// A state's two-letter code from its code or name, in any case.
pub fn state(s: &str) -> Option<&'static str> {
    let t = s.trim().trim_end_matches('.');
    US_STATES
        .iter()
        .find(|(code, name)| code.eq_ignore_ascii_case(t) || name.eq_ignore_ascii_case(t))
        .map(|(code, _)| *code)
}

/// A free-text address split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    /// Whether the split is certain (commas or a line break between the
    /// street and the city); when not, the import keeps the original text.
    pub sure: bool,
}

/// Words that end a street name ("Rd", "Road 12" and "Ranch Rd 620" end
/// after the number that follows).
const STREET_ENDS: &[&str] = &[
    "st",
    "street",
    "rd",
    "road",
    "dr",
    "drive",
    "ave",
    "avenue",
    "ln",
    "lane",
    "blvd",
    "boulevard",
    "way",
    "ct",
    "court",
    "cir",
    "circle",
    "pl",
    "place",
    "pkwy",
    "parkway",
    "hwy",
    "highway",
    "trl",
    "trail",
    "ter",
    "terrace",
    "loop",
    "run",
    "pass",
    "cv",
    "cove",
    "sq",
];

/// "12 Oak St, Austin, TX 78701", "9189 Oak St\nAustin TX 78701",
/// "1684 Lakeview Rd Round Rock tx 78664", "… Texas 78701-2542"; `None`
/// when no state and ZIP end it.
pub fn address(s: &str) -> Option<Address> {
    let one = s
        .replace("\r\n", "\n")
        .split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let one = one.trim().trim_end_matches([',', '.']).trim();
    // The ZIP (5 digits, or ZIP+4) at the end.
    let (rest, zip) = one.rsplit_once([' ', ','])?;
    let zip5 = zip.split('-').next()?;
    if zip5.len() != 5 || !zip5.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if let Some(plus4) = zip.split('-').nth(1) {
        if plus4.len() != 4 || !plus4.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    // The state before it: a code or a name of up to three words.
    let rest = rest.trim().trim_end_matches(',').trim();
    let words: Vec<&str> = rest.split(' ').filter(|w| !w.is_empty()).collect();
    let mut found = None;
    for n in (1..=3.min(words.len())).rev() {
        let candidate = words[words.len() - n..].join(" ");
        if let Some(code) = state(candidate.trim_end_matches(',')) {
            found = Some((code, n));
            break;
        }
    }
    let (code, n) = found?;
    let before = words[..words.len() - n].join(" ");
    let before = before.trim().trim_end_matches(',').trim();
    // Street and city: at the last comma when there is one.
    if let Some((street, city)) = before.rsplit_once(',') {
        let (street, city) = (street.trim(), city.trim());
        if street.is_empty() || city.is_empty() {
            return None;
        }
        return Some(Address {
            street: street.trim_end_matches(',').trim().to_string(),
            city: city.to_string(),
            state: code.to_string(),
            zip: zip5.to_string(),
            sure: true,
        });
    }
    // No comma: the street ends at its last street word (and a number
    // right after it, "Ranch Rd 620").
    let w: Vec<&str> = before.split(' ').collect();
    let end = w
        .iter()
        .rposition(|x| STREET_ENDS.contains(&x.trim_end_matches('.').to_lowercase().as_str()))?;
    let end = if w
        .get(end + 1)
        .is_some_and(|x| x.chars().all(|c| c.is_ascii_digit()))
    {
        end + 1
    } else {
        end
    };
    if end + 1 >= w.len() {
        return None;
    }
    Some(Address {
        street: w[..=end].join(" "),
        city: w[end + 1..].join(" "),
        state: code.to_string(),
        zip: zip5.to_string(),
        sure: false,
    })
}

/// A quote's status on our lifecycle: draft, sent, accepted (approved),
/// rejected (declined).
pub fn quote_status(s: &str) -> Option<&'static str> {
    match s.trim().to_lowercase().as_str() {
        "draft" | "" => Some("draft"),
        "sent" => Some("sent"),
        "accepted" | "approved" => Some("approved"),
        "rejected" | "declined" => Some("declined"),
        _ => None,
    }
}

/// A job's status on our lifecycle: scheduled, done/complete (completed),
/// cancelled, invoiced, paid.
pub fn job_status(s: &str) -> Option<&'static str> {
    match s.trim().to_lowercase().as_str() {
        "scheduled" => Some("scheduled"),
        "done" | "complete" | "completed" => Some("completed"),
        "cancelled" | "canceled" => Some("cancelled"),
        "invoiced" => Some("invoiced"),
        "paid" => Some("paid"),
        _ => None,
    }
}

/// The key two entries of the same homeowner share: the email, trimmed
/// and lower-cased (Unicode-aware: "ZOË" and "zoë" are one).
pub fn same_person(email: &str) -> Option<String> {
    let e = email.trim().to_lowercase();
    (e.contains('@') && e.len() <= 254).then_some(e)
}

/// The old system's tables and the columns an import reads from each.
pub const LEGACY_TABLES: &[(&str, &[&str])] = &[
    ("settings", &["key", "value"]),
    (
        "customers",
        &[
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "address",
            "notes",
            "created_at",
            "archived",
        ],
    ),
    (
        "properties",
        &[
            "id",
            "customer_id",
            "address",
            "lot_size",
            "boundary",
            "wire_feet",
        ],
    ),
    (
        "pets",
        &[
            "id",
            "customer_id",
            "name",
            "breed",
            "weight",
            "collar",
            "battery_changed",
        ],
    ),
    (
        "quotes",
        &[
            "id",
            "customer_id",
            "property_id",
            "created",
            "status",
            "line_items",
            "discount",
            "tax_rate",
            "total",
            "notes",
        ],
    ),
    (
        "jobs",
        &[
            "id",
            "quote_id",
            "customer_id",
            "scheduled_date",
            "status",
            "crew",
            "completed_at",
            "notes",
        ],
    ),
    ("photos", &["id", "job_id", "path", "kind", "taken_at"]),
    ("payments", &["id", "job_id", "amount", "method", "paid_at"]),
];

/// Most rows read from one table (a real install has thousands).
pub const MAX_ROWS: i64 = 1_000_000;
/// Longest text kept from one field.
pub const MAX_FIELD_CHARS: usize = 10_000;

/// One row of a legacy table: every column as text (`None` for NULL),
/// whatever type SQLite stored.
pub type Row = std::collections::HashMap<String, Option<String>>;

/// The old file's rows, table by table.
#[derive(Debug, Default)]
pub struct Legacy {
    pub tables: std::collections::HashMap<&'static str, Vec<Row>>,
}

impl Legacy {
    pub fn rows(&self, table: &str) -> &[Row] {
        self.tables.get(table).map_or(&[], Vec::as_slice)
    }
}

/// A field of a row, trimmed and capped ("" for NULL or absent).
pub fn field<'a>(row: &'a Row, column: &str) -> &'a str {
    let v = row
        .get(column)
        .and_then(|v| v.as_deref())
        .unwrap_or("")
        .trim();
    match v.char_indices().nth(MAX_FIELD_CHARS) {
        Some((i, _)) => &v[..i],
        None => v,
    }
}

/// Opens the old `fence.db` read-only as untrusted input: SQLite's own
/// integrity check first, then each known table read column by column as
/// text (a table or column the file lacks reads as empty; no SQL of the
/// file's is ever run). The error is a message for the user.
pub async fn read(path: &std::path::Path) -> Result<Legacy, String> {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection};
    let not_db = || {
        "That file is not the old system's database (fence.db): it is not an SQLite file."
            .to_string()
    };
    let mut head = [0u8; 16];
    {
        use std::io::Read;
        let mut f = std::fs::File::open(path).map_err(|_| not_db())?;
        f.read_exact(&mut head).map_err(|_| not_db())?;
    }
    if &head != b"SQLite format 3\0" {
        return Err(not_db());
    }
    let mut db = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(true)
        .connect()
        .await
        .map_err(|_| not_db())?;
    let check: String = sqlx::query_scalar("pragma quick_check")
        .fetch_one(&mut db)
        .await
        .map_err(|_| not_db())?;
    if check != "ok" {
        return Err(format!(
            "fence.db is damaged (SQLite reports: {}). Copy it again from the old server.",
            check.chars().take(200).collect::<String>()
        ));
    }
    let mut out = Legacy::default();
    for (table, columns) in LEGACY_TABLES {
        let present: Vec<String> = sqlx::query_scalar("select name from pragma_table_info(?1)")
            .bind(*table)
            .fetch_all(&mut db)
            .await
            .map_err(|_| not_db())?;
        if present.is_empty() {
            out.tables.insert(table, Vec::new());
            continue;
        }
        let wanted: Vec<&str> = columns
            .iter()
            .copied()
            .filter(|c| present.iter().any(|p| p == c))
            .collect();
        let count: i64 = sqlx::query_scalar(&format!("select count(*) from \"{table}\""))
            .fetch_one(&mut db)
            .await
            .map_err(|_| not_db())?;
        if count > MAX_ROWS {
            return Err(format!(
                "fence.db has {count} rows in {table}, more than the {MAX_ROWS} an import takes. Ask support to import it for you."
            ));
        }
        // Known names only (checked above), each cast to text.
        let select = format!(
            "select {} from \"{table}\"",
            wanted
                .iter()
                .map(|c| format!("cast(\"{c}\" as text)"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let rows = sqlx::query(&select)
            .fetch_all(&mut db)
            .await
            .map_err(|_| not_db())?;
        let mut list = Vec::with_capacity(rows.len());
        for r in rows {
            use sqlx::Row as _;
            let mut row = Row::new();
            for (i, c) in wanted.iter().enumerate() {
                let v: Option<String> = r.try_get(i).ok().flatten();
                row.insert((*c).to_string(), v);
            }
            list.push(row);
        }
        out.tables.insert(table, list);
    }
    let _ = db.close().await;
    Ok(out)
}

/// What the import will do with one old row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlanLine {
    pub table: String,
    pub old_id: String,
    /// `create`, `merge`, `skip`, or `already` (imported by an earlier run).
    pub action: String,
    /// Why, or what to check ("merged into customer 5: same email").
    pub detail: String,
}

/// The dry run: every old row with what will happen to it.
#[derive(Debug, Default, serde::Serialize)]
pub struct Plan {
    pub lines: Vec<PlanLine>,
}

/// The actions a plan line can have, in the order reports list them.
pub const ACTIONS: [&str; 4] = ["create", "merge", "skip", "already"];

impl Plan {
    fn add(&mut self, table: &str, old_id: &str, action: &str, detail: String) {
        self.lines.push(PlanLine {
            table: table.to_string(),
            old_id: old_id.to_string(),
            action: action.to_string(),
            detail,
        });
    }

    /// (created, merged, skipped, already imported) for one table.
    pub fn counts(&self, table: &str) -> (usize, usize, usize, usize) {
        let n = |a: &str| {
            self.lines
                .iter()
                .filter(|l| l.table == table && l.action == a)
                .count()
        };
        (n("create"), n("merge"), n("skip"), n("already"))
    }

    /// Each old row's line, by table and old id (the first line of a
    /// duplicated id, which is the one acted on).
    pub fn index(&self) -> std::collections::HashMap<(&str, &str), &PlanLine> {
        let mut m = std::collections::HashMap::new();
        for l in &self.lines {
            m.entry((l.table.as_str(), l.old_id.as_str())).or_insert(l);
        }
        m
    }

    /// The report as CSV (table, old id, action, detail).
    pub fn csv(&self) -> String {
        let q = |s: &str| {
            // Quoted, and never read as a formula by a spreadsheet.
            let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                format!("'{s}")
            } else {
                s.to_string()
            };
            format!("\"{}\"", s.replace('"', "\"\""))
        };
        let mut out = String::from("table,old_id,action,detail\n");
        for l in &self.lines {
            out.push_str(&format!(
                "{},{},{},{}\n",
                l.table,
                q(&l.old_id),
                l.action,
                q(&l.detail)
            ));
        }
        out
    }
}

/// A quote's total recomputed from its old line items, discount (an
/// amount) and tax rate.
pub fn recomputed_total(row: &Row) -> Option<Decimal> {
    let items = line_items(row)?;
    let subtotal: Decimal = items.iter().map(|(_, q, p)| q * p).sum();
    let discount = money(field(row, "discount")).unwrap_or(Decimal::ZERO);
    let tax = percent(field(row, "tax_rate")).unwrap_or(Decimal::ZERO);
    Some(((subtotal - discount) * (Decimal::ONE + tax / Decimal::from(100))).round_dp(2))
}

/// A quote's old line items: (description, quantity, unit price); `None`
/// when they cannot be read.
pub fn line_items(row: &Row) -> Option<Vec<(String, Decimal, Decimal)>> {
    let items: Vec<serde_json::Value> = serde_json::from_str(field(row, "line_items")).ok()?;
    let num = |v: &serde_json::Value| match v {
        serde_json::Value::Number(n) => n.to_string().parse::<Decimal>().ok(),
        serde_json::Value::String(s) => money(s),
        _ => None,
    };
    items
        .iter()
        .map(|i| {
            let desc = match &i["desc"] {
                serde_json::Value::String(s) => s.trim().chars().take(200).collect(),
                _ => String::new(),
            };
            Some((desc, num(&i["qty"])?, num(&i["unit_price"])?))
        })
        .collect()
}

/// A photo path inside the upload: relative, no `..`, no drive or root.
pub fn safe_photo_path(p: &str) -> Option<String> {
    let p = p.trim().replace('\\', "/");
    if p.is_empty() || p.starts_with('/') || p.contains(':') || p.contains('\0') {
        return None;
    }
    let parts: Vec<&str> = p
        .split('/')
        .filter(|x| !x.is_empty() && *x != ".")
        .collect();
    if parts.is_empty() || parts.contains(&"..") {
        return None;
    }
    Some(parts.join("/"))
}

/// A photo's kind: the old one, else guessed from its file name ("after"
/// unless the name says "before").
pub fn photo_kind(kind: &str, path: &str) -> (&'static str, bool) {
    match kind.trim().to_lowercase().as_str() {
        "before" => ("before", true),
        "after" => ("after", true),
        _ if path.to_lowercase().contains("before") => ("before", false),
        _ => ("after", false),
    }
}

/// What the workspace already holds that the plan must respect.
#[derive(Debug, Default)]
pub struct Known {
    /// Old ids imported by an earlier run, as (table, old id).
    pub imported: std::collections::HashSet<(String, String)>,
    /// The workspace's own customers by email (as [`same_person`] keys)
    /// and their names: the same homeowner in the old file merges into them.
    pub emails: std::collections::HashMap<String, String>,
}

/// The dry run over the old file's rows: what is created, merged (the same
/// homeowner entered twice, by email, or already a customer here), skipped
/// (a reference to a row that does not exist, a status or amount that
/// cannot be read, an id used twice) and already imported by an earlier
/// run, row by row. `photo_exists` says whether a photo's file is in the
/// upload.
pub fn plan(old: &Legacy, photo_exists: &dyn Fn(&str) -> bool, known: &Known) -> Plan {
    use std::collections::{HashMap, HashSet};
    let mut p = Plan::default();
    let mut seen: HashSet<(&str, String)> = HashSet::new();
    // The first checks of every row: an id, used once, not imported yet.
    // `Some(true)` when imported already (its line is written).
    let mut first = |p: &mut Plan, table: &'static str, id: &str| -> Option<bool> {
        if id.is_empty() {
            p.add(table, id, "skip", "the row has no id".into());
            return None;
        }
        if !seen.insert((table, id.to_string())) {
            p.add(
                table,
                id,
                "skip",
                format!("a second row with id {id}: only the first is imported"),
            );
            return None;
        }
        if known
            .imported
            .contains(&(table.to_string(), id.to_string()))
        {
            p.add(table, id, "already", "imported by an earlier run".into());
            return Some(true);
        }
        Some(false)
    };
    // Customers: the first entry of each email is kept, later ones merge.
    let mut by_email: HashMap<String, String> = HashMap::new();
    let mut customers: HashSet<String> = HashSet::new();
    for r in old.rows("customers") {
        let id = field(r, "id").to_string();
        let Some(already) = first(&mut p, "customers", &id) else {
            continue;
        };
        let name = format!("{} {}", field(r, "first_name"), field(r, "last_name"));
        let key = same_person(field(r, "email"));
        if already {
            customers.insert(id.clone());
            if let Some(key) = key {
                by_email.entry(key).or_insert(id);
            }
            continue;
        }
        if name.trim().is_empty() {
            p.add("customers", &id, "skip", "no name".into());
            continue;
        }
        customers.insert(id.clone());
        if let Some(key) = key {
            if let Some(first) = by_email.get(&key) {
                p.add(
                    "customers",
                    &id,
                    "merge",
                    format!("merged into customer {first}: the same email ({key})"),
                );
                continue;
            }
            if let Some(existing) = known.emails.get(&key) {
                p.add(
                    "customers",
                    &id,
                    "merge",
                    format!("merged into the existing customer {existing}: the same email ({key})"),
                );
                continue;
            }
            by_email.insert(key, id.clone());
        }
        let a = field(r, "address");
        let detail = match address(a) {
            _ if a.is_empty() => {
                "no address: fill it in when you next edit the customer".to_string()
            }
            Some(x) if x.sure => String::new(),
            Some(x) => format!(
                "address read as {} / {} / {} {}: check it (the original is kept in the notes)",
                x.street, x.city, x.state, x.zip
            ),
            None => "the address could not be split: kept as typed in the street and notes".into(),
        };
        p.add("customers", &id, "create", detail);
    }
    let mut properties: HashSet<String> = HashSet::new();
    for r in old.rows("properties") {
        let id = field(r, "id").to_string();
        let Some(already) = first(&mut p, "properties", &id) else {
            continue;
        };
        if already {
            properties.insert(id);
            continue;
        }
        let c = field(r, "customer_id");
        if !customers.contains(c) {
            p.add(
                "properties",
                &id,
                "skip",
                format!("its customer {c} does not exist"),
            );
            continue;
        }
        properties.insert(id.clone());
        let mut notes = Vec::new();
        if let Err(e) = lot_sqft(field(r, "lot_size")) {
            notes.push(format!("{e}: left empty"));
        }
        let b = field(r, "boundary");
        if !b.is_empty() && boundary(b).is_none() {
            notes.push("the boundary drawing could not be read: left empty".into());
        }
        p.add("properties", &id, "create", notes.join("; "));
    }
    for r in old.rows("pets") {
        let id = field(r, "id").to_string();
        if first(&mut p, "pets", &id) != Some(false) {
            continue;
        }
        let c = field(r, "customer_id");
        if !customers.contains(c) {
            p.add(
                "pets",
                &id,
                "skip",
                format!("its customer {c} does not exist"),
            );
            continue;
        }
        if field(r, "name").is_empty() {
            p.add("pets", &id, "skip", "no name".into());
            continue;
        }
        let detail = match weight_lb(field(r, "weight")) {
            Err(e) => format!("{e}: left empty"),
            Ok(_) => String::new(),
        };
        p.add("pets", &id, "create", detail);
    }
    let mut quotes: HashSet<String> = HashSet::new();
    for r in old.rows("quotes") {
        let id = field(r, "id").to_string();
        let Some(already) = first(&mut p, "quotes", &id) else {
            continue;
        };
        if already {
            quotes.insert(id);
            continue;
        }
        let (c, pr) = (field(r, "customer_id"), field(r, "property_id"));
        if !customers.contains(c) {
            p.add(
                "quotes",
                &id,
                "skip",
                format!("its customer {c} does not exist"),
            );
            continue;
        }
        if !properties.contains(pr) {
            p.add(
                "quotes",
                &id,
                "skip",
                format!("its property {pr} does not exist"),
            );
            continue;
        }
        let Some(_) = quote_status(field(r, "status")) else {
            p.add(
                "quotes",
                &id,
                "skip",
                format!(
                    "status \"{}\" is not one the old system used",
                    field(r, "status")
                ),
            );
            continue;
        };
        let Some(total) = money(field(r, "total")).filter(|t| *t >= Decimal::ZERO) else {
            p.add(
                "quotes",
                &id,
                "skip",
                format!("total \"{}\" is not an amount", field(r, "total")),
            );
            continue;
        };
        quotes.insert(id.clone());
        let detail = match recomputed_total(r) {
            Some(t) if t == total => String::new(),
            Some(t) => format!("the old total {total} is kept as agreed; its lines add up to {t}"),
            None => format!("its line items could not be read; the old total {total} is kept"),
        };
        p.add("quotes", &id, "create", detail);
    }
    let mut jobs: HashSet<String> = HashSet::new();
    let mut job_of_quote: HashMap<String, String> = HashMap::new();
    for r in old.rows("jobs") {
        let id = field(r, "id").to_string();
        let Some(already) = first(&mut p, "jobs", &id) else {
            continue;
        };
        let q = field(r, "quote_id");
        if already {
            jobs.insert(id.clone());
            job_of_quote.entry(q.to_string()).or_insert(id);
            continue;
        }
        if !quotes.contains(q) {
            p.add("jobs", &id, "skip", format!("its quote {q} does not exist"));
            continue;
        }
        if let Some(other) = job_of_quote.get(q) {
            p.add(
                "jobs",
                &id,
                "skip",
                format!("quote {q} already has job {other}: a quote becomes one job here"),
            );
            continue;
        }
        if job_status(field(r, "status")).is_none() {
            p.add(
                "jobs",
                &id,
                "skip",
                format!(
                    "status \"{}\" is not one the old system used",
                    field(r, "status")
                ),
            );
            continue;
        }
        jobs.insert(id.clone());
        job_of_quote.insert(q.to_string(), id.clone());
        let c = field(r, "customer_id");
        let detail = if c.is_empty() || customers.contains(c) {
            String::new()
        } else {
            format!("its customer {c} does not exist: filed under its quote's customer")
        };
        p.add("jobs", &id, "create", detail);
    }
    for r in old.rows("photos") {
        let id = field(r, "id").to_string();
        if first(&mut p, "photos", &id) != Some(false) {
            continue;
        }
        let j = field(r, "job_id");
        if !jobs.contains(j) {
            p.add("photos", &id, "skip", format!("its job {j} does not exist"));
            continue;
        }
        let Some(path) = safe_photo_path(field(r, "path")) else {
            p.add(
                "photos",
                &id,
                "skip",
                format!(
                    "the path \"{}\" points outside the upload",
                    field(r, "path")
                ),
            );
            continue;
        };
        if photo_exists(&path) {
            let detail = match photo_kind(field(r, "kind"), &path) {
                (_, true) => String::new(),
                (k, false) => format!("no kind in the old system: filed as {k}"),
            };
            p.add("photos", &id, "create", detail);
        } else {
            p.add(
                "photos",
                &id,
                "skip",
                format!("the file {path} is missing from the upload"),
            );
        }
    }
    for r in old.rows("payments") {
        let id = field(r, "id").to_string();
        if first(&mut p, "payments", &id) != Some(false) {
            continue;
        }
        let j = field(r, "job_id");
        if !jobs.contains(j) {
            p.add(
                "payments",
                &id,
                "skip",
                format!("its job {j} does not exist"),
            );
        } else if money(field(r, "amount")).is_none_or(|a| a < Decimal::ZERO) {
            p.add(
                "payments",
                &id,
                "skip",
                format!("amount \"{}\" is not an amount", field(r, "amount")),
            );
        } else {
            p.add("payments", &id, "create", String::new());
        }
    }
    p
}

/// The old boundary (`[[x_ft, y_ft], ...]`) as points, if it is one: at
/// least three finite points within a mile.
pub fn boundary(s: &str) -> Option<Vec<(f64, f64)>> {
    let v: Vec<Vec<f64>> = serde_json::from_str(s).ok()?;
    let pts: Vec<(f64, f64)> = v
        .iter()
        .map(|p| match p.as_slice() {
            [x, y] if x.is_finite() && y.is_finite() && x.abs() < 5280.0 && y.abs() < 5280.0 => {
                Some((*x, *y))
            }
            _ => None,
        })
        .collect::<Option<_>>()?;
    (pts.len() >= 3 && pts.len() <= 500).then_some(pts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn money_in_the_forms_the_old_app_showed() {
        assert_eq!(money("$1,234.50"), Some(d("1234.50")));
        assert_eq!(money("1234.5"), Some(d("1234.5")));
        assert_eq!(money(" 971.41 "), Some(d("971.41")));
        assert_eq!(money("(12.00)"), Some(d("-12.00")));
        assert_eq!(money("-$12"), Some(d("-12")));
        assert_eq!(money("12"), Some(d("12")));
        for bad in [
            "",
            "$",
            "1,23.00",
            "12.3.4",
            "abc",
            "1e5",
            "$1,234,5",
            "'; drop table x",
        ] {
            assert_eq!(money(bad), None, "{bad}");
        }
    }

    #[test]
    fn percents() {
        assert_eq!(percent("8.25%"), Some(d("8.25")));
        assert_eq!(percent("8.25"), Some(d("8.25")));
        assert_eq!(percent("0.0825"), Some(d("8.2500")));
        assert_eq!(percent("0"), Some(d("0")));
        assert_eq!(percent("150%"), None);
        assert_eq!(percent("x"), None);
    }

    #[test]
    fn lot_sizes_in_any_unit_become_square_feet() {
        assert_eq!(lot_sqft("0.5 acre"), Ok(Some(21_780)));
        assert_eq!(lot_sqft("1/4 acre"), Ok(Some(10_890)));
        assert_eq!(lot_sqft("2 acres"), Ok(Some(87_120)));
        assert_eq!(lot_sqft("21780 sqft"), Ok(Some(21_780)));
        assert_eq!(lot_sqft("21,780"), Ok(Some(21_780)));
        assert_eq!(lot_sqft("12000"), Ok(Some(12_000)));
        assert_eq!(lot_sqft("1.2 AC"), Ok(Some(52_272)));
        assert_eq!(lot_sqft(""), Ok(None));
        assert!(lot_sqft("big").is_err());
        assert!(lot_sqft("3 hectares").is_err());
        assert!(lot_sqft("0").is_err());
        assert!(lot_sqft("1/0 acre").is_err());
    }

    #[test]
    fn weights_become_pounds() {
        assert_eq!(weight_lb("45"), Ok(Some(d("45"))));
        assert_eq!(weight_lb("45 lbs"), Ok(Some(d("45"))));
        assert_eq!(weight_lb("45lb"), Ok(Some(d("45"))));
        assert_eq!(weight_lb("20 kg"), Ok(Some(d("44.1"))));
        assert_eq!(weight_lb(""), Ok(None));
        assert!(weight_lb("heavy").is_err());
        assert!(weight_lb("2000 lbs").is_err());
    }

    #[test]
    fn times_in_every_form_of_the_years() {
        let t = |s: &str| date_time(s).map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string());
        assert_eq!(
            t("2016-03-11 02:34:00").as_deref(),
            Some("2016-03-11 02:34:00")
        );
        assert_eq!(t("12/15/2018").as_deref(), Some("2018-12-15 00:00:00"));
        assert_eq!(t("2017-05-08").as_deref(), Some("2017-05-08 00:00:00"));
        assert_eq!(t("1497836040").as_deref(), Some("2017-06-19 01:34:00"));
        assert_eq!(t(""), None);
        assert_eq!(t("13/45/2018"), None);
        assert_eq!(t("99999999999"), None);
        assert_eq!(t("yesterday"), None);
    }

    #[test]
    fn addresses_as_typed() {
        let a = address("1196 Ranch Rd 620, Austin, Texas 78701-2542").unwrap();
        assert_eq!(
            (
                a.street.as_str(),
                a.city.as_str(),
                a.state.as_str(),
                a.zip.as_str(),
                a.sure
            ),
            ("1196 Ranch Rd 620", "Austin", "TX", "78701", true)
        );
        let a = address("9189 Oak St\nAustin TX 78701").unwrap();
        assert_eq!(
            (a.street.as_str(), a.city.as_str(), a.sure),
            ("9189 Oak St", "Austin", true)
        );
        let a = address("1684 Lakeview Rd Round Rock tx 78664").unwrap();
        assert_eq!(
            (a.street.as_str(), a.city.as_str(), a.state.as_str(), a.sure),
            ("1684 Lakeview Rd", "Round Rock", "TX", false)
        );
        let a = address("1409 Ranch Rd 620\nRound Rock TX 78664").unwrap();
        assert_eq!(
            (a.street.as_str(), a.city.as_str()),
            ("1409 Ranch Rd 620", "Round Rock")
        );
        let a = address("4997 County Road 12 Cedar Park TX 78613").unwrap();
        assert_eq!(
            (a.street.as_str(), a.city.as_str()),
            ("4997 County Road 12", "Cedar Park")
        );
        let a = address("5 Main St, Santa Fe, New Mexico 87501").unwrap();
        assert_eq!((a.city.as_str(), a.state.as_str()), ("Santa Fe", "NM"));
        for bad in [
            "",
            "12 Oak St",
            "Austin TX",
            "12 Oak St, Austin, ZZ 78701",
            "12 Oak St, Austin, TX 7870",
        ] {
            assert_eq!(address(bad), None, "{bad}");
        }
    }

    #[test]
    fn statuses_map_onto_the_lifecycle() {
        assert_eq!(quote_status("ACCEPTED"), Some("approved"));
        assert_eq!(quote_status("Rejected"), Some("declined"));
        assert_eq!(quote_status("lost"), None);
        assert_eq!(job_status("done"), Some("completed"));
        assert_eq!(job_status("complete"), Some("completed"));
        assert_eq!(job_status("Paid"), Some("paid"));
        assert_eq!(job_status("exploded"), None);
    }

    #[test]
    fn the_same_homeowner_entered_twice() {
        assert_eq!(
            same_person(" ZOË.LOPEZ4@MAIL.EXAMPLE"),
            same_person("zoë.lopez4@mail.example")
        );
        assert_eq!(same_person("not an email"), None);
    }

    fn row(pairs: &[(&str, &str)]) -> Row {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Some(v.to_string())))
            .collect()
    }

    #[test]
    fn the_dry_run_says_what_is_created_merged_and_skipped_and_why() {
        let mut old = Legacy::default();
        old.tables.insert(
            "customers",
            vec![
                row(&[
                    ("id", "1"),
                    ("first_name", "Zoë"),
                    ("last_name", "Lopez"),
                    ("email", "zoë@x.example"),
                    ("address", "1 Oak St, Austin, TX 78701"),
                ]),
                row(&[
                    ("id", "2"),
                    ("first_name", "Zoë"),
                    ("last_name", "Lopez"),
                    ("email", " ZOË@X.EXAMPLE"),
                    ("address", ""),
                ]),
                row(&[
                    ("id", "3"),
                    ("first_name", "<b>Bo</b>"),
                    ("last_name", "'; drop table customers; --"),
                    ("email", ""),
                    ("address", "somewhere"),
                ]),
            ],
        );
        old.tables.insert(
            "properties",
            vec![
                row(&[
                    ("id", "10"),
                    ("customer_id", "1"),
                    ("lot_size", "0.5 acre"),
                    ("boundary", "[[0,0],[10,0],[10,10]]"),
                ]),
                row(&[("id", "11"), ("customer_id", "99"), ("lot_size", "")]),
                row(&[
                    ("id", "12"),
                    ("customer_id", "3"),
                    ("lot_size", "huge"),
                    ("boundary", "{\"not\": 1}"),
                ]),
            ],
        );
        old.tables.insert(
            "pets",
            vec![
                row(&[("id", "20"), ("customer_id", "1"), ("weight", "20 kg")]),
                row(&[("id", "21"), ("customer_id", "404"), ("weight", "3")]),
            ],
        );
        old.tables.insert(
            "quotes",
            vec![
                row(&[
                    ("id", "30"),
                    ("customer_id", "1"),
                    ("property_id", "10"),
                    ("status", "ACCEPTED"),
                    (
                        "line_items",
                        r#"[{"desc":"Wire","qty":100,"unit_price":"1.00"}]"#,
                    ),
                    ("discount", "0"),
                    ("tax_rate", "10%"),
                    ("total", "$110.00"),
                ]),
                row(&[
                    ("id", "31"),
                    ("customer_id", "1"),
                    ("property_id", "10"),
                    ("status", "lost"),
                    ("total", "1"),
                ]),
                row(&[
                    ("id", "32"),
                    ("customer_id", "1"),
                    ("property_id", "10"),
                    ("status", "sent"),
                    (
                        "line_items",
                        r#"[{"desc":"Wire","qty":100,"unit_price":"1.00"}]"#,
                    ),
                    ("discount", "0"),
                    ("tax_rate", "10%"),
                    ("total", "120"),
                ]),
            ],
        );
        old.tables.insert(
            "jobs",
            vec![
                row(&[("id", "40"), ("quote_id", "30"), ("status", "done")]),
                row(&[("id", "41"), ("quote_id", "31"), ("status", "paid")]),
            ],
        );
        old.tables.insert(
            "photos",
            vec![
                row(&[
                    ("id", "50"),
                    ("job_id", "40"),
                    ("path", "photos/2016/a.png"),
                ]),
                row(&[
                    ("id", "51"),
                    ("job_id", "40"),
                    ("path", "photos/2016/missing.png"),
                ]),
                row(&[("id", "52"), ("job_id", "40"), ("path", "../../etc/passwd")]),
                row(&[("id", "53"), ("job_id", "40"), ("path", "/etc/passwd")]),
            ],
        );
        old.tables.insert(
            "payments",
            vec![
                row(&[("id", "60"), ("job_id", "40"), ("amount", "$110.00")]),
                row(&[("id", "61"), ("job_id", "40"), ("amount", "a lot")]),
            ],
        );
        let p = plan(&old, &|path| path == "photos/2016/a.png", &Known::default());
        let line = |t: &str, id: &str| {
            p.lines
                .iter()
                .find(|l| l.table == t && l.old_id == id)
                .unwrap_or_else(|| panic!("{t} {id}"))
                .clone()
        };
        assert_eq!(line("customers", "1").action, "create");
        let merged = line("customers", "2");
        assert_eq!(merged.action, "merge");
        assert!(merged.detail.contains("customer 1"), "{merged:?}");
        assert!(line("customers", "3").detail.contains("kept as typed"));
        assert_eq!(
            line("properties", "11").detail,
            "its customer 99 does not exist"
        );
        let odd = line("properties", "12");
        assert_eq!(odd.action, "create");
        assert!(
            odd.detail.contains("huge") && odd.detail.contains("boundary"),
            "{odd:?}"
        );
        assert_eq!(line("pets", "21").action, "skip");
        assert_eq!(line("quotes", "30").detail, "");
        assert!(line("quotes", "31").detail.contains("\"lost\""));
        assert!(line("quotes", "32").detail.contains("add up to 110.00"));
        assert_eq!(line("jobs", "41").detail, "its quote 31 does not exist");
        assert_eq!(line("photos", "50").action, "create");
        assert!(line("photos", "51").detail.contains("missing"));
        assert!(line("photos", "52").detail.contains("outside the upload"));
        assert!(line("photos", "53").detail.contains("outside the upload"));
        assert_eq!(line("payments", "61").action, "skip");
        assert_eq!(p.counts("customers"), (2, 1, 0, 0));
        // The report as CSV: quoted, and never a formula.
        let csv = p.csv();
        assert!(csv.starts_with("table,old_id,action,detail\n"));
        assert!(!csv.contains(",=") && !csv.contains(",\"="));
    }

    #[test]
    fn photo_paths_stay_inside_the_upload() {
        assert_eq!(
            safe_photo_path("photos/2016/a.png").as_deref(),
            Some("photos/2016/a.png")
        );
        assert_eq!(
            safe_photo_path("./photos//a.png").as_deref(),
            Some("photos/a.png")
        );
        assert_eq!(
            safe_photo_path("photos\\2016\\a.png").as_deref(),
            Some("photos/2016/a.png")
        );
        for bad in ["", "/etc/passwd", "../x", "photos/../../x", "C:\\x", "a\0b"] {
            assert_eq!(safe_photo_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn boundaries() {
        assert_eq!(boundary("[[0,0],[1,0],[1,1]]").map(|b| b.len()), Some(3));
        assert_eq!(boundary("[[0,0],[1,0]]"), None);
        assert_eq!(boundary("[[0,0],[1,0],[1e9,1]]"), None);
        assert_eq!(boundary("nope"), None);
    }

    /// The sample file of the old system, when this checkout sits beside it.
    #[test]
    fn a_second_run_finds_what_the_first_imported() {
        let mut old = Legacy::default();
        old.tables.insert(
            "customers",
            vec![
                row(&[
                    ("id", "1"),
                    ("first_name", "Ann"),
                    ("email", "ann@x.example"),
                ]),
                row(&[("id", "1"), ("first_name", "Dup"), ("email", "")]),
                row(&[("id", "2"), ("first_name", "Bo"), ("email", "BO@x.example")]),
                row(&[
                    ("id", "3"),
                    ("first_name", "Cy"),
                    ("email", "ann@x.example"),
                ]),
            ],
        );
        let mut known = Known::default();
        known
            .imported
            .insert(("customers".to_string(), "1".to_string()));
        known
            .emails
            .insert("bo@x.example".to_string(), "Bo Existing".to_string());
        let p = plan(&old, &|_| true, &known);
        let a: Vec<(&str, &str)> = p
            .lines
            .iter()
            .map(|l| (l.old_id.as_str(), l.action.as_str()))
            .collect();
        assert_eq!(
            a,
            vec![
                ("1", "already"),
                ("1", "skip"),
                ("2", "merge"),
                ("3", "merge")
            ]
        );
        assert!(p.lines[1].detail.contains("second row with id 1"));
        assert!(p.lines[2].detail.contains("existing customer Bo Existing"));
        assert!(p.lines[3].detail.contains("merged into customer 1"));
    }

    #[tokio::test]
    async fn the_sample_file_reads_and_plans() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/legacy");
        let db = dir.join("fence.db");
        if !db.exists() {
            return;
        }
        let old = read(&db).await.expect("the sample reads");
        assert_eq!(old.rows("customers").len(), 40);
        for r in old.rows("customers") {
            let a = field(r, "address");
            assert!(a.is_empty() || address(a).is_some(), "{a}");
            assert!(date_time(field(r, "created_at")).is_some(), "{r:?}");
        }
        for r in old.rows("properties") {
            assert!(lot_sqft(field(r, "lot_size")).is_ok(), "{r:?}");
        }
        for r in old.rows("pets") {
            assert!(weight_lb(field(r, "weight")).is_ok(), "{r:?}");
        }
        let p = plan(&old, &|path| dir.join(path).exists(), &Known::default());
        // The sample's known messes: homeowners entered twice, an orphan
        // pet, an orphan job; every listed photo is in its folder.
        assert!(p.counts("customers").1 >= 1);
        assert_eq!(p.counts("pets").2, 1);
        assert_eq!(p.counts("jobs").2, 1);
        assert_eq!(p.counts("photos"), (28, 0, 0, 0));
        // Not a database at all.
        let e = read(&dir.join("README.md")).await.unwrap_err();
        assert!(e.contains("not an SQLite file"), "{e}");
    }
}
