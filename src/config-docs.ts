import { SECTIONS, SETTINGS, SETTING_NAMES, type Setting, type SettingName } from './config-settings.js';
import { ENV_PREFIX, namesOf } from './config-load.js';

function defaultOf(s: Setting): string {
  switch (s.kind) {
    case 'flag':
      return '`false`';
    case 'list':
      return 'none';
    case 'secret':
      return 'none';
    case 'value':
      return s.defaultText ?? (s.default === undefined ? 'none' : `\`${s.default}\``);
  }
}

function typeOf(s: Setting): string {
  switch (s.kind) {
    case 'flag':
      return 'boolean';
    case 'list':
      return `array of ${s.arg}`;
    case 'secret':
      return 'secret (path of a file)';
    case 'value':
      return s.arg;
  }
}

/** Markdown table cells: no pipes, and angle brackets shown rather than read as HTML. */
const escape = (text: string) => text.replaceAll('|', '\\|').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

const row = (name: SettingName): string => {
  const s: Setting = SETTINGS[name];
  const n = namesOf(name);
  const flag = s.kind === 'secret' ? `\`${n.flag} FILE\`` : `\`${n.flag}\``;
  const env = n.envFile === undefined ? `\`${n.env}\`` : `\`${n.env}\`, \`${n.envFile}\``;
  return `| \`${n.fileKey}\` | ${flag} | ${env} | ${typeOf(s)} | ${escape(defaultOf(s))} | ${escape(s.help)} |`;
};

/** docs/configuration.md, generated from the settings table (`npm run docs:config`); a test keeps it current. */
export function renderConfigReference(): string {
  const out = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config-settings.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    '`strongbox serve` reads each setting from, in order of precedence: its command-line flag, its',
    `environment variable (\`${ENV_PREFIX}\` and the name in upper snake case), the TOML file given by`,
    `\`--config FILE\` (or \`${ENV_PREFIX}CONFIG\`), and its default. File keys are kebab-case, in the`,
    'sections below; an unknown section or key is an error. Relative paths are relative to the',
    'working directory. `strongbox serve --print-config` shows the effective values and their sources.',
    '',
    'Secrets never travel on the command line. A secret is read from the file named by its `…-file`',
    'flag, its `…_FILE` variable or its `…-file` key in the config file, or taken from its variable;',
    'a secret written inline in the config file is refused. One trailing newline in a secret file is',
    'ignored. A configuration error names the key and its source, and `strongbox` exits with status 2.',
    '',
  ];
  for (const section of SECTIONS) {
    const names = SETTING_NAMES.filter((n) => SETTINGS[n].section === section && SETTINGS[n].hidden !== true);
    if (names.length === 0) continue;
    out.push(`## [${section}]`, '', '| File key | Flag | Environment | Type | Default | Meaning |', '|---|---|---|---|---|---|');
    out.push(...names.map(row), '');
  }
  return out.join('\n');
}
