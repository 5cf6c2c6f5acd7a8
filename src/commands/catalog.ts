// Which commands each kind of device understands, their arguments, and the two messages a command
// travels in: the `cmd` the IOC publishes and the `cmd_result` event the device answers with.
import { z } from 'zod';
import type { KindName, SeededKind } from '../catalog/schema.ts';

const SetLamp = z
  .object({
    on: z.boolean().optional().describe('Bật (true) hoặc tắt (false) đèn / Lamp on (true) or off (false)'),
    dim_pct: z
      .number()
      .int()
      .min(0)
      .max(100)
      .optional()
      .meta({ description: 'Độ sáng / Brightness', 'x-unit': '%' }),
  })
  .strict()
  .refine((a) => a.on !== undefined || a.dim_pct !== undefined, 'give `on`, `dim_pct` or both')
  // The refinement has no JSON Schema form; with `.strict()` this says the same to a schema reader.
  .meta({ minProperties: 1 });
const NoArgs = z.object({}).strict();

type Commands = Record<string, z.ZodType<Record<string, unknown>>>;
const byKind: Record<SeededKind, Commands> = {
  streetlight: { set_lamp: SetLamp, ping: NoArgs },
  camera: { reboot: NoArgs, ping: NoArgs },
  environment: { ping: NoArgs },
  noise: { ping: NoArgs },
  fire: { ping: NoArgs },
  waste: { ping: NoArgs },
};
/** A kind added as a device profile: every device answers a ping; other commands need code. */
const anyKind: Commands = { ping: NoArgs };
const commandsFor = (kind: KindName): Commands =>
  Object.hasOwn(byKind, kind) ? byKind[kind as SeededKind] : anyKind;

export function commandsOf(kind: KindName): string[] {
  return Object.keys(commandsFor(kind));
}

/** What the IOC publishes on a device's `cmd` topic: the command's id to answer with, and the command. */
export const CommandMessage = z.object({
  id: z.uuid(),
  ts: z.iso.datetime(),
  name: z.string(),
  args: z.record(z.string(), z.unknown()),
});
export type CommandMessage = z.infer<typeof CommandMessage>;

/** The `cmd` message a kind's devices receive, one branch per command it understands. */
export function commandMessageOf(kind: KindName) {
  const [first, ...rest] = Object.entries(commandsFor(kind)).map(([name, args]) =>
    CommandMessage.extend({ name: z.literal(name), args }),
  );
  return z.discriminatedUnion('name', [first!, ...rest]);
}

/** The event type of a device's answer to a command (`data.id` names the command). */
export const commandResultType = 'cmd_result';

/** A command answer's `data`: `ok: false` marks a failure; anything else the device adds is kept. */
export const CommandResultData = z.looseObject({
  ok: z.boolean().optional(),
  detail: z.string().optional(),
});

/** The parsed arguments, or a message naming what is wrong and what is allowed. */
export function parseCommand(
  kind: KindName,
  name: string,
  args: unknown,
): { ok: true; args: Record<string, unknown> } | { ok: false; message: string } {
  const schema = Object.hasOwn(commandsFor(kind), name) ? commandsFor(kind)[name] : undefined;
  if (!schema)
    return {
      ok: false,
      message: `a ${kind} does not understand "${name}"; it understands ${commandsOf(kind).join(', ')}`,
    };
  const parsed = schema.safeParse(args ?? {});
  if (parsed.success) return { ok: true, args: parsed.data };
  return {
    ok: false,
    message: `${name}: ${parsed.error.issues.map((i) => `${i.path.length ? `args.${i.path.join('.')}` : 'args'}: ${i.message}`).join('; ')}`,
  };
}
