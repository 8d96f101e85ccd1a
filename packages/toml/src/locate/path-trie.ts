import type { TextPosition } from './key-locator.js';

/** A node of a {@link PathTrie}: a key path, by number (the root, the empty path, is 0). */
export type PathNode = number;

/**
 * The key paths written in a TOML text, as a trie: each path is its parent's
 * node and one more part, so recording a dotted key of n parts and the n
 * tables it creates costs n steps, where keeping each path whole (one joined
 * path per ancestor) costs n^2 in time and memory. Nodes are numbers, with
 * the parts below each in one map for the whole trie (a few dozen bytes a
 * node), not a map per node.
 */
export class PathTrie {
  /** The document's root, the empty path. */
  readonly root: PathNode = 0;
  /** A node's children, by `${parent}/${part}` (a node number has no `/`, so the key is unambiguous). */
  readonly #children = new Map<string, PathNode>();
  /** Where the path of each node was first written, when it was. */
  readonly #positions: (TextPosition | undefined)[] = [undefined];

  /** The node of `parent`'s path and `part`, made when missing. */
  child(parent: PathNode, part: string): PathNode {
    const key = `${parent}/${part}`;
    let node = this.#children.get(key);
    if (node === undefined) {
      node = this.#positions.length;
      this.#positions.push(undefined);
      this.#children.set(key, node);
    }
    return node;
  }

  /** Records where a node's path is written, unless it was recorded before. */
  record(node: PathNode, position: TextPosition): void {
    this.#positions[node] ??= position;
  }

  /** The node of `path`; undefined when it was never written. */
  nodeOf(path: readonly string[]): PathNode | undefined {
    let node: PathNode | undefined = this.root;
    for (const part of path) {
      node = this.#children.get(`${node}/${part}`);
      if (node === undefined) return undefined;
    }
    return node;
  }

  /** The position of `path`, or that of its nearest ancestor that was recorded; undefined when none was. */
  find(path: readonly string[]): TextPosition | undefined {
    let found: TextPosition | undefined;
    let node: PathNode | undefined = this.root;
    for (const part of path) {
      node = this.#children.get(`${node}/${part}`);
      if (node === undefined) break;
      found = this.#positions[node] ?? found;
    }
    return found;
  }
}
