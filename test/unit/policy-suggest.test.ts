import { describe, expect, it } from "vitest";
import { LineCounter, parseDocument } from "yaml";
import { didYouMean, editDistance, suggestionSuffix } from "../../src/policy/suggest.js";
import { SourceLocator, formatPath } from "../../src/policy/locate.js";

describe("did you mean", () => {
  it("edit distance counts inserts, deletes, substitutions and swaps", () => {
    expect(editDistance("mini", "mini")).toBe(0);
    expect(editDistance("minii", "mini")).toBe(1);
    expect(editDistance("modle", "model")).toBe(1);
    expect(editDistance("olama", "ollama")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });

  it("suggests the closest near miss, case-insensitively, and nothing for far-off words", () => {
    expect(didYouMean("minii", ["llama", "mini", "sonnet"])).toBe("mini");
    expect(didYouMean("Privat", ["private", "routine"])).toBe("private");
    expect(didYouMean("fallback", ["lane", "model", "fallbacks"])).toBe("fallbacks");
    expect(didYouMean("gpt5", ["llama", "mini"])).toBeUndefined();
    // short words allow a single edit only
    expect(didYouMean("ab", ["xy", "abc"])).toBe("abc");
    expect(didYouMean("ab", ["xy"])).toBeUndefined();
    expect(suggestionSuffix("webb", ["web"])).toBe(' — did you mean "web"?');
    expect(suggestionSuffix("zzz", ["web"])).toBe("");
  });
});

describe("locating paths", () => {
  const source = `version: 1
routes:
  coding:
    lane: coding
    fallbacks: [mini, sonnet]
  "odd.name": { lane: x }
  empty:
`;
  const lc = new LineCounter();
  const locate = new SourceLocator(parseDocument(source, { lineCounter: lc }), lc);

  it("formats paths readably", () => {
    expect(formatPath(["routes", "secure-core", "fallbacks", 0])).toBe("routes.secure-core.fallbacks[0]");
    expect(formatPath(["models", "qwen2.5"])).toBe('models["qwen2.5"]');
    expect(formatPath([])).toBe("(top level)");
  });

  it("finds values, keys and the place of something missing", () => {
    expect(locate.valuePosition(["routes", "coding", "fallbacks", 1])).toEqual({ line: 5, column: 23 });
    expect(locate.keyPosition(["routes", "coding", "lane"])).toEqual({ line: 4, column: 5 });
    expect(locate.valuePosition(["routes", "coding", "lane"])).toEqual({ line: 4, column: 11 });
    expect(locate.missingPosition(["routes", "coding", "model"])).toEqual({ line: 3, column: 3 });
    expect(locate.missingPosition(["routes", "nope", "model"])).toEqual({ line: 2, column: 1 });
    expect(locate.missingPosition(["lanes"])).toEqual({ line: 1, column: 1 });
    expect(locate.keyPosition(["routes", "odd.name"])).toEqual({ line: 6, column: 3 });
    // an empty value points at its key
    expect(locate.valuePosition(["routes", "empty"])).toEqual({ line: 7, column: 3 });
    expect(locate.has(["routes", "coding", "fallbacks", 0])).toBe(true);
    expect(locate.has(["routes", "coding", "model"])).toBe(false);
  });
});
