-- baas platform schema, part 4: tenant claims signed by the auth layer.
--
-- Trust model. In 'session' mode (the default) the active organisation is whatever the
-- connection set in app.org_id: RLS keeps well-behaved app code inside one tenant, but any
-- app-role session (a leaked connection string, an injected query) can set another org, list
-- every organisation and member, and act for any user through activate_user_org().
-- In 'signed' mode the database trusts only a claim signed by the auth layer:
--   claim = '<org uuid>.<user id>.<expires, unix seconds>.<hex HMAC-SHA256 of the first three parts>'
-- set per transaction with baas_platform.set_org_claim(claim) (or set_config('app.org_claim', ...)).
-- current_org() verifies the signature, the expiry and the membership on every query, with a key
-- kept in baas_platform.claim_key, which only the admin role can read. app.org_id is ignored,
-- activate_user_org()/set_user_active_org() refuse, and organisations/members show only the
-- claimed organisation. What it does not protect against: a stolen *key* (keep it in the auth
-- layer's secret store), a stolen unexpired claim (keep expiries short), or the admin role.

create table baas_platform.claim_key (
  id boolean primary key default true check (id),
  key bytea not null,
  created_at timestamptz not null default now()
);
-- 32 bytes from pg_strong_random (gen_random_uuid), hashed: no pgcrypto needed.
insert into baas_platform.claim_key (key)
  values (sha256(decode(replace(gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex')));
revoke all on baas_platform.claim_key from public;

create table baas_platform.settings (
  id boolean primary key default true check (id),
  tenant_claims text not null default 'session' check (tenant_claims in ('session', 'signed'))
);
insert into baas_platform.settings default values;
grant select on baas_platform.settings to public;

create function baas_platform.tenant_claims_mode() returns text
  language sql stable parallel safe
  as $$ select coalesce((select tenant_claims from baas_platform.settings), 'session') $$;

-- Set by `baas migrate up` from platform.config.yaml (security.tenantClaims).
create function baas_platform.set_tenant_claims(mode text) returns text
  language plpgsql volatile
  as $$
begin
  update baas_platform.settings set tenant_claims = mode;
  return mode;
end
$$;
revoke all on function baas_platform.set_tenant_claims(text) from public;

-- HMAC-SHA256 (RFC 2104) with the built-in sha256(): pgcrypto is not required.
create function baas_platform.hmac_sha256(key bytea, message bytea) returns bytea
  language plpgsql immutable strict parallel safe
  set search_path = pg_catalog
  as $$
declare
  k bytea := key;
  ipad bytea;
  opad bytea;
  i int;
begin
  if length(k) > 64 then k := sha256(k); end if;
  k := k || decode(repeat('00', 64 - length(k)), 'hex');
  ipad := k;
  opad := k;
  for i in 0..63 loop
    ipad := set_byte(ipad, i, get_byte(k, i) # 54);
    opad := set_byte(opad, i, get_byte(k, i) # 92);
  end loop;
  return sha256(opad || sha256(ipad || message));
end
$$;

-- The organisation a claim names, when its signature, expiry and membership hold; else null.
create function baas_platform.verify_org_claim(claim text) returns uuid
  language plpgsql stable security definer
  set search_path = pg_catalog
  as $$
declare
  parts text[];
  payload text;
  org uuid;
begin
  if claim is null or claim = '' then return null; end if;
  parts := regexp_match(claim, '^([0-9a-f-]{36})\.([^.]{1,255})\.([0-9]{1,12})\.([0-9a-f]{64})$');
  if parts is null then return null; end if;
  payload := parts[1] || '.' || parts[2] || '.' || parts[3];
  if encode(baas_platform.hmac_sha256((select key from baas_platform.claim_key), convert_to(payload, 'UTF8')), 'hex') <> parts[4] then
    return null;
  end if;
  if parts[3]::bigint < extract(epoch from now()) then return null; end if;
  org := parts[1]::uuid;
  if not exists (select 1 from baas_platform.members m where m.org_id = org and m.user_id = parts[2]) then return null; end if;
  return org;
end
$$;

-- Sets the claim for the current transaction and returns the organisation it proves (an error when it proves none).
create function baas_platform.set_org_claim(claim text) returns uuid
  language plpgsql volatile
  as $$
declare
  org uuid := baas_platform.verify_org_claim(claim);
begin
  if org is null then
    raise exception using errcode = '28000', message = 'the organisation claim is not valid (signature, expiry or membership)';
  end if;
  perform pg_catalog.set_config('app.org_claim', claim, true);
  return org;
end
$$;

-- current_org() now honours the mode: a verified claim in 'signed' mode, app.org_id otherwise.
create or replace function baas_platform.current_org() returns uuid
  language sql stable parallel safe
  as $$
    select case when baas_platform.tenant_claims_mode() = 'signed'
                then baas_platform.verify_org_claim(nullif(pg_catalog.current_setting('app.org_claim', true), ''))
                else nullif(pg_catalog.current_setting('app.org_id', true), '')::uuid end
  $$;

-- In signed mode nobody but the auth layer says who a user is.
create or replace function baas_platform.activate_user_org(p_user_id text, is_local boolean default true) returns uuid
  language plpgsql volatile security definer
  set search_path = pg_catalog
  as $$
declare
  org uuid;
begin
  if baas_platform.tenant_claims_mode() = 'signed' then
    raise exception using errcode = '42501', message = 'activate_user_org() is off in signed tenant mode: set a signed claim with baas_platform.set_org_claim()';
  end if;
  select u.org_id into org
    from baas_platform.user_active_org u
    join baas_platform.members m on m.org_id = u.org_id and m.user_id = u.user_id
   where u.user_id = p_user_id;
  perform pg_catalog.set_config('app.org_id', coalesce(org::text, ''), is_local);
  return org;
end
$$;

create or replace function baas_platform.set_user_active_org(p_user_id text, p_org uuid) returns void
  language plpgsql volatile security definer
  set search_path = pg_catalog
  as $$
begin
  if baas_platform.tenant_claims_mode() = 'signed' then
    raise exception using errcode = '42501', message = 'set_user_active_org() is off in signed tenant mode';
  end if;
  if not exists (select 1 from baas_platform.members m where m.org_id = p_org and m.user_id = p_user_id) then
    raise exception using errcode = '42501', message = format('user %s is not a member of organisation %s', p_user_id, p_org);
  end if;
  insert into baas_platform.user_active_org (user_id, org_id) values (p_user_id, p_org)
    on conflict (user_id) do update set org_id = excluded.org_id, updated_at = now();
end
$$;

-- Organisations and members: in signed mode the app sees only the claimed organisation.
-- The admin role owns the tables (not FORCEd), so migrations and `baas tenant` see everything.
alter table baas_platform.organisations enable row level security;
alter table baas_platform.members enable row level security;
create policy claimed_org_only on baas_platform.organisations
  using (baas_platform.tenant_claims_mode() <> 'signed' or id = (select baas_platform.current_org()));
create policy claimed_org_only on baas_platform.members
  using (baas_platform.tenant_claims_mode() <> 'signed' or org_id = (select baas_platform.current_org()));
