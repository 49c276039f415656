import type { ParsedCidr } from './ip.ts';

/**
 * A binary prefix trie over address bits, one per family. Each CIDR marks the node at its
 * prefix with a value (a named location's index); a lookup walks at most 32 (IPv4) or 128
 * (IPv6) nodes and collects every value on the way, so its cost does not grow with the
 * number of ranges — 10,000 office CIDRs cost what 10 do.
 */
interface TrieNode {
  zero: TrieNode | null;
  one: TrieNode | null;
  values: number[] | null;
}

const node = (): TrieNode => ({ zero: null, one: null, values: null });

export class CidrTrie {
  private readonly v4 = node();
  private readonly v6 = node();

  insert(cidr: ParsedCidr, value: number): void {
    let at = cidr.bytes.length === 4 ? this.v4 : this.v6;
    for (let bit = 0; bit < cidr.prefix; bit++) {
      const set = ((cidr.bytes[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1;
      if (set) at = at.one ??= node();
      else at = at.zero ??= node();
    }
    if (at.values === null) at.values = [value];
    else if (!at.values.includes(value)) at.values.push(value);
  }

  /** Every value whose CIDR contains `ip`, each once (order unspecified). */
  lookup(ip: Uint8Array): number[] {
    const found: number[] = [];
    let at: TrieNode | null = ip.length === 4 ? this.v4 : this.v6;
    const bits = ip.length * 8;
    for (let bit = 0; at !== null; bit++) {
      if (at.values !== null) for (const v of at.values) if (!found.includes(v)) found.push(v);
      if (bit === bits) break;
      at = ((ip[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1 ? at.one : at.zero;
    }
    return found;
  }
}
