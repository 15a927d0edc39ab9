-- Billing on Stripe (issue 11). The subscription's state lives on the
-- organization row, written only through platform.set_billing (the app role
-- may not update plan, limits or status itself); Stripe's events and
-- invoices are kept per tenant under row-level security.

alter table organizations
  add column addons jsonb not null default '{}',
  add column comped boolean not null default false,
  add column past_due_since timestamptz,
  add column cancel_at_period_end boolean not null default false,
  add column current_period_end timestamptz,
  add column next_amount_cents bigint,
  add column card_brand text check (char_length(card_brand) <= 40),
  add column card_last4 text check (card_last4 ~ '^[0-9]{4}$'),
  add column card_payment_method text,
  -- The Stripe event time of the newest subscription state applied: an
  -- older or late event never rolls the subscription back.
  add column billing_synced_at timestamptz,
  add column trial_reminder_sent_at timestamptz;
create unique index organizations_stripe_customer_key on organizations (stripe_customer_id);

-- Every Stripe event applied, stored in the same transaction as its effect:
-- the primary key makes each event's effect happen exactly once.
create table billing_events (
  org_id uuid not null references organizations(id) on delete cascade,
  event_id text primary key check (char_length(event_id) <= 255),
  type text not null check (char_length(type) <= 100),
  stripe_created timestamptz not null,
  received_at timestamptz not null default now(),
  summary text not null default '' check (char_length(summary) <= 500)
);
create index billing_events_org_idx on billing_events (org_id, stripe_created desc);
select platform.enable_tenant_rls('billing_events');
grant select, insert, update (summary) on billing_events to fence_app;

-- The tenant's invoices as Stripe reports them (the billing page lists them
-- with their PDF links). A paid or void invoice never goes back to open.
create table invoices (
  org_id uuid not null references organizations(id) on delete cascade,
  stripe_id text primary key check (char_length(stripe_id) <= 255),
  number text,
  status text not null check (status in ('draft', 'open', 'paid', 'uncollectible', 'void')),
  amount_due_cents bigint not null,
  amount_paid_cents bigint not null,
  currency text not null default 'usd',
  hosted_url text,
  pdf_url text,
  payment_failed boolean not null default false,
  period_start timestamptz,
  period_end timestamptz,
  stripe_created timestamptz not null,
  updated_at timestamptz not null default now()
);
create index invoices_org_idx on invoices (org_id, stripe_created desc);
select platform.enable_tenant_rls('invoices');
grant select, insert, update on invoices to fence_app;

-- Host lookup also says what the request layer needs to decide read-only.
drop function platform.tenant_for_host(text, text);
create function platform.tenant_for_host(p_subdomain text, p_custom_domain text)
returns table (id uuid, status text, trial_ends_at timestamptz, past_due_since timestamptz,
               subscribed boolean, comped boolean)
language sql stable security definer set search_path = pg_catalog, public as $$
  select o.id, o.status, o.trial_ends_at, o.past_due_since,
         o.stripe_subscription_id is not null, o.comped
    from public.organizations o
   where p_subdomain is not null and o.subdomain = p_subdomain
  union all
  select o.id, o.status, o.trial_ends_at, o.past_due_since,
         o.stripe_subscription_id is not null, o.comped
    from public.organizations o
   where p_custom_domain is not null and o.custom_domain = p_custom_domain
     and o.custom_domain_verified
  limit 1
$$;
revoke all on function platform.tenant_for_host(text, text) from public;
grant execute on function platform.tenant_for_host(text, text) to fence_app;

-- Stripe's customer id to the tenant it was made for (webhooks).
create function platform.org_for_stripe_customer(p_customer text)
returns uuid
language sql stable security definer set search_path = pg_catalog, public as $$
  select id from public.organizations where stripe_customer_id = p_customer
$$;
revoke all on function platform.org_for_stripe_customer(text) from public;
grant execute on function platform.org_for_stripe_customer(text) to fence_app;

-- The one writer of a tenant's billing state. The server computes the
-- state (plan, add-ons and the entitlements they give) and passes only the
-- keys that change; the caller's transaction must be scoped to the same
-- tenant, so a webhook matched to tenant A cannot write tenant B. Billing
-- never lifts a platform suspension.
create function platform.set_billing(p_org uuid, p_state jsonb)
returns void
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
  if p_org is null or current_setting('app.current_tenant', true) is distinct from p_org::text then
    raise exception 'billing may only change the tenant of the transaction' using errcode = '42501';
  end if;
  update public.organizations o set
    plan = case when p_state ? 'plan' then p_state->>'plan' else o.plan end,
    seats = case when p_state ? 'seats' then (p_state->>'seats')::int else o.seats end,
    monthly_jobs_limit = case when p_state ? 'monthly_jobs_limit'
                              then (p_state->>'monthly_jobs_limit')::int else o.monthly_jobs_limit end,
    storage_quota_mb = case when p_state ? 'storage_quota_mb'
                            then (p_state->>'storage_quota_mb')::int else o.storage_quota_mb end,
    features = case when p_state ? 'features' then p_state->'features' else o.features end,
    addons = case when p_state ? 'addons' then p_state->'addons' else o.addons end,
    status = case when o.status = 'suspended' or not (p_state ? 'status') then o.status
                  else p_state->>'status' end,
    status_changed_at = case when p_state ? 'status' and o.status <> 'suspended'
                                  and o.status is distinct from p_state->>'status'
                             then now() else o.status_changed_at end,
    stripe_customer_id = case when p_state ? 'stripe_customer_id'
                              then p_state->>'stripe_customer_id' else o.stripe_customer_id end,
    stripe_subscription_id = case when p_state ? 'stripe_subscription_id'
                                  then p_state->>'stripe_subscription_id' else o.stripe_subscription_id end,
    comped = case when p_state ? 'comped' then (p_state->>'comped')::boolean else o.comped end,
    trial_ends_at = case when p_state ? 'trial_ends_at'
                         then (p_state->>'trial_ends_at')::timestamptz else o.trial_ends_at end,
    past_due_since = case when p_state ? 'past_due_since'
                          then (p_state->>'past_due_since')::timestamptz else o.past_due_since end,
    cancel_at_period_end = case when p_state ? 'cancel_at_period_end'
                                then (p_state->>'cancel_at_period_end')::boolean else o.cancel_at_period_end end,
    current_period_end = case when p_state ? 'current_period_end'
                              then (p_state->>'current_period_end')::timestamptz else o.current_period_end end,
    next_billing_date = case when p_state ? 'current_period_end'
                             then ((p_state->>'current_period_end')::timestamptz)::date else o.next_billing_date end,
    next_amount_cents = case when p_state ? 'next_amount_cents'
                             then (p_state->>'next_amount_cents')::bigint else o.next_amount_cents end,
    card_brand = case when p_state ? 'card_brand' then p_state->>'card_brand' else o.card_brand end,
    card_last4 = case when p_state ? 'card_last4' then p_state->>'card_last4' else o.card_last4 end,
    card_payment_method = case when p_state ? 'card_payment_method'
                               then p_state->>'card_payment_method' else o.card_payment_method end,
    billing_synced_at = case when p_state ? 'billing_synced_at'
                             then (p_state->>'billing_synced_at')::timestamptz else o.billing_synced_at end,
    trial_reminder_sent_at = case when p_state ? 'trial_reminder_sent_at'
                                  then (p_state->>'trial_reminder_sent_at')::timestamptz else o.trial_reminder_sent_at end
  where o.id = p_org;
end $$;
revoke all on function platform.set_billing(uuid, jsonb) from public;
grant execute on function platform.set_billing(uuid, jsonb) to fence_app;

-- Trials ending within a window that have not been reminded yet (the
-- reminder worker), across tenants: ids only.
create function platform.trials_to_remind(p_within interval)
returns table (id uuid)
language sql stable security definer set search_path = pg_catalog, public as $$
  select o.id from public.organizations o
   where o.status = 'trialing' and o.stripe_subscription_id is null and not o.comped
     and o.trial_reminder_sent_at is null
     and o.trial_ends_at > now() and o.trial_ends_at <= now() + p_within
$$;
revoke all on function platform.trials_to_remind(interval) from public;
grant execute on function platform.trials_to_remind(interval) to fence_app;

-- The platform administrator's billing view: every tenant's billing state
-- (no tenant data beyond it).
create function platform.billing_overview()
returns table (id uuid, company_name text, subdomain text, plan text, status text,
               addons jsonb, comped boolean, trial_ends_at timestamptz,
               past_due_since timestamptz, subscribed boolean, cancel_at_period_end boolean,
               current_period_end timestamptz)
language sql stable security definer set search_path = pg_catalog, public as $$
  select o.id, o.company_name, o.subdomain, o.plan, o.status, o.addons, o.comped,
         o.trial_ends_at, o.past_due_since, o.stripe_subscription_id is not null,
         o.cancel_at_period_end, o.current_period_end
    from public.organizations o
   order by o.created_at, o.id
$$;
revoke all on function platform.billing_overview() from public;
grant execute on function platform.billing_overview() to fence_app;
