-- baas platform schema, part 3: tenant row-level security in one call per table.
--   select baas_platform.enable_tenant_rls('public.notes');                      -- enforce on org_id
--   select baas_platform.enable_tenant_rls('public.notes', 'org_id', 'audit');   -- roll out first
--   select baas_platform.exempt_table('public.countries', 'shared reference data');

create table baas_platform.tenant_tables (
  schema_name text not null,
  table_name text not null,
  tenant_column text not null,
  mode text not null check (mode in ('audit', 'enforce')),
  updated_at timestamptz not null default now(),
  updated_by text not null default session_user,
  primary key (schema_name, table_name)
);

create table baas_platform.rls_exemptions (
  schema_name text not null,
  table_name text not null,
  reason text not null check (length(reason) > 0),
  created_at timestamptz not null default now(),
  created_by text not null default session_user,
  primary key (schema_name, table_name)
);

create function baas_platform.enable_tenant_rls(tbl regclass, tenant_column name default 'org_id', mode text default 'enforce') returns text
  language plpgsql volatile
  -- With only pg_catalog on the path, %s of a regclass prints the schema-qualified, quoted name.
  set search_path = pg_catalog
  as $$
declare
  nsp text;
  rel text;
  col_num int2;
  col_type oid;
  pol text;
  idx_name text;
begin
  if mode is null or mode not in ('audit', 'enforce') then
    raise exception using errcode = '22023', message = format('mode must be audit or enforce, not %L', mode);
  end if;
  select n.nspname, c.relname into nsp, rel
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where c.oid = tbl and c.relkind in ('r', 'p');
  if not found then
    raise exception using errcode = '42809', message = format('%s is not a table', tbl);
  end if;
  select a.attnum, a.atttypid into col_num, col_type
    from pg_attribute a where a.attrelid = tbl and a.attname = tenant_column and a.attnum > 0 and not a.attisdropped;
  if not found then
    raise exception using errcode = '42703', message = format('table %s has no column %I', tbl, tenant_column),
      hint = 'Add the tenant column first (uuid not null default baas_platform.current_org()), or name it with --column.';
  end if;
  if col_type <> 'uuid'::regtype then
    raise exception using errcode = '42804',
      message = format('tenant column %I of %s is %s; it must be uuid (organisation ids are uuids)', tenant_column, tbl, format_type(col_type, null));
  end if;

  foreach pol in array array['baas_tenant_select', 'baas_tenant_insert', 'baas_tenant_update', 'baas_tenant_delete', 'baas_tenant_audit'] loop
    execute format('drop policy if exists %I on %s', pol, tbl);
  end loop;
  execute format('alter table %s enable row level security', tbl);
  -- FORCE: the owner is subject to the policies too (superusers still bypass them).
  execute format('alter table %s force row level security', tbl);

  if mode = 'enforce' then
    -- (select ...) makes current_org() an InitPlan: evaluated once per query, not per row.
    execute format('create policy baas_tenant_select on %s for select using (%I = (select baas_platform.current_org()))', tbl, tenant_column);
    execute format('create policy baas_tenant_insert on %s for insert with check (%I = (select baas_platform.current_org()))', tbl, tenant_column);
    execute format('create policy baas_tenant_update on %s for update using (%I = (select baas_platform.current_org())) with check (%I = (select baas_platform.current_org()))', tbl, tenant_column, tenant_column);
    execute format('create policy baas_tenant_delete on %s for delete using (%I = (select baas_platform.current_org()))', tbl, tenant_column);
  else
    -- Audit: RLS is on but lets everything through, so nothing changes while a team rolls out.
    execute format('create policy baas_tenant_audit on %s for all using (true) with check (true)', tbl);
  end if;

  if not exists (select 1 from pg_index i where i.indrelid = tbl and i.indkey[0] = col_num) then
    idx_name := left(rel || '_' || tenant_column, 46) || '_baas_tenant_idx';
    execute format('create index %I on %s (%I)', idx_name, tbl, tenant_column);
  end if;

  insert into baas_platform.tenant_tables (schema_name, table_name, tenant_column, mode)
    values (nsp, rel, tenant_column, mode)
    on conflict (schema_name, table_name) do update
      set tenant_column = excluded.tenant_column, mode = excluded.mode, updated_at = now(), updated_by = session_user;
  delete from baas_platform.rls_exemptions e where e.schema_name = nsp and e.table_name = rel;
  return format('%s: %s on %I', tbl, mode, tenant_column);
end
$$;

create function baas_platform.disable_tenant_rls(tbl regclass) returns text
  language plpgsql volatile
  set search_path = pg_catalog
  as $$
declare
  pol text;
begin
  foreach pol in array array['baas_tenant_select', 'baas_tenant_insert', 'baas_tenant_update', 'baas_tenant_delete', 'baas_tenant_audit'] loop
    execute format('drop policy if exists %I on %s', pol, tbl);
  end loop;
  execute format('alter table %s no force row level security', tbl);
  execute format('alter table %s disable row level security', tbl);
  delete from baas_platform.tenant_tables t
   using pg_class c join pg_namespace n on n.oid = c.relnamespace
   where c.oid = tbl and t.schema_name = n.nspname and t.table_name = c.relname;
  return format('%s: row-level security off', tbl);
end
$$;

-- Records that a table is shared by every organisation on purpose (`baas rls check` accepts it).
create function baas_platform.exempt_table(tbl regclass, reason text) returns text
  language plpgsql volatile
  set search_path = pg_catalog
  as $$
begin
  insert into baas_platform.rls_exemptions (schema_name, table_name, reason)
    select n.nspname, c.relname, reason from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = tbl
    on conflict (schema_name, table_name) do update set reason = excluded.reason, created_at = now(), created_by = session_user;
  return format('%s: exempt (%s)', tbl, reason);
end
$$;

revoke all on function baas_platform.enable_tenant_rls(regclass, name, text) from public;
revoke all on function baas_platform.disable_tenant_rls(regclass) from public;
revoke all on function baas_platform.exempt_table(regclass, text) from public;
