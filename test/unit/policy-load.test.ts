import { describe, expect, it } from "vitest";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPolicy, parsePolicy } from "../../src/policy/load-policy.js";
import { InputError, PolicyError, formatDiagnostic } from "../../src/lib/errors.js";
import { DEFAULT_LITELLM_VERSION } from "../../src/lib/versions.js";
import { tempDir } from "../support/cli.js";
import { BASE, FILE, errorsOf, expectAt, only, positionOf, problems, valid } from "./policy-support.js";

const HOMELAB = fileURLToPath(new URL("../fixtures/policies/homelab.yaml", import.meta.url));

describe("the issue's example policy", () => {
  it("loads with no errors and no warnings, with the lanes and aliases of the issue", async () => {
    const loaded = await loadPolicy(HOMELAB);
    expect(loaded.warnings).toEqual([]);
    expect(loaded.dir).toBe(resolve(HOMELAB, ".."));
    expect(loaded.source.startsWith("# yaml-language-server: $schema=")).toBe(true);
    expect(Object.keys(loaded.policy.lanes)).toEqual(["private", "routine", "coding", "web", "premium"]);
    expect(Object.keys(loaded.policy.routes)).toEqual([
      "secure-core",
      "local-model",
      "routine-router",
      "coding",
      "openai-fast",
      "web-model",
      "general-smart",
    ]);
    expect(loaded.policy.routes["routine-router"]?.fallbacks).toEqual(["mini"]);
    expect(loaded.policy.routes["secure-core"]?.fallbacks).toEqual([]);
    expect(loaded.policy.gateway.litellmVersion).toBe("1.110.1");
    expect(loaded.policy.secrets).toMatchObject({ provider: "env-file", file: "~/.config/gatewayctl/secrets.env" });
  });

  it("fills in defaults for what the file leaves out", () => {
    const { policy, warnings } = valid(BASE);
    expect(warnings).toEqual([]);
    expect(policy.gateway).toMatchObject({ port: 4000, bind: "127.0.0.1", litellmVersion: DEFAULT_LITELLM_VERSION, runtime: "docker" });
    expect(policy.gateway.masterKey).toEqual({ secret: "LITELLM_MASTER_KEY" });
    expect(policy.secrets.provider).toBe("env");
  });
});

describe("loadPolicy of a file it cannot read", () => {
  it("a missing file is an InputError (exit 2) with a hint to run init", async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const file = join(dir, "nope.yaml");
      const err = await loadPolicy(file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect(err).not.toBeInstanceOf(PolicyError);
      expect((err as InputError).exitCode).toBe(2);
      expect((err as InputError).message).toBe(`${file}: policy file not found`);
      expect((err as InputError).hint).toContain("gatewayctl init");
    } finally {
      await cleanup();
    }
  });

  it("a directory is an InputError naming the problem", async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await mkdir(join(dir, "policy.yaml"));
      const err = (await loadPolicy(join(dir, "policy.yaml")).catch((e: unknown) => e)) as InputError;
      expect(err).toBeInstanceOf(InputError);
      expect(err.message).toContain("it is a directory");
      expect(err.exitCode).toBe(2);
    } finally {
      await cleanup();
    }
  });

  it("an unreadable file is an InputError saying permission denied", async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const file = join(dir, "policy.yaml");
      await writeFile(file, BASE);
      await chmod(file, 0o000);
      const err = await loadPolicy(file).catch((e: unknown) => e);
      if (process.getuid?.() === 0) {
        // root reads any file: the policy then loads normally
        expect(err).toMatchObject({ file });
      } else {
        expect(err).toBeInstanceOf(InputError);
        expect((err as InputError).message).toContain("permission denied");
      }
    } finally {
      await cleanup();
    }
  });

  it("a readable invalid file throws PolicyError with the file name as given", async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const file = join(dir, "policy.yaml");
      await writeFile(file, "version: 2\n");
      const err = (await loadPolicy(file).catch((e: unknown) => e)) as PolicyError;
      expect(err).toBeInstanceOf(PolicyError);
      expect(err.diagnostics.every((d) => d.file === file)).toBe(true);
    } finally {
      await cleanup();
    }
  });
});

describe("YAML syntax", () => {
  it("reports a syntax error at its line and column", () => {
    const source = "version: 1\nbackends:\n  ollama: { type: ollama, url: [1, 2\nmodels: {}\n";
    const ds = problems(source);
    const d = ds.find((x) => x.message.startsWith("YAML syntax:"));
    expect(d).toBeDefined();
    expect(d?.line).toBe(4);
    expect(d?.severity).toBe("error");
    expect(d?.hint).toBeTruthy();
  });

  it("tabs used as indentation", () => {
    const source = "version: 1\nbackends:\n\tollama: {}\n";
    const d = only(problems(source), "tabs are not allowed");
    expect({ line: d.line, column: d.column }).toEqual({ line: 3, column: 1 });
  });

  it("more than one document", () => {
    const source = `${BASE}---\nversion: 1\n`;
    const d = only(problems(source), "more than one YAML document");
    expectAt(d, source, "---");
  });

  it("an empty file", () => {
    for (const source of ["", "# only a comment\n", "\n\n"]) {
      const d = only(problems(source), "the policy file is empty");
      expect(d.line).toBe(1);
      expect(d.hint).toContain("gatewayctl init");
    }
  });

  it("a top level that is not a mapping", () => {
    const d = only(problems("- a\n- b\n"), "expected a mapping, got a list");
    expect(d.line).toBe(1);
  });

  it("an alias to an anchor that does not exist", () => {
    const source = BASE.replace('name: "llama3.1:8b"', "name: *nowhere");
    const d = only(problems(source), "alias");
    expect(d.message).toBe("YAML: the alias *nowhere refers to no anchor &nowhere defined before it");
    expectAt(d, source, "*nowhere");
  });

  it("anchors and aliases that resolve are fine, and an alias bomb is stopped", () => {
    const source = BASE.replace('private: { privacy: local-only, description: "Stays home" }', 'private: &lane { privacy: local-only, description: "Stays home" }')
      .replace('web: { privacy: cloud-allowed, description: "Anything" }', 'web: *lane\n  web2: { privacy: cloud-allowed, description: "Anything" }')
      .replace("{ lane: web, model: mini }", "{ lane: web2, model: mini }");
    expect(valid(source).policy.lanes.web).toEqual({ privacy: "local-only", description: "Stays home" });
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
    const d = only(problems(bomb), "YAML:");
    expect(d.line).toBe(1);
  });
});

describe("duplicate keys", () => {
  it("a duplicate route alias is an error at the second one, naming the first line", () => {
    const source = `${BASE}  secure-core: { lane: web, model: mini }\n`;
    const d = only(problems(source), "duplicate route alias");
    expect(d.message).toBe('routes: duplicate route alias "secure-core" (first defined on line 12)');
    expectAt(d, source, "secure-core", 1);
    expect(d.hint).toContain("last one");
  });

  it("duplicate keys inside a mapping", () => {
    const source = BASE.replace("{ lane: private, model: llama }", "{ lane: private, model: llama, model: mini }");
    const d = only(problems(source), "duplicate key");
    expect(d.message).toBe('routes.secure-core: duplicate key "model" (first defined on line 12)');
    expectAt(d, source, "model: mini");
  });

  it("duplicate backend, model and lane names are named as such", () => {
    const source = BASE.replace("models:\n", "  ollama: { type: ollama, url: \"http://127.0.0.1:1\", location: local }\nmodels:\n");
    expect(only(problems(source), "duplicate backend name").line).toBe(5);
  });
});

describe("schema problems", () => {
  it("an unknown key with a near miss gets did-you-mean, pointing at the key", () => {
    const source = BASE.replace("{ lane: private, model: llama }", "{ lane: private, modle: llama }");
    const ds = errorsOf(source);
    const d = only(ds, "unknown key");
    expect(d.message).toBe('routes.secure-core.modle: unknown key "modle" — did you mean "model"?');
    expectAt(d, source, "modle");
    expect(d.hint).toBe("allowed here: lane, model, fallbacks, privacy, timeoutSeconds, description");
    expect(d.path).toBe("routes.secure-core.modle");
    // the missing `model` is reported too, at the route's key
    const missing = only(ds, 'missing required key "model"');
    expectAt(missing, source, "secure-core:");
  });

  it("an unknown key without a near miss has no suggestion", () => {
    const source = `${BASE}colour: blue\n`;
    const d = only(problems(source), "unknown key");
    expect(d.message).toBe('colour: unknown key "colour"');
    expectAt(d, source, "colour");
  });

  it("an unknown top-level key close to a section", () => {
    const source = BASE.replace("lanes:", "lanse:");
    const ds = problems(source);
    expect(only(ds, "unknown key").message).toBe('lanse: unknown key "lanse" — did you mean "lanes"?');
    const missing = only(ds, 'missing required key "lanes"');
    expect(missing.message).toBe('missing required key "lanes" at the top level');
    expect({ line: missing.line, column: missing.column }).toEqual({ line: 1, column: 1 });
  });

  it("a missing key points at the mapping that lacks it", () => {
    const source = BASE.replace('private: { privacy: local-only, description: "Stays home" }', "private: { privacy: local-only }");
    const d = only(problems(source), "missing required key");
    expect(d.message).toBe('lanes.private: missing required key "description"');
    expectAt(d, source, "private: {");
    expect(d.hint).toContain("what work belongs in this lane");
  });

  it("a missing version", () => {
    const source = BASE.replace("version: 1\n", "");
    const d = only(problems(source), "version");
    expect(d.message).toBe('missing "version: 1" (the policy format version)');
    expect(d.line).toBe(1);
  });

  it("a newer version", () => {
    const source = BASE.replace("version: 1", "version: 2");
    const d = only(problems(source), "version");
    expect(d.message).toBe('version: this gatewayctl reads policy version 1, not "2"');
    expectAt(d, source, "2");
  });

  it("an enum value with a typo", () => {
    const source = BASE.replace("type: ollama", "type: olama");
    const d = only(problems(source), "is not one of");
    expect(d.message).toBe(
      'backends.ollama.type: "olama" is not one of "ollama", "openai-compatible", "openai", "anthropic", "openrouter" — did you mean "ollama"?',
    );
    expectAt(d, source, "olama");
  });

  it("a wrong type", () => {
    const source = BASE.replace("version: 1\n", "version: 1\ngateway:\n  port: four-thousand\n");
    const d = only(problems(source), "gateway.port");
    expect(d.message).toBe("gateway.port: expected a number, got text");
    expectAt(d, source, "four-thousand");
    expect(d.hint).toContain("TCP port");
  });

  it("a number out of range", () => {
    const source = BASE.replace("version: 1\n", "version: 1\ngateway:\n  port: 70000\n");
    const d = only(problems(source), "gateway.port");
    expect(d.message).toBe("gateway.port: must be at most 65535");
    expectAt(d, source, "70000");
  });

  it("a secret written as a plain name gets the { secret: NAME } form as hint", () => {
    const source = BASE.replace("apiKey: { secret: OPENAI_API_KEY }", "apiKey: OPENAI_API_KEY");
    const d = only(problems(source), "a secret is written as");
    expect(d.message).toBe("backends.openai.apiKey: a secret is written as { secret: NAME }, never as a value");
    expect(d.hint).toBe("keep the value with the secrets provider and write apiKey: { secret: OPENAI_API_KEY }");
    expectAt(d, source, "OPENAI_API_KEY");
  });

  it("a secret name that is not UPPER_SNAKE_CASE", () => {
    const source = BASE.replace("{ secret: OPENAI_API_KEY }", "{ secret: openai-key }");
    const d = only(problems(source), "backends.openai.apiKey.secret");
    expect(d.message).toBe("backends.openai.apiKey.secret: has the wrong form");
    expect(d.hint).toContain("UPPER_SNAKE_CASE");
    expectAt(d, source, "openai-key");
  });

  it("an alias that is not a valid model name for clients", () => {
    const source = BASE.replace("web-model:", "Web/Model:");
    const d = only(problems(source), "not a valid route alias");
    expect(d.message).toBe('routes["Web/Model"]: "Web/Model" is not a valid route alias');
    expect(d.hint).toContain("lowercase");
    expectAt(d, source, "Web/Model");
  });

  it("an invalid backend name", () => {
    const source = BASE.replace("  openai: {", "  -openai: {").replace("backend: openai,", "backend: -openai,");
    const d = only(problems(source), "not a valid backend name");
    expectAt(d, source, "-openai: {");
  });

  it("an invalid URL", () => {
    const source = BASE.replace('url: "http://127.0.0.1:11434"', 'url: "not a url"');
    const d = only(problems(source), "not a valid URL");
    expect(d.message).toBe("backends.ollama.url: not a valid URL");
    expectAt(d, source, '"not a url"');
  });

  it("an empty value where a mapping belongs", () => {
    const source = BASE.replace("  secure-core: { lane: private, model: llama }\n", "  secure-core:\n");
    const d = only(problems(source), "routes.secure-core");
    expect(d.message).toBe("routes.secure-core: expected a mapping, got an empty value");
    expectAt(d, source, "secure-core:");
  });
});

describe("all problems at once", () => {
  it("five different errors give five diagnostics, sorted by line", () => {
    const source = `version: 1
gateway:
  prot: 4000
backends:
  ollama: { type: ollama, url: "http://127.0.0.1:11434", location: local }
  openai: { type: openai, apiKey: { secret: OPENAI_API_KEY }, location: cloud }
models:
  llama: { backend: ollama, name: "llama3.1:8b" }
  mini: { backend: openai, name: gpt-4o-mini, price: { input: 0.15, output: 0.6 } }
lanes:
  private: { privacy: local-only, description: "Stays home", maxPrice: { input: -1, output: 0 } }
  web: { privacy: cloud-alowed, description: "Anything" }
routes:
  secure-core: { lane: private, model: llama, fallbacks: "mini" }
  Web-Model: { lane: web, model: mini }
`;
    const ds = problems(source);
    expect(ds.map((d) => d.message)).toEqual([
      'gateway.prot: unknown key "prot" — did you mean "port"?',
      "lanes.private.maxPrice.input: must be at least 0",
      'lanes.web.privacy: "cloud-alowed" is not one of "local-only", "local-first", "cloud-allowed" — did you mean "cloud-allowed"?',
      "routes.secure-core.fallbacks: expected a list, got text",
      'routes.Web-Model: "Web-Model" is not a valid route alias',
    ]);
    expect(ds.map((d) => d.line)).toEqual([3, 11, 12, 14, 15]);
    expect(ds.every((d) => d.severity === "error" && d.file === FILE && (d.column ?? 0) >= 1)).toBe(true);
  });

  it("cross-field problems are all reported together, errors with warnings, in file order", () => {
    const source = BASE.replace("version: 1\n", "version: 1\ngateway:\n  bind: 0.0.0.0\n")
      .replace("backend: ollama,", "backend: olama,")
      .replace("{ lane: private, model: llama }", "{ lane: privat, model: llama }")
      .replace("{ lane: web, model: mini }", "{ lane: web, model: mini, fallbacks: [mini, sonet] }");
    const err = (() => {
      try {
        parsePolicy(source, FILE);
      } catch (e) {
        return e as PolicyError;
      }
      throw new Error("expected a PolicyError");
    })();
    expect(err.message).toBe(`${FILE}: 4 problems in the policy`);
    expect(err.diagnostics.map((d) => [d.line, d.severity, d.message])).toEqual([
      [3, "warning", "gateway.bind: the gateway listens on every network interface: anything that can reach this machine can reach it"],
      [8, "error", 'models.llama.backend: unknown backend "olama" — did you mean "ollama"?'],
      [14, "error", 'routes.secure-core.lane: unknown lane "privat" — did you mean "private"?'],
      [15, "error", 'routes.web-model.fallbacks[0]: fallback "mini" is the route\'s primary model'],
      [15, "error", 'routes.web-model.fallbacks[1]: unknown model "sonet"'],
    ]);
    // what a person sees
    expect(formatDiagnostic(err.diagnostics[1]!)).toBe(
      `${FILE}:8:21: models.llama.backend: unknown backend "olama" — did you mean "ollama"?\n  hint: backends defined: "ollama", "openai"`,
    );
  });
});

describe("positions", () => {
  it("follow block style as well as flow style", () => {
    const source = `version: 1
backends:
  ollama:
    type: ollama
    url: "http://127.0.0.1:11434"
    location: local
models:
  llama:
    backend: ollama
    name: "llama3.1:8b"
lanes:
  private:
    privacy: local-only
    description: "Stays home"
routes:
  secure-core:
    lane: private
    model: llama
    fallbacks:
      - lama
`;
    const d = only(problems(source), "unknown model");
    expect(d.message).toBe('routes.secure-core.fallbacks[0]: unknown model "lama" — did you mean "llama"?');
    expect({ line: d.line, column: d.column }).toEqual({ line: 20, column: 9 });
    expect(positionOf(source, "- lama")).toEqual({ line: 20, column: 7 });
  });
});

describe("large and very wrong policies", () => {
  it("locates each problem without rescanning its map: 20,000 bad routes read the routes map's items once", async () => {
    const { LineCounter, parseDocument, isMap } = await import("yaml");
    const { SourceLocator } = await import("../../src/policy/locate.js");
    const lines = ["routes:"];
    for (let i = 0; i < 20_000; i++) lines.push(`  r${i}: { lane: nolane${i}, model: nomodel${i} }`);
    const lineCounter = new LineCounter();
    const doc = parseDocument(lines.join("\n"), { lineCounter });
    const routes = doc.get("routes", true);
    if (!isMap(routes)) throw new Error("routes is not a map");
    let scans = 0;
    const items = routes.items;
    routes.items = new Proxy(items, {
      get(target, prop, receiver) {
        if (prop === Symbol.iterator) scans++;
        return Reflect.get(target, prop, receiver);
      },
    });
    const locator = new SourceLocator(doc, lineCounter);
    for (let i = 0; i < 20_000; i += 1) expect(locator.valuePosition(["routes", `r${i}`, "lane"]).line).toBe(i + 2);
    // before: one scan of all 20,000 items per problem (quadratic: 20,000 problems took 100 s)
    expect(scans).toBeLessThanOrEqual(1);
  });

  it("refuses a policy file over the size limit before reading it, with the limit (exit 2)", async () => {
    const { dir, cleanup } = await tempDir("gatewayctl-big-policy-");
    try {
      const file = join(dir, "gateway.policy.yaml");
      await writeFile(file, `version: 1\n# ${"x".repeat(9 * 1024 * 1024)}\n`);
      const err = await loadPolicy(file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).code).toBe("INPUT_TOO_LARGE");
      expect((err as Error).message).toBe(`${file} is 9.0 MiB, more than the 8 MiB a policy file may be; nothing was read`);
    } finally {
      await cleanup();
    }
  });
});
