//! Every server function and route, called by tenant A with tenant B's ids,
//! and tenant A's session carried to tenant B's host. Each attack is paired
//! with the same call on A's own data, which must succeed.

use fence::api::admin::{AdminListTenants, AdminSetSuspended};
use fence::api::auth::{
    AcceptInvitation, GetInvitation, Login, RequestPasswordReset, ResetPassword, ResetTokenValid,
};
use fence::api::customers::{
    CreateCustomer, GetCustomer, ListCustomers, SetCustomerArchived, UpdateCustomer,
};
use fence::api::settings::{
    GetSettings, SkipOnboardingStep, UpdateBrandColor, UpdateCompany, UpdatePricing,
};
use fence::api::shell::GetDashboard;
use fence::api::signup::Signup;
use fence::api::team::{
    ChangeRole, GetTeam, InviteMember, RemoveMember, ResendInvitation, RevokeInvitation,
};
use fence::error::AppError;
use fence::model::CompanyForm;
use uuid::Uuid;

use crate::helpers::{
    customer_form, customer_input, link_in, signup_input, Tenant, TestApp, PASSWORD,
};

fn login(t: &Tenant) -> Login {
    Login {
        email: t.email.clone(),
        password: PASSWORD.into(),
        next: None,
    }
}

fn list(q: &str, archived: bool) -> ListCustomers {
    ListCustomers {
        q: q.into(),
        page: 1,
        archived,
    }
}

struct World {
    app: TestApp,
    a: Tenant,
    b: Tenant,
    a_customer: Uuid,
    b_customer: Uuid,
    a_member: Uuid,
    b_member: Uuid,
    a_invite: Uuid,
    b_invite: Uuid,
}

/// Invites and signs up a crew member, returning their user id.
async fn member(app: &TestApp, t: &Tenant, email: &str) -> Uuid {
    app.join(t, email, "crew").await;
    sqlx::query_scalar("select id from users where org_id = $1 and email = $2")
        .bind(t.org_id)
        .bind(email)
        .fetch_one(&app.owner)
        .await
        .unwrap()
}

async fn invitation(app: &TestApp, t: &Tenant, email: &str) -> Uuid {
    app.as_owner(
        t,
        InviteMember {
            email: email.into(),
            role: "viewer".into(),
            wizard: None,
        },
    )
    .await
    .unwrap();
    sqlx::query_scalar("select id from invitations where org_id = $1 and email = $2")
        .bind(t.org_id)
        .bind(email)
        .fetch_one(&app.owner)
        .await
        .unwrap()
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "enterprise").await;
    let b = app.signup("bravo", "enterprise").await;
    let a_customer = app.customer(&a, "Alice Alpha", "alice@home.example").await;
    let b_customer = app.customer(&b, "Bob Bravo", "bob@home.example").await;
    let a_member = member(&app, &a, "crew@alpha.example").await;
    let b_member = member(&app, &b, "crew@bravo.example").await;
    let a_invite = invitation(&app, &a, "later@alpha.example").await;
    let b_invite = invitation(&app, &b, "later@bravo.example").await;
    World {
        app,
        a,
        b,
        a_customer,
        b_customer,
        a_member,
        b_member,
        a_invite,
        b_invite,
    }
}

async fn b_customer_name(w: &World) -> (String, bool) {
    sqlx::query_as("select name, archived_at is not null from customers where id = $1")
        .bind(w.b_customer)
        .fetch_one(&w.app.owner)
        .await
        .unwrap()
}

#[tokio::test]
async fn reading_a_foreign_customer_is_not_found() {
    let w = world().await;
    let r = w.app.as_owner(&w.a, GetCustomer { id: w.b_customer }).await;
    assert_eq!(r, Err(AppError::NotFound));
    let c = w
        .app
        .as_owner(&w.a, GetCustomer { id: w.a_customer })
        .await
        .expect("control");
    assert_eq!(c.name, "Alice Alpha");
    w.app.cleanup().await;
}

#[tokio::test]
async fn updating_a_foreign_customer_changes_nothing() {
    let w = world().await;
    let update = |id: Uuid| UpdateCustomer {
        id,
        form: customer_input("Hijacked", ""),
    };
    let r = w.app.as_owner(&w.a, update(w.b_customer)).await;
    assert_eq!(r, Err(AppError::NotFound));
    assert_eq!(b_customer_name(&w).await.0, "Bob Bravo");
    w.app
        .as_owner(&w.a, update(w.a_customer))
        .await
        .expect("control");
    w.app.cleanup().await;
}

#[tokio::test]
async fn archiving_or_restoring_a_foreign_customer_changes_nothing() {
    let w = world().await;
    for archived in [true, false] {
        let r = w
            .app
            .as_owner(
                &w.a,
                SetCustomerArchived {
                    id: w.b_customer,
                    archived,
                },
            )
            .await;
        assert_eq!(r, Err(AppError::NotFound), "archived={archived}");
        assert!(!b_customer_name(&w).await.1);
        w.app
            .as_owner(
                &w.a,
                SetCustomerArchived {
                    id: w.a_customer,
                    archived,
                },
            )
            .await
            .unwrap_or_else(|e| panic!("control archived={archived}: {e:?}"));
    }
    w.app.cleanup().await;
}

#[tokio::test]
async fn the_customer_list_and_search_never_show_foreign_rows() {
    let w = world().await;
    for q in ["", "Bob", "bravo", "bob@home.example", "%", "_"] {
        for archived in [false, true] {
            let page = w.app.as_owner(&w.a, list(q, archived)).await.unwrap();
            assert!(
                page.rows
                    .iter()
                    .all(|c| c.id != w.b_customer && c.name != "Bob Bravo"),
                "q={q}: {page:?}"
            );
        }
    }
    let page = w.app.as_owner(&w.a, list("Alice", false)).await.unwrap();
    assert!(page.rows.iter().any(|c| c.name == "Alice Alpha"), "control");
    w.app.cleanup().await;
}

#[tokio::test]
async fn duplicate_detection_does_not_reveal_other_tenants_customers() {
    let w = world().await;
    let create = |name: &str, email: &str| CreateCustomer {
        form: customer_input(name, email),
        wizard: None,
    };
    // B already has bob@home.example; A may use it, and learns nothing.
    w.app
        .as_owner(&w.a, create("Another Bob", "bob@home.example"))
        .await
        .unwrap();
    // Control: within A the same address is a duplicate.
    let e = w
        .app
        .as_owner(&w.a, create("Alice Again", "alice@home.example"))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Validation(_)), "{e:?}");
    assert!(e
        .fields()
        .unwrap()
        .get("email")
        .unwrap()
        .contains("Alice Alpha"));
    w.app.cleanup().await;
}

#[tokio::test]
async fn customer_pages_for_foreign_ids_are_not_found() {
    let w = world().await;
    for path in [
        format!("/customers/{}", w.b_customer),
        format!("/customers/{}/edit", w.b_customer),
    ] {
        let r = w.app.get(&w.a.client, Some(&w.a.sub), &path).await;
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_eq!(status, 404, "{path}");
        assert!(!body.contains("Bob Bravo"), "{path}");
    }
    let r = w
        .app
        .get(
            &w.a.client,
            Some(&w.a.sub),
            &format!("/customers/{}", w.a_customer),
        )
        .await;
    assert_eq!(r.status(), 200, "control");
    assert!(r.text().await.unwrap().contains("Alice Alpha"));
    w.app.cleanup().await;
}

#[tokio::test]
async fn changing_the_role_of_a_foreign_user_is_not_found() {
    let w = world().await;
    let r = w
        .app
        .as_owner(
            &w.a,
            ChangeRole {
                user_id: w.b_member,
                role: "admin".into(),
            },
        )
        .await;
    assert_eq!(r, Err(AppError::NotFound));
    let role: String = sqlx::query_scalar("select role from users where id = $1")
        .bind(w.b_member)
        .fetch_one(&w.app.owner)
        .await
        .unwrap();
    assert_eq!(role, "crew");
    w.app
        .as_owner(
            &w.a,
            ChangeRole {
                user_id: w.a_member,
                role: "dispatcher".into(),
            },
        )
        .await
        .expect("control");
    w.app.cleanup().await;
}

#[tokio::test]
async fn removing_a_foreign_user_is_not_found() {
    let w = world().await;
    let r = w
        .app
        .as_owner(
            &w.a,
            RemoveMember {
                user_id: w.b_member,
            },
        )
        .await;
    assert_eq!(r, Err(AppError::NotFound));
    let r = w
        .app
        .as_owner(
            &w.a,
            RemoveMember {
                user_id: w.b.owner_id,
            },
        )
        .await;
    assert_eq!(r, Err(AppError::NotFound), "B's owner");
    let n: i64 = sqlx::query_scalar("select count(*) from users where org_id = $1")
        .bind(w.b.org_id)
        .fetch_one(&w.app.owner)
        .await
        .unwrap();
    assert_eq!(n, 2);
    w.app
        .as_owner(
            &w.a,
            RemoveMember {
                user_id: w.a_member,
            },
        )
        .await
        .expect("control");
    w.app.cleanup().await;
}

#[tokio::test]
async fn resending_or_withdrawing_a_foreign_invitation_is_not_found() {
    let w = world().await;
    let r = w
        .app
        .as_owner(&w.a, ResendInvitation { id: w.b_invite })
        .await;
    assert_eq!(r, Err(AppError::NotFound), "resend");
    let r = w
        .app
        .as_owner(&w.a, RevokeInvitation { id: w.b_invite })
        .await;
    assert_eq!(r, Err(AppError::NotFound), "revoke");
    let open: i64 = sqlx::query_scalar(
        "select count(*) from invitations where id = $1 and accepted_at is null",
    )
    .bind(w.b_invite)
    .fetch_one(&w.app.owner)
    .await
    .unwrap();
    assert_eq!(open, 1);
    w.app
        .as_owner(&w.a, ResendInvitation { id: w.a_invite })
        .await
        .expect("control resend");
    w.app.cleanup().await;
}

#[tokio::test]
async fn the_team_page_lists_only_the_tenants_own_people() {
    let w = world().await;
    let team = w.app.as_owner(&w.a, GetTeam {}).await.unwrap();
    let emails: Vec<&str> = team
        .members
        .iter()
        .map(|m| m.email.as_str())
        .chain(team.invitations.iter().map(|i| i.email.as_str()))
        .collect();
    assert!(
        emails.contains(&"crew@alpha.example") && emails.contains(&"later@alpha.example"),
        "control: {emails:?}"
    );
    assert!(
        team.members
            .iter()
            .all(|m| m.id != w.b_member && m.id != w.b.owner_id)
            && team.invitations.iter().all(|i| i.id != w.b_invite)
            && emails.iter().all(|e| !e.contains("bravo")),
        "{team:?}"
    );
    w.app.cleanup().await;
}

#[tokio::test]
async fn an_invitation_token_works_only_on_its_own_tenants_host() {
    let w = world().await;
    w.app
        .as_owner(&w.b, ResendInvitation { id: w.b_invite })
        .await
        .unwrap();
    let link = link_in(
        &w.app.last_email("later@bravo.example").await.unwrap(),
        "http://",
    );
    let token = link.rsplit('/').next().unwrap().to_string();
    let c = w.app.client();
    let invitation = || GetInvitation {
        token: token.clone(),
    };
    let r = w.app.call_fn(&c, Some(&w.a.sub), invitation()).await;
    assert_eq!(r, Err(AppError::NotFound), "B's token on A's host");
    let r = w
        .app
        .get(&c, Some(&w.a.sub), &format!("/invite/{token}"))
        .await;
    assert!(
        !r.text().await.unwrap().contains("BRAVO"),
        "the page shows nothing of B"
    );
    let r = w
        .app
        .call_fn(
            &c,
            Some(&w.a.sub),
            AcceptInvitation {
                token: token.clone(),
                name: "Mallory".into(),
                password: PASSWORD.into(),
                confirm: PASSWORD.into(),
            },
        )
        .await;
    assert!(matches!(r, Err(AppError::Validation(_))), "{r:?}");
    let n: i64 =
        sqlx::query_scalar("select count(*) from users where email = 'later@bravo.example'")
            .fetch_one(&w.app.owner)
            .await
            .unwrap();
    assert_eq!(n, 0, "no user created anywhere");
    let info = w
        .app
        .call_fn(&c, Some(&w.b.sub), invitation())
        .await
        .expect("control: on B's host");
    assert_eq!(info.email, "later@bravo.example");
    w.app.cleanup().await;
}

#[tokio::test]
async fn a_password_reset_token_works_only_on_its_own_tenants_host() {
    let w = world().await;
    let c = w.app.client();
    w.app
        .call_fn(
            &c,
            Some(&w.b.sub),
            RequestPasswordReset {
                email: w.b.email.clone(),
            },
        )
        .await
        .unwrap();
    let link = link_in(&w.app.last_email(&w.b.email).await.unwrap(), "http://");
    let token = link.split("token=").nth(1).unwrap().to_string();
    let valid = || ResetTokenValid {
        token: token.clone(),
    };
    let r = w.app.call_fn(&c, Some(&w.a.sub), valid()).await;
    assert_eq!(r, Ok(false));
    let r = w
        .app
        .call_fn(
            &c,
            Some(&w.a.sub),
            ResetPassword {
                token: token.clone(),
                password: "hijacked password!".into(),
                confirm: "hijacked password!".into(),
            },
        )
        .await;
    assert!(matches!(r, Err(AppError::Validation(_))), "{r:?}");
    let r = w.app.call_fn(&c, Some(&w.b.sub), valid()).await;
    assert_eq!(r, Ok(true), "control: still live on B's host");
    w.app.cleanup().await;
}

#[tokio::test]
async fn a_signup_hand_off_token_works_only_on_its_own_host() {
    let w = world().await;
    let c = w.app.client();
    let handoff = w
        .app
        .call_fn(
            &c,
            None,
            Signup {
                form: signup_input("Charlie", "charlie", "c@charlie.example", "starter"),
            },
        )
        .await
        .unwrap();
    let stolen = handoff.replace("charlie.", "alpha.");
    let r = c.get(&stolen).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/login?expired=1");
    let r = w.app.get(&c, Some("alpha"), "/customers").await;
    assert_eq!(r.status(), 303, "not logged in on alpha");
    let r = c.get(&handoff).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/onboarding", "control");
    w.app.cleanup().await;
}

#[tokio::test]
async fn tenant_bs_credentials_do_not_log_in_on_tenant_as_host() {
    let w = world().await;
    let c = w.app.client();
    let r = w.app.call_fn(&c, Some(&w.a.sub), login(&w.b)).await;
    assert!(matches!(r, Err(AppError::Validation(_))), "{r:?}");
    w.app
        .call_fn(&c, Some(&w.b.sub), login(&w.b))
        .await
        .expect("control");
    w.app.cleanup().await;
}

#[tokio::test]
async fn a_reset_request_for_a_foreign_email_sends_nothing() {
    let w = world().await;
    let c = w.app.client();
    let before: i64 = sqlx::query_scalar("select count(*) from outbox")
        .fetch_one(&w.app.owner)
        .await
        .unwrap();
    w.app
        .call_fn(
            &c,
            Some(&w.a.sub),
            RequestPasswordReset {
                email: w.b.email.clone(),
            },
        )
        .await
        .expect("same answer as for a member");
    let after: i64 = sqlx::query_scalar("select count(*) from outbox")
        .fetch_one(&w.app.owner)
        .await
        .unwrap();
    assert_eq!(before, after);
    w.app.cleanup().await;
}

#[tokio::test]
async fn settings_reads_and_writes_stay_in_the_tenant() {
    let w = world().await;
    let s = w.app.as_owner(&w.a, GetSettings {}).await.unwrap();
    assert_eq!(
        (s.company_name.as_str(), s.subdomain.as_str()),
        ("ALPHA Fence Co", "alpha")
    );
    assert!(!s.workspace_url.contains("bravo"), "{s:?}");
    w.app
        .as_owner(
            &w.a,
            UpdateCompany {
                form: CompanyForm {
                    company_name: "Alpha Renamed".into(),
                    support_email: String::new(),
                    phone: String::new(),
                    time_zone: "America/Denver".into(),
                },
                wizard: None,
            },
        )
        .await
        .unwrap();
    w.app
        .as_owner(
            &w.a,
            UpdateBrandColor {
                brand_color: "#aa0000".into(),
                wizard: None,
            },
        )
        .await
        .unwrap();
    w.app
        .as_owner(
            &w.a,
            UpdatePricing {
                home_state: "CA".into(),
                custom_markup: "1.2".into(),
                wizard: None,
            },
        )
        .await
        .unwrap();
    let (name, color, state, zone): (String, String, Option<String>, Option<String>) =
        sqlx::query_as(
            "select company_name, brand_color, home_state::text, time_zone from organizations where id = $1",
        )
        .bind(w.b.org_id)
        .fetch_one(&w.app.owner)
        .await
        .unwrap();
    assert_eq!(
        (name.as_str(), color.as_str(), state, zone),
        ("BRAVO Fence Co", "#1f6f5c", None, None)
    );
    let b = w.app.as_owner(&w.b, GetSettings {}).await.unwrap();
    assert_eq!(b.time_zone, "America/New_York", "bravo keeps its own zone");
    w.app.cleanup().await;
}

#[tokio::test]
async fn a_logo_is_served_only_on_its_own_tenants_host() {
    let w = world().await;
    let png = b"\x89PNG\r\n\x1a\nfake-but-sniffable".to_vec();
    let form = reqwest::multipart::Form::new().part(
        "logo",
        reqwest::multipart::Part::bytes(png.clone()).file_name("l.png"),
    );
    let r =
        w.a.client
            .post(w.app.url(Some("alpha"), "/settings/logo"))
            .header("origin", w.app.origin(Some("alpha")))
            .multipart(form)
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/settings");
    let r = w.app.get(&w.b.client, Some("bravo"), "/brand/logo").await;
    assert_eq!(r.status(), 404, "B has no logo; A's is not served there");
    let r = w.app.get(&w.a.client, Some("alpha"), "/brand/logo").await;
    assert_eq!(r.status(), 200, "control");
    assert_eq!(r.bytes().await.unwrap().to_vec(), png);
    w.app.cleanup().await;
}

#[tokio::test]
async fn the_dashboard_and_onboarding_are_per_tenant() {
    let w = world().await;
    w.app
        .as_owner(
            &w.a,
            SkipOnboardingStep {
                step: "branding".into(),
            },
        )
        .await
        .unwrap();
    let a = w.app.as_owner(&w.a, GetDashboard {}).await.unwrap();
    let b = w.app.as_owner(&w.b, GetDashboard {}).await.unwrap();
    assert_eq!(a.customers, 1);
    assert_eq!(b.customers, 1);
    assert_eq!(a.onboarding.state("branding"), "skipped");
    assert!(
        b.onboarding.steps.iter().all(|(_, st)| st != "skipped"),
        "B's wizard untouched: {:?}",
        b.onboarding
    );
    assert!(
        a.recent
            .iter()
            .all(|c| c.id != w.b_customer && c.name != "Bob Bravo"),
        "{a:?}"
    );
    w.app.cleanup().await;
}

#[tokio::test]
async fn tenant_as_session_is_worthless_on_tenant_bs_host() {
    let w = world().await;
    // Replay A's session cookie against B's host by hand (a browser would
    // never send it: the cookie is host-only).
    let r = w.app.get(&w.a.client, Some("alpha"), "/customers").await;
    assert_eq!(r.status(), 200, "control: A's session works on A's host");
    let a_cookie = cookie_of(&w).await;
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = raw
        .get(format!("http://127.0.0.1:{}/customers", w.app.port))
        .header("host", w.app.host(Some("bravo")))
        .header("cookie", &a_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "redirected to B's login");
    let r = raw
        .post(format!(
            "http://127.0.0.1:{}/api/customers/list",
            w.app.port
        ))
        .header("host", w.app.host(Some("bravo")))
        .header("origin", w.app.origin(Some("bravo")))
        .header("cookie", &a_cookie)
        .form(&[("q", ""), ("page", "1"), ("archived", "false")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = raw
        .post(format!(
            "http://127.0.0.1:{}/api/customers/create",
            w.app.port
        ))
        .header("host", w.app.host(Some("bravo")))
        .header("origin", w.app.origin(Some("bravo")))
        .header("cookie", &a_cookie)
        .form(&customer_form("Planted", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // On the platform domain it is not an admin session either.
    let r = raw
        .post(format!("http://127.0.0.1:{}/api/admin/tenants", w.app.port))
        .header("host", w.app.host(None))
        .header("origin", w.app.origin(None))
        .header("cookie", &a_cookie)
        .form(&[("q", ""), ("page", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Control: the same raw request with A's host works.
    let r = raw
        .get(format!("http://127.0.0.1:{}/customers", w.app.port))
        .header("host", w.app.host(Some("alpha")))
        .header("cookie", &a_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    w.app.cleanup().await;
}

/// A tenant owner's session cookie, as a `Cookie` header value.
async fn cookie_of(w: &World) -> String {
    use reqwest::cookie::CookieStore;
    // Log in again with a jar we can read.
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let c = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .dns_resolver(std::sync::Arc::new(crate::helpers::Loopback))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    w.app
        .call_fn(&c, Some(&w.a.sub), login(&w.a))
        .await
        .unwrap();
    let url = reqwest::Url::parse(&w.app.url(Some(&w.a.sub), "/")).unwrap();
    jar.cookies(&url).unwrap().to_str().unwrap().to_string()
}

#[tokio::test]
async fn platform_admin_functions_refuse_tenant_users() {
    let w = world().await;
    let r = w
        .app
        .as_owner(
            &w.a,
            AdminListTenants {
                q: String::new(),
                page: 1,
            },
        )
        .await;
    assert_eq!(r, Err(AppError::NotFound), "not on a tenant host");
    let r = w
        .app
        .as_owner(
            &w.a,
            AdminSetSuspended {
                id: w.b.org_id,
                suspended: true,
                reason: "probe".into(),
            },
        )
        .await;
    assert_eq!(r, Err(AppError::NotFound));
    let status: String = sqlx::query_scalar("select status from organizations where id = $1")
        .bind(w.b.org_id)
        .fetch_one(&w.app.owner)
        .await
        .unwrap();
    assert_eq!(status, "trialing");
    w.app.cleanup().await;
}
