// Text output of the CLI: what-if decisions and policy lists, for a terminal; times as ISO.
import { type Decision, mustEnroll, skipOf, userMessageOf } from '../engine/decision.ts';
import type { PolicyResult, SessionControls } from '../policy/evaluation.ts';
import type { Policy } from '../policy/model.ts';
import type { GrantRequirement } from '../policy/strength.ts';

/** A time in ms as the CLI prints it (text and JSON): ISO 8601 in UTC; null stays null. */
export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const requirementText = (r: GrantRequirement) =>
  r.strengths.join(r.operator === 'requireAll' ? ' and ' : ' or ');

const grantText = (grant: PolicyResult['grant']) =>
  grant === 'block' ? 'block' : `require ${requirementText(grant)}`;

function sessionText(s: SessionControls): string {
  const hours = s.signInFrequencyMs === null ? 'none' : `${s.signInFrequencyMs / 3_600_000} h`;
  const remember = s.rememberDeviceAllowed
    ? s.rememberDeviceMaxDays === null
      ? 'allowed'
      : `allowed up to ${s.rememberDeviceMaxDays} days`
    : 'not allowed';
  return `sign-in frequency ${hours}; remembered devices ${remember}`;
}

function resultLines(r: PolicyResult): string[] {
  const outcome = r.matched
    ? r.enforced
      ? `matched -> ${grantText(r.grant)}`
      : r.state === 'reportOnly'
        ? `matched (report-only: would ${grantText(r.grant)})`
        : 'matched (off)'
    : `not matched (${r.failedCondition ?? 'a condition'} did not match)`;
  const lines = [`  ${r.policyId} [${r.state}] "${r.name}": ${outcome}`];
  const width = Math.max(0, ...(r.conditions ?? []).map((c) => c.condition.length));
  for (const c of r.conditions ?? [])
    lines.push(`      ${c.condition.padEnd(width)}  ${c.matched ? 'yes' : 'no '}  ${c.detail}`);
  return lines;
}

export function formatDecision(
  decision: Decision,
  facts: { userId: string; app: string; ip: string; userAction?: string },
): string {
  const out: string[] = [];
  const skipped = decision.action === 'allow' ? skipOf(decision) : null;
  out.push(
    `Decision: ${decision.action}${mustEnroll(decision) ? ' (the user must register a method first)' : ''}`,
  );
  const target = facts.userAction ? `user action ${facts.userAction}` : `app ${facts.app}`;
  out.push(`  user ${facts.userId}, ${target}, address ${facts.ip}`);
  out.push(
    `  per-user MFA state: ${decision.userState}; registered methods: ${decision.methods.length}` +
      (skipped ? `; MFA skipped by: ${skipped}` : ''),
  );
  const message = userMessageOf(decision);
  if (message) out.push(`User message: ${message}`);
  out.push('Requirements:');
  const requirements = decision.action === 'allow' ? [] : decision.requirements;
  if (requirements.length === 0) out.push('  (none)');
  for (const r of requirements) out.push(`  ${r.source}: ${requirementText(r)}`);
  out.push(`Session controls: ${sessionText(decision.sessionControls)}`);
  out.push('Reasons:');
  for (const r of decision.reasons) out.push(`  ${r.code}: ${r.message}`);
  const policy = decision.policy;
  if (!policy) {
    out.push('Policies: none active');
  } else {
    out.push(`Policies (version ${policy.version}):`);
    for (const r of policy.results) out.push(...resultLines(r));
    out.push('Report-only policies that matched:');
    if (policy.reportOnly.length === 0) out.push('  (none)');
    for (const r of policy.reportOnly) out.push(`  ${r.policyId}: would ${grantText(r.grant)}`);
  }
  return `${out.join('\n')}\n`;
}

export function formatPolicyList(version: number, policies: readonly Policy[]): string {
  const out = [`Policies (version ${version}): ${policies.length}`];
  const width = Math.max(2, ...policies.map((p) => p.id.length));
  for (const p of policies) {
    const grant =
      'block' in p.grant
        ? 'block'
        : `${p.grant.operator} ${p.grant.controls.map((c) => (c === 'mfa' ? 'mfa' : c.authenticationStrength)).join(', ')}`;
    out.push(`  ${p.id.padEnd(width)}  ${p.state.padEnd(10)}  ${p.name}  (${grant})`);
  }
  return `${out.join('\n')}\n`;
}
