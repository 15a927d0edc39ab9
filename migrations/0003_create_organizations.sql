-- Organizations: one row per tenant. The row's own id is its tenant key.
create table organizations (
  id uuid primary key,
  company_name text not null check (length(company_name) between 1 and 120),
  subdomain text not null check (subdomain ~ '^[a-z0-9]([a-z0-9-]{1,30}[a-z0-9])$'),
  custom_domain text check (custom_domain = lower(custom_domain)),
  custom_domain_verified boolean not null default false,
  plan text not null references shared.plans(code),
  seats int check (seats is null or seats > 0),
  monthly_jobs_limit int check (monthly_jobs_limit is null or monthly_jobs_limit >= 0),
  features jsonb not null,
  trial_ends_at timestamptz not null,
  status text not null default 'trialing'
    check (status in ('trialing', 'active', 'past_due', 'suspended', 'cancelled')),
  stripe_customer_id text,
  stripe_subscription_id text,
  next_billing_date date,
  support_email text,
  phone text,
  brand_color text not null default '#1f6f5c' check (brand_color ~ '^#[0-9a-f]{6}$'),
  logo_version int not null default 0,
  home_state char(2) references shared.pricing_zones(state_code),
  custom_markup numeric(5,3) check (custom_markup is null or custom_markup between 0.5 and 3),
  onboarding jsonb not null default '{}',
  created_at timestamptz not null default now()
);
create unique index organizations_subdomain_key on organizations (subdomain);
create unique index organizations_custom_domain_key on organizations (custom_domain);

select platform.enable_tenant_rls('organizations', 'id');

-- The app reads its own row and may change only the tenant-editable columns;
-- plan, limits, status and billing change through platform functions.
grant select on organizations to fence_app;
grant update (company_name, support_email, phone, brand_color, logo_version,
              home_state, custom_markup, onboarding) on organizations to fence_app;

-- The tenant's logo, served on its own host.
create table org_logos (
  org_id uuid primary key references organizations(id) on delete cascade,
  content_type text not null check (content_type in ('image/png', 'image/jpeg', 'image/webp', 'image/svg+xml')),
  bytes bytea not null check (octet_length(bytes) <= 512 * 1024),
  updated_at timestamptz not null default now()
);
select platform.enable_tenant_rls('org_logos');
grant select, insert, update, delete on org_logos to fence_app;
