-- Customers: the first tenant-owned business table.
create table customers (
  org_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  name text not null check (length(name) between 1 and 120),
  email text check (email = lower(email)),
  phone text,
  street text not null,
  city text not null,
  state char(2) not null references shared.pricing_zones(state_code),
  zip text not null check (zip ~ '^[0-9]{5}(-[0-9]{4})?$'),
  notes text not null default '',
  archived_at timestamptz,
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id),
  foreign key (org_id, created_by) references users(org_id, id) on delete set null (created_by)
);
-- Duplicate detection: one active customer per email within a tenant.
create unique index customers_email_key on customers (org_id, email)
  where email is not null and archived_at is null;
create index customers_name_idx on customers (org_id, lower(name), id);
select platform.enable_tenant_rls('customers');
grant select, insert, update on customers to fence_app;
