// Which commands each kind of device understands, and their arguments.
import { z } from 'zod';
import type { KindName } from '../catalog/schema.ts';

const SetLamp = z
  .object({
    on: z.boolean().optional(),
    dim_pct: z.number().int().min(0).max(100).optional(),
  })
  .strict()
  .refine((a) => a.on !== undefined || a.dim_pct !== undefined, 'give `on`, `dim_pct` or both');
const NoArgs = z.object({}).strict();

const byKind: Record<KindName, Record<string, z.ZodType<Record<string, unknown>>>> = {
  streetlight: { set_lamp: SetLamp, ping: NoArgs },
  camera: { reboot: NoArgs, ping: NoArgs },
  environment: { ping: NoArgs },
  noise: { ping: NoArgs },
  fire: { ping: NoArgs },
  waste: { ping: NoArgs },
};

export function commandsOf(kind: KindName): string[] {
  return Object.keys(byKind[kind]);
}

/** The parsed arguments, or a message naming what is wrong and what is allowed. */
export function parseCommand(
  kind: KindName,
  name: string,
  args: unknown,
): { ok: true; args: Record<string, unknown> } | { ok: false; message: string } {
  const schema = byKind[kind][name];
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
