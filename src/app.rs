//! The application: HTML shell, routes, and the per-request page shell
//! (site, brand, viewer) that every page reads.

pub mod components;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::api::shell::get_shell;
use crate::error::AppError;
use crate::model::{Shell, SiteKind};
use components::{ErrorBox, Header, NotFound};
use pages::*;

/// The HTML document around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/static/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The page shell for this request, loaded once and shared by all pages.
#[derive(Clone, Copy)]
pub struct ShellResource(pub Resource<Result<Shell, AppError>>);

pub fn use_shell() -> Resource<Result<Shell, AppError>> {
    expect_context::<ShellResource>().0
}

/// Bumped after a change that the shell shows (brand colour, company name).
#[derive(Clone, Copy)]
pub struct ShellVersion(pub RwSignal<u32>);

pub fn refresh_shell() {
    if let Some(v) = use_context::<ShellVersion>() {
        v.0.update(|n| *n += 1);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let version = RwSignal::new(0u32);
    provide_context(ShellVersion(version));
    let shell = Resource::new(move || version.get(), |_| get_shell());
    provide_context(ShellResource(shell));
    let async_ssr = SsrMode::Async;
    // The tenant's colour (validated #rrggbb) as a CSS variable for the page.
    // Set from an effect (browser only): the server's first paint takes the
    // colour from the header's style element, and reading the resource here
    // directly would happen outside any Suspense during SSR.
    let brand = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        brand.set(shell.get().and_then(Result::ok).and_then(|s| match s.site {
            SiteKind::Tenant(b) => Some(format!("--brand: {}", b.brand_color)),
            SiteKind::Platform => None,
        }))
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/fence.css"/>
        <Title formatter=|t: String| if t.is_empty() { "Fenceline".to_string() } else { format!("{t} · Fenceline") }/>
        <Router>
          <div class="app" style=move || brand.get()>
            <Transition fallback=|| ()>
                {move || shell.get().and_then(Result::ok).map(|s| view! { <Header shell=s/> })}
            </Transition>
            <main>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home ssr=async_ssr.clone()/>
                    <Route path=path!("/signup") view=SignupPage ssr=async_ssr.clone()/>
                    <Route path=path!("/find") view=FindPage ssr=async_ssr.clone()/>
                    <Route path=path!("/admin") view=AdminPage ssr=async_ssr.clone()/>
                    <Route path=path!("/admin/login") view=AdminLoginPage ssr=async_ssr.clone()/>
                    <Route path=path!("/login") view=LoginPage ssr=async_ssr.clone()/>
                    <Route path=path!("/forgot-password") view=ForgotPage ssr=async_ssr.clone()/>
                    <Route path=path!("/reset-password") view=ResetPage ssr=async_ssr.clone()/>
                    <Route path=path!("/invite/:token") view=InvitePage ssr=async_ssr.clone()/>
                    <Route path=path!("/onboarding") view=OnboardingPage ssr=async_ssr.clone()/>
                    <Route path=path!("/customers") view=CustomersPage ssr=async_ssr.clone()/>
                    <Route path=path!("/customers/new") view=NewCustomerPage ssr=async_ssr.clone()/>
                    <Route path=path!("/customers/:id") view=CustomerPage ssr=async_ssr.clone()/>
                    <Route path=path!("/customers/:id/edit") view=EditCustomerPage ssr=async_ssr.clone()/>
                    <Route path=path!("/settings") view=SettingsPage ssr=async_ssr.clone()/>
                    <Route path=path!("/settings/team") view=TeamPage ssr=async_ssr.clone()/>
                    <Route path=path!("/customers/:id/properties/new") view=NewPropertyPage ssr=async_ssr.clone()/>
                    <Route path=path!("/properties/:id") view=PropertyPage ssr=async_ssr.clone()/>
                    <Route path=path!("/properties/:id/edit") view=EditPropertyPage ssr=async_ssr.clone()/>
                    <Route path=path!("/quotes") view=QuotesPage ssr=async_ssr.clone()/>
                    <Route path=path!("/quotes/:id") view=QuotePage ssr=async_ssr.clone()/>
                    <Route path=path!("/quotes/:id/print") view=QuotePrintPage ssr=async_ssr.clone()/>
                    <Route path=path!("/q/:token") view=QuoteLinkPage ssr=async_ssr.clone()/>
                    <Route path=path!("/jobs") view=JobsPage ssr=async_ssr.clone()/>
                    <Route path=path!("/jobs/:id") view=JobPage ssr=async_ssr.clone()/>
                    <Route path=path!("/settings/pricebook") view=PriceBookPage ssr=async_ssr.clone()/>
                    <Route path=path!("/settings/plan") view=PlanPage ssr=async_ssr/>
                </Routes>
            </main>
          </div>
        </Router>
    }
}

/// Which site a page belongs on.
#[derive(Clone, Copy, PartialEq)]
pub enum On {
    Platform,
    Tenant,
}

/// Renders `children` only on the right kind of site (else a 404), with the
/// shell at hand.
#[component]
pub fn SiteGate(on: On, children: ChildrenFn) -> impl IntoView {
    let shell = use_shell();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=components::Loading>
            {move || Suspend::new(async move {
                match shell.await {
                    Ok(s) => {
                        let here = if matches!(s.site, SiteKind::Platform) { On::Platform } else { On::Tenant };
                        if here == on {
                            children.with_value(|c| c()).into_any()
                        } else {
                            view! { <NotFound/> }.into_any()
                        }
                    }
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
