// The credentials file the simulators read (DATA_DIR/fleet-credentials.json): device ids with their
// clear MQTT secrets, so it is written with mode 0600 and kept out of git.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DeviceCredentials } from './fleets.ts';

export interface CredentialsFile {
  mqttUrl: string;
  updatedAt: string;
  devices: DeviceCredentials[];
}

export async function readCredentialsFile(path: string): Promise<CredentialsFile | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as CredentialsFile;
  } catch {
    return undefined;
  }
}

/** Writes `devices` merged over what the file held (a device's newest secret wins). */
export async function writeCredentialsFile(
  path: string,
  mqttUrl: string,
  devices: DeviceCredentials[],
): Promise<CredentialsFile> {
  const byId = new Map(((await readCredentialsFile(path))?.devices ?? []).map((d) => [d.id, d]));
  for (const d of devices) byId.set(d.id, d);
  const file = {
    mqttUrl,
    updatedAt: new Date().toISOString(),
    devices: [...byId.values()].sort((a, b) => a.id.localeCompare(b.id)),
  };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  return file;
}
