// A device's right to be connected can end while it is connected: an admin disables it, deletes it or
// gives it a new secret (on this instance, or on another one and replayed here by the notifier). The
// connection it opened before ends then too, instead of lasting until the device happens to reconnect.
import type { EventBus } from '../events/bus.ts';
import type { DeviceRegistry } from '../registry/index.ts';
import type { Broker } from './index.ts';

/** Ends revoked devices' connections from now on; returns the way to stop doing so. */
export function endRevokedConnections(deps: {
  bus: EventBus;
  registry: DeviceRegistry;
  broker: Pick<Broker, 'disconnect'>;
}): () => void {
  const { bus, registry, broker } = deps;
  const listener = ({ deviceId, change }: { deviceId: string; change: string }) => {
    const revoked =
      change === 'deleted' ||
      change === 'credentials' ||
      (change === 'updated' && Boolean(registry.get(deviceId)?.disabledAt));
    if (revoked) broker.disconnect(deviceId);
  };
  bus.on('deviceChanged', listener);
  return () => bus.off('deviceChanged', listener);
}
