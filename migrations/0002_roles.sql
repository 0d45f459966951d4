-- baas platform schema, part 2: roles and grants.
--  * admin: the role running migrations (the stack's superuser, DATABASE_ADMIN_URL). It owns
--    the tables; owners and superusers bypass RLS, which is why tenant tables are FORCEd and
--    apps connect as the application role.
--  * application role (config services.postgres.user, passed in as baas.app_role): LOGIN,
--    NOBYPASSRLS, owns nothing, DML on app tables, subject to every policy.
--  * baas_readonly: SELECT only; also subject to RLS (grant it to a login role for reporting).

-- Every role may call current_org()/set_active_org() in policies; the tables stay private.
grant usage on schema baas_platform to public;

do $$
declare
  app text := nullif(pg_catalog.current_setting('baas.app_role', true), '');
begin
  if not exists (select 1 from pg_roles where rolname = 'baas_readonly') then
    create role baas_readonly nologin nosuperuser nocreatedb nocreaterole nobypassrls;
  end if;
  grant usage on schema public to baas_readonly;
  grant select on all tables in schema public to baas_readonly;
  alter default privileges in schema public grant select on tables to baas_readonly;
  grant select on baas_platform.organisations to baas_readonly;

  if app is null then
    raise notice 'baas.app_role is not set: grant the application role its privileges yourself';
  elsif not exists (select 1 from pg_roles where rolname = app) then
    raise notice 'application role % does not exist yet: grants skipped', app;
  else
    if exists (select 1 from pg_roles where rolname = app and (rolsuper or rolbypassrls)) then
      raise warning 'application role % is a superuser or has BYPASSRLS: row-level security does not apply to it', app;
    end if;
    execute format('grant usage on schema public to %I', app);
    execute format('alter default privileges in schema public grant select, insert, update, delete on tables to %I', app);
    execute format('alter default privileges in schema public grant usage, select on sequences to %I', app);
    execute format('grant select on baas_platform.organisations, baas_platform.members to %I', app);
    execute format('grant execute on function baas_platform.set_user_active_org(text, uuid), baas_platform.activate_user_org(text, boolean) to %I', app);
  end if;
end
$$;
