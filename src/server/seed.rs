//! The demo seed: a platform administrator and a demo tenant with sample
//! customers, created through the same paths signup and the UI use.
//! Idempotent: running it again changes nothing.

use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

use super::config::Config;
use super::{password, platform, repo, tokens, AppState, TenantTx};
use crate::model::{CustomerForm, Role};

pub const DEMO_SUBDOMAIN: &str = "demo";

pub struct Seeded {
    pub demo_url: String,
    pub owner_email: String,
    pub owner_password: String,
    pub admin_email: String,
    pub admin_password: String,
}

const SAMPLE: [(&str, &str, &str, &str, &str, &str, &str); 8] = [
    (
        "Dana Reyes",
        "dana.reyes@example.com",
        "(512) 555-0142",
        "1804 W 34th St",
        "Austin",
        "TX",
        "78703",
    ),
    (
        "Marcus Webb",
        "mwebb@example.com",
        "(303) 555-0199",
        "4410 Tennyson St",
        "Denver",
        "CO",
        "80212",
    ),
    (
        "Priya Natarajan",
        "priya.n@example.com",
        "(919) 555-0123",
        "221 Glenwood Ave",
        "Raleigh",
        "NC",
        "27603",
    ),
    (
        "The Hollister Family",
        "",
        "(614) 555-0187",
        "93 Greenbrier Ct",
        "Columbus",
        "OH",
        "43215",
    ),
    (
        "Tom & Aileen Burke",
        "burkes@example.com",
        "",
        "7 Meadowlark Ln",
        "Boise",
        "ID",
        "83706",
    ),
    (
        "Sunrise Kennels LLC",
        "office@sunrisekennels.example",
        "(602) 555-0110",
        "15020 N 40th St",
        "Phoenix",
        "AZ",
        "85032",
    ),
    (
        "Grace Okafor",
        "grace.okafor@example.com",
        "(770) 555-0168",
        "512 Peachtree Pkwy",
        "Atlanta",
        "GA",
        "30303",
    ),
    (
        "Luis Ortega",
        "lortega@example.com",
        "(916) 555-0135",
        "2750 Land Park Dr",
        "Sacramento",
        "CA",
        "95818",
    ),
];

pub async fn run(state: &AppState) -> Result<Seeded, String> {
    use secrecy::ExposeSecret;
    let seed = &state.config.seed;
    let s = Seeded {
        demo_url: state.config.tenant_url(DEMO_SUBDOMAIN),
        owner_email: seed.owner_email.clone(),
        owner_password: seed.owner_password.expose_secret().to_string(),
        admin_email: seed.admin_email.clone(),
        admin_password: seed.admin_password.expose_secret().to_string(),
    };
    seed_admin(&state.config, &s).await?;
    let pool = &state.pool;
    if platform::tenant_for_host(pool, Some(DEMO_SUBDOMAIN), None)
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Ok(s);
    }
    let org_id = Uuid::new_v4();
    let owner_id = Uuid::new_v4();
    let hash = password::hash_blocking(&s.owner_password).map_err(|e| e.to_string())?;
    let (_, handoff) = tokens::new_token();
    platform::provision(
        pool,
        &platform::NewTenant {
            org_id,
            company: "Demo Fence Co.",
            subdomain: DEMO_SUBDOMAIN,
            plan: "growth",
            owner_id,
            owner_name: "Demo Owner",
            owner_email: &s.owner_email,
            password_hash: &hash,
            handoff_hash: &handoff,
            trial_days: state.config.platform.trial_days,
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    let mut tx = TenantTx::begin(pool, org_id)
        .await
        .map_err(|e| e.to_string())?;
    let mut first = None;
    for (name, email, phone, street, city, st, zip) in SAMPLE {
        let form = CustomerForm {
            name: name.into(),
            email: email.into(),
            phone: phone.into(),
            street: street.into(),
            city: city.into(),
            state: st.into(),
            zip: zip.into(),
            notes: String::new(),
        };
        let valid = form.validate().map_err(|e| format!("{e:?}"))?;
        let id = repo::customers::insert(&mut tx, owner_id, &valid)
            .await
            .map_err(|e| e.to_string())?;
        first.get_or_insert(id);
    }
    if let Some(customer) = first {
        seed_trade(&mut tx, owner_id, customer)
            .await
            .map_err(|e| e.to_string())?;
    }
    let crew_hash = password::hash_blocking(&s.owner_password).map_err(|e| e.to_string())?;
    let crew_user = Uuid::new_v4();
    repo::users::insert(
        &mut tx,
        crew_user,
        "crew@demo.example",
        "Casey Crew",
        Role::Crew,
        &crew_hash,
    )
    .await
    .map_err(|e| e.to_string())?;
    repo::orgs::update_pricing(&mut tx, "TX", None)
        .await
        .map_err(|e| e.to_string())?;
    seed_schedule(&mut tx, owner_id, crew_user)
        .await
        .map_err(|e| format!("the demo schedule: {e:?}"))?;
    for step in ["company", "branding", "pricing", "team", "customer"] {
        repo::orgs::set_onboarding_step(&mut tx, step, "done")
            .await
            .map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(s)
}

/// A property with a drawn boundary, a pet and a draft quote, so the
/// designer and the live quote have something to show.
async fn seed_trade(
    tx: &mut TenantTx,
    owner_id: Uuid,
    customer: Uuid,
) -> Result<(), crate::error::AppError> {
    use crate::model::pricing::QuoteTerms;
    use crate::model::{Drawing, Layout, PetForm, PropertyForm, Pt};
    let property = PropertyForm {
        street: "1804 W 34th St".into(),
        city: "Austin".into(),
        state: "TX".into(),
        zip: "78703".into(),
        lot_sqft: "17500".into(),
        notes: "Sprinkler heads along the east fence.".into(),
        gate_notes: "Gate code 4410. Park on the street, not the drive.".into(),
        ..Default::default()
    }
    .validate()?;
    let pid = repo::properties::insert(tx, customer, &property).await?;
    let pet = PetForm {
        name: "Biscuit".into(),
        breed: "Labrador".into(),
        weight_lb: "68".into(),
        collar_model: "PetSafe PIF-275".into(),
        battery_installed: "2026-09-15".into(),
    }
    .validate()?;
    repo::properties::add_pet(tx, pid, &pet).await?;
    let p = |x: f64, y: f64| Pt::new(x, y);
    let drawing = Drawing {
        boundary: vec![
            p(-70.0, -55.0),
            p(65.0, -60.0),
            p(75.0, 20.0),
            p(60.0, 70.0),
            p(-20.0, 75.0),
            p(-72.0, 60.0),
        ],
        transmitter: Some(p(-10.0, 10.0)),
        lead: vec![p(-10.0, 40.0), p(-15.0, 74.0)],
        crossings: vec![[p(-72.0, 20.0), p(-71.0, 34.0)]],
        layout: Layout::Perimeter,
        width_ft: 240.0,
    };
    repo::properties::set_drawing(tx, pid, &drawing).await?;
    let prop = repo::properties::get(tx, pid)
        .await?
        .ok_or(crate::error::AppError::NotFound)?;
    let pc = super::quoting::context(tx, &prop.state).await?;
    let terms = QuoteTerms {
        tax_pct: "8.25".into(),
        notes: "Includes two follow-up training visits.".into(),
        ..Default::default()
    };
    let valid = terms.validate()?;
    let (takeoff, priced) = super::quoting::compute(&pc, &prop, &drawing, &valid);
    repo::quotes::create(
        tx,
        owner_id,
        pid,
        customer,
        &repo::quotes::Version {
            drawing,
            terms,
            takeoff,
            priced,
        },
    )
    .await?;
    Ok(())
}

/// Gate notes for the demo's booked properties, in turn.
const DEMO_GATES: [&str; 4] = [
    "Side gate, code 1942. Dogs inside until we call.",
    "",
    "Back gate sticks: lift and push. Sprinklers on at 6 AM.",
    "Ring first; elderly owner, allow a minute.",
];

/// A dog for each demo property, in turn: name, breed, weight in pounds.
const DEMO_PETS: [(&str, &str, &str); 5] = [
    ("Rosie", "Border Collie", "42"),
    ("Duke", "German Shepherd", "80"),
    ("Pepper", "Beagle", "24"),
    ("Mochi", "Shiba Inu", "21"),
    ("Bear", "Bernese Mountain Dog", "95"),
];

/// Homeowners around the Austin depot for the demo's fortnight: name,
/// street, ZIP, and the offset from the depot in thousandths of a degree.
const AUSTIN: [(&str, &str, &str, i32, i32); 16] = [
    ("Priya Shah", "2204 Enfield Rd", "78703", 22, -27),
    ("Tom Okafor", "5106 Shoal Creek Blvd", "78756", 56, -6),
    ("Elena Ruiz", "3910 Avenue G", "78751", 35, 15),
    ("Grant Miller", "1207 Kinney Ave", "78704", -12, -24),
    ("Hannah Cole", "4602 Sinclair Ave", "78756", 48, -8),
    ("Luis Ortega", "6200 Bull Creek Rd", "78757", 68, -10),
    ("Nora Patel", "1600 Travis Heights Blvd", "78704", -17, 5),
    ("Owen Brooks", "2801 S Lamar Blvd", "78704", -24, -22),
    ("Ruth Kim", "7400 Cooper Ln", "78745", -66, -45),
    ("Sam Fischer", "3300 Bee Caves Rd", "78746", -1, -65),
    ("Tara Nguyen", "11500 Jollyville Rd", "78759", 148, -15),
    ("Victor Hale", "4700 E Riverside Dr", "78741", -36, 40),
    ("Wendy Park", "9100 Brodie Ln", "78748", -100, -75),
    ("Yusuf Adams", "1900 E 12th St", "78702", 8, 27),
    ("Zoe Turner", "2500 Great Northern Blvd", "78757", 75, -3),
    ("Ivan Petrov", "8700 Manchaca Rd", "78748", -95, -55),
];

/// Two crews and their first days around the depot: sixteen approved jobs,
/// twelve booked (four stops per crew on the first working day from today,
/// two on the next) and four waiting to be scheduled.
async fn seed_schedule(
    tx: &mut TenantTx,
    owner_id: Uuid,
    crew_user: Uuid,
) -> Result<(), crate::error::AppError> {
    use crate::model::pricing::QuoteTerms;
    use crate::model::schedule::{default_hours, hour_fields, CrewForm, TimeWindow};
    use crate::model::{Drawing, JobStatus, Layout, PetForm, Pt, QuoteStatus};
    use chrono::{Datelike, Duration};
    let depot = (30.2672, -97.7431);
    let (starts, ends) = hour_fields(&default_hours());
    let mut crews = Vec::new();
    for (name, color, mpg, members) in [
        ("North crew", "#2563eb", "16", vec![crew_user]),
        ("South crew", "#16a34a", "14.5", vec![]),
    ] {
        let form = CrewForm {
            name: name.into(),
            color: color.into(),
            mpg: mpg.into(),
            starts: starts.clone(),
            ends: ends.clone(),
            start_at: format!("{}, {}", depot.0, depot.1),
            members,
            ..Default::default()
        }
        .validate()
        .map_err(crate::error::AppError::Validation)?;
        let id = repo::schedule::save(tx, None, &form)
            .await?
            .ok_or(crate::error::AppError::NotFound)?;
        crews.push((id, form));
    }
    let zone = repo::orgs::time_zone(tx).await?;
    let today = crate::model::time::local_day(chrono::Utc::now(), &zone);
    let mut working = Vec::new();
    let mut d = today;
    while working.len() < 10 {
        if d.weekday().num_days_from_monday() < 5 {
            working.push(d);
        }
        d += Duration::days(1);
    }
    let pc = super::quoting::context(tx, "TX").await?;
    for (i, (name, street, zip, dlat, dlon)) in AUSTIN.iter().enumerate() {
        let (cid, pid) = demo_home(
            tx,
            owner_id,
            DemoHome {
                name,
                street,
                zip,
                at: (depot, *dlat, *dlon),
                phone: 1200 + i,
                lot_sqft: 9000 + 1500 * (i as u32 % 7),
                gate: DEMO_GATES[i % DEMO_GATES.len()],
            },
        )
        .await?;
        let (pet, breed, weight) = DEMO_PETS[i % DEMO_PETS.len()];
        let pet = PetForm {
            name: pet.into(),
            breed: breed.into(),
            weight_lb: weight.into(),
            collar_model: "PetSafe PIF-275".into(),
            battery_installed: String::new(),
        }
        .validate()?;
        repo::properties::add_pet(tx, pid, &pet).await?;
        let side = 60.0 + 12.0 * (i % 5) as f64;
        let p = |x: f64, y: f64| Pt::new(x, y);
        let drawing = Drawing {
            boundary: vec![
                p(-side, -side),
                p(side, -side),
                p(side, side),
                p(-side, side),
            ],
            transmitter: Some(p(0.0, 0.0)),
            lead: vec![p(0.0, side * 0.5), p(0.0, side)],
            crossings: vec![],
            layout: Layout::Perimeter,
            width_ft: side * 2.0 + 40.0,
        };
        repo::properties::set_drawing(tx, pid, &drawing).await?;
        let prop = repo::properties::get(tx, pid)
            .await?
            .ok_or(crate::error::AppError::NotFound)?;
        let terms = QuoteTerms {
            tax_pct: "8.25".into(),
            ..Default::default()
        };
        let valid = terms.validate()?;
        let (takeoff, priced) = super::quoting::compute(&pc, &prop, &drawing, &valid);
        let minutes = crate::model::schedule::estimate_minutes(takeoff.labour_hours);
        let total = priced.total;
        let (qid, _) = repo::quotes::create(
            tx,
            owner_id,
            pid,
            cid,
            &repo::quotes::Version {
                drawing,
                terms,
                takeoff,
                priced,
            },
        )
        .await?;
        repo::quotes::set_status(tx, qid, QuoteStatus::Sent).await?;
        repo::quotes::decide(tx, qid, true, name, None).await?;
        let (jid, _) = repo::jobs::create(
            tx,
            owner_id,
            qid,
            pid,
            cid,
            total,
            minutes,
            "From the demo data",
        )
        .await?;
        // Twelve booked: four stops for each crew today (or the next
        // working day) and two each the day after, in the order the calls
        // came in (this list's), which criss-crosses town; four waiting.
        if i >= 12 {
            continue;
        }
        let (crew_id, crew, day, slot) = if i < 8 {
            (&crews[i / 4].0, &crews[i / 4].1, working[0], i % 4)
        } else {
            (
                &crews[(i - 8) / 2].0,
                &crews[(i - 8) / 2].1,
                working[1],
                (i - 8) % 2,
            )
        };
        let start = 7 * 60 + 30 + 120 * slot as u32;
        let minutes = minutes.min(90);
        let starts_at = repo::schedule::utc_start(day, start, &zone);
        repo::schedule::place(
            tx,
            jid,
            Some(*crew_id),
            Some(starts_at),
            Some(day),
            minutes,
            TimeWindow::Any,
        )
        .await?;
        let note = format!(
            "Scheduled: {}, {}, {}",
            crew.name,
            day.format("%a %b %-d"),
            crate::model::schedule::span(start, minutes)
        );
        repo::jobs::record(
            tx,
            jid,
            Some(JobStatus::Approved),
            JobStatus::Scheduled,
            Some(owner_id),
            &note,
        )
        .await?;
    }
    // Earlier customers whose collars had fresh batteries about three
    // months ago: the battery visits coming due, near the booked stops.
    for (i, (name, street, zip, dlat, dlon, ago, pets)) in PAST.iter().enumerate() {
        let (_, pid) = demo_home(
            tx,
            owner_id,
            DemoHome {
                name,
                street,
                zip,
                at: (depot, *dlat, *dlon),
                phone: 1400 + i,
                lot_sqft: 12000,
                gate: DEMO_GATES[i % DEMO_GATES.len()],
            },
        )
        .await?;
        for k in 0..*pets {
            let (pet, breed, weight) = DEMO_PETS[(i + k + 2) % DEMO_PETS.len()];
            let pet = PetForm {
                name: pet.into(),
                breed: breed.into(),
                weight_lb: weight.into(),
                collar_model: "PetSafe PIF-275".into(),
                battery_installed: (today - Duration::days(*ago))
                    .format("%Y-%m-%d")
                    .to_string(),
            }
            .validate()?;
            repo::properties::add_pet(tx, pid, &pet).await?;
        }
    }
    Ok(())
}

/// A demo customer in Austin and their property.
struct DemoHome<'a> {
    name: &'a str,
    street: &'a str,
    zip: &'a str,
    /// The depot and the offset from it, thousandths of a degree.
    at: ((f64, f64), i32, i32),
    /// The last four digits of the phone number.
    phone: usize,
    lot_sqft: u32,
    gate: &'a str,
}

/// Creates a [`DemoHome`]: the customer's id and the property's.
async fn demo_home(
    tx: &mut TenantTx,
    owner_id: Uuid,
    h: DemoHome<'_>,
) -> Result<(Uuid, Uuid), crate::error::AppError> {
    use crate::model::PropertyForm;
    let customer = CustomerForm {
        name: h.name.to_string(),
        email: format!("{}@example.com", h.name.to_lowercase().replace(' ', ".")),
        phone: format!("(512) 555-{:04}", h.phone),
        street: h.street.to_string(),
        city: "Austin".into(),
        state: "TX".into(),
        zip: h.zip.to_string(),
        notes: String::new(),
    }
    .validate()
    .map_err(crate::error::AppError::Validation)?;
    let cid = repo::customers::insert(tx, owner_id, &customer).await?;
    let ((lat, lon), dlat, dlon) = h.at;
    let property = PropertyForm {
        street: h.street.to_string(),
        city: "Austin".into(),
        state: "TX".into(),
        zip: h.zip.to_string(),
        lat: format!("{:.3}", lat + dlat as f64 / 1000.0),
        lon: format!("{:.3}", lon + dlon as f64 / 1000.0),
        lot_sqft: h.lot_sqft.to_string(),
        gate_notes: h.gate.into(),
        ..Default::default()
    }
    .validate()?;
    let pid = repo::properties::insert(tx, cid, &property).await?;
    Ok((cid, pid))
}

/// Past customers for battery visits: name, street, ZIP, offset from the
/// depot (thousandths of a degree), days since the batteries were changed
/// (a battery lasts about 91), and pets.
const PAST: [(&str, &str, &str, i32, i32, i64, usize); 6] = [
    ("Carla Mendes", "2300 Windsor Rd", "78703", 25, -30, 95, 2),
    ("Derek Young", "5200 Burnet Rd", "78756", 55, -4, 84, 1),
    ("Fiona Walsh", "1100 S 1st St", "78704", -15, -20, 78, 1),
    ("Jamal Reed", "4500 Duval St", "78751", 40, 14, 72, 1),
    ("Kim Nguyen", "2900 Manor Rd", "78722", 12, 28, 66, 1),
    ("Sam Ortiz", "7000 Woodrow Ave", "78757", 70, -12, 30, 1),
];

async fn seed_admin(config: &Config, s: &Seeded) -> Result<(), String> {
    let owner = PgPoolOptions::new()
        .max_connections(1)
        .connect(config.owner_url()?)
        .await
        .map_err(|e| e.to_string())?;
    let hash = password::hash_blocking(&s.admin_password).map_err(|e| e.to_string())?;
    sqlx::query!(
        "insert into platform.admins (id, email, name, password_hash) values ($1, $2, 'Platform Admin', $3)
         on conflict (email) do nothing",
        Uuid::new_v4(),
        s.admin_email,
        hash
    )
    .execute(&owner)
    .await
    .map_err(|e| e.to_string())?;
    owner.close().await;
    Ok(())
}
