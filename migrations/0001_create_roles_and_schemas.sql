-- Roles and schemas. Migrations run as the owner (a superuser or a BYPASSRLS
-- role); the server connects as `fence_app`, which logs in, owns nothing and
-- can never bypass row-level security.
-- Roles are cluster-wide: several databases may be migrated at once (tests),
-- so tolerate a concurrent creation and only alter the role when needed.
do $$
begin
  create role fence_app login nosuperuser nobypassrls nocreatedb nocreaterole noinherit;
exception when duplicate_object or unique_violation then
  null;
end $$;
-- Even if the role pre-existed with other attributes, take them away.
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'fence_app'
              and (rolsuper or rolbypassrls or rolcreatedb or rolcreaterole or rolinherit)) then
    alter role fence_app nosuperuser nobypassrls nocreatedb nocreaterole noinherit;
  end if;
end $$;

create schema shared;          -- reference data, read-only to the app
create schema platform;        -- cross-tenant functions: the one audited path
create schema tower_sessions;  -- the session store

revoke create on schema public from public;
grant usage on schema public, shared, platform, tower_sessions to fence_app;

-- Applies the tenant isolation policy to a table (or partition): RLS enabled
-- and forced, one policy per command, all comparing the key column with the
-- transaction-local tenant setting. A missing setting yields NULL, so no row
-- matches: the policies fail closed.
create function platform.enable_tenant_rls(tbl regclass, key_column text default 'org_id')
returns void language plpgsql as $$
declare
  tenant constant text := $t$nullif(current_setting('app.current_tenant', true), '')::uuid$t$;
begin
  execute format('alter table %s enable row level security', tbl);
  execute format('alter table %s force row level security', tbl);
  execute format('create policy tenant_select on %s for select using (%I = %s)', tbl, key_column, tenant);
  execute format('create policy tenant_insert on %s for insert with check (%I = %s)', tbl, key_column, tenant);
  execute format('create policy tenant_update on %s for update using (%I = %s) with check (%I = %s)',
                 tbl, key_column, tenant, key_column, tenant);
  execute format('create policy tenant_delete on %s for delete using (%I = %s)', tbl, key_column, tenant);
end $$;
revoke all on function platform.enable_tenant_rls(regclass, text) from public;
