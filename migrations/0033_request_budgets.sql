-- Per-plan request budgets (issue 14): each tenant may make so many requests
-- a minute by plan. Every app instance counts its own requests in memory and
-- adds them here several times a second, reading back the tenant's total,
-- so the budget is shared by all instances and survives a restart.
create table platform.request_counts (
  org_id uuid not null references public.organizations (id) on delete cascade,
  window_start timestamptz not null,
  n bigint not null check (n >= 0),
  primary key (org_id, window_start)
);
create index request_counts_window_idx on platform.request_counts (window_start);
-- A tenant table like any other (RLS forced, tenant policies); the
-- application role has no privilege on it: it adds counts, for many tenants
-- at once, only through the function below, which answers with numbers.
select platform.enable_tenant_rls('platform.request_counts');

-- Adds an instance's counts for one window and returns each tenant's total.
create function platform.add_request_counts(p_window timestamptz, p_orgs uuid[], p_ns bigint[])
returns table (org_id uuid, n bigint)
language sql security definer set search_path = pg_catalog, public as $$
  insert into platform.request_counts as r (org_id, window_start, n)
  select u.o, p_window, u.c
    from unnest(p_orgs, p_ns) as u(o, c)
    join public.organizations g on g.id = u.o
   where u.c > 0
  on conflict (org_id, window_start) do update set n = r.n + excluded.n
  returning r.org_id, r.n
$$;
revoke all on function platform.add_request_counts(timestamptz, uuid[], bigint[]) from public;
grant execute on function platform.add_request_counts(timestamptz, uuid[], bigint[]) to fence_app;

-- Drops the counts of windows that ended over ten minutes ago.
create function platform.prune_request_counts()
returns bigint
language sql security definer set search_path = pg_catalog, public as $$
  with gone as (
    delete from platform.request_counts where window_start < now() - interval '11 minutes'
    returning 1
  )
  select count(*) from gone
$$;
revoke all on function platform.prune_request_counts() from public;
grant execute on function platform.prune_request_counts() to fence_app;

-- Host lookup also says the tenant's plan (its request budget).
drop function platform.tenant_for_host(text, text);
create function platform.tenant_for_host(p_subdomain text, p_custom_domain text)
returns table (id uuid, status text, trial_ends_at timestamptz, past_due_since timestamptz,
               subscribed boolean, comped boolean, plan text)
language sql stable security definer set search_path = pg_catalog, public as $$
  select o.id, o.status, o.trial_ends_at, o.past_due_since,
         o.stripe_subscription_id is not null, o.comped, o.plan
    from public.organizations o
   where p_subdomain is not null and o.subdomain = p_subdomain
  union all
  select o.id, o.status, o.trial_ends_at, o.past_due_since,
         o.stripe_subscription_id is not null, o.comped, o.plan
    from public.organizations o
   where p_custom_domain is not null and o.custom_domain = p_custom_domain
     and o.custom_domain_verified
  limit 1
$$;
revoke all on function platform.tenant_for_host(text, text) from public;
grant execute on function platform.tenant_for_host(text, text) to fence_app;
