/**
 * Where things are in the policy text: document paths (`["routes", "coding", "fallbacks", 0]`) to line:column,
 * and readable path strings (`routes.coding.fallbacks[0]`). Pure.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";

export type PathSegment = string | number;

export interface Position {
  line: number;
  column: number;
}

/** `routes.secure-core.fallbacks[0]`; keys other than letters, digits, `_` and `-` are quoted: `models["qwen2.5"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else {
      const s = String(seg);
      if (/^[A-Za-z0-9_-]+$/.test(s)) out += out === "" ? s : `.${s}`;
      else out += `[${JSON.stringify(s)}]`;
    }
  }
  return out === "" ? "(top level)" : out;
}

/** What a path points at: the value node, the key node of its last segment, and how far the path resolved. */
interface Resolved {
  /** nodes along the path that exist: [root, child, ...] with the key node that led to each */
  chain: { node: Node | null | undefined; key: Node | undefined }[];
  /** true when every segment was found */
  complete: boolean;
}

/** Maps document paths to positions in the source. */
export class SourceLocator {
  /** each map's keys, indexed once: a policy with 20,000 problems is located in linear, not quadratic, time */
  private readonly mapIndex = new WeakMap<object, Map<string, { node: Node | null | undefined; key: Node | undefined }>>();

  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  private entriesOf(map: { items: Array<{ key: unknown; value: unknown }> }): Map<string, { node: Node | null | undefined; key: Node | undefined }> {
    let index = this.mapIndex.get(map);
    if (!index) {
      index = new Map();
      for (const pair of map.items) {
        const k = pair.key as Node | null;
        // the last duplicate wins, as in the parsed data
        if (isScalar(k)) index.set(String(k.value), { node: this.resolveNode(pair.value), key: k ?? undefined });
      }
      this.mapIndex.set(map, index);
    }
    return index;
  }

  /** Line and column (1-based) of a character offset. */
  positionOfOffset(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(Math.max(0, offset));
    return { line: Math.max(1, line), column: Math.max(1, col) };
  }

  private resolveNode(node: unknown): Node | null | undefined {
    let n = node as Node | null | undefined;
    for (let i = 0; i < 16 && n && isAlias(n); i++) n = n.resolve(this.doc) as Node | undefined;
    return n;
  }

  private resolve(path: readonly PropertyKey[]): Resolved {
    const root = this.resolveNode(this.doc.contents);
    const chain: Resolved["chain"] = [{ node: root, key: undefined }];
    let current = root;
    for (const seg of path) {
      if (isMap(current)) {
        const found = this.entriesOf(current as unknown as { items: Array<{ key: unknown; value: unknown }> }).get(String(seg));
        if (!found) return { chain, complete: false };
        chain.push(found);
        current = found.node;
      } else if (isSeq(current) && typeof seg === "number") {
        const item = current.items[seg] as Node | undefined;
        if (item === undefined) return { chain, complete: false };
        const node = this.resolveNode(item);
        chain.push({ node, key: undefined });
        current = node;
      } else {
        return { chain, complete: false };
      }
    }
    return { chain, complete: true };
  }

  private startOf(node: Node | null | undefined): number | undefined {
    return node?.range?.[0];
  }

  /** Position of the start of the whole document's content (line 1, column 1 for an empty file). */
  private documentStart(): Position {
    const start = this.startOf(this.resolveNode(this.doc.contents));
    return start === undefined ? { line: 1, column: 1 } : this.positionOfOffset(start);
  }

  /**
   * Position of the value at `path`. When the value is empty (`lane:` with nothing after it), the key.
   * When the path does not exist, where it should be: see {@link missingPosition}.
   */
  valuePosition(path: readonly PropertyKey[]): Position {
    const r = this.resolve(path);
    if (!r.complete) return this.missingPosition(path);
    const last = r.chain[r.chain.length - 1];
    const valueStart = this.startOf(last?.node);
    const node = last?.node;
    const empty = !node || (isScalar(node) && node.value === null && (node.source ?? "") === "");
    if (!empty && valueStart !== undefined) return this.positionOfOffset(valueStart);
    const keyStart = this.startOf(last?.key);
    if (keyStart !== undefined) return this.positionOfOffset(keyStart);
    return valueStart !== undefined ? this.positionOfOffset(valueStart) : this.documentStart();
  }

  /** Position of the key of the last path segment (for an unknown or misspelled key); the value for list items. */
  keyPosition(path: readonly PropertyKey[]): Position {
    const r = this.resolve(path);
    if (!r.complete) return this.missingPosition(path);
    const last = r.chain[r.chain.length - 1];
    const keyStart = this.startOf(last?.key);
    if (keyStart !== undefined) return this.positionOfOffset(keyStart);
    return this.valuePosition(path);
  }

  /**
   * Position for something missing at `path`: the deepest mapping that exists on the way, shown at its own key
   * (`coding:` for a missing `routes.coding.lane`), or at the start of the document for the top level.
   */
  missingPosition(path: readonly PropertyKey[]): Position {
    const r = this.resolve(path);
    const chain = r.complete ? r.chain.slice(0, -1) : r.chain;
    for (let i = chain.length - 1; i >= 0; i--) {
      const entry = chain[i];
      const keyStart = this.startOf(entry?.key);
      if (keyStart !== undefined) return this.positionOfOffset(keyStart);
      const start = this.startOf(entry?.node);
      if (start !== undefined && i > 0) return this.positionOfOffset(start);
    }
    return this.documentStart();
  }

  /** True when the path exists in the document as written (not filled in by a default). */
  has(path: readonly PropertyKey[]): boolean {
    return this.resolve(path).complete;
  }
}
