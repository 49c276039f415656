// Loading a policy document: from an object, JSON/YAML text or a file. Either the whole
// document is valid and comes back typed, or a PolicyLoadError lists every problem with
// its path (`policies.3.grant.controls.0.authenticationStrength: unknown authentication
// strength "fido"`). Nothing half-loaded is ever returned.
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { MfaError } from '../errors.ts';
import { POLICY_LIMITS, type PolicyDocument, policyDocumentSchema } from './model.ts';

/** One problem in a document, at its path in the whole document. */
export interface PolicyIssue {
  path: string;
  message: string;
}

export class PolicyLoadError extends MfaError {
  readonly issues: PolicyIssue[];
  constructor(issues: PolicyIssue[]) {
    const shown = issues.slice(0, 20).map((i) => `${i.path}: ${i.message}`);
    if (issues.length > 20) shown.push(`... and ${issues.length - 20} more`);
    super('policy_invalid', `invalid policy document: ${shown.join('; ')}`, 400);
    this.name = 'PolicyLoadError';
    this.issues = issues;
  }
}

/** Validates a parsed document (an object). */
export function parsePolicyDocument(value: unknown): PolicyDocument {
  const parsed = policyDocumentSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new PolicyLoadError(
    parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })),
  );
}

/** Parses JSON or YAML text, then validates it. */
export function parsePolicyText(text: string, format: 'json' | 'yaml' = 'json'): PolicyDocument {
  if (Buffer.byteLength(text) > POLICY_LIMITS.documentBytes)
    throw new PolicyLoadError([
      { path: '(root)', message: `document is larger than ${POLICY_LIMITS.documentBytes} bytes` },
    ]);
  let value: unknown;
  try {
    value =
      format === 'json'
        ? JSON.parse(text)
        : parseYaml(text, { maxAliasCount: 100, uniqueKeys: true, prettyErrors: false });
  } catch (err) {
    throw new PolicyLoadError([
      {
        path: '(root)',
        message: `not valid ${format.toUpperCase()}: ${(err as Error).message.split('\n')[0]}`,
      },
    ]);
  }
  return parsePolicyDocument(value);
}

/** Reads a `.json`, `.yaml` or `.yml` file. */
export async function loadPolicyFile(path: string): Promise<PolicyDocument> {
  const ext = extname(path).toLowerCase();
  const format = ext === '.json' ? 'json' : ext === '.yaml' || ext === '.yml' ? 'yaml' : null;
  if (format === null)
    throw new PolicyLoadError([{ path: '(file)', message: `${path}: use a .json, .yaml or .yml file` }]);
  const info = await stat(path);
  if (info.size > POLICY_LIMITS.documentBytes)
    throw new PolicyLoadError([
      { path: '(file)', message: `${path} is larger than ${POLICY_LIMITS.documentBytes} bytes` },
    ]);
  return parsePolicyText(await readFile(path, 'utf8'), format);
}
