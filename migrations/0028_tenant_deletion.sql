-- Deleting a workspace (issue 13): the owner (or a platform admin) asks,
-- once any subscription has ended; the workspace stays usable, and the
-- deletion can be called off, until `deletion_due_at` (30 days later).
-- Then a worker deletes its stored objects and every row (each tenant
-- table cascades from `organizations`), and a line in
-- `platform.tenant_deletions` keeps what was deleted, when and at whose
-- request.

alter table organizations add column deletion_due_at timestamptz;
alter table organizations add column deletion_requested_by text
  check (char_length(deletion_requested_by) <= 320);
grant update (deletion_due_at, deletion_requested_by) on organizations to fence_app;

-- (`deleted_org_id`, not `org_id`: this is the platform's record of a
-- tenant that no longer exists, not a tenant's row.)
create table platform.tenant_deletions (
  deleted_org_id uuid primary key,
  subdomain text not null,
  company_name text not null,
  requested_by text not null,
  due_at timestamptz not null,
  purged_at timestamptz not null default now(),
  objects_deleted int not null check (objects_deleted >= 0)
);
revoke all on platform.tenant_deletions from public;

-- Workspaces whose deletion is due.
create function platform.tenants_to_delete()
returns table (org_id uuid)
language sql stable security definer set search_path = pg_catalog, public as $$
  select o.id from public.organizations o
   where o.deletion_due_at is not null and o.deletion_due_at <= now()
   order by o.deletion_due_at
$$;

-- Deletes one workspace whose deletion is due (checked again here, under a
-- lock), logging it; `false` when it is not due (called off meanwhile).
create function platform.purge_tenant(p_org_id uuid, p_objects int)
returns boolean
language plpgsql volatile security definer set search_path = pg_catalog, public as $$
declare
  o record;
begin
  select id, subdomain, company_name, deletion_requested_by, deletion_due_at
    into o from public.organizations
   where id = p_org_id and deletion_due_at is not null and deletion_due_at <= now()
   for update;
  if not found then
    return false;
  end if;
  insert into platform.tenant_deletions (deleted_org_id, subdomain, company_name, requested_by, due_at, objects_deleted)
  values (o.id, o.subdomain, o.company_name, coalesce(o.deletion_requested_by, 'unknown'), o.deletion_due_at, p_objects);
  delete from public.organizations where id = p_org_id;
  return true;
end $$;

revoke all on function platform.tenants_to_delete(), platform.purge_tenant(uuid, int) from public;
grant execute on function platform.tenants_to_delete(), platform.purge_tenant(uuid, int) to fence_app;
