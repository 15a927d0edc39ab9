-- Users belong to exactly one organization; email is unique within it.
create table users (
  org_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  email text not null check (email = lower(email) and length(email) between 3 and 254),
  name text not null check (length(name) between 1 and 100),
  role text not null check (role in ('owner', 'admin', 'dispatcher', 'crew', 'viewer')),
  password_hash text not null,
  created_at timestamptz not null default now(),
  last_login_at timestamptz,
  primary key (org_id, id),
  unique (org_id, email)
);
select platform.enable_tenant_rls('users');
grant select, insert, update, delete on users to fence_app;
