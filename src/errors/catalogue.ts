// Every error code streamfront can produce, gathered from one file per area so each part
// of the code owns its wording while the catalogue stays one list (see docs/errors.md).
import { cliErrors } from './codes/cli.js';
import { engineSimErrors } from './codes/engine-sim.js';
import { configErrors } from './codes/config.js';
import { kmcErrors } from './codes/kmc.js';
import { importErrors } from './codes/import.js';
import { materialErrors } from './codes/material.js';
import { pkiErrors } from './codes/pki.js';
import { frontErrors } from './codes/front.js';

export interface ErrorDef {
  /** One sentence: what went wrong, in general terms (the instance message adds specifics). */
  readonly summary: string;
  /** Process exit code when this error ends a command: 1 refusal, 2 usage. */
  readonly exitCode: 1 | 2;
}

export const catalogue = {
  ...cliErrors,
  ...engineSimErrors,
  ...configErrors,
  ...kmcErrors,
  ...importErrors,
  ...materialErrors,
  ...pkiErrors,
  ...frontErrors,
} as const satisfies Record<string, ErrorDef>;

export type ErrorCode = keyof typeof catalogue;
