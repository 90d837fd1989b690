// The config area's public face: lookup, parse, typed items, line-preserving edits, and the
// atomic write. Other areas import from here, not from the individual modules.
export { resolveConfigPath, resolveItemPath, runFolderOf, CONFIG_FILE_NAME } from './path.js';
export { parseConfigText, parseConfigLine, type ParsedConfig, type ConfigItem, type ParsedLine } from './parse.js';
export { validateConfigSize, MAX_LINES, MAX_LINE_CHARS, type SizeProblem } from './limits.js';
export { readFrontConfig } from './front-config.js';
export {
  CONFIG_ITEMS,
  ENGINE_ONLY_ITEMS,
  ALLOWED_CIPHERS,
  DEFAULT_CIPHER_LIST,
  type FrontConfig,
  type FrontConfigValues,
  type FrontServingConfig,
  LOG_LEVELS,
  LOG_LEVELS_TEXT,
  isLogLevel,
  type LogLevel,
  type CrlExpiredPolicy,
  type ItemSpec,
} from './items.js';
export { setConfigItems } from './edit.js';
export { loadConfigFile, writeConfigAtomic, assertConfigFitsEngine, realTarget, NEW_CONFIG_MODE } from './load.js';
export { listConfigWarnings, nearestKnownItem, editDistance, type ConfigWarning } from './lint.js';
