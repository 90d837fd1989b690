// The route label of a proxied request for metrics: the engine API's path patterns, with the
// model or stream name replaced, so that the number of series stays bounded whatever clients send.
const TARGET_PATH = /^\/v2\/(streams|models)\/[^/]+\/(infer|ready|config)$/;
const FIXED_PATHS = new Set(['/v2', '/v2/', '/v2/live', '/v2/ready']);

/** `path` without its query string. */
export function engineRouteLabel(path: string): string {
  if (FIXED_PATHS.has(path)) return path;
  const match = TARGET_PATH.exec(path);
  return match === null ? 'other' : `/v2/${match[1] as string}/:name/${match[2] as string}`;
}
