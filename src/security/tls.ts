import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TlsConfig } from '../config/schema.js';
import { ExitCode, UserError, messageOf } from '../errors.js';
import { tightenDir } from './files.js';

/**
 * TLS material for the stack. Without `tls.caFile/certFile/keyFile`, baas keeps its own CA and
 * one certificate per service under .baas/tls/ (directory 0700, keys 0600), made with the
 * `openssl` command (Node's crypto makes keys but cannot issue X.509 certificates): offline,
 * EC P-256, subject alternative names for everything a client may dial. Certificates are
 * checked and read with Node's X509Certificate.
 */

export const tlsDir = (stateDir: string): string => path.join(stateDir, 'tls');
export const caCertPath = (stateDir: string): string => path.join(tlsDir(stateDir), 'ca.crt');
const caKeyPath = (stateDir: string): string => path.join(tlsDir(stateDir), 'ca.key');
/** `service` is a certificate's name under .baas/tls: `redis-1`, or with a target's directory `swarm/redis-1`. */
export const serviceCertPath = (stateDir: string, service: string): string => path.join(tlsDir(stateDir), `${service}.crt`);
const serviceKeyPath = (stateDir: string, service: string): string => path.join(tlsDir(stateDir), `${service}.key`);

/** Renew (on `up`) or warn (`health`, `doctor`) this many days before a certificate expires. */
export const EXPIRY_WARNING_DAYS = 30;

export interface SubjectNames {
  dns: string[];
  ips: string[];
}

/** The names a service's certificate must carry: its container name, hostname and address, the host's, and tls.hosts. */
export function namesFor(args: { service: string; containerName: string; ip: string; bindAddress: string; hosts: string[] }): SubjectNames {
  const dns = new Set<string>([args.service, args.containerName, 'localhost']);
  const ips = new Set<string>([args.ip, '127.0.0.1']);
  if (args.bindAddress !== '0.0.0.0') ips.add(args.bindAddress);
  for (const h of args.hosts) (net.isIP(h) ? ips : dns).add(h);
  return { dns: [...dns], ips: [...ips] };
}

export interface CertSummary {
  subject: string;
  issuer: string;
  dns: string[];
  ips: string[];
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  fingerprint256: string;
  serialNumber: string;
}

export function parseSubjectAltName(san: string | undefined): SubjectNames {
  const out: SubjectNames = { dns: [], ips: [] };
  for (const part of (san ?? '').split(/,\s*/)) {
    const m = /^(DNS|IP Address):(.+)$/.exec(part.trim());
    if (m?.[1] === 'DNS') out.dns.push(m[2]!);
    else if (m?.[1] === 'IP Address') out.ips.push(m[2]!);
  }
  return out;
}

export function summarize(pem: string | Buffer, now = new Date()): CertSummary {
  const c = new X509Certificate(pem);
  const names = parseSubjectAltName(c.subjectAltName);
  const notAfter = new Date(c.validTo);
  return {
    subject: c.subject.replace(/\n/g, ', '),
    issuer: c.issuer.replace(/\n/g, ', '),
    ...names,
    notBefore: new Date(c.validFrom).toISOString(),
    notAfter: notAfter.toISOString(),
    daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000),
    fingerprint256: c.fingerprint256,
    serialNumber: c.serialNumber,
  };
}

/** Whether the certificate covers every wanted name (wildcards as TLS clients match them). */
export function missingNames(cert: X509Certificate, wanted: SubjectNames): string[] {
  const missing: string[] = [];
  for (const ip of wanted.ips) if (!cert.checkIP(ip)) missing.push(ip);
  for (const d of wanted.dns) if (!cert.checkHost(d)) missing.push(d);
  return missing;
}

// ---- bring your own -------------------------------------------------------------------

export interface ByoFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** The user's files, resolved from the config's directory; undefined when baas makes its own. */
export function byoFiles(tls: TlsConfig, configDir: string): ByoFiles | undefined {
  if (!tls.caFile || !tls.certFile || !tls.keyFile) return undefined;
  return { caFile: path.resolve(configDir, tls.caFile), certFile: path.resolve(configDir, tls.certFile), keyFile: path.resolve(configDir, tls.keyFile) };
}

const badFile = (key: string, file: string, problem: string, hint: string): UserError =>
  new UserError(`tls.${key} ${file} ${problem}.`, { exitCode: ExitCode.config, hint });

function readChecked(key: string, file: string): Buffer {
  if (!existsSync(file)) throw badFile(key, file, 'does not exist', `Fix the path in platform.config.yaml (relative paths start from the config file's directory).`);
  try {
    accessSync(file, constants.R_OK);
    return readFileSync(file);
  } catch (e) {
    throw badFile(key, file, `cannot be read (${messageOf(e)})`, 'Give the user running baas read access to it (keys: mode 0600, owned by that user).');
  }
}

/**
 * Checks the user's CA, certificate and key before anything changes: readable, parseable, in
 * date, the key belongs to the certificate, the certificate was issued by the CA, and its
 * names cover every address clients use (`names`). Throws exit 3 naming the file and problem.
 */
export function validateByo(files: ByoFiles, names: SubjectNames, now = new Date()): { ca: string; cert: string; key: string } {
  const caPem = readChecked('caFile', files.caFile);
  const certPem = readChecked('certFile', files.certFile);
  const keyPem = readChecked('keyFile', files.keyFile);
  let ca: X509Certificate;
  let cert: X509Certificate;
  try {
    ca = new X509Certificate(caPem);
  } catch (e) {
    throw badFile('caFile', files.caFile, `is not a PEM certificate (${messageOf(e)})`, 'Point tls.caFile at the CA certificate in PEM form (-----BEGIN CERTIFICATE-----).');
  }
  try {
    cert = new X509Certificate(certPem);
  } catch (e) {
    throw badFile('certFile', files.certFile, `is not a PEM certificate (${messageOf(e)})`, 'Point tls.certFile at the server certificate in PEM form.');
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (e) {
    throw badFile('keyFile', files.keyFile, `is not an unencrypted PEM private key (${messageOf(e)})`, 'Give an unencrypted PEM key (openssl pkey -in key.pem -out plain.pem).');
  }
  for (const [k, f, c] of [['caFile', files.caFile, ca], ['certFile', files.certFile, cert]] as const) {
    if (new Date(c.validTo) <= now) throw badFile(k, f, `expired on ${new Date(c.validTo).toISOString().slice(0, 10)}`, 'Renew it, or remove tls.caFile/certFile/keyFile to let baas make its own.');
    if (new Date(c.validFrom) > now) throw badFile(k, f, `is not valid before ${new Date(c.validFrom).toISOString()}`, "Check the clock, or the certificate's validity.");
  }
  if (!cert.checkPrivateKey(key)) throw badFile('keyFile', files.keyFile, `is not the key of ${files.certFile}`, 'Give the private key the certificate was issued for.');
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw badFile('certFile', files.certFile, `was not issued by the CA in ${files.caFile}`, 'Give the CA (or intermediate) that signed the certificate as tls.caFile.');
  }
  const missing = missingNames(cert, names);
  if (missing.length > 0) {
    throw badFile('certFile', files.certFile, `does not cover ${missing.join(', ')}`, `Issue it with these names as subject alternative names, or list only names it covers in tls.hosts (it must also cover 127.0.0.1, which baas itself uses).`);
  }
  return { ca: caPem.toString('utf8'), cert: certPem.toString('utf8'), key: keyPem.toString('utf8') };
}

// ---- baas's own CA ----------------------------------------------------------------------

export type OpenSsl = (args: string[]) => Promise<void>;

export const runOpenSsl: OpenSsl = async (args) => {
  try {
    await promisify(execFile)('openssl', args, { timeout: 30_000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new UserError('TLS is on, but the `openssl` command is not installed.', {
        exitCode: ExitCode.config,
        hint: 'Install it (Debian/Ubuntu: `apt-get install openssl`), or set tls: false, or bring your own tls.caFile/certFile/keyFile.',
        cause: e,
      });
    }
    throw new Error(`openssl ${args[0]} failed: ${(err.stderr ?? messageOf(e)).trim().split('\n').slice(-2).join(' ')}`, { cause: e });
  }
};

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function writePrivate(file: string, content: string, mode: number): void {
  writeFileSync(file, content, { mode });
  chmodSync(file, mode);
}

/** Makes the CA once (ten times the certificates' lifetime); true when it was created. */
export async function ensureCa(stateDir: string, project: string, days: number, openssl: OpenSsl = runOpenSsl): Promise<boolean> {
  const dir = tlsDir(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  tightenDir(dir);
  if (existsSync(caCertPath(stateDir)) && existsSync(caKeyPath(stateDir))) {
    chmodSync(caKeyPath(stateDir), 0o600);
    return false;
  }
  const keyTmp = `${caKeyPath(stateDir)}.tmp`;
  const certTmp = `${caCertPath(stateDir)}.tmp`;
  await openssl(['req', '-x509', '-new', ...EC, '-keyout', keyTmp, '-out', certTmp, '-days', String(days * 10), '-subj', `/O=baas/CN=baas ${project} CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  chmodSync(keyTmp, 0o600);
  writePrivate(caKeyPath(stateDir), readFileSync(keyTmp, 'utf8'), 0o600);
  writeFileSync(caCertPath(stateDir), readFileSync(certTmp, 'utf8'), { mode: 0o644 });
  rmSync(keyTmp, { force: true });
  rmSync(certTmp, { force: true });
  return true;
}

export type CertState = { ok: true } | { ok: false; reason: string };
export const NO_CERTIFICATE = 'no certificate yet';

/** Whether a service's certificate can stay: present, issued by the current CA, covering its names, not expiring soon. */
export function certState(stateDir: string, service: string, names: SubjectNames, now = new Date()): CertState {
  const certFile = serviceCertPath(stateDir, service);
  if (!existsSync(certFile) || !existsSync(serviceKeyPath(stateDir, service))) return { ok: false, reason: NO_CERTIFICATE };
  try {
    const cert = new X509Certificate(readFileSync(certFile));
    const ca = new X509Certificate(readFileSync(caCertPath(stateDir)));
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return { ok: false, reason: 'issued by another CA' };
    const missing = missingNames(cert, names);
    if (missing.length > 0) return { ok: false, reason: `does not cover ${missing.join(', ')}` };
    const days = (new Date(cert.validTo).getTime() - now.getTime()) / 86_400_000;
    if (days < EXPIRY_WARNING_DAYS) return { ok: false, reason: `expires in ${Math.max(0, Math.floor(days))} days` };
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: `unreadable (${messageOf(e)})` };
  }
}

/** Issues a service certificate (serverAuth and clientAuth: Redis nodes present it to each other) signed by the CA. */
export async function issueCert(stateDir: string, service: string, names: SubjectNames, days: number, openssl: OpenSsl = runOpenSsl): Promise<void> {
  const dir = certDir(stateDir, service);
  const base = path.join(dir, `.${path.basename(service)}.${randomBytes(4).toString('hex')}`);
  const san = [...names.dns.map((d) => `DNS:${d}`), ...names.ips.map((i) => `IP:${i}`)].join(',');
  writeFileSync(`${base}.ext`, `subjectAltName=${san}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment,keyAgreement\nextendedKeyUsage=serverAuth,clientAuth\n`);
  try {
    await openssl(['req', '-new', ...EC, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/O=baas/CN=${path.basename(service)}`]);
    chmodSync(`${base}.key`, 0o600);
    await openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', caCertPath(stateDir), '-CAkey', caKeyPath(stateDir), '-set_serial', `0x${randomBytes(16).toString('hex')}`,
      '-days', String(days), '-extfile', `${base}.ext`, '-out', `${base}.crt`]);
    writePrivate(serviceKeyPath(stateDir, service), readFileSync(`${base}.key`, 'utf8'), 0o600);
    writeFileSync(serviceCertPath(stateDir, service), readFileSync(`${base}.crt`, 'utf8'), { mode: 0o644 });
  } finally {
    for (const ext of ['ext', 'key', 'csr', 'crt']) rmSync(`${base}.${ext}`, { force: true });
  }
}

/** The directory a certificate goes to (a target's own under .baas/tls, 0700 like it). */
function certDir(stateDir: string, service: string): string {
  const dir = path.dirname(serviceCertPath(stateDir, service));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  tightenDir(dir);
  return dir;
}

/** Copies a certificate and its key to another name (keeping the key 0600), e.g. `redis-1` to `swarm/redis-1`. */
export function copyCert(stateDir: string, from: string, to: string): void {
  certDir(stateDir, to);
  writePrivate(serviceKeyPath(stateDir, to), readFileSync(serviceKeyPath(stateDir, from), 'utf8'), 0o600);
  writeFileSync(serviceCertPath(stateDir, to), readFileSync(serviceCertPath(stateDir, from), 'utf8'), { mode: 0o644 });
}

export interface TlsMaterial {
  ca: string;
  cert: string;
  key: string;
}

/** The PEM files a service's container gets (baas's own, or the user's for every service). */
export function materialFor(stateDir: string, service: string, byo?: ByoFiles): TlsMaterial {
  if (byo) return { ca: readFileSync(byo.caFile, 'utf8'), cert: readFileSync(byo.certFile, 'utf8'), key: readFileSync(byo.keyFile, 'utf8') };
  return {
    ca: readFileSync(caCertPath(stateDir), 'utf8'),
    cert: readFileSync(serviceCertPath(stateDir, service), 'utf8'),
    key: readFileSync(serviceKeyPath(stateDir, service), 'utf8'),
  };
}
