// Re-checks the serving certificates once a day while the front runs: the loader checks expiry
// at start, import and reload only, and a front that runs for months would otherwise say nothing.
// A warning when a certificate enters its last 30 days and again at 7, an error once expired.

export const EXPIRY_CHECK_INTERVAL_MS = 86_400_000;
/** Days left at which a warning is logged, largest first. */
export const EXPIRY_WARN_DAYS = [30, 7] as const;

const DAY_MS = 86_400_000;

type CertKind = 'server_cert' | 'ca';

export interface WatchedMaterial {
  readonly serverCert: { readonly subject: string; readonly notAfter: Date };
  readonly ca: { readonly subject: string; readonly notAfter: Date };
  /** Every CA of a bundle; the one that expires first is the one watched (the CA of one-CA files). */
  readonly caBundle?: readonly { readonly subject: string; readonly notAfter: Date }[];
  readonly crl?: { readonly nextUpdate: Date | undefined } | undefined;
}

export interface ExpiryWatchOptions {
  /** The material serving now (it changes with each reload). */
  readonly material: () => WatchedMaterial;
  readonly metrics: { setMaterialExpiry(kind: 'server_cert' | 'ca' | 'crl_next_update', at: Date | undefined): void };
  readonly logger: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  readonly intervalMs?: number;
}

export interface ExpiryWatch {
  /** Runs one check now (also what the daily timer does). */
  check(): void;
  stop(): void;
}

/** The smallest warning threshold the whole days left are within, 0 once expired, undefined when none. */
function bandOf(msLeft: number, daysLeft: number): number | undefined {
  if (msLeft <= 0) return 0;
  let band: number | undefined;
  for (const limit of EXPIRY_WARN_DAYS) if (daysLeft <= limit) band = limit;
  return band;
}

export function startExpiryWatch(options: ExpiryWatchOptions): ExpiryWatch {
  const { logger, metrics } = options;
  // Band already reported per certificate (kind + notAfter), so each threshold is logged once;
  // the start-up check (the loader's own warning) has already spoken for the current band.
  const reported = new Map<string, number | undefined>();
  const look = (isQuiet: boolean): void => {
    const served = options.material();
    const ca = (served.caBundle ?? []).reduce(
      (first, c) => (c.notAfter.getTime() < first.notAfter.getTime() ? c : first),
      served.ca,
    );
    const material = { ...served, ca };
    metrics.setMaterialExpiry('server_cert', material.serverCert.notAfter);
    metrics.setMaterialExpiry('ca', material.ca.notAfter);
    metrics.setMaterialExpiry('crl_next_update', material.crl?.nextUpdate);
    const now = Date.now();
    for (const kind of ['server_cert', 'ca'] as const satisfies readonly CertKind[]) {
      const cert = material[kind === 'server_cert' ? 'serverCert' : 'ca'];
      const key = `${kind}|${cert.notAfter.getTime()}`;
      const daysLeft = Math.floor((cert.notAfter.getTime() - now) / DAY_MS);
      const band = bandOf(cert.notAfter.getTime() - now, daysLeft);
      if (reported.has(key) && reported.get(key) === band) continue;
      const isFirstSight = !reported.has(key);
      reported.set(key, band);
      if (band === undefined || (isQuiet && isFirstSight)) continue;
      const fields = {
        event: 'material_expiry',
        kind,
        subject: cert.subject,
        notAfter: cert.notAfter.toISOString(),
        daysLeft,
      };
      if (band === 0)
        logger.error(
          fields,
          `the ${kind === 'ca' ? 'CA' : 'server'} certificate has expired: renew it and import it again`,
        );
      else
        logger.warn(
          { ...fields, threshold: band },
          `the ${kind === 'ca' ? 'CA' : 'server'} certificate expires in ${daysLeft} days: renew it and import it again`,
        );
    }
  };
  look(true);
  const timer = setInterval(() => look(false), options.intervalMs ?? EXPIRY_CHECK_INTERVAL_MS);
  timer.unref();
  return { check: () => look(false), stop: () => clearInterval(timer) };
}
