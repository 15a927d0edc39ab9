-- Single-use tokens: password resets, and the hand-off that logs a new owner
-- in on their own subdomain after signup on the platform domain.
create table auth_tokens (
  org_id uuid not null references organizations(id) on delete cascade,
  token_hash text not null,
  purpose text not null check (purpose in ('password_reset', 'signup_handoff')),
  user_id uuid not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (org_id, token_hash),
  foreign key (org_id, user_id) references users(org_id, id) on delete cascade
);
select platform.enable_tenant_rls('auth_tokens');
grant select, insert, update, delete on auth_tokens to fence_app;
