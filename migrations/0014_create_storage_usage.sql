-- Storage accounting: every tenant's photo bytes (originals and thumbnails)
-- against its plan's quota, so one tenant cannot fill the shared store.

alter table shared.plans add column storage_quota_mb int not null default 10240
  check (storage_quota_mb > 0);
update shared.plans set storage_quota_mb = case code
  when 'starter' then 10240        -- 10 GB
  when 'growth' then 102400        -- 100 GB
  when 'enterprise' then 1024000   -- 1,000 GB
end;

-- Like seats and the jobs limit, the quota is the plan's, copied onto the
-- tenant so the platform can change one tenant's without a new plan.
alter table organizations add column storage_quota_mb int
  check (storage_quota_mb is null or storage_quota_mb > 0);
update organizations o set storage_quota_mb = p.storage_quota_mb
  from shared.plans p where p.code = o.plan;

alter table photos add column thumb_bytes int not null default 0 check (thumb_bytes >= 0);

-- Bytes stored per tenant, kept in the same transaction as the rows that
-- add or remove objects; the quota check and the increment are one update.
create table storage_usage (
  org_id uuid primary key references organizations(id) on delete cascade,
  bytes bigint not null default 0 check (bytes >= 0),
  updated_at timestamptz not null default now()
);
select platform.enable_tenant_rls('storage_usage');
grant select, insert, update on storage_usage to fence_app;
insert into storage_usage (org_id, bytes)
  select o.id, coalesce((select sum(p.size_bytes + p.thumb_bytes) from photos p where p.org_id = o.id), 0)
    from organizations o;

create or replace function platform.provision_tenant(
  p_org_id uuid, p_company text, p_subdomain text, p_plan text,
  p_owner_id uuid, p_owner_name text, p_owner_email text, p_password_hash text,
  p_handoff_hash text, p_trial_days int)
returns void
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
  perform set_config('app.current_tenant', p_org_id::text, true);
  insert into public.organizations
    (id, company_name, subdomain, plan, seats, monthly_jobs_limit, storage_quota_mb, features,
     trial_ends_at, status, support_email)
  select p_org_id, p_company, p_subdomain, p.code, p.seats, p.monthly_jobs_limit, p.storage_quota_mb,
         p.features, now() + make_interval(days => p_trial_days), 'trialing', p_owner_email
    from shared.plans p where p.code = p_plan;
  if not found then
    raise exception 'unknown plan %', p_plan using errcode = '22023';
  end if;
  insert into public.users (org_id, id, email, name, role, password_hash)
  values (p_org_id, p_owner_id, p_owner_email, p_owner_name, 'owner', p_password_hash);
  insert into public.auth_tokens (org_id, token_hash, purpose, user_id, expires_at)
  values (p_org_id, p_handoff_hash, 'signup_handoff', p_owner_id, now() + interval '10 minutes');
  insert into public.storage_usage (org_id) values (p_org_id);
  insert into public.audit_events (org_id, id, actor_id, action, subject_id)
  values (p_org_id, gen_random_uuid(), p_owner_id, 'organization.created', p_org_id);
end $$;
