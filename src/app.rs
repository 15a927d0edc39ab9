//! The application: HTML shell, routes, and the per-request page shell
//! (site, brand, viewer) that every page reads.

pub mod components;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy, LazyRoute, SsrMode};

use crate::api::shell::get_shell;
use crate::error::AppError;
use crate::model::{Shell, SiteKind};
use components::{ErrorBox, Header, NotFound};
use pages::*;

/// The HTML document around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The inline scripts carry the nonce the response's
    // Content-Security-Policy names (made by the security middleware).
    #[cfg(feature = "ssr")]
    crate::server::security::use_request_nonce();
    // The app's files are named under this build's own path, cached for
    // good by the browser (`server::split`).
    #[cfg(feature = "ssr")]
    let options = {
        let mut o = options;
        o.site_pkg_dir = crate::server::split::versioned_pkg_dir(&o.site_pkg_dir).into();
        o
    };
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/brand/favicon" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
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

/// The tenant's time zone, for showing times (read where the shell has
/// loaded: inside a `SiteGate`, or a loader that awaited it).
pub fn use_time_zone() -> String {
    use_context::<ShellResource>()
        .and_then(|r| {
            r.0.with_untracked(|s| match s {
                Some(Ok(Shell {
                    site: SiteKind::Tenant(b),
                    ..
                })) => Some(b.time_zone.clone()),
                _ => None,
            })
        })
        .unwrap_or_else(|| crate::model::time::DEFAULT_ZONE.to_string())
}

/// How the reader writes dates and times (their browser's language, from
/// the shell; read where the shell has loaded, like [`use_time_zone`]).
pub fn use_date_style() -> crate::model::time::DateStyle {
    use_context::<ShellResource>()
        .and_then(|r| {
            r.0.with_untracked(|s| match s {
                Some(Ok(shell)) => Some(shell.date_style),
                _ => None,
            })
        })
        .unwrap_or_default()
}

/// A minute of the day as the reader writes times ("8:25 PM", "20:25").
pub fn clock(minute: u32) -> String {
    use_date_style().clock(minute)
}

/// A stretch of the day as the reader writes times ("9:00 AM–11:30 AM").
pub fn span(start: u32, minutes: u32) -> String {
    use_date_style().span(start, minutes)
}

/// A calendar day as the reader writes it ("Dec 1, 2026", "1 Dec 2026").
pub fn show_date(d: chrono::NaiveDate) -> String {
    use_date_style().date(d)
}

/// A day of this season ("Dec 1", "1 Dec").
pub fn show_day(d: chrono::NaiveDate) -> String {
    use_date_style().day(d)
}

/// A day with its weekday ("Tue Dec 1", "Tue 1 Dec").
pub fn show_weekday(d: chrono::NaiveDate) -> String {
    use_date_style().weekday(d)
}

/// A day in full ("Tuesday, December 1, 2026", "Tuesday 1 December 2026").
pub fn show_long_date(d: chrono::NaiveDate) -> String {
    use_date_style().long_date(d)
}

/// "Dec 1, 2026" in the tenant's zone, as the reader writes dates.
pub fn local_date(at: chrono::DateTime<chrono::Utc>) -> String {
    use_date_style().local_date(at, &use_time_zone())
}

/// "Dec 1, 2026 at 8:25 AM CST" in the tenant's zone, as the reader writes it.
pub fn local_date_time(at: chrono::DateTime<chrono::Utc>) -> String {
    use_date_style().date_time(at, &use_time_zone())
}

/// "Dec 1, 8:25 AM" in the tenant's zone, as the reader writes it.
pub fn local_short(at: chrono::DateTime<chrono::Utc>) -> String {
    use_date_style().short_date_time(at, &use_time_zone())
}

/// The brand colour the app is painted with now (`--brand: #rrggbb`): the
/// saved one, or the one being previewed in Settings before it is saved.
#[derive(Clone, Copy)]
pub struct BrandPaint(pub RwSignal<Option<String>>);

/// Paints the app in `color` while it is being chosen (not yet saved).
pub fn preview_brand(color: &str) {
    if crate::model::brand_color(color).is_ok() {
        if let Some(BrandPaint(b)) = use_context::<BrandPaint>() {
            b.set(Some(format!("--brand: {color}")));
        }
    }
}

/// A function that paints the app back in its saved colour (for a preview
/// abandoned unsaved); call it where the context is at hand.
pub fn brand_restorer() -> impl Fn() + Clone + Send + Sync + 'static {
    shell_refresher()
}

/// The shell as fetched again after a change it shows (brand colour,
/// company name, who is signed in). Only the header and the brand colour
/// read it: pages gate on the first load, so a refresh never re-renders a
/// page (and never resets the form that caused it).
#[derive(Clone, Copy)]
pub struct FreshShell(pub RwSignal<Option<Shell>>);

pub fn refresh_shell() {
    shell_refresher()()
}

/// Fetches the shell again into [`FreshShell`] when called (the context is
/// looked up now, so the function also works from a cleanup).
fn shell_refresher() -> impl Fn() + Clone + Send + Sync + 'static {
    let fresh = use_context::<FreshShell>();
    move || {
        #[cfg(feature = "hydrate")]
        if let Some(FreshShell(f)) = fresh {
            leptos::task::spawn_local(async move {
                if let Ok(s) = get_shell().await {
                    f.set(Some(s));
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &fresh;
    }
}

/// A page's title: the page, then the site's name (the platform's, or a
/// white-labelled tenant's own).
fn title(page: &str, site: Option<&str>) -> String {
    match (page.is_empty(), site) {
        (true, Some(s)) => s.to_string(),
        (false, Some(s)) => format!("{page} · {s}"),
        (_, None) => page.to_string(),
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let fresh = RwSignal::new(None::<Shell>);
    provide_context(FreshShell(fresh));
    let shell = Resource::new(|| (), |_| get_shell());
    let current = move || fresh.get().or_else(|| shell.get().and_then(Result::ok));
    provide_context(ShellResource(shell));
    components::provide_outbox();
    let async_ssr = SsrMode::Async;
    // The tenant's colour (validated #rrggbb) as a CSS variable for the page.
    // Set from an effect (browser only): the server's first paint takes the
    // colour from the header's style element, and reading the resource here
    // directly would happen outside any Suspense during SSR.
    let brand = RwSignal::new(None::<String>);
    provide_context(BrandPaint(brand));
    // The site's name after each page title (the platform's, or a
    // white-labelled tenant's own): set from the same effect and held in a
    // plain cell, because the title formatter must read nothing reactive (a
    // resource read there breaks hydration; any arena read panics when the
    // head is rendered). The server's first paint has the page title alone.
    let site_name = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
    let set_site_name = site_name.clone();
    Effect::new(move |_| {
        let shell = current();
        if let Ok(mut n) = set_site_name.lock() {
            *n = shell.as_ref().map(|s| s.platform_name.clone());
        }
        brand.set(shell.and_then(|s| match s.site {
            SiteKind::Tenant(b) => Some(format!("--brand: {}", b.brand_color)),
            SiteKind::Platform => None,
        }))
    });

    view! {
        <Stylesheet id="leptos" href=stylesheet_href() />
        <Title formatter=move |t: String| {
            let name = site_name.lock().ok().and_then(|n| n.clone());
            title(&t, name.as_deref())
        } />
        <Router>
            <div class="app" style=move || brand.get()>
                <Transition fallback=|| ()>
                    {move || current().map(|s| view! { <Header shell=s /> })}
                </Transition>
                <components::OutboxBar />
                <main>
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=lazy(HomeRoute) ssr=async_ssr.clone() />
                        <Route
                            path=path!("/signup")
                            view=lazy(SignupPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route path=path!("/find") view=lazy(FindPageRoute) ssr=async_ssr.clone() />
                        <Route
                            path=path!("/admin")
                            view=lazy(AdminPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/admin/billing")
                            view=lazy(AdminBillingPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/admin/login")
                            view=lazy(AdminLoginPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/login")
                            view=lazy(LoginPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/forgot-password")
                            view=lazy(ForgotPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/reset-password")
                            view=lazy(ResetPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/invite/:token")
                            view=lazy(InvitePageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/onboarding")
                            view=lazy(OnboardingPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/customers")
                            view=lazy(CustomersPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/customers/new")
                            view=lazy(NewCustomerPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/customers/:id")
                            view=lazy(CustomerPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/customers/:id/edit")
                            view=lazy(EditCustomerPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/settings")
                            view=lazy(SettingsPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/settings/team")
                            view=lazy(TeamPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/customers/:id/properties/new")
                            view=lazy(NewPropertyPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/properties/:id")
                            view=lazy(PropertyPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/properties/:id/edit")
                            view=lazy(EditPropertyPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/quotes")
                            view=lazy(QuotesPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/quotes/:id")
                            view=lazy(QuotePageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/quotes/:id/print")
                            view=lazy(QuotePrintPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/q/:token")
                            view=lazy(QuoteLinkPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/reminders/:token")
                            view=lazy(RemindersPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route path=path!("/jobs") view=lazy(JobsPageRoute) ssr=async_ssr.clone() />
                        <Route
                            path=path!("/jobs/:id")
                            view=lazy(JobPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/schedule")
                            view=lazy(SchedulePageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/schedule/batteries")
                            view=lazy(BatteriesPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/schedule/route")
                            view=lazy(RouteSheetPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/crews")
                            view=lazy(CrewsPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/today")
                            view=lazy(TodayPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/settings/pricebook")
                            view=lazy(PriceBookPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/settings/emails")
                            view=lazy(EmailsPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/settings/data")
                            view=lazy(DataPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/settings/import")
                            view=lazy(ImportPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/settings/billing")
                            view=lazy(PlanPageRoute)
                            ssr=async_ssr.clone()
                        />
                        <Route
                            path=path!("/settings/plan")
                            view=lazy(PlanPageRoute)
                            ssr=async_ssr
                        />
                    </Routes>
                </main>
            </div>
        </Router>
    }
}

/// The stylesheet, named under this build's path (`server::split`); the
/// browser reads it back from the page the server sent.
fn stylesheet_href() -> String {
    #[cfg(feature = "ssr")]
    {
        format!(
            "/{}/fence.css",
            crate::server::split::versioned_pkg_dir("pkg")
        )
    }
    #[cfg(not(feature = "ssr"))]
    {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("leptos"))
            .and_then(|e| e.get_attribute("href"))
            .unwrap_or_else(|| "/pkg/fence.css".to_string())
    }
}

/// `Lazy::<R>::new()` for a route `R`, spelled `lazy(R)` so the markup
/// stays plain for leptosfmt (which drops the braces a turbofish needs).
fn lazy<R: LazyRoute>(_route: R) -> Lazy<R> {
    Lazy::new()
}

/// Every page is a lazy route: its code is split out of the main WASM
/// module (`cargo leptos build --split`) and fetched when the page is first
/// shown, so the first load carries only the shell, the router and the pages
/// at hand. Pages are split by journey, not one by one: every page of a
/// group lands in one WASM module (`wasm_split`'s module name), so a page
/// needs the main module, its group's module and the chunks of code its
/// group shares with others. Five groups make 43 chunks and 22-27 files a
/// page (four made 24 and 13-17, but the designer and the quote editor then
/// carried the schedule's code and missed the 2.5 s goal on a phone); one
/// split per page made 450 (85-267 files a page), eight groups 160 (53-95 a
/// page): on a phone's connection each file costs a share of a round trip.
/// On the server the view renders as usual (BENCHMARKS.md).
macro_rules! lazy_pages {
    ($($group:ident { $($route:ident => $page:ident),* $(,)? })*) => {$(
        #[doc = concat!("The pages split into the `", stringify!($group), "` WASM module.")]
        #[allow(non_snake_case)]
        mod $group {
            use super::*;

            /// The group's pages.
            #[allow(clippy::enum_variant_names)]
            #[derive(Clone, Copy)]
            #[repr(u8)]
            pub enum Page {
                $($route),*
            }

            /// A page of the group: the one split function of the group's
            /// module. (With one split function per page in the same module,
            /// every page failed to hydrate, as if the browser had called
            /// another of the module's functions; with one per module they
            /// all hydrate.)
            #[cfg_attr(
                feature = "hydrate",
                ::leptos::wasm_split::wasm_split(
                    $group,
                    wasm_split_path = ::leptos::wasm_split,
                    preload(#[doc(hidden)] preload)
                )
            )]
            pub fn view(page: Page) -> AnyView {
                match page {
                    $(Page::$route => view! { <$page/> }.into_any(),)*
                }
            }
        }

        $(
            #[doc = concat!("The lazy route for [`", stringify!($page), "`].")]
            pub struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    #[cfg(feature = "ssr")]
                    crate::server::split::preload_group(stringify!($group));
                    $route
                }

                async fn view(_this: Self) -> AnyView {
                    #[cfg(feature = "hydrate")]
                    {
                        $group::view($group::Page::$route).await
                    }
                    #[cfg(not(feature = "hydrate"))]
                    {
                        $group::view($group::Page::$route)
                    }
                }

                async fn preload() {
                    #[cfg(feature = "hydrate")]
                    $group::preload().await;
                }
            }
        )*
    )*};
}

lazy_pages! {
    // Before signing in, what a homeowner opens from a message, and the
    // dashboard the login leads to.
    fence_front {
        HomeRoute => Home,
        SignupPageRoute => SignupPage,
        FindPageRoute => FindPage,
        LoginPageRoute => LoginPage,
        ForgotPageRoute => ForgotPage,
        ResetPageRoute => ResetPage,
        InvitePageRoute => InvitePage,
        QuoteLinkPageRoute => QuoteLinkPage,
        RemindersPageRoute => RemindersPage,
    }
    // The day's work: customers, the quotes and jobs lists, a job, the
    // schedule and the crew's day.
    fence_work {
        CustomersPageRoute => CustomersPage,
        NewCustomerPageRoute => NewCustomerPage,
        CustomerPageRoute => CustomerPage,
        EditCustomerPageRoute => EditCustomerPage,
        QuotesPageRoute => QuotesPage,
        JobsPageRoute => JobsPage,
        JobPageRoute => JobPage,
        TodayPageRoute => TodayPage,
        SchedulePageRoute => SchedulePage,
        CrewsPageRoute => CrewsPage,
        RouteSheetPageRoute => RouteSheetPage,
        BatteriesPageRoute => BatteriesPage,
    }
    // The desk's drawing work: a property and its designer, the quote
    // editor and the printable quote (the largest pages, apart from the
    // lists and the schedule so neither fetches the other's code).
    fence_design {
        NewPropertyPageRoute => NewPropertyPage,
        PropertyPageRoute => PropertyPage,
        EditPropertyPageRoute => EditPropertyPage,
        QuotePageRoute => QuotePage,
        QuotePrintPageRoute => QuotePrintPage,
    }
    // Settings and the onboarding wizard.
    fence_settings {
        OnboardingPageRoute => OnboardingPage,
        SettingsPageRoute => SettingsPage,
        TeamPageRoute => TeamPage,
        PriceBookPageRoute => PriceBookPage,
        EmailsPageRoute => EmailsPage,
        PlanPageRoute => PlanPage,
        DataPageRoute => DataPage,
        ImportPageRoute => ImportPage,
    }
    // The platform's administration.
    fence_admin {
        AdminLoginPageRoute => AdminLoginPage,
        AdminPageRoute => AdminPage,
        AdminBillingPageRoute => AdminBillingPage,
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
                        let here = if matches!(s.site, SiteKind::Platform) {
                            On::Platform
                        } else {
                            On::Tenant
                        };
                        if here == on {
                            children.with_value(|c| c()).into_any()
                        } else {
                            view! { <NotFound /> }.into_any()
                        }
                    }
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
