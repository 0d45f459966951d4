-- baas platform schema, part 1: organisations, members, the stack's database registry and
-- the session helpers that say which organisation a connection or transaction acts for.
-- Applied by `baas migrate up` before the app's migrations, as the admin role.

create schema if not exists baas_platform;
comment on schema baas_platform is 'baas platform objects: organisations, members, database registry, tenant RLS helpers';

create table baas_platform.organisations (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name text not null check (length(name) between 1 and 200),
  created_at timestamptz not null default now(),
  created_by text not null default session_user
);

create table baas_platform.members (
  org_id uuid not null references baas_platform.organisations (id) on delete cascade,
  user_id text not null check (length(user_id) between 1 and 256),
  role text not null check (role in ('owner', 'admin', 'member', 'viewer')),
  created_at timestamptz not null default now(),
  primary key (org_id, user_id)
);
create index members_user_id_idx on baas_platform.members (user_id);

-- The databases of this stack (the main one and, later, its branches).
create table baas_platform.databases (
  name text primary key,
  parent text,
  created_at timestamptz not null default now(),
  created_by text not null default session_user,
  expires_at timestamptz,
  protected boolean not null default false,
  check (parent is distinct from name)
);
insert into baas_platform.databases (name, protected) values (current_database(), true) on conflict (name) do nothing;

-- Which organisation each user last chose (the app sets it; activate_user_org applies it).
create table baas_platform.user_active_org (
  user_id text primary key,
  org_id uuid not null references baas_platform.organisations (id) on delete cascade,
  updated_at timestamptz not null default now()
);
create index user_active_org_org_id_idx on baas_platform.user_active_org (org_id);

-- The organisation the current transaction (or session) acts for; null when none is set.
-- Plain SQL and STABLE so policies written as `org_id = (select baas_platform.current_org())`
-- evaluate it once per query, not once per row.
create function baas_platform.current_org() returns uuid
  language sql stable parallel safe
  as $$ select nullif(pg_catalog.current_setting('app.org_id', true), '')::uuid $$;

-- Sets the active organisation. is_local = true (default) scopes it to the current transaction,
-- which is what connection poolers need; false keeps it for the session. null clears it.
create function baas_platform.set_active_org(org uuid, is_local boolean default true) returns uuid
  language plpgsql volatile
  as $$
begin
  perform pg_catalog.set_config('app.org_id', coalesce(org::text, ''), is_local);
  return org;
end
$$;

-- Remembers a user's chosen organisation; the user must be a member of it.
create function baas_platform.set_user_active_org(p_user_id text, p_org uuid) returns void
  language plpgsql volatile security definer
  set search_path = pg_catalog
  as $$
begin
  if not exists (select 1 from baas_platform.members m where m.org_id = p_org and m.user_id = p_user_id) then
    raise exception using errcode = '42501', message = format('user %s is not a member of organisation %s', p_user_id, p_org);
  end if;
  insert into baas_platform.user_active_org (user_id, org_id) values (p_user_id, p_org)
    on conflict (user_id) do update set org_id = excluded.org_id, updated_at = now();
end
$$;

-- Makes the user's remembered organisation active (if they are still a member) and returns it.
create function baas_platform.activate_user_org(p_user_id text, is_local boolean default true) returns uuid
  language plpgsql volatile security definer
  set search_path = pg_catalog
  as $$
declare
  org uuid;
begin
  select u.org_id into org
    from baas_platform.user_active_org u
    join baas_platform.members m on m.org_id = u.org_id and m.user_id = u.user_id
   where u.user_id = p_user_id;
  perform pg_catalog.set_config('app.org_id', coalesce(org::text, ''), is_local);
  return org;
end
$$;

revoke all on function baas_platform.set_user_active_org(text, uuid) from public;
revoke all on function baas_platform.activate_user_org(text, boolean) from public;
