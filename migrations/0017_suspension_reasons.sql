-- A platform administrator suspends a tenant with a reason: kept on the
-- organization (shown on its row in the tenant list) and written to the
-- tenant's audit log with the administrator who did it, as is reactivation.
alter table organizations
  add column status_reason text check (char_length(status_reason) <= 500),
  add column status_changed_at timestamptz;

drop function platform.set_tenant_suspended(uuid, boolean);
create function platform.set_tenant_suspended(
  p_id uuid, p_suspended boolean, p_admin uuid, p_reason text)
returns text
language plpgsql security definer set search_path = pg_catalog, public as $$
declare
  new_status text;
begin
  if p_suspended and coalesce(btrim(p_reason), '') = '' then
    raise exception 'a suspension needs a reason' using errcode = '22023';
  end if;
  update public.organizations
     set status = case when p_suspended then 'suspended'
                       when trial_ends_at > now() then 'trialing'
                       else 'active' end,
         status_reason = case when p_suspended then btrim(p_reason) end,
         status_changed_at = now()
   where id = p_id
  returning status into new_status;
  if new_status is not null then
    insert into public.audit_events (org_id, id, actor_id, action, subject_id, detail)
    values (p_id, gen_random_uuid(), p_admin,
            case when p_suspended then 'organization.suspended' else 'organization.reactivated' end,
            p_id,
            jsonb_build_object('reason', coalesce(btrim(p_reason), ''), 'by', 'platform_admin'));
  end if;
  return new_status;
end $$;
revoke all on function platform.set_tenant_suspended(uuid, boolean, uuid, text) from public;
grant execute on function platform.set_tenant_suspended(uuid, boolean, uuid, text) to fence_app;

drop function platform.list_tenants(text, int, int);
create function platform.list_tenants(p_search text, p_limit int, p_offset int)
returns table (id uuid, company_name text, subdomain text, plan text, status text,
               trial_ends_at timestamptz, users bigint, customers bigint,
               created_at timestamptz, status_reason text, status_changed_at timestamptz,
               total bigint)
language sql stable security definer set search_path = pg_catalog, public as $$
  select o.id, o.company_name, o.subdomain, o.plan, o.status, o.trial_ends_at,
         (select count(*) from public.users u where u.org_id = o.id),
         (select count(*) from public.customers c where c.org_id = o.id and c.archived_at is null),
         o.created_at, o.status_reason, o.status_changed_at, count(*) over ()
    from public.organizations o
   where p_search is null or p_search = ''
      or o.company_name ilike '%' || p_search || '%'
      or o.subdomain ilike '%' || p_search || '%'
   order by o.created_at desc, o.id
   limit least(greatest(p_limit, 1), 200) offset greatest(p_offset, 0)
$$;
revoke all on function platform.list_tenants(text, int, int) from public;
grant execute on function platform.list_tenants(text, int, int) to fence_app;
