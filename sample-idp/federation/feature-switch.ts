// A feature's switch in the federation server's config, `{ enabled }`, on unless turned off.
import { z } from 'zod';

export const onByDefault = () =>
  z
    .strictObject({ enabled: z.boolean({ error: 'must be true or false' }).default(true) })
    .default({ enabled: true });
