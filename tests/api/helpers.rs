//! `TestApp`: a fresh database, migrations, the real server on port 0, and
//! HTTP clients that resolve every `*.localhost` name to loopback.

use std::net::SocketAddr;
use std::sync::Arc;

use fence::api::auth::AcceptInvitation;
use fence::api::customers::CreateCustomer;
use fence::api::signup::Signup;
use fence::api::team::InviteMember;
use fence::error::AppError;
use fence::model::{CustomerForm, SignupForm};
use fence::server::config::Config;
use fence::server::storage::StorageSettings;
use fence::server::{db, router, AppState};
use leptos::config::LeptosOptions;
use leptos::server_fn::ServerFn;
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

pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn with_db(url: &str, db: &str) -> String {
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

/// Everything the server logged in this test process (every test's), so a
/// test can prove a secret never reached a log.
static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct Capture;

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("fence=trace,tower_http=debug,warn")
            .with_ansi(false)
            .with_writer(|| Capture)
            .try_init();
    });
}

/// The captured log so far.
pub fn logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned()
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        TestApp::spawn_on(admin_url(), tweak).await
    }

    /// [`TestApp::spawn_with`] on another PostgreSQL server (a scratch
    /// cluster of the test's own), given its superuser's URL.
    pub async fn spawn_on(admin_url: String, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .expect("TEST_DATABASE_URL reachable");
        if admin_url == self::admin_url() {
            SWEPT.get_or_init(|| sweep(&mut admin)).await;
        } else {
            sweep(&mut admin).await;
        }
        capture_logs();
        let db = format!("fence_t_{}_{}", std::process::id(), Uuid::new_v4().simple());
        sqlx::query(&format!("create database \"{db}\""))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let owner_url = with_db(&admin_url, &db);
        let mut config = instance_config(&owner_url, &db, port);
        tweak(&mut config);
        // `fence migrate` (as the owner), then the server as the app role.
        db::migrate(&owner_url).await.expect("migrations");
        let (server, state) = serve(listener, config).await;
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

    /// Runs `fence seed` against this test's database (a state with the
    /// owner's connection, as the command has).
    pub async fn seed_demo(&self) -> Result<(), String> {
        let mut config = Config::for_tests(&with_db(&self.admin_url, &self.db));
        config.platform.public_url = format!("http://localhost:{}", self.port);
        config.platform.db_pool_size = 2;
        config.storage = StorageSettings {
            dir: format!("target/test-objects/{}", self.db),
            ..StorageSettings::default()
        };
        let options = LeptosOptions::builder()
            .output_name("fence")
            .site_root("target/site")
            .build();
        let (_, state) = router::build(config, options).await?;
        fence::server::seed::run(&state).await.map(|_| ())
    }

    /// Kept for tests written before the guard; dropping does the work.
    pub async fn cleanup(self) {}

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
        let handoff = self
            .call_fn(
                &c,
                None,
                Signup {
                    form: signup_input(&company, sub, &email, plan),
                },
            )
            .await
            .unwrap_or_else(|e| panic!("signup of {sub}: {e:?}"));
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
        self.as_owner(
            t,
            CreateCustomer {
                form: customer_input(name, email),
                wizard: None,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("create customer: {e:?}"))
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

/// The database goes with the app: dropped (connections and all) when the
/// test's `TestApp` is dropped, whether the test passed or panicked.
/// A second app instance on a test's database (as behind a load
/// balancer): its own process state, caches, listener and pool.
pub struct Instance {
    pub port: u16,
    server: tokio::task::JoinHandle<()>,
}

impl Instance {
    pub fn url(&self, sub: &str, path: &str) -> String {
        format!("http://{sub}.localhost:{}{path}", self.port)
    }

    pub async fn get(&self, c: &Client, sub: &str, path: &str) -> Response {
        c.get(self.url(sub, path)).send().await.unwrap()
    }

    /// A server function's call through its type, on this instance.
    pub async fn send_fn<F>(&self, c: &Client, sub: &str, args: F) -> Response
    where
        F: ServerFn + serde::Serialize,
    {
        let body = serde_qs::to_string(&args).expect("encodable arguments");
        c.post(self.url(sub, F::PATH))
            .header(ORIGIN, self.url(sub, ""))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestApp {
    /// Starts another instance of the app on this test's database.
    pub async fn another_instance(&self) -> Instance {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let config = instance_config(&with_db(&self.admin_url, &self.db), &self.db, self.port);
        let (server, _) = serve(listener, config).await;
        Instance { port, server }
    }
}

/// A test instance's settings: the test's database and object folders, and
/// the first instance's address as the public one.
fn instance_config(owner_url: &str, db: &str, public_port: u16) -> Config {
    let mut config = Config::for_tests(owner_url);
    config.platform.public_url = format!("http://localhost:{public_port}");
    config.platform.db_pool_size = 4;
    config.platform.password_hash_concurrency = 2;
    config.storage = StorageSettings {
        dir: format!("target/test-objects/{db}"),
        ..StorageSettings::default()
    };
    config.uploads.tmp_dir = format!("target/test-objects/{db}-uploads").into();
    config
}

/// Builds the app as the application role (never the owner's connection)
/// and serves it on `listener`.
async fn serve(
    listener: tokio::net::TcpListener,
    mut config: Config,
) -> (tokio::task::JoinHandle<()>, AppState) {
    config.database_url = None;
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
    (server, state)
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        let (url, db) = (self.admin_url.clone(), self.db.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&url).await {
                    let _ = sqlx::query(&format!("drop database if exists \"{db}\" with (force)"))
                        .execute(&mut admin)
                        .await;
                }
            });
            let _ = std::fs::remove_dir_all(format!("target/test-objects/{db}"));
            let _ = std::fs::remove_dir_all(format!("target/test-objects/{db}-uploads"));
        })
        .join();
    }
}

impl TestApp {
    /// Calls a server function through its type: the path comes from the
    /// function, the arguments are encoded as its form, and the answer is
    /// decoded into the function's own output type (or the `AppError`).
    pub async fn call_fn<F>(
        &self,
        c: &Client,
        sub: Option<&str>,
        args: F,
    ) -> Result<F::Output, AppError>
    where
        F: ServerFn + serde::Serialize,
        F::Output: serde::de::DeserializeOwned,
    {
        let r = self.send_fn(c, sub, args).await;
        let status = r.status();
        let text = r.text().await.unwrap();
        if status == reqwest::StatusCode::OK {
            Ok(serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} answered {status} {text}: {e}", F::PATH)))
        } else {
            let e: AppError = serde_json::from_str(&text).unwrap_or_else(|_| {
                panic!("{} answered {status} with no AppError: {text}", F::PATH)
            });
            // The status is part of the answer: a typed check of the error
            // must not let a wrong one through.
            assert_eq!(
                status.as_u16(),
                e.status(),
                "{} answered {e:?} with the wrong status",
                F::PATH
            );
            Err(e)
        }
    }

    /// A server-function call through its type (path and form from the
    /// function) whose raw answer is wanted: for tests about the HTTP
    /// response itself rather than the function's result.
    pub async fn send_fn<F>(&self, c: &Client, sub: Option<&str>, args: F) -> Response
    where
        F: ServerFn + serde::Serialize,
    {
        let body = serde_qs::to_string(&args).expect("encodable arguments");
        c.post(self.url(sub, F::PATH))
            .header(ORIGIN, self.origin(sub))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// [`TestApp::call_fn`] as a tenant's owner on the tenant's own host.
    pub async fn as_owner<F>(&self, t: &Tenant, args: F) -> Result<F::Output, AppError>
    where
        F: ServerFn + serde::Serialize,
        F::Output: serde::de::DeserializeOwned,
    {
        self.call_fn(&t.client, Some(&t.sub), args).await
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

/// The first page of a tenant's customers, not archived, unfiltered.
pub fn first_customers() -> fence::api::customers::ListCustomers {
    fence::api::customers::ListCustomers {
        q: String::new(),
        page: 1,
        archived: false,
    }
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

/// The signup form as its type (owner "Olive Owner", password [`PASSWORD`]).
pub fn signup_input(company: &str, sub: &str, email: &str, plan: &str) -> SignupForm {
    SignupForm {
        company: company.into(),
        subdomain: sub.into(),
        owner_name: "Olive Owner".into(),
        email: email.into(),
        password: PASSWORD.into(),
        plan: plan.into(),
    }
}

/// The customer form as its type, with the same values as [`customer_form`].
pub fn customer_input(name: &str, email: &str) -> CustomerForm {
    CustomerForm {
        name: name.into(),
        email: email.into(),
        phone: "512-555-0100".into(),
        street: "1 Main St".into(),
        city: "Austin".into(),
        state: "TX".into(),
        zip: "78701".into(),
        notes: String::new(),
    }
}

/// The link in an email body that starts with `prefix`.
pub fn link_in(body: &str, prefix: &str) -> String {
    body.split_whitespace()
        .find(|w| w.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} link in {body}"))
        .to_string()
}

impl TestApp {
    /// Waits until the app has heard every change announced so far (after
    /// rows were changed by hand through `owner`: its caches then hold
    /// nothing the change retired). See `server::cache`.
    pub async fn settle(&self) {
        let marker = Uuid::new_v4().to_string();
        sqlx::query("select pg_notify('fence_cache', 'sync:' || $1)")
            .bind(&marker)
            .execute(&self.owner)
            .await
            .unwrap();
        for _ in 0..1000 {
            if self.state.caches.synced(&marker) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        panic!("the app's listener did not hear the sync marker in 2 s");
    }

    /// Invites `email` with `role` as the tenant's owner and accepts the
    /// invitation in a fresh client, which is returned logged in.
    pub async fn join(&self, t: &Tenant, email: &str, role: &str) -> Client {
        self.as_owner(
            t,
            InviteMember {
                email: email.into(),
                role: role.into(),
                wizard: None,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("invite {email}: {e:?}"));
        let link = link_in(&self.last_email(email).await.unwrap(), "http://");
        let token = link.rsplit('/').next().unwrap().to_string();
        let c = self.client();
        self.call_fn(
            &c,
            Some(&t.sub),
            AcceptInvitation {
                token,
                name: role.into(),
                password: PASSWORD.into(),
                confirm: PASSWORD.into(),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("accept {email}: {e:?}"));
        c
    }
}

/// A form-encoded value decoded (`+` as space, `%XX` escapes), as a
/// redirect's query carries a message.
pub fn url_decode(s: &str) -> String {
    let s = s.replace('+', " ");
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// Polls `check` every 20 ms for up to a second: a change made behind the
/// app's back (an operator's SQL) reaches its caches by the database's
/// announcement, within a second (see `server::cache`).
pub async fn within_a_second<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(1) {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{what}: not within a second");
}
