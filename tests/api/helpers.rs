//! `TestApp`: a fresh database, migrations, the real server on port 0, and
//! HTTP clients that resolve every `*.localhost` name to loopback.

use std::net::SocketAddr;
use std::sync::Arc;

use fence::server::config::{app_url_from_owner_url, Config, PlatformSettings, ThrottleSettings};
use fence::server::storage::StorageSettings;
use fence::server::{router, AppState};
use leptos::config::LeptosOptions;
use reqwest::header::ORIGIN;
use reqwest::{redirect, Client, Response};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

pub const PASSWORD: &str = "a fine long password";

pub struct TestApp {
    pub port: u16,
    pub db: String,
    admin_url: String,
    pub owner: PgPool,
    pub state: AppState,
    server: tokio::task::JoinHandle<()>,
}

/// A signed-up tenant and a client logged in as its owner.
pub struct Tenant {
    pub sub: String,
    pub org_id: Uuid,
    pub owner_id: Uuid,
    pub email: String,
    pub client: Client,
}

/// Resolves every name to 127.0.0.1 (`*.localhost` without DNS).
pub struct Loopback;

impl reqwest::dns::Resolve for Loopback {
    fn resolve(&self, _name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async {
            let addrs: reqwest::dns::Addrs =
                Box::new(vec![SocketAddr::from(([127, 0, 0, 1], 0))].into_iter());
            Ok(addrs)
        })
    }
}

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn with_db(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map(|(b, q)| (b, format!("?{q}")))
        .unwrap_or((url, String::new()));
    let base = base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base);
    format!("{base}/{db}{query}")
}

/// Once per test run: drops databases left by earlier runs whose process is
/// gone, and creates the application role before tests race to.
async fn sweep(admin: &mut PgConnection) {
    let _ = sqlx::query(
        "do $$ begin create role fence_app login nosuperuser nobypassrls nocreatedb nocreaterole noinherit;
         exception when duplicate_object or unique_violation then null; end $$",
    )
    .execute(&mut *admin)
    .await;
    let names: Vec<String> =
        sqlx::query_scalar("select datname from pg_database where datname like 'fence_t_%'")
            .fetch_all(&mut *admin)
            .await
            .unwrap_or_default();
    for name in names {
        let pid = name.split('_').nth(2).unwrap_or("");
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = sqlx::query(&format!("drop database if exists \"{name}\" with (force)"))
                .execute(&mut *admin)
                .await;
        }
    }
}

static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let admin_url = admin_url();
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .expect("TEST_DATABASE_URL reachable");
        SWEPT.get_or_init(|| sweep(&mut admin)).await;
        let db = format!("fence_t_{}_{}", std::process::id(), Uuid::new_v4().simple());
        sqlx::query(&format!("create database \"{db}\""))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let owner_url = with_db(&admin_url, &db);
        let mut config = Config {
            database_url: owner_url.clone().into(),
            app_database_url: app_url_from_owner_url(&owner_url).into(),
            platform: PlatformSettings {
                public_url: format!("http://localhost:{port}"),
                db_pool_size: 4,
                password_hash_concurrency: 2,
                ..PlatformSettings::default()
            },
            throttle: ThrottleSettings::default(),
            storage: StorageSettings {
                dir: format!("target/test-objects/{db}"),
                ..StorageSettings::default()
            },
            map_tile_url: None,
        };
        tweak(&mut config);
        let options = LeptosOptions::builder()
            .output_name("fence")
            .site_root("target/site")
            .build();
        let (app, state) = router::build(config, options).await.expect("server builds");
        let server = tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        let owner = PgPoolOptions::new()
            .max_connections(2)
            .connect(&owner_url)
            .await
            .unwrap();
        TestApp {
            port,
            db,
            admin_url,
            owner,
            state,
            server,
        }
    }

    /// Stops the server and drops the database.
    pub async fn cleanup(self) {
        self.server.abort();
        // A test may still hold a transaction; don't wait on it forever.
        let wait = std::time::Duration::from_secs(5);
        let _ = tokio::time::timeout(wait, self.owner.close()).await;
        let _ = tokio::time::timeout(wait, self.state.pool.close()).await;
        let mut admin = PgConnection::connect(&self.admin_url).await.unwrap();
        sqlx::query(&format!(
            "drop database if exists \"{}\" with (force)",
            self.db
        ))
        .execute(&mut admin)
        .await
        .unwrap();
        let _ = std::fs::remove_dir_all(format!("target/test-objects/{}", self.db));
    }

    pub fn host(&self, sub: Option<&str>) -> String {
        match sub {
            Some(s) => format!("{s}.localhost:{}", self.port),
            None => format!("localhost:{}", self.port),
        }
    }

    pub fn url(&self, sub: Option<&str>, path: &str) -> String {
        format!("http://{}{path}", self.host(sub))
    }

    pub fn origin(&self, sub: Option<&str>) -> String {
        format!("http://{}", self.host(sub))
    }

    /// A client with its own cookie jar that follows no redirects. A request
    /// that gets no answer in 90 s fails the test instead of hanging the run.
    pub fn client(&self) -> Client {
        Client::builder()
            .timeout(std::time::Duration::from_secs(90))
            .cookie_store(true)
            .dns_resolver(Arc::new(Loopback))
            .redirect(redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A server-function call (or form post) with this site's Origin.
    pub async fn post(
        &self,
        c: &Client,
        sub: Option<&str>,
        path: &str,
        form: &[(&str, &str)],
    ) -> Response {
        c.post(self.url(sub, path))
            .header(ORIGIN, self.origin(sub))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, c: &Client, sub: Option<&str>, path: &str) -> Response {
        c.get(self.url(sub, path)).send().await.unwrap()
    }

    /// Signs a company up through the real signup API and follows the
    /// hand-off, so the returned client is logged in on the tenant's host.
    pub async fn signup(&self, sub: &str, plan: &str) -> Tenant {
        let c = self.client();
        let email = format!("owner@{sub}.example");
        let company = format!("{} Fence Co", sub.to_uppercase());
        let r = self
            .post(
                &c,
                None,
                "/api/signup",
                &signup_form(&company, sub, &email, plan),
            )
            .await;
        assert_eq!(
            r.status(),
            200,
            "signup of {sub}: {}",
            r.text().await.unwrap_or_default()
        );
        let handoff: String = r.json().await.unwrap();
        let r = c.get(&handoff).send().await.unwrap();
        assert_eq!(r.status(), 303, "hand-off");
        assert_eq!(r.headers()["location"], "/onboarding");
        let (org_id, owner_id): (Uuid, Uuid) = sqlx::query_as(
            "select o.id, u.id from organizations o join users u on u.org_id = o.id where o.subdomain = $1",
        )
        .bind(sub)
        .fetch_one(&self.owner)
        .await
        .unwrap();
        Tenant {
            sub: sub.to_string(),
            org_id,
            owner_id,
            email,
            client: c,
        }
    }

    /// Calls a server function as a tenant's owner on the tenant's own host.
    pub async fn call(&self, t: &Tenant, path: &str, form: &[(&str, &str)]) -> Response {
        self.post(&t.client, Some(&t.sub), path, form).await
    }

    /// Creates a customer as the tenant's owner and returns its id.
    pub async fn customer(&self, t: &Tenant, name: &str, email: &str) -> Uuid {
        let r = self
            .call(t, "/api/customers/create", &customer_form(name, email))
            .await;
        assert_eq!(
            r.status(),
            200,
            "create customer: {}",
            r.text().await.unwrap_or_default()
        );
        r.json().await.unwrap()
    }

    /// The newest email to an address, read as the owner (tests only).
    pub async fn last_email(&self, to: &str) -> Option<String> {
        sqlx::query_scalar(
            "select body from outbox where to_email = $1 order by created_at desc limit 1",
        )
        .bind(to)
        .fetch_optional(&self.owner)
        .await
        .unwrap()
    }

    /// A connection pool as the application role, for direct RLS probes.
    pub async fn app_pool(&self) -> PgPool {
        self.state.pool.clone()
    }
}

/// The signup form's fields (owner "Olive Owner", password [`PASSWORD`]).
pub fn signup_form<'a>(
    company: &'a str,
    sub: &'a str,
    email: &'a str,
    plan: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("form[company]", company),
        ("form[subdomain]", sub),
        ("form[owner_name]", "Olive Owner"),
        ("form[email]", email),
        ("form[password]", PASSWORD),
        ("form[plan]", plan),
    ]
}

pub fn customer_form<'a>(name: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("form[name]", name),
        ("form[email]", email),
        ("form[phone]", "512-555-0100"),
        ("form[street]", "1 Main St"),
        ("form[city]", "Austin"),
        ("form[state]", "TX"),
        ("form[zip]", "78701"),
        ("form[notes]", ""),
    ]
}

/// The link in an email body that starts with `prefix`.
pub fn link_in(body: &str, prefix: &str) -> String {
    body.split_whitespace()
        .find(|w| w.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} link in {body}"))
        .to_string()
}

/// The error a server function returned.
pub async fn app_error(r: Response) -> fence::error::AppError {
    let text = r.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not an AppError: {text}"))
}

impl TestApp {
    /// Invites `email` with `role` as the tenant's owner and accepts the
    /// invitation in a fresh client, which is returned logged in.
    pub async fn join(&self, t: &Tenant, email: &str, role: &str) -> Client {
        let r = self
            .call(t, "/api/team/invite", &[("email", email), ("role", role)])
            .await;
        assert_eq!(
            r.status(),
            200,
            "invite {email}: {}",
            r.text().await.unwrap_or_default()
        );
        let link = link_in(&self.last_email(email).await.unwrap(), "http://");
        let token = link.rsplit('/').next().unwrap().to_string();
        let c = self.client();
        let r = self
            .post(
                &c,
                Some(&t.sub),
                "/api/auth/accept",
                &[
                    ("token", &token),
                    ("name", role),
                    ("password", PASSWORD),
                    ("confirm", PASSWORD),
                ],
            )
            .await;
        assert_eq!(
            r.status(),
            200,
            "accept {email}: {}",
            r.text().await.unwrap_or_default()
        );
        c
    }
}
