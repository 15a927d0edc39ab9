-- The app instances keep what nearly every request reads in memory: which
-- tenant a host names (with its standing and plan), the signed-in user, and
-- the session. Memory is never a second source of truth: any change to a
-- tenant's organization row or to one of its users announces the tenant on
-- the `fence_cache` channel, delivered when (and only if) the change
-- commits, and every instance drops what it holds of that tenant (and every
-- host it has seen no tenant for: a new tenant or domain may match one).
create function platform.announce_cache_change() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
declare
  v_org text;
begin
  if tg_op = 'DELETE' then
    v_org := to_jsonb(old) ->> tg_argv[0];
  else
    v_org := to_jsonb(new) ->> tg_argv[0];
  end if;
  perform pg_notify('fence_cache', 'org:' || v_org);
  return null;
end $$;
revoke all on function platform.announce_cache_change() from public;

create trigger organizations_announce_cache_change
  after insert or delete on public.organizations
  for each row execute function platform.announce_cache_change('id');
create trigger organizations_announce_cache_update
  after update on public.organizations
  for each row when (old.* is distinct from new.*)
  execute function platform.announce_cache_change('id');

create trigger users_announce_cache_change
  after insert or delete on public.users
  for each row execute function platform.announce_cache_change('org_id');
create trigger users_announce_cache_update
  after update on public.users
  for each row when (old.* is distinct from new.*)
  execute function platform.announce_cache_change('org_id');
