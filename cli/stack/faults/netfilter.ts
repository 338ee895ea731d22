/**
 * iptables rules of one fault kind inside a service's network namespace, kept in
 * two chains of their own (`<BASE>_IN` jumped to from INPUT, `<BASE>_OUT` from
 * OUTPUT) so that applying again replaces them and healing removes exactly them.
 * Loopback traffic is never touched.
 */
import { requireTools } from './netns.js';

export interface ChainRules {
  /** Rule bodies appended to `<base>_IN` (without `-A chain`), e.g. `-s 10.0.0.3 -j DROP`. */
  input: string[];
  /** Rule bodies appended to `<base>_OUT`. */
  output: string[];
}

const chains = (base: string) => ({ in: `${base}_IN`, out: `${base}_OUT` });

/** Shell script: create or flush both chains, hook them in once, append the rules. */
export function installChainsScript(base: string, rules: ChainRules): string {
  const c = chains(base);
  return [
    'set -e',
    requireTools(['iptables']),
    `iptables -w -N ${c.in} 2>/dev/null || iptables -w -F ${c.in}`,
    `iptables -w -N ${c.out} 2>/dev/null || iptables -w -F ${c.out}`,
    `iptables -w -C INPUT -j ${c.in} 2>/dev/null || iptables -w -I INPUT -j ${c.in}`,
    `iptables -w -C OUTPUT -j ${c.out} 2>/dev/null || iptables -w -I OUTPUT -j ${c.out}`,
    ...rules.input.map((r) => `iptables -w -A ${c.in} ! -i lo ${r}`),
    ...rules.output.map((r) => `iptables -w -A ${c.out} ! -o lo ${r}`),
  ].join('\n');
}

/** Shell script: unhook, flush and delete both chains; nothing there is not an error. */
export function removeChainsScript(base: string): string {
  const c = chains(base);
  return [
    requireTools(['iptables']),
    ...[
      ['INPUT', c.in],
      ['OUTPUT', c.out],
    ].map(([hook, chain]) => `while iptables -w -D ${hook} -j ${chain} 2>/dev/null; do :; done; iptables -w -F ${chain} 2>/dev/null; iptables -w -X ${chain} 2>/dev/null`),
    'exit 0',
  ].join('\n');
}

/** Shell script printing the packet counters of the chains (for tests and `status`). */
export function listChainsScript(base: string): string {
  const c = chains(base);
  return `iptables -w -L ${c.in} -v -n -x 2>/dev/null; iptables -w -L ${c.out} -v -n -x 2>/dev/null; exit 0`;
}
