-- The platform path: every cross-tenant operation the server may perform,
-- as SECURITY DEFINER functions owned by the migration owner. The app role
-- can execute these and nothing else across tenants, so this file is the
-- whole surface to audit.

-- Host lookup: a subdomain, or a verified custom domain, to a tenant id.
create function platform.tenant_for_host(p_subdomain text, p_custom_domain text)
returns table (id uuid, status text)
language sql stable security definer set search_path = pg_catalog, public as $$
  select o.id, o.status from public.organizations o
   where p_subdomain is not null and o.subdomain = p_subdomain
  union all
  select o.id, o.status from public.organizations o
   where p_custom_domain is not null and o.custom_domain = p_custom_domain
     and o.custom_domain_verified
  limit 1
$$;

-- Live availability check at signup.
create function platform.subdomain_taken(p_subdomain text)
returns boolean
language sql stable security definer set search_path = pg_catalog, public as $$
  select exists (select 1 from public.organizations where subdomain = p_subdomain)
$$;

-- Signup: the organization, its owner and the one-time login hand-off, in
-- the caller's transaction. Inserts rows only: no DDL per tenant.
create function platform.provision_tenant(
  p_org_id uuid, p_company text, p_subdomain text, p_plan text,
  p_owner_id uuid, p_owner_name text, p_owner_email text, p_password_hash text,
  p_handoff_hash text, p_trial_days int)
returns void
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
  perform set_config('app.current_tenant', p_org_id::text, true);
  insert into public.organizations
    (id, company_name, subdomain, plan, seats, monthly_jobs_limit, features,
     trial_ends_at, status, support_email)
  select p_org_id, p_company, p_subdomain, p.code, p.seats, p.monthly_jobs_limit,
         p.features, now() + make_interval(days => p_trial_days), 'trialing', p_owner_email
    from shared.plans p where p.code = p_plan;
  if not found then
    raise exception 'unknown plan %', p_plan using errcode = '22023';
  end if;
  insert into public.users (org_id, id, email, name, role, password_hash)
  values (p_org_id, p_owner_id, p_owner_email, p_owner_name, 'owner', p_password_hash);
  insert into public.auth_tokens (org_id, token_hash, purpose, user_id, expires_at)
  values (p_org_id, p_handoff_hash, 'signup_handoff', p_owner_id, now() + interval '10 minutes');
  insert into public.audit_events (org_id, id, actor_id, action, subject_id)
  values (p_org_id, gen_random_uuid(), p_owner_id, 'organization.created', p_org_id);
end $$;

-- Platform admin: the tenant list with counts.
create function platform.list_tenants(p_search text, p_limit int, p_offset int)
returns table (id uuid, company_name text, subdomain text, plan text, status text,
               trial_ends_at timestamptz, users bigint, customers bigint,
               created_at timestamptz, total bigint)
language sql stable security definer set search_path = pg_catalog, public as $$
  select o.id, o.company_name, o.subdomain, o.plan, o.status, o.trial_ends_at,
         (select count(*) from public.users u where u.org_id = o.id),
         (select count(*) from public.customers c where c.org_id = o.id and c.archived_at is null),
         o.created_at, count(*) over ()
    from public.organizations o
   where p_search is null or p_search = ''
      or o.company_name ilike '%' || p_search || '%'
      or o.subdomain ilike '%' || p_search || '%'
   order by o.created_at desc, o.id
   limit least(greatest(p_limit, 1), 200) offset greatest(p_offset, 0)
$$;

-- Platform admin: suspend, or reactivate to trialing/active by the trial date.
create function platform.set_tenant_suspended(p_id uuid, p_suspended boolean)
returns text
language plpgsql security definer set search_path = pg_catalog, public as $$
declare
  new_status text;
begin
  update public.organizations
     set status = case when p_suspended then 'suspended'
                       when trial_ends_at > now() then 'trialing'
                       else 'active' end
   where id = p_id
  returning status into new_status;
  return new_status;
end $$;

-- Platform administrators: separate accounts, only on the platform domain.
create table platform.admins (
  id uuid primary key,
  email text not null unique check (email = lower(email)),
  name text not null,
  password_hash text not null,
  created_at timestamptz not null default now()
);
grant select on platform.admins to fence_app;

revoke all on all functions in schema platform from public;
grant execute on function
  platform.tenant_for_host(text, text),
  platform.subdomain_taken(text),
  platform.provision_tenant(uuid, text, text, text, uuid, text, text, text, text, int),
  platform.list_tenants(text, int, int),
  platform.set_tenant_suspended(uuid, boolean)
to fence_app;
