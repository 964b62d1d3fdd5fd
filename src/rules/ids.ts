import { RULES } from '../report/rules.js';

/** Whether a rule id comes from the policy's CEL rules (`rule.*`) or a check plugin, not the built-in catalog. */
export function isCustomRule(id: string): boolean {
  return id.startsWith('rule.') || !Object.prototype.hasOwnProperty.call(RULES, id);
}
