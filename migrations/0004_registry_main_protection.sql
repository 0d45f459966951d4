-- baas platform schema, part 4: one truth for main's protection.
-- 0001 registered the main database as protected, while `baas branch` keeps protection in the
-- metadata stored with each database (COMMENT ON DATABASE) and treats main as unprotected until
-- `baas branch protect main`. The registry is a copy of that metadata: take main's flag from it.
-- Every branch command that changes branches keeps the row in step afterwards.
do $$
declare
  c text;
  p boolean := false;
begin
  select pg_catalog.shobj_description(d.oid, 'pg_database') into c from pg_catalog.pg_database d where d.datname = pg_catalog.current_database();
  begin
    p := coalesce((c::jsonb -> 'baas' ->> 'kind') = 'main' and (c::jsonb -> 'baas' ->> 'protected')::boolean, false);
  exception when others then
    p := false; -- a comment that is not baas metadata: not protected by baas
  end;
  update baas_platform.databases set protected = p where name = pg_catalog.current_database() and parent is null;
end $$;
