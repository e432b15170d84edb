// The JSON Schema (draft 2020-12) editors use to complete and check gateway.yaml.
import { z } from 'zod';
import { gatewayConfigSchema } from './schema.js';

export function configJsonSchema(): object {
  return z.toJSONSchema(gatewayConfigSchema, {
    target: 'draft-2020-12',
    // Describe what an author writes (defaults optional), not the parsed result.
    io: 'input',
    override: (ctx) => {
      // .readonly() means "frozen after parsing"; in JSON Schema readOnly would tell editors not to write it.
      delete (ctx.jsonSchema as Record<string, unknown>).readOnly;
    },
  });
}
