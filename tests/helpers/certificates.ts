// Throwaway X.509 material for TLS tests, made with the openssl command line in a temporary folder:
// a city CA, a server certificate for 127.0.0.1/localhost, device certificates (CN = device id) and a
// rogue CA that nobody trusts.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { servicePaths } from './services.ts';

// The openssl that globalSetup found (a fresh machine may lack it until it is installed).
const openssl = async (args: string[], cwd: string) =>
  promisify(execFile)((await servicePaths()).openssl, args, { cwd });

export interface Pem {
  cert: Buffer;
  key: Buffer;
  certFile: string;
  keyFile: string;
}

export interface TestCertificates {
  dir: string;
  ca: Pem;
  rogueCa: Pem;
  server: Pem;
  /** A client certificate with this CN, signed by the city CA (or the rogue one). */
  device(cn: string, signer?: 'ca' | 'rogue'): Promise<Pem>;
  remove(): Promise<void>;
}

async function keyAndCert(dir: string, name: string): Promise<Pem> {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  return { cert: await readFile(certFile), key: await readFile(keyFile), certFile, keyFile };
}

async function selfSignedCa(dir: string, name: string): Promise<Pem> {
  await openssl(
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`],
    ],
    dir,
  );
  return keyAndCert(dir, name);
}

async function signed(
  dir: string,
  name: string,
  cn: string,
  signer: string,
  extensions: string,
): Promise<Pem> {
  await writeFile(join(dir, `${name}.ext`), extensions);
  await openssl(
    [
      ...['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`],
    ],
    dir,
  );
  await openssl(
    [
      ...['x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.crt`, '-CAkey', `${signer}.key`],
      ...['-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`],
    ],
    dir,
  );
  return keyAndCert(dir, name);
}

export async function createTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'ioc-test-tls-'));
  const ca = await selfSignedCa(dir, 'city-ca');
  const rogueCa = await selfSignedCa(dir, 'rogue-ca');
  const server = await signed(
    dir,
    'server',
    'localhost',
    'city-ca',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  let serial = 0;
  return {
    dir,
    ca,
    rogueCa,
    server,
    device: (cn, signer = 'ca') =>
      signed(
        dir,
        `device-${serial++}`,
        cn,
        signer === 'ca' ? 'city-ca' : 'rogue-ca',
        'extendedKeyUsage=clientAuth\n',
      ),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
