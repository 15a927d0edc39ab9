-- Invitations by email with a role; the token is stored only as its SHA-256.
create table invitations (
  org_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  email text not null check (email = lower(email)),
  role text not null check (role in ('admin', 'dispatcher', 'crew', 'viewer')),
  token_hash text not null,
  invited_by uuid,
  expires_at timestamptz not null,
  accepted_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (org_id, id),
  unique (org_id, token_hash),
  foreign key (org_id, invited_by) references users(org_id, id) on delete set null (invited_by)
);
-- One open invitation per address.
create unique index invitations_open_email_key on invitations (org_id, email) where accepted_at is null;
select platform.enable_tenant_rls('invitations');
grant select, insert, update, delete on invitations to fence_app;
