-- Platform administrators schedule (and call off) a workspace's deletion
-- too (issue 13); the tenant list shows when one is due.
drop function platform.list_tenants(text, int, int);
create function platform.list_tenants(p_search text, p_limit int, p_offset int)
returns table (id uuid, company_name text, subdomain text, plan text, status text,
               trial_ends_at timestamptz, users bigint, customers bigint,
               created_at timestamptz, status_reason text, status_changed_at timestamptz,
               deletion_due_at timestamptz, total bigint)
language sql stable security definer set search_path = pg_catalog, public as $$
  select o.id, o.company_name, o.subdomain, o.plan, o.status, o.trial_ends_at,
         (select count(*) from public.users u where u.org_id = o.id),
         (select count(*) from public.customers c where c.org_id = o.id and c.archived_at is null),
         o.created_at, o.status_reason, o.status_changed_at, o.deletion_due_at, count(*) over ()
    from public.organizations o
   where p_search is null or p_search = ''
      or o.company_name ilike '%' || p_search || '%'
      or o.subdomain ilike '%' || p_search || '%'
   order by o.created_at desc, o.id
   limit least(greatest(p_limit, 1), 200) offset greatest(p_offset, 0)
$$;
revoke all on function platform.list_tenants(text, int, int) from public;
grant execute on function platform.list_tenants(text, int, int) to fence_app;
