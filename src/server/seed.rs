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
    repo::users::insert(
        &mut tx,
        Uuid::new_v4(),
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
        notes: "Gate code 4410. Sprinkler heads along the east fence.".into(),
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
