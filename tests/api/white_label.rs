//! Enterprise: custom email templates (checked, escaped, the tenant's own)
//! and white-labelling (no platform name on any page or email the tenant's
//! team or homeowners see; the tenant's own icon), with their isolation and
//! roles.

use fence::api::reminders::ReminderLink;
use fence::api::settings::SetWhiteLabel;
use fence::api::team::InviteMember;
use fence::api::templates::{ListTemplates, ResetTemplate, SaveTemplate};
use fence::error::AppError;
use fence::model::templates::{TemplateForm, TemplateKind};
use uuid::Uuid;

use crate::helpers::{Tenant, TestApp};
use crate::trade::{property, send_link, SQUARE};

fn form(subject: &str, body: &str) -> TemplateForm {
    TemplateForm {
        subject: subject.into(),
        body: body.into(),
    }
}

async fn save(app: &TestApp, t: &Tenant, kind: &str, f: TemplateForm) -> Result<String, AppError> {
    app.as_owner(
        t,
        SaveTemplate {
            kind: kind.into(),
            form: f,
        },
    )
    .await
}

/// A quote for a new customer `name` with `email`, sent; returns the
/// newest email body to the customer and its subject.
async fn quote_email(app: &TestApp, t: &Tenant, name: &str, email: &str) -> (String, String) {
    let customer = app.customer(t, name, email).await;
    let property = property(app, t, customer, "TX").await;
    app.as_owner(
        t,
        fence::api::properties::SaveDrawing {
            id: property,
            drawing: SQUARE.into(),
            lat: None,
            lon: None,
        },
    )
    .await
    .unwrap();
    let quote = app
        .as_owner(
            t,
            fence::api::quotes::CreateQuote {
                property_id: property,
            },
        )
        .await
        .unwrap();
    send_link(app, t, &quote.to_string()).await;
    sqlx::query_as(
        "select subject, body from outbox where to_email = $1 and kind = 'quote_sent'
          order by created_at desc limit 1",
    )
    .bind(email)
    .fetch_one(&app.owner)
    .await
    .unwrap()
}

#[tokio::test]
async fn templates_are_checked_escaped_and_the_tenants_own() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "enterprise").await;
    let b = app.signup("bravo", "enterprise").await;
    let g = app.signup("golf", "growth").await;

    // Bad wording says what to fix, field by field.
    let fields = |r: Result<String, AppError>| match r {
        Err(AppError::Validation(f)) => f,
        other => panic!("expected field errors, got {other:?}"),
    };
    let f = fields(
        save(
            &app,
            &a,
            "quote_sent",
            form("Hi", "{customer_name}, see below"),
        )
        .await,
    );
    assert!(f.get("body").unwrap().contains("{link}"), "{f:?}");
    let f = fields(save(&app, &a, "quote_sent", form("Hi {password}", "{link}")).await);
    assert!(f.get("subject").unwrap().contains("not a placeholder"));
    let f = fields(save(&app, &a, "quote_sent", form("Hi", "{link} {stop_link}")).await);
    assert!(f.get("body").unwrap().contains("{stop_link}"), "{f:?}");
    let f = fields(
        save(
            &app,
            &a,
            "quote_sent",
            form("Hi\r\nBcc: victim@evil.example", "{link}"),
        )
        .await,
    );
    assert!(f.get("subject").is_some());
    let e = save(&app, &a, "password_reset", form("x", "{link}"))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound), "only homeowner messages");
    // Not on Growth.
    let e = save(&app, &g, "quote_sent", form("Hi", "{link}"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Limit(m) if m.contains("White-labelling")),
        "{e:?}"
    );

    // Markup, scripts and placeholder tricks come out as text.
    save(
        &app,
        &a,
        "quote_sent",
        form(
            "<b>{company_name}</b> quote {{link}}",
            "<script>alert(1)</script> Dear {customer_name},\nyour link: {link}\n{{customer_name}}",
        ),
    )
    .await
    .unwrap();
    let (subject, body) =
        quote_email(&app, &a, "Eve {link} <img src=x>", "eve@alpha.example").await;
    assert_eq!(subject, "<b>ALPHA Fence Co</b> quote {link}");
    assert!(body.starts_with("<script>alert(1)</script> Dear Eve {link} <img src=x>,\nyour link: http://alpha.localhost:"), "{body}");
    assert!(body.ends_with("\n{customer_name}"), "{body}");
    assert_eq!(
        body.matches("/q/").count(),
        1,
        "the customer's {{link}} stayed text"
    );

    // Bravo's wording never reaches Alpha's customers, nor the reverse.
    save(
        &app,
        &b,
        "quote_sent",
        form("BRAVO SAYS {total}", "Bravo: {link}"),
    )
    .await
    .unwrap();
    let (subject, _) = quote_email(&app, &a, "Ann", "ann@alpha.example").await;
    assert!(subject.starts_with("<b>ALPHA"), "{subject}");
    let (subject, body) = quote_email(&app, &b, "Bob", "bob@bravo.example").await;
    assert!(subject.starts_with("BRAVO SAYS $"), "{subject}");
    assert!(
        body.contains("http://bravo.localhost:") && !body.contains("alpha"),
        "{body}"
    );
    let (list, allowed) = app.as_owner(&b, ListTemplates {}).await.unwrap();
    assert!(allowed);
    let quote = list
        .iter()
        .find(|t| t.kind == TemplateKind::QuoteSent)
        .unwrap();
    assert!(quote.custom && quote.subject == "BRAVO SAYS {total}");
    assert!(list.iter().filter(|t| t.custom).count() == 1);

    // Reset: back to the default wording.
    app.as_owner(
        &a,
        ResetTemplate {
            kind: "quote_sent".into(),
        },
    )
    .await
    .unwrap();
    let (subject, _) = quote_email(&app, &a, "Cy", "cy@alpha.example").await;
    assert_eq!(subject, "Your quote from ALPHA Fence Co");

    // Only owners and admins word the emails.
    let crew = app.join(&a, "crew@alpha.example", "crew").await;
    let e = app
        .call_fn(&crew, Some("alpha"), ListTemplates {})
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
    let e = app
        .call_fn(
            &crew,
            Some("alpha"),
            SaveTemplate {
                kind: "quote_sent".into(),
                form: form("x", "{link}"),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
    // Bravo's template rows are invisible to Alpha's database session.
    let mut tx = fence::server::TenantTx::begin(&app.state.pool, a.org_id)
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar("select count(*) from email_templates")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(n, 0, "alpha reset its own; bravo's is not visible");
    drop(tx);
}

/// Every page the tenant's team and homeowners open, as served.
async fn pages(
    app: &TestApp,
    t: &Tenant,
    quote_token: &str,
    reminder: Uuid,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for path in [
        "/",
        "/customers",
        "/customers/new",
        "/quotes",
        "/jobs",
        "/schedule",
        "/settings",
        "/settings/team",
        "/settings/emails",
        "/settings/billing",
        "/no-such-page",
    ] {
        let r = app.get(&t.client, Some(&t.sub), path).await;
        out.push((path.to_string(), r.text().await.unwrap()));
    }
    let anon = app.client();
    for path in [
        "/login".to_string(),
        "/forgot-password".to_string(),
        format!("/q/{quote_token}"),
        format!("/reminders/{reminder}"),
        "/q/not-a-token".to_string(),
    ] {
        let r = app.get(&anon, Some(&t.sub), &path).await;
        out.push((path, r.text().await.unwrap()));
    }
    out
}

#[tokio::test]
async fn a_white_labelled_tenant_shows_no_platform_name_anywhere() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "enterprise").await;
    let g = app.signup("golf", "growth").await;
    let platform = app.state.config.platform.name.to_lowercase();
    // Growth cannot hide the platform.
    let e = app
        .as_owner(&g, SetWhiteLabel { hide: true })
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Limit(_)), "{e:?}");

    let customer = app.customer(&a, "Dana Reyes", "dana@alpha.example").await;
    let property = property(&app, &a, customer, "TX").await;
    app.as_owner(
        &a,
        fence::api::properties::SaveDrawing {
            id: property,
            drawing: SQUARE.into(),
            lat: None,
            lon: None,
        },
    )
    .await
    .unwrap();
    let quote = app
        .as_owner(
            &a,
            fence::api::quotes::CreateQuote {
                property_id: property,
            },
        )
        .await
        .unwrap();
    let token = send_link(&app, &a, &quote.to_string()).await;
    let reminder: Uuid = sqlx::query_scalar("select reminder_token from customers where id = $1")
        .bind(customer)
        .fetch_one(&app.owner)
        .await
        .unwrap();

    // Before: the platform is named (the check can fail).
    let before = pages(&app, &a, &token, reminder).await;
    assert!(
        before
            .iter()
            .any(|(_, html)| html.to_lowercase().contains(&platform)),
        "the platform's name shows before white-labelling"
    );

    app.as_owner(&a, SetWhiteLabel { hide: true })
        .await
        .unwrap();
    for (path, html) in pages(&app, &a, &token, reminder).await {
        assert!(
            !html.to_lowercase().contains(&platform),
            "{path} names the platform: …{}…",
            {
                let l = html.to_lowercase();
                let i = l.find(&platform).unwrap();
                html[i.saturating_sub(80)..(i + 40).min(html.len())].to_string()
            }
        );
    }
    // The homeowner's reminder page works without the platform too.
    let c = app
        .call_fn(
            &app.client(),
            Some("alpha"),
            ReminderLink {
                token: reminder.to_string(),
            },
        )
        .await
        .unwrap();
    assert_eq!(c.company_name, "ALPHA Fence Co");

    // Emails to the team and to homeowners: no platform name either.
    app.as_owner(
        &a,
        InviteMember {
            email: "new@alpha.example".into(),
            role: "crew".into(),
            wizard: None,
        },
    )
    .await
    .unwrap();
    app.call_fn(
        &app.client(),
        Some("alpha"),
        fence::api::auth::RequestPasswordReset {
            email: a.email.clone(),
        },
    )
    .await
    .unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as("select subject, body from outbox o join organizations g on g.id = o.org_id where g.subdomain = 'alpha'")
        .fetch_all(&app.owner)
        .await
        .unwrap();
    assert!(rows.len() >= 3);
    for (subject, body) in rows {
        assert!(!subject.to_lowercase().contains(&platform), "{subject}");
        assert!(!body.to_lowercase().contains(&platform), "{body}");
    }

    // The icon: none of the platform's; the tenant's own once uploaded
    // (PNG only, and only for this tenant).
    let r = app.get(&a.client, Some("alpha"), "/brand/favicon").await;
    assert_eq!(r.status(), 204);
    let r = app.get(&g.client, Some("golf"), "/brand/favicon").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    let png = {
        let mut buf = std::io::Cursor::new(Vec::new());
        image::RgbaImage::from_pixel(32, 32, image::Rgba([10, 125, 56, 255]))
            .write_to(&mut buf, image::ImageFormat::Png)
            .unwrap();
        buf.into_inner()
    };
    let upload = |c: &reqwest::Client, sub: &str, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new().part(
            "favicon",
            reqwest::multipart::Part::bytes(bytes).file_name("icon.png"),
        );
        c.post(app.url(Some(sub), "/settings/favicon"))
            .header("origin", app.origin(Some(sub)))
            .multipart(form)
            .send()
    };
    let r = upload(&a.client, "alpha", b"<svg onload=alert(1)>".to_vec())
        .await
        .unwrap();
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .contains("favicon_error=That%20file%20is%20not%20a%20PNG"));
    let r = upload(&g.client, "golf", png.clone()).await.unwrap();
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .contains("favicon_error="),
        "Growth has no white-label"
    );
    let r = upload(&a.client, "alpha", png.clone()).await.unwrap();
    assert_eq!(r.headers()["location"], "/settings");
    let r = app
        .get(&app.client(), Some("alpha"), "/brand/favicon")
        .await;
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().to_vec(), png);
    let r = app.get(&app.client(), Some("golf"), "/brand/favicon").await;
    assert_eq!(
        r.headers()["content-type"],
        "image/svg+xml",
        "golf keeps the platform's"
    );
}
