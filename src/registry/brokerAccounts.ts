// What the registry tells an external broker that authenticates devices itself (Mosquitto's dynamic
// security, see broker/dynsec.ts). The clear secret exists only while a device is created or rotated,
// so the registry hands it over at that moment; a failure there fails the API call, so the device and
// the broker never silently disagree. The embedded broker and EMQX (which asks the IOC over HTTP) need
// none of this: the registry then has no accounts.
import type { DeviceRow } from '../storage/devices.ts';

export type AccountDevice = Pick<DeviceRow, 'id' | 'city' | 'kind'>;

export interface BrokerAccounts {
  /** Creates (or replaces) the devices' broker accounts with these secrets and their topic rights. */
  provision(devices: Array<{ device: AccountDevice; secret: string }>): Promise<void>;
  /** Replaces a device's password on the broker; the old secret stops working. */
  rotate(device: AccountDevice, secret: string): Promise<void>;
  /** Removes the device's account and rights; a missing account is not an error. */
  remove(deviceId: string): Promise<void>;
  /** Disables (its connections refused) or enables the device's account; optional for brokers without. */
  setDisabled?(deviceId: string, disabled: boolean): Promise<void>;
  /** Device ids that have an account on the broker (to find devices registered before it). */
  list(): Promise<Set<string>>;
}
