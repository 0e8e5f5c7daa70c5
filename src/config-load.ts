import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { InvalidSetting, SECTIONS, SETTINGS, SETTING_NAMES, type Setting, type SettingName, type SettingValues } from './config-settings.js';

/** A bad setting: `field` names the key and where it came from (`STRONGBOX_PORT`, `config file F: limits.x`). */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ConfigError';
  }
}

export const ENV_PREFIX = 'STRONGBOX_';

/** Where each setting is read, derived from its name and kind: the only naming rule. */
export interface SettingNames {
  /** Commander flag, `--name` or, for a secret, `--name-file`. */
  readonly flag: string;
  /** Commander's attribute for the flag (camel case). */
  readonly attr: string;
  readonly env: string;
  /** For a secret: the variable holding the path of a file that holds it. */
  readonly envFile: string | undefined;
  /** `section.name` or, for a secret, `section.name-file`. */
  readonly fileKey: string;
}

export function namesOf(name: SettingName): SettingNames {
  const s: Setting = SETTINGS[name];
  const flagName = s.kind === 'secret' ? `${name}-file` : name;
  const env = ENV_PREFIX + name.toUpperCase().replaceAll('-', '_');
  return {
    flag: `--${flagName}`,
    attr: flagName.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()),
    env,
    envFile: s.kind === 'secret' ? `${env}_FILE` : undefined,
    fileKey: `${s.section}.${flagName}`,
  };
}

export type Raw = string | boolean | readonly string[];
/** Command-line options as commander hands them over (attribute names in camel case). */
export type ServeOptions = Readonly<Record<string, Raw | undefined>>;
export interface ConfigFile {
  readonly path: string;
  readonly text: string;
}

/** Where a setting's value came from, for errors and `--print-config`. */
export type Source =
  | { readonly kind: 'flag'; readonly flag: string }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'file'; readonly path: string; readonly key: string }
  | { readonly kind: 'default' };
/** A secret read from a file keeps the file's path to show instead of the value. */
interface Given {
  readonly raw: Raw;
  readonly source: Source;
  readonly secretFile?: string;
}

export interface ResolvedSettings {
  readonly values: SettingValues;
  /** What was given for each setting, if anything (secrets included: redact before showing). */
  readonly given: Readonly<Partial<Record<SettingName, Given>>>;
}

export function describeSource(source: Source): string {
  switch (source.kind) {
    case 'flag':
      return source.flag;
    case 'env':
      return source.name;
    case 'file':
      return `config file ${source.path}: ${source.key}`;
    case 'default':
      return 'default';
  }
}

export function readConfigFile(path: string): ConfigFile {
  try {
    return { path, text: readFileSync(path, 'utf8') };
  } catch (err) {
    throw new ConfigError(`config file ${path}`, `cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** A secret's file: its text without one trailing newline. */
function readSecretFile(path: string, source: Source): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new ConfigError(describeSource(source), `cannot read the secret file "${path}" (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (text === '') throw new ConfigError(describeSource(source), `the secret file "${path}" is empty`);
  return text;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** The file's settings, checked for unknown keys, inline secrets and TOML types. */
function fromFile(file: ConfigFile): Map<SettingName, Given> {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(file.text);
  } catch (err) {
    throw new ConfigError(`config file ${file.path}`, err instanceof Error ? err.message : String(err));
  }
  const byKey = new Map(SETTING_NAMES.map((n) => [namesOf(n).fileKey, n]));
  const secretInline = new Map(SETTING_NAMES.filter((n) => SETTINGS[n].kind === 'secret').map((n) => [`${SETTINGS[n].section}.${n}`, n]));
  const out = new Map<SettingName, Given>();
  for (const [section, table] of Object.entries(doc)) {
    const where = (key: string) => `config file ${file.path}: ${key}`;
    if (!(SECTIONS as readonly string[]).includes(section) || !isRecord(table)) {
      throw new ConfigError(where(section), `unknown ${isRecord(table) ? 'section' : 'key'}: settings go in the sections ${SECTIONS.join(', ')}`);
    }
    for (const [k, v] of Object.entries(table)) {
      const key = `${section}.${k}`;
      const inline = secretInline.get(key);
      if (inline !== undefined) {
        const n = namesOf(inline);
        throw new ConfigError(where(key), `a secret is not accepted inline in the config file: give ${n.fileKey} = "/path/to/file", or set ${n.env}`);
      }
      const name = byKey.get(key);
      if (name === undefined) throw new ConfigError(where(key), 'unknown key');
      const source: Source = { kind: 'file', path: file.path, key };
      out.set(name, { ...fileValue(SETTINGS[name], v, where(key)), source });
    }
  }
  return out;
}

function fileValue(s: Setting, v: unknown, where: string): Omit<Given, 'source'> {
  switch (s.kind) {
    case 'flag':
      if (typeof v !== 'boolean') throw new ConfigError(where, `expected true or false, got ${JSON.stringify(v)}`);
      return { raw: v };
    case 'list':
      if (typeof v === 'string') return { raw: [v] };
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ConfigError(where, `expected an array of strings, got ${JSON.stringify(v)}`);
      return { raw: v };
    case 'value':
      if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'bigint') return { raw: String(v) };
      throw new ConfigError(where, `expected a string or a number, got ${JSON.stringify(v)}`);
    case 'secret':
      if (typeof v !== 'string' || v === '') throw new ConfigError(where, `expected the path of a file, got ${JSON.stringify(v)}`);
      return { raw: v, secretFile: v };
  }
}

function fromEnv(name: SettingName, env: NodeJS.ProcessEnv): Given | undefined {
  const s: Setting = SETTINGS[name];
  const n = namesOf(name);
  const text = env[n.env];
  const source: Source = { kind: 'env', name: n.env };
  if (s.kind === 'secret') {
    const path = env[n.envFile ?? ''];
    if (text && path) throw new ConfigError(`${n.env}/${n.envFile ?? ''}`, 'set one or the other');
    if (text) return { raw: text, source };
    if (path) return { raw: path, secretFile: path, source: { kind: 'env', name: n.envFile ?? '' } };
    return undefined;
  }
  if (text === undefined || text === '') return undefined;
  switch (s.kind) {
    case 'flag': {
      const t = text.toLowerCase();
      if (t !== 'true' && t !== 'false' && t !== '1' && t !== '0') throw new ConfigError(n.env, `expected true, false, 1 or 0, got "${text}"`);
      return { raw: t === 'true' || t === '1', source };
    }
    case 'list':
      return { raw: text.split(','), source };
    case 'value':
      return { raw: text, source };
  }
}

function fromFlags(name: SettingName, opts: ServeOptions): Given | undefined {
  const n = namesOf(name);
  const v = opts[n.attr];
  if (v === undefined) return undefined;
  const source: Source = { kind: 'flag', flag: n.flag };
  return SETTINGS[name].kind === 'secret' ? { raw: v, secretFile: String(v), source } : { raw: v, source };
}

/** Every setting from flags, over the environment, over the config file, over its default; validated. */
export function resolveSettings(opts: ServeOptions, env: NodeJS.ProcessEnv, file?: ConfigFile): ResolvedSettings {
  const inFile = file === undefined ? new Map<SettingName, Given>() : fromFile(file);
  const given: Partial<Record<SettingName, Given>> = {};
  const values: Record<string, unknown> = {};
  for (const name of SETTING_NAMES) {
    const g = fromFlags(name, opts) ?? fromEnv(name, env) ?? inFile.get(name);
    if (g !== undefined) given[name] = g;
    values[name] = parseOne(name, g);
  }
  return { values: values as SettingValues, given };
}

function parseOne(name: SettingName, g: Given | undefined): unknown {
  const s: Setting = SETTINGS[name];
  const label = g === undefined ? `default ${name}` : describeSource(g.source);
  try {
    switch (s.kind) {
      case 'flag':
        return s.parse(g?.raw === true);
      case 'list':
        return s.parse(g === undefined ? [] : typeof g.raw === 'string' ? [g.raw] : (g.raw as readonly string[]));
      case 'value':
        if (g === undefined) return s.default === undefined ? undefined : s.parse(s.default);
        return s.parse(String(g.raw));
      case 'secret':
        if (g === undefined) return undefined;
        return s.parse(g.secretFile === undefined ? String(g.raw) : readSecretFile(g.secretFile, g.source));
    }
  } catch (err) {
    if (err instanceof InvalidSetting) throw new ConfigError(label, err.message);
    throw err;
  }
}

const tomlString = (v: string) => JSON.stringify(v);
function shown(name: SettingName, g: Given | undefined): string {
  const s: Setting = SETTINGS[name];
  if (g === undefined) {
    if (s.kind === 'flag') return 'false';
    if (s.kind === 'list') return '[]';
    if (s.kind === 'value' && s.default !== undefined) return tomlString(s.default);
    return `(unset${s.kind === 'value' && s.defaultText !== undefined ? `: ${s.defaultText}` : ''})`;
  }
  if (s.kind === 'secret') return g.secretFile === undefined ? '(redacted)' : `(redacted, from file ${tomlString(g.secretFile)})`;
  if (typeof g.raw === 'boolean') return String(g.raw);
  if (typeof g.raw === 'string') return tomlString(g.raw);
  return `[${g.raw.map(tomlString).join(', ')}]`;
}

/** The effective settings, section by section, each with its source; secrets redacted. */
export function renderEffectiveConfig(resolved: ResolvedSettings): string {
  const lines: string[] = [];
  for (const section of SECTIONS) {
    const names = SETTING_NAMES.filter((n) => SETTINGS[n].section === section && SETTINGS[n].hidden !== true);
    if (names.length === 0) continue;
    lines.push(`[${section}]`);
    for (const name of names) {
      const g = resolved.given[name];
      lines.push(`${name} = ${shown(name, g)}  # ${g === undefined ? 'default' : describeSource(g.source)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
