-- Outgoing email, written in the same transaction as the action that sends
-- it; delivery is a later concern (development logs each message).
create table outbox (
  org_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  to_email text not null,
  subject text not null,
  body text not null,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  primary key (org_id, id)
);
select platform.enable_tenant_rls('outbox');
grant select, insert on outbox to fence_app;
