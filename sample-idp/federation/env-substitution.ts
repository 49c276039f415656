/**
 * `${NAME}` and `${NAME:-default}` in the config file's string values are replaced by
 * environment variables, so secrets (client secrets, passwords) and deployment-specific
 * URLs stay out of the file. `$$` is a literal `$`. A variable that is unset and has no
 * default is reported with the value's path; the value itself is never echoed.
 */
export interface SubstitutionIssue {
  path: (string | number)[];
  message: string;
}

const PATTERN = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function substituteEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  issues: SubstitutionIssue[],
  path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(PATTERN, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$$') return '$';
      const found = name === undefined ? undefined : env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      issues.push({
        path,
        message: `environment variable ${name} is not set (and the value has no default)`,
      });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, issues, [...path, i]));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, issues, [...path, k])]),
    );
  }
  return value;
}

/** `relyingParties[0].redirectUris[1]` from ['relyingParties', 0, 'redirectUris', 1]. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(config)';
}
