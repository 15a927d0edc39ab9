//! Custom domains end to end against a real DNS server (dnslib, from PyPI,
//! driven by `tests/peers/dns_peer.py`): unverified, the host serves
//! nothing and the proxy's ask endpoint says no; the records checked and
//! each missing one named; verified, the tenant's pages, sign-in (a
//! host-only cookie) and email links on that host, and the ask endpoint
//! says yes; removed, gone again. Another tenant can neither take a
//! verified domain nor see or change it; crews cannot manage it.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fence::api::domains::{CheckDomain, GetDomain, RemoveDomain, SetDomain};
use fence::api::team::InviteMember;
use fence::error::AppError;

use crate::helpers::{Tenant, TestApp, PASSWORD};
use crate::mail::{free_port, python};

struct DnsPeer {
    port: u16,
    zone: tempfile::NamedTempFile,
    child: Child,
}

impl Drop for DnsPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl DnsPeer {
    async fn start() -> DnsPeer {
        let port = free_port();
        let zone = tempfile::NamedTempFile::new().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/dns_peer.py");
        let mut child = Command::new(python())
            .arg(script)
            .args(["--port", &port.to_string()])
            .arg("--zone")
            .arg(zone.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python with dnslib (scripts/test installs it into .data/venv)");
        // Ready once it says so (UDP has no connect to wait on).
        let out = child.stdout.take().unwrap();
        let ready = tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            let mut line = String::new();
            std::io::BufReader::new(out)
                .read_line(&mut line)
                .map(|_| line)
        });
        match tokio::time::timeout(Duration::from_secs(20), ready).await {
            Ok(Ok(Ok(l))) if l.contains("listening") => {}
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the DNS peer did not start: {other:?}");
            }
        }
        DnsPeer { port, zone, child }
    }

    fn records(&self, lines: &[String]) {
        std::fs::write(self.zone.path(), lines.join("\n") + "\n").unwrap();
    }
}

const DOMAIN: &str = "portal.alpha-fence.test";

async fn grant_addon(app: &TestApp, t: &Tenant) {
    sqlx::query(
        "update organizations set features = features || '{\"custom_domain\": true}' where id = $1",
    )
    .bind(t.org_id)
    .execute(&app.owner)
    .await
    .unwrap();
}

async fn ask(app: &TestApp, domain: &str) -> u16 {
    app.client()
        .get(format!(
            "http://127.0.0.1:{}/tls/ask?domain={domain}",
            app.port
        ))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_custom_domain_serves_the_tenant_only_once_its_records_check_out() {
    let dns = DnsPeer::start().await;
    let port = dns.port;
    let app = TestApp::spawn_with(move |c| {
        c.dns_resolver = Some(([127, 0, 0, 1], port).into());
    })
    .await;
    let a = app.signup("alpha", "growth").await;
    let b = app.signup("bravo", "growth").await;
    let target = app.state.config.domain_target();
    assert_eq!(target, "domains.localhost");

    // Without the add-on: refused, with the way to get it.
    let e = app
        .as_owner(
            &a,
            SetDomain {
                domain: DOMAIN.into(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Limit(m) if m.contains("domain")),
        "{e:?}"
    );
    grant_addon(&app, &a).await;
    grant_addon(&app, &b).await;
    // Bad input says what to fix.
    for bad in ["not a domain", "alpha.localhost", "portal..x.test"] {
        let e = app
            .as_owner(&a, SetDomain { domain: bad.into() })
            .await
            .unwrap_err();
        assert!(
            e.fields().and_then(|f| f.get("domain")).is_some(),
            "{bad}: {e:?}"
        );
    }
    app.as_owner(
        &a,
        SetDomain {
            domain: " https://Portal.Alpha-Fence.test/ ".into(),
        },
    )
    .await
    .unwrap();
    let d = app.as_owner(&a, GetDomain {}).await.unwrap();
    let c = d.domain.clone().unwrap();
    assert_eq!(c.domain, DOMAIN);
    assert!(!c.verified);
    let txt = c.records.iter().find(|r| r.kind == "TXT").unwrap().clone();
    let cname = c
        .records
        .iter()
        .find(|r| r.kind == "CNAME")
        .unwrap()
        .clone();
    assert_eq!(txt.name, format!("_fence-verify.{DOMAIN}"));
    assert!(txt.value.starts_with("fence-verify=") && txt.value.len() > 30);
    assert_eq!(
        (cname.name.as_str(), cname.value.as_str()),
        (DOMAIN, "domains.localhost")
    );

    // Unverified: the host serves nothing, the proxy may not get a certificate.
    let host = |path: &str| format!("http://{DOMAIN}:{}{path}", app.port);
    let anon = app.client();
    let r = anon.get(host("/login")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(ask(&app, DOMAIN).await, 404);
    assert_eq!(
        ask(&app, "alpha.localhost").await,
        200,
        "a tenant's subdomain"
    );
    assert_eq!(ask(&app, "nobody.localhost").await, 404);
    assert_eq!(ask(&app, "evil.example").await, 404);

    // No records: both named as missing.
    assert!(!app.as_owner(&a, CheckDomain {}).await.unwrap());
    let err = app
        .as_owner(&a, GetDomain {})
        .await
        .unwrap()
        .domain
        .unwrap()
        .error
        .unwrap();
    assert!(
        err.contains("No TXT record") && err.contains("no CNAME record"),
        "{err}"
    );
    // The token right, the CNAME pointing elsewhere.
    dns.records(&[
        format!("_fence-verify.{DOMAIN}. 60 IN TXT \"{}\"", txt.value),
        format!("{DOMAIN}. 60 IN CNAME elsewhere.example."),
    ]);
    assert!(!app.as_owner(&a, CheckDomain {}).await.unwrap());
    let err = app
        .as_owner(&a, GetDomain {})
        .await
        .unwrap()
        .domain
        .unwrap()
        .error
        .unwrap();
    assert!(
        err.contains("points at elsewhere.example") && !err.contains("TXT"),
        "{err}"
    );
    // Both right.
    dns.records(&[
        format!("_fence-verify.{DOMAIN}. 60 IN TXT \"{}\"", txt.value),
        format!("{DOMAIN}. 60 IN CNAME {target}."),
    ]);
    assert!(app.as_owner(&a, CheckDomain {}).await.unwrap());
    let d = app
        .as_owner(&a, GetDomain {})
        .await
        .unwrap()
        .domain
        .unwrap();
    assert!(d.verified && d.error.is_none());
    assert_eq!(d.url, host(""));

    // Verified: the tenant's pages on that host, sign-in with a host-only
    // cookie, the proxy's yes, and links in email on the domain.
    let r = anon.get(host("/login")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("ALPHA Fence Co"));
    assert_eq!(ask(&app, DOMAIN).await, 200);
    let c = app.client();
    let r = c
        .post(host("/api/auth/login"))
        .header("origin", host(""))
        .form(&[("email", a.email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("fenceline_session="))
        .expect("a session cookie");
    assert!(
        !cookie.to_lowercase().contains("domain="),
        "host-only: {cookie}"
    );
    let r = c.get(host("/customers")).send().await.unwrap();
    assert_eq!(r.status(), 200, "signed in on the custom domain");
    app.as_owner(
        &a,
        InviteMember {
            email: "crew@alpha.example".into(),
            role: "crew".into(),
            wizard: None,
        },
    )
    .await
    .unwrap();
    let body = app.last_email("crew@alpha.example").await.unwrap();
    assert!(body.contains(&host("/invite/")), "{body}");

    // Bravo cannot take it, even proving control too, nor see Alpha's.
    app.as_owner(
        &b,
        SetDomain {
            domain: DOMAIN.into(),
        },
    )
    .await
    .unwrap();
    let bt = app
        .as_owner(&b, GetDomain {})
        .await
        .unwrap()
        .domain
        .unwrap();
    let btxt = bt
        .records
        .iter()
        .find(|r| r.kind == "TXT")
        .unwrap()
        .value
        .clone();
    assert_ne!(btxt, txt.value, "each claim has its own token");
    dns.records(&[
        format!("_fence-verify.{DOMAIN}. 60 IN TXT \"{}\"", txt.value),
        format!("_fence-verify.{DOMAIN}. 60 IN TXT \"{btxt}\""),
        format!("{DOMAIN}. 60 IN CNAME {target}."),
    ]);
    assert!(!app.as_owner(&b, CheckDomain {}).await.unwrap());
    let err = app
        .as_owner(&b, GetDomain {})
        .await
        .unwrap()
        .domain
        .unwrap()
        .error
        .unwrap();
    assert!(
        err.contains("Another workspace already uses this domain"),
        "{err}"
    );
    let r = anon.get(host("/login")).send().await.unwrap();
    assert!(
        r.text().await.unwrap().contains("ALPHA Fence Co"),
        "still Alpha's"
    );
    // Bravo's removal touches only its own claim.
    app.as_owner(&b, RemoveDomain {}).await.unwrap();
    assert!(
        app.as_owner(&a, GetDomain {})
            .await
            .unwrap()
            .domain
            .unwrap()
            .verified
    );
    // The tenant cannot mark its own domain verified behind the functions.
    let mut tx = fence::server::TenantTx::begin(&app.state.pool, b.org_id)
        .await
        .unwrap();
    let e = sqlx::query("update organizations set custom_domain_verified = true")
        .execute(tx.conn())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("permission denied"), "{e}");
    drop(tx);
    let mut tx = fence::server::TenantTx::begin(&app.state.pool, b.org_id)
        .await
        .unwrap();
    let e = sqlx::query("select platform.set_custom_domain($1, 'x.test', 't')")
        .bind(a.org_id)
        .execute(tx.conn())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("only change for the tenant"), "{e}");
    drop(tx);

    // Crews cannot manage it.
    let crew = app.join(&a, "crew2@alpha.example", "crew").await;
    let e = app
        .call_fn(&crew, Some("alpha"), GetDomain {})
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
    let e = app
        .call_fn(&crew, Some("alpha"), RemoveDomain {})
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");

    // Removed: gone at once.
    app.as_owner(&a, RemoveDomain {}).await.unwrap();
    assert_eq!(anon.get(host("/login")).send().await.unwrap().status(), 404);
    assert_eq!(ask(&app, DOMAIN).await, 404);
}
