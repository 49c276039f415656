// Which named locations contain an address. IPv6 CIDRs go into a binary prefix trie over
// address bits: each CIDR marks the node at its prefix with a value (a named location's
// index), and a lookup walks at most 128 nodes collecting every value on the way. IPv4 CIDRs
// become a sorted table of disjoint address intervals, each with the values of every CIDR
// covering it, found by binary search in one contiguous array: about 15 steps for 10,000
// ranges. (A bit trie over 10,000 IPv4 ranges is some 200,000 scattered nodes; walking 20-30
// of them per lookup costs a cache miss each, about ten times a lookup among 1,000 ranges.)
// The table is (re)built by prepare() or on the first lookup after an insert.
import type { ParsedCidr } from './ip.ts';

interface TrieNode {
  zero: TrieNode | null;
  one: TrieNode | null;
  values: number[] | null;
}

const node = (): TrieNode => ({ zero: null, one: null, values: null });

interface V4Range {
  /** First address, as an unsigned 32-bit number. */
  start: number;
  /** One past the last address (up to 2^32). */
  end: number;
  value: number;
}

interface V4Table {
  /** Interval starts, ascending; starts[0] is 0, so every address falls in one interval. */
  starts: Float64Array;
  /** The values of the CIDRs covering each interval, each once. */
  values: (readonly number[])[];
}

const V4_SPACE = 2 ** 32;

function buildV4Table(ranges: readonly V4Range[]): V4Table {
  const byStart = [...ranges].sort((a, b) => a.start - b.start);
  const byEnd = ranges.filter((r) => r.end < V4_SPACE).sort((a, b) => a.end - b.end);
  const all = new Float64Array(1 + byStart.length + byEnd.length);
  let n = 1; // all[0] = 0
  for (const r of byStart) all[n++] = r.start;
  for (const r of byEnd) all[n++] = r.end;
  all.sort();
  const starts = new Float64Array(n);
  let count = 0;
  for (let k = 0; k < n; k++) if (count === 0 || all[k] !== starts[count - 1]) starts[count++] = all[k] ?? 0;
  // Sweep the interval starts, keeping how many CIDRs of each value cover the current one.
  const active = new Map<number, number>();
  const values: (readonly number[])[] = [];
  const none: readonly number[] = [];
  let i = 0;
  let j = 0;
  for (let k = 0; k < count; k++) {
    const point = starts[k] ?? 0;
    for (let r = byEnd[j]; r !== undefined && r.end === point; r = byEnd[++j]) {
      const left = (active.get(r.value) ?? 0) - 1;
      if (left === 0) active.delete(r.value);
      else active.set(r.value, left);
    }
    for (let r = byStart[i]; r !== undefined && r.start === point; r = byStart[++i])
      active.set(r.value, (active.get(r.value) ?? 0) + 1);
    values.push(active.size === 0 ? none : [...active.keys()]);
  }
  return { starts: starts.subarray(0, count), values };
}

/** Named locations' CIDRs, each inserted with its location's index; `lookup` finds the indexes containing an address. */
export class CidrTrie {
  private readonly v4: V4Range[] = [];
  private v4Table: V4Table | null = null;
  private readonly v6 = node();

  insert(cidr: ParsedCidr, value: number): void {
    if (cidr.bytes.length === 4) {
      const b = cidr.bytes;
      const address = (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
      const size = 2 ** (32 - cidr.prefix);
      const start = Math.floor(address / size) * size; // bits past the prefix do not count
      this.v4.push({ start, end: start + size, value });
      this.v4Table = null;
      return;
    }
    let at = this.v6;
    for (let bit = 0; bit < cidr.prefix; bit++) {
      const set = ((cidr.bytes[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1;
      if (set) at = at.one ??= node();
      else at = at.zero ??= node();
    }
    if (at.values === null) at.values = [value];
    else if (!at.values.includes(value)) at.values.push(value);
  }

  /** Builds the IPv4 table now rather than on the first lookup (after the last insert, say). */
  prepare(): void {
    this.v4Table ??= buildV4Table(this.v4);
  }

  /** Every value whose CIDR contains `ip`, each once (order unspecified). */
  lookup(ip: Uint8Array): number[] {
    if (ip.length === 4) {
      this.v4Table ??= buildV4Table(this.v4);
      const { starts, values } = this.v4Table;
      const x = (((ip[0] ?? 0) << 24) | ((ip[1] ?? 0) << 16) | ((ip[2] ?? 0) << 8) | (ip[3] ?? 0)) >>> 0;
      // The last interval starting at or before x.
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((starts[mid] ?? 0) <= x) lo = mid;
        else hi = mid - 1;
      }
      return [...(values[lo] ?? [])];
    }
    const found: number[] = [];
    let at: TrieNode | null = this.v6;
    const bits = ip.length * 8;
    for (let bit = 0; at !== null; bit++) {
      if (at.values !== null) for (const v of at.values) if (!found.includes(v)) found.push(v);
      if (bit === bits) break;
      at = ((ip[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1 ? at.one : at.zero;
    }
    return found;
  }
}
