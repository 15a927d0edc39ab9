-- The installer's trade: price book, zone overrides, properties and pets,
-- quotes with versions and approval links, jobs with their history, photos.
-- Every table is keyed by org_id first, with composite tenant foreign keys
-- and the forced tenant policies.

-- The price book (unit prices, costs, rates), one JSON document per tenant,
-- read through `model::Catalogue` which fills any missing key with its default.
create table catalogues (
  org_id uuid primary key references organizations(id) on delete cascade,
  data jsonb not null default '{}',
  updated_at timestamptz not null default now()
);
select platform.enable_tenant_rls('catalogues');
grant select, insert, update on catalogues to fence_app;

-- The tenant's own multiplier for one zone (state).
create table zone_overrides (
  org_id uuid not null references organizations(id) on delete cascade,
  state_code char(2) not null references shared.pricing_zones(state_code),
  multiplier numeric(5,3) not null check (multiplier between 0.5 and 3),
  primary key (org_id, state_code)
);
select platform.enable_tenant_rls('zone_overrides');
grant select, insert, update, delete on zone_overrides to fence_app;

create table properties (
  org_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  customer_id uuid not null,
  label text not null default '' check (length(label) <= 80),
  street text not null,
  city text not null,
  state char(2) not null references shared.pricing_zones(state_code),
  zip text not null check (zip ~ '^[0-9]{5}(-[0-9]{4})?$'),
  lat double precision check (lat between -90 and 90),
  lon double precision check (lon between -180 and 180),
  lot_sqft int check (lot_sqft > 0),
  notes text not null default '',
  drawing jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id),
  foreign key (org_id, customer_id) references customers(org_id, id)
);
create index properties_customer_idx on properties (org_id, customer_id);
select platform.enable_tenant_rls('properties');
grant select, insert, update on properties to fence_app;

create table pets (
  org_id uuid not null,
  id uuid not null,
  property_id uuid not null,
  name text not null check (length(name) between 1 and 60),
  breed text not null default '',
  weight_lb numeric(5,1) check (weight_lb > 0),
  collar_model text not null default '',
  battery_installed date,
  created_at timestamptz not null default now(),
  primary key (org_id, id),
  foreign key (org_id, property_id) references properties(org_id, id) on delete cascade
);
create index pets_property_idx on pets (org_id, property_id);
select platform.enable_tenant_rls('pets');
grant select, insert, update, delete on pets to fence_app;

-- A quote; its content lives in versions, the quote row holds the state.
-- draft -> (pending_approval -> draft, Enterprise) -> sent -> approved | declined
create table quotes (
  org_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  number int not null check (number > 0),
  property_id uuid not null,
  customer_id uuid not null,
  status text not null default 'draft'
    check (status in ('draft', 'pending_approval', 'sent', 'approved', 'declined')),
  version int not null default 1 check (version > 0),
  total numeric(12,2) not null default 0,
  -- the version a manager approved for sending (approval workflow)
  manager_approved_version int,
  manager_approved_by uuid,
  decided_name text,
  decline_reason text,
  decided_at timestamptz,
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id),
  unique (org_id, number),
  foreign key (org_id, property_id) references properties(org_id, id),
  foreign key (org_id, customer_id) references customers(org_id, id),
  foreign key (org_id, created_by) references users(org_id, id) on delete set null (created_by),
  foreign key (org_id, manager_approved_by) references users(org_id, id) on delete set null (manager_approved_by)
);
create index quotes_property_idx on quotes (org_id, property_id);
create index quotes_status_idx on quotes (org_id, status, updated_at desc);
select platform.enable_tenant_rls('quotes');
grant select, insert, update on quotes to fence_app;

create table quote_versions (
  org_id uuid not null,
  quote_id uuid not null,
  version int not null,
  drawing jsonb not null,
  terms jsonb not null,
  takeoff jsonb not null,
  priced jsonb not null,
  total numeric(12,2) not null,
  created_by uuid,
  created_at timestamptz not null default now(),
  primary key (org_id, quote_id, version),
  foreign key (org_id, quote_id) references quotes(org_id, id) on delete cascade
);
select platform.enable_tenant_rls('quote_versions');
grant select, insert on quote_versions to fence_app;

-- Approval links: only a SHA-256 of the token is kept; one quote each.
create table quote_links (
  org_id uuid not null,
  token_hash bytea not null check (octet_length(token_hash) = 32),
  quote_id uuid not null,
  expires_at timestamptz not null,
  revoked_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (org_id, token_hash),
  foreign key (org_id, quote_id) references quotes(org_id, id) on delete cascade
);
create index quote_links_quote_idx on quote_links (org_id, quote_id);
select platform.enable_tenant_rls('quote_links');
grant select, insert, update on quote_links to fence_app;

create table jobs (
  org_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  number int not null check (number > 0),
  quote_id uuid not null,
  property_id uuid not null,
  customer_id uuid not null,
  status text not null check (status in ('lead', 'quoted', 'approved', 'scheduled', 'in_progress',
                                          'completed', 'invoiced', 'paid', 'cancelled')),
  scheduled_for date,
  total numeric(12,2) not null,
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id),
  unique (org_id, number),
  unique (org_id, quote_id),
  foreign key (org_id, quote_id) references quotes(org_id, id),
  foreign key (org_id, property_id) references properties(org_id, id),
  foreign key (org_id, customer_id) references customers(org_id, id),
  foreign key (org_id, created_by) references users(org_id, id) on delete set null (created_by)
);
-- The monthly limit counts jobs by creation time.
create index jobs_created_idx on jobs (org_id, created_at);
create index jobs_status_idx on jobs (org_id, status, updated_at desc);
select platform.enable_tenant_rls('jobs');
grant select, insert, update on jobs to fence_app;

create table job_events (
  org_id uuid not null,
  id uuid not null,
  job_id uuid not null,
  from_status text,
  to_status text not null,
  by_user uuid,
  note text not null default '',
  at timestamptz not null default clock_timestamp(),
  primary key (org_id, id),
  foreign key (org_id, job_id) references jobs(org_id, id) on delete cascade,
  foreign key (org_id, by_user) references users(org_id, id) on delete set null (by_user)
);
create index job_events_job_idx on job_events (org_id, job_id, at);
select platform.enable_tenant_rls('job_events');
grant select, insert on job_events to fence_app;

-- Photo metadata; the bytes live in object storage under
-- {org_id}/photos/{id} and {org_id}/photo-thumbs/{id}.
create table photos (
  org_id uuid not null,
  id uuid not null,
  job_id uuid not null,
  kind text not null check (kind in ('before', 'after')),
  content_type text not null check (content_type in ('image/jpeg', 'image/png', 'image/webp')),
  size_bytes int not null check (size_bytes > 0),
  width int not null,
  height int not null,
  taken_at timestamptz,
  lat double precision,
  lon double precision,
  uploaded_by uuid,
  created_at timestamptz not null default now(),
  primary key (org_id, id),
  foreign key (org_id, job_id) references jobs(org_id, id) on delete cascade,
  foreign key (org_id, uploaded_by) references users(org_id, id) on delete set null (uploaded_by)
);
create index photos_job_idx on photos (org_id, job_id, created_at);
select platform.enable_tenant_rls('photos');
grant select, insert, delete on photos to fence_app;

-- Existing tenants get the default price book.
insert into catalogues (org_id) select id from organizations on conflict do nothing;

-- A new tenant gets its price book in the same transaction that creates it
-- (`platform.provision_tenant`); empty JSON means "all defaults".
create function platform.seed_catalogue() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
  insert into public.catalogues (org_id) values (new.id) on conflict do nothing;
  return new;
end $$;
revoke all on function platform.seed_catalogue() from public;
create trigger organizations_seed_catalogue after insert on organizations
  for each row execute function platform.seed_catalogue();
