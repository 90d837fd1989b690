// The import's audit record: one pino JSON line with who imported what (fingerprints and
// subjects) and how it ended. It is built from file metadata only, so no secret can reach it.
import { userInfo } from 'node:os';
import pino from 'pino';

export interface AuditedFile {
  readonly role: string;
  readonly path: string;
  readonly sha256: string;
  readonly subject?: string | undefined;
}

export interface AuditRecord {
  readonly outcome: 'imported' | 'refused';
  readonly code?: string | undefined;
  readonly reason?: string | undefined;
  readonly configPath: string;
  readonly files: readonly AuditedFile[];
}

function operatingUser(): { uid: number; name: string } {
  try {
    const info = userInfo();
    return { uid: info.uid, name: info.username };
  } catch {
    // No passwd entry (a bare container uid): the uid alone still identifies the operator.
    return { uid: typeof process.geteuid === 'function' ? process.geteuid() : -1, name: 'unknown' };
  }
}

export function writeAuditRecord(record: AuditRecord, destination: NodeJS.WritableStream | number = 2): void {
  const sink = typeof destination === 'number' ? pino.destination({ dest: destination, sync: true }) : destination;
  const logger = pino({ base: { component: 'certImport' }, timestamp: pino.stdTimeFunctions.isoTime }, sink);
  logger.info(
    { event: 'certificate-import', user: operatingUser(), ...record },
    `certificate import ${record.outcome}`,
  );
}
