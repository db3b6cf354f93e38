import { describe, expect, it } from "vitest";
import { BASE, errorsOf, expectAt, only, problems, valid } from "./policy-support.js";

/** BASE with extra text inserted after a section header line (e.g. "backends:\n"). */
function withLines(header: string, lines: string, source = BASE): string {
  if (!source.includes(header)) throw new Error(`no ${header}`);
  return source.replace(header, `${header}${lines}`);
}

function warningsOf(source: string) {
  return valid(source).warnings;
}

describe("references", () => {
  it("an unknown backend, with did-you-mean and the defined names as hint", () => {
    const source = BASE.replace("backend: openai,", "backend: opena,");
    const d = only(errorsOf(source), "unknown backend");
    expect(d.message).toBe('models.mini.backend: unknown backend "opena" — did you mean "openai"?');
    expect(d.hint).toBe('backends defined: "ollama", "openai"');
    expectAt(d, source, "opena,");
  });

  it("an unknown lane", () => {
    const source = BASE.replace("{ lane: web, model: mini }", "{ lane: webb, model: mini }");
    const d = only(errorsOf(source), "unknown lane");
    expect(d.message).toBe('routes.web-model.lane: unknown lane "webb" — did you mean "web"?');
    expect(d.hint).toBe('lanes defined: "private", "web"');
    expectAt(d, source, "webb");
  });

  it("an unknown primary model and an unknown fallback", () => {
    const source = BASE.replace("{ lane: web, model: mini }", "{ lane: web, model: mimi, fallbacks: [minii, gpt5] }");
    const ds = errorsOf(source);
    expect(ds.map((d) => d.message)).toEqual([
      'routes.web-model.model: unknown model "mimi" — did you mean "mini"?',
      'routes.web-model.fallbacks[0]: unknown model "minii" — did you mean "mini"?',
      'routes.web-model.fallbacks[1]: unknown model "gpt5"',
    ]);
    expectAt(ds[0]!, source, "mimi");
    expectAt(ds[1]!, source, "minii");
    expectAt(ds[2]!, source, "gpt5");
  });

  it("a fallback equal to the primary, and a repeated fallback", () => {
    const source = BASE.replace("{ lane: web, model: mini }", "{ lane: web, model: mini, fallbacks: [llama, mini, llama] }");
    const ds = errorsOf(source);
    expect(ds.map((d) => d.message)).toEqual([
      'routes.web-model.fallbacks[1]: fallback "mini" is the route\'s primary model',
      'routes.web-model.fallbacks[2]: fallback "llama" is already listed as fallbacks[0]',
    ]);
    expectAt(ds[0]!, source, "mini, llama]");
    expectAt(ds[1]!, source, "llama]");
  });

  it("valid fallbacks pass", () => {
    const { policy } = valid(BASE.replace("{ lane: web, model: mini }", "{ lane: web, model: mini, fallbacks: [llama] }"));
    expect(policy.routes["web-model"]?.fallbacks).toEqual(["llama"]);
  });

  it("an alias using the reserved gw-fallback- prefix", () => {
    const source = withLines("routes:\n", "  gw-fallback-mini: { lane: web, model: mini }\n");
    const d = only(errorsOf(source), "reserves that prefix");
    expect(d.message).toBe(
      'routes.gw-fallback-mini: route aliases cannot start with "gw-fallback-": gatewayctl reserves that prefix for the model groups behind fallbacks',
    );
    expectAt(d, source, "gw-fallback-mini");
  });
});

describe("backends", () => {
  it("ollama and openai-compatible need a url", () => {
    const source = withLines(
      "backends:\n",
      "  box: { type: ollama, location: local }\n  vllm:\n    type: openai-compatible\n    location: local\n",
    );
    const ds = errorsOf(source);
    const ollama = only(ds, "type ollama needs");
    expect(ollama.message).toBe('backends.box.url: a backend of type ollama needs "url"');
    expect(ollama.hint).toContain("http://127.0.0.1:11434");
    expectAt(ollama, source, "box:");
    const vllm = only(ds, "type openai-compatible needs");
    expectAt(vllm, source, "vllm:");
  });

  it("a cloud vendor type cannot be local, and needs an apiKey", () => {
    const source = withLines("backends:\n", "  claude: { type: anthropic, location: local }\n");
    const ds = errorsOf(source);
    const local = only(ds, "cannot be local");
    expect(local.message).toBe("backends.claude.location: a backend of type anthropic is a cloud provider and cannot be local");
    expectAt(local, source, "local }");
    const key = only(ds, "needs \"apiKey\"");
    expect(key.message).toBe('backends.claude.apiKey: a anthropic backend needs "apiKey"');
    expect(key.hint).toBe("add apiKey: { secret: CLAUDE_API_KEY }");
    expectAt(key, source, "claude:");
  });

  it("openrouter is a cloud vendor too", () => {
    const source = withLines("backends:\n", "  or: { type: openrouter, location: local, apiKey: { secret: OPENROUTER_API_KEY } }\n");
    expect(only(errorsOf(source), "cannot be local").message).toContain("type openrouter");
  });

  it("a local backend on a public host is rejected unless trustAsLocal", () => {
    const source = withLines("backends:\n", '  gpu: { type: openai-compatible, url: "https://gpu.example.com/v1", location: local }\n');
    const d = only(errorsOf(source), "is marked local");
    expect(d.message).toBe(
      'backends.gpu.url: backend is marked local but its host "gpu.example.com" is not loopback, a private address or a local name',
    );
    expect(d.hint).toContain("trustAsLocal: true");
    expectAt(d, source, '"https://gpu.example.com/v1"');
    valid(source.replace("location: local }", "location: local, trustAsLocal: true }"));
  });

  it("a public IP address is not local either", () => {
    const source = withLines("backends:\n", '  gpu: { type: ollama, url: "http://8.8.8.8:11434", location: local }\n');
    expect(only(errorsOf(source), "is marked local").message).toContain('"8.8.8.8"');
  });

  it.each([
    "http://localhost:11434",
    "http://127.0.0.1:11434",
    "http://[::1]:11434",
    "http://10.1.2.3:8000/v1",
    "http://172.20.0.5:8000/v1",
    "http://192.168.1.20:8000/v1",
    "http://169.254.10.10:8000/v1",
    "http://[fd12:3456::1]:8000/v1",
    "http://[fe80::1]:8000/v1",
    "http://gpu.local:8000/v1",
    "http://gpu.lan:8000/v1",
    "http://gpu.home.arpa:8000/v1",
    "http://vllm:8000/v1",
  ])("a local backend at %s is accepted", (url) => {
    const { policy } = valid(withLines("backends:\n", `  box: { type: openai-compatible, url: "${url}", location: local }\n`));
    expect(policy.backends.box?.url).toBe(url);
  });

  it("a local backend needs an http(s) URL", () => {
    const source = withLines("backends:\n", '  box: { type: ollama, url: "ftp://127.0.0.1/x", location: local }\n');
    const d = only(errorsOf(source), "http:// or https://");
    expect(d.message).toBe('backends.box.url: a local backend needs an http:// or https:// URL (this one\'s scheme is "ftp")');
    expectAt(d, source, '"ftp://');
    // a URL without a scheme parses with the host as scheme; it is caught the same way
    const bare = withLines("backends:\n", '  box: { type: ollama, url: "localhost:11434", location: local }\n');
    expect(only(errorsOf(bare), "http:// or https://").message).toContain('scheme is "localhost"');
  });

  it("a cloud backend URL must be http(s) too", () => {
    const source = withLines("backends:\n", '  proxy: { type: openai-compatible, url: "ws://api.example.com/v1", location: cloud }\n');
    expect(only(errorsOf(source), "http:// or https://").message).toBe(
      'backends.proxy.url: a cloud backend needs an http:// or https:// URL (this one\'s scheme is "ws")',
    );
    valid(withLines("backends:\n", '  proxy: { type: openai-compatible, url: "https://api.example.com/v1", location: cloud }\n'));
  });

  it("trustAsLocal on a cloud backend is a warning", () => {
    const source = BASE.replace("location: cloud }", "location: cloud, trustAsLocal: true }");
    const d = only(warningsOf(source), "trustAsLocal");
    expect(d.severity).toBe("warning");
    expectAt(d, source, "trustAsLocal");
  });
});

describe("privacy", () => {
  it("a local-only route cannot fall back to a cloud model: the diagnostic points at that fallback", () => {
    const source = BASE.replace("{ lane: private, model: llama }", "{ lane: private, model: llama, fallbacks: [llama2, mini] }").replace(
      "models:\n",
      'models:\n  llama2: { backend: ollama, name: "llama3.2" }\n',
    );
    const d = only(errorsOf(source), "local-only");
    expect(d.message).toBe('routes.secure-core.fallbacks[1]: model "mini" runs on cloud backend "openai", but lane "private" is local-only');
    expect(d.path).toBe("routes.secure-core.fallbacks[1]");
    expectAt(d, source, "mini]");
  });

  it("a local-only route cannot have a cloud primary", () => {
    const source = BASE.replace("{ lane: private, model: llama }", "{ lane: private, model: mini }");
    const d = only(errorsOf(source), "must be local");
    expect(d.message).toBe(
      'routes.secure-core.model: model "mini" runs on cloud backend "openai", but lane "private" is local-only: the primary model must be local',
    );
    expectAt(d, source, "mini }");
  });

  it("local-first: the primary must be local, cloud fallbacks listed on the route are fine", () => {
    const lane = '  routine: { privacy: local-first, description: "Drafts" }\n';
    const ok = withLines("lanes:\n", lane, withLines("routes:\n", "  drafts: { lane: routine, model: llama, fallbacks: [mini] }\n"));
    expect(valid(ok).policy.routes.drafts?.fallbacks).toEqual(["mini"]);
    const bad = withLines("lanes:\n", lane, withLines("routes:\n", "  drafts: { lane: routine, model: mini, fallbacks: [llama] }\n"));
    const d = only(errorsOf(bad), "must be local");
    expect(d.message).toContain('but lane "routine" is local-first: the primary model must be local');
    expectAt(d, bad, "mini, fallbacks");
  });

  it("a route may be stricter than its lane, and is then held to its own privacy", () => {
    const ok = withLines("routes:\n", "  web-local: { lane: web, model: llama, privacy: local-only }\n");
    expect(valid(ok).policy.routes["web-local"]?.privacy).toBe("local-only");
    const bad = withLines("routes:\n", "  web-local: { lane: web, model: llama, fallbacks: [mini], privacy: local-only }\n");
    const d = only(errorsOf(bad), "is local-only");
    expect(d.message).toBe('routes.web-local.fallbacks[0]: model "mini" runs on cloud backend "openai", but the route is local-only');
    expectAt(d, bad, "mini]");
  });

  it("a route may not be looser than its lane", () => {
    const source = BASE.replace("{ lane: private, model: llama }", "{ lane: private, model: llama, privacy: local-first }");
    const d = only(errorsOf(source), "looser");
    expect(d.message).toBe(
      'routes.secure-core.privacy: privacy "local-first" is looser than lane "private" (local-only); a route may only be stricter than its lane',
    );
    expectAt(d, source, "local-first");
  });
});

describe("cost", () => {
  const lanes = (max: string) => `  cheap: { privacy: cloud-allowed, description: "Cheap", maxPrice: ${max} }\n`;

  it("models within the lane's maxPrice pass; local models without price cost 0", () => {
    const source = withLines(
      "lanes:\n",
      lanes("{ input: 0.15, output: 0.6 }"),
      withLines("routes:\n", "  cheap-route: { lane: cheap, model: llama, fallbacks: [mini] }\n"),
    );
    expect(valid(source).policy.lanes.cheap?.maxPrice).toEqual({ input: 0.15, output: 0.6 });
  });

  it("a model above the lane's maxPrice, on input or on output, points at its entry in the route", () => {
    const source = withLines(
      "lanes:\n",
      lanes("{ input: 1, output: 0.5 }"),
      withLines("routes:\n", "  cheap-route: { lane: cheap, model: llama, fallbacks: [mini] }\n"),
    );
    const d = only(errorsOf(source), "above lane");
    expect(d.message).toBe(
      'routes.cheap-route.fallbacks[0]: model "mini" costs input 0.15 / output 0.6 USD per 1M tokens, above lane "cheap" maxPrice (input 1 / output 0.5 USD per 1M tokens)',
    );
    expectAt(d, source, "mini]");
  });

  it("a priced local model counts its price", () => {
    const source = withLines(
      "lanes:\n",
      lanes("{ input: 0, output: 0 }"),
      withLines("routes:\n", "  cheap-route: { lane: cheap, model: llama }\n"),
    ).replace('name: "llama3.1:8b" }', 'name: "llama3.1:8b", price: { input: 0.01, output: 0.01 } }');
    const d = only(errorsOf(source), "above lane");
    expectAt(d, source, "llama }");
  });

  it("a cloud model without a price in a lane with maxPrice is an error with a hint to add price", () => {
    const source = withLines(
      "lanes:\n",
      lanes("{ input: 1, output: 1 }"),
      withLines("routes:\n", "  cheap-route: { lane: cheap, model: gpt }\n"),
    ).replace("models:\n", "models:\n  gpt: { backend: openai, name: gpt-4.1 }\n");
    const d = only(errorsOf(source), "has no price");
    expect(d.message).toBe(
      'routes.cheap-route.model: cloud model "gpt" has no price, so lane "cheap" cannot enforce its maxPrice (input 1 / output 1 USD per 1M tokens)',
    );
    expect(d.hint).toContain("add price:");
    expect(d.hint).toContain("models.gpt");
    expectAt(d, source, "gpt }");
  });
});

describe("secrets provider", () => {
  it("env-file needs file", () => {
    const source = withLines("version: 1\n", "secrets:\n  provider: env-file\n");
    const d = only(errorsOf(source), "needs \"file\"");
    expect(d.message).toBe('secrets.file: the env-file provider needs "file"');
    expectAt(d, source, "secrets:");
    valid(source.replace("provider: env-file\n", "provider: env-file\n  file: ~/.config/gatewayctl/secrets.env\n"));
  });

  it("command needs a command containing {name}", () => {
    const missing = withLines("version: 1\n", "secrets:\n  provider: command\n");
    expectAt(only(errorsOf(missing), 'needs "command"'), missing, "secrets:");
    const noName = withLines("version: 1\n", "secrets:\n  provider: command\n  command: pass show gateway/key\n");
    const d = only(errorsOf(noName), "{name}");
    expect(d.message).toBe("secrets.command: the command must contain {name}, which is replaced by the secret's name");
    expectAt(d, noName, "pass show");
    valid(noName.replace("gateway/key", "gateway/{name}"));
  });

  it("fields of another provider are warnings", () => {
    const source = withLines("version: 1\n", "secrets:\n  file: ~/s.env\n  command: pass show {name}\n");
    const ws = warningsOf(source);
    expect(ws.map((w) => w.message)).toEqual([
      "secrets.file: ignored: provider is env (the default)",
      "secrets.command: ignored: provider is env (the default)",
    ]);
    expectAt(ws[0]!, source, "file:");
    expectAt(ws[1]!, source, "command:");
    const explicit = withLines("version: 1\n", "secrets:\n  provider: env-file\n  file: ~/s.env\n  command: pass show {name}\n");
    expect(warningsOf(explicit).map((w) => w.message)).toEqual(["secrets.command: ignored: provider is env-file"]);
  });
});

describe("gateway", () => {
  it.each(["1.82.7", "1.82.8", "1.107.0"])("LiteLLM %s is refused as compromised", (version) => {
    const source = withLines("version: 1\n", `gateway:\n  litellmVersion: "${version}"\n`);
    const d = only(errorsOf(source), "compromised");
    expect(d.message).toBe(`gateway.litellmVersion: LiteLLM ${version} must never be run: that release is known to be compromised`);
    expectAt(d, source, `"${version}"`);
  });

  it("a release below the minimum safe one is a warning", () => {
    const source = withLines("version: 1\n", 'gateway:\n  litellmVersion: "1.83.9"\n');
    const d = only(warningsOf(source), "older than");
    expect(d.message).toBe(
      "gateway.litellmVersion: LiteLLM 1.83.9 is older than 1.84.0 and has published authentication-bypass vulnerabilities",
    );
    expectAt(d, source, '"1.83.9"');
    expect(warningsOf(withLines("version: 1\n", 'gateway:\n  litellmVersion: "1.84.0"\n'))).toEqual([]);
  });

  it("an image tag naming a compromised release is refused", () => {
    const source = withLines("version: 1\n", "gateway:\n  image: ghcr.io/berriai/litellm:main-v1.82.8\n");
    expectAt(only(errorsOf(source), "compromised"), source, "ghcr.io");
    valid(withLines("version: 1\n", "gateway:\n  image: ghcr.io/berriai/litellm:1.108.7\n"));
  });

  it("binding beyond loopback is a warning; every interface says so", () => {
    const lan = withLines("version: 1\n", "gateway:\n  bind: 192.168.1.5\n");
    const d = only(warningsOf(lan), "reachable from the network");
    expect(d.message).toBe("gateway.bind: the gateway is reachable from the network on 192.168.1.5, not only from this machine");
    expectAt(d, lan, "192.168.1.5");
    for (const all of ["0.0.0.0", '"::"']) {
      const source = withLines("version: 1\n", `gateway:\n  bind: ${all}\n`);
      expect(only(warningsOf(source), "every network interface").severity).toBe("warning");
    }
    expect(warningsOf(withLines("version: 1\n", "gateway:\n  bind: 127.0.0.1\n"))).toEqual([]);
    expect(warningsOf(withLines("version: 1\n", 'gateway:\n  bind: "::1"\n'))).toEqual([]);
  });

  it("with Docker, bind must be an IP address", () => {
    const source = withLines("version: 1\n", "gateway:\n  bind: localhost\n");
    const d = only(errorsOf(source), "Docker publishes ports");
    expect(d.hint).toBe("write bind: 127.0.0.1");
    expectAt(d, source, "localhost");
    expect(valid(source.replace("bind: localhost\n", "bind: localhost\n  runtime: process\n")).warnings).toEqual([]);
  });
});

describe("sections", () => {
  it.each(["backends", "models", "lanes", "routes"])("an empty %s is an error", (section) => {
    const source = `${BASE}`.replace(new RegExp(`${section}:\\n(  .*\\n)*`), `${section}: {}\n`);
    const d = only(problems(source), `no ${section}`);
    expect(d.message).toBe(`${section}: no ${section.slice(0, -1)}s defined`);
    expect(d.severity).toBe("error");
    expectAt(d, source, `${section}:`);
  });

  it("no local-only route is a warning", () => {
    const source = BASE.replace("{ lane: private, model: llama }", "{ lane: web, model: llama }");
    const d = only(warningsOf(source), "no local-only route");
    expect(d.message).toBe("routes: no local-only route: every alias may reach a cloud provider");
    expectAt(d, source, "routes:");
  });
});

describe("clients", () => {
  const withClients = (lines: string): string => `${BASE}clients:\n${lines}`;

  it("a client with its own key and aliases from routes and lanes is valid; its aliases are the union", async () => {
    const { policy } = valid(withClients("  app: { key: { secret: APP_KEY }, routes: [web-model], lanes: [private] }\n"));
    const { clientAliases } = await import("../../src/artifact/front-door.js");
    expect(clientAliases(policy, "app")).toEqual(["secure-core", "web-model"]);
  });

  it("an unknown route alias or lane, with did-you-mean, at its place", () => {
    const source = withClients("  app: { key: { secret: APP_KEY }, routes: [web-modle], lanes: [privat] }\n");
    const route = only(errorsOf(source), "unknown route alias");
    expect(route.message).toBe('clients.app.routes[0]: unknown route alias "web-modle" — did you mean "web-model"?');
    expectAt(route, source, "web-modle");
    const lane = only(errorsOf(source), "unknown lane");
    expect(lane.message).toBe('clients.app.lanes[0]: unknown lane "privat" — did you mean "private"?');
  });

  it("a client without routes or lanes, a client holding the master key, two clients on one key", () => {
    const ds = errorsOf(
      withClients(
        [
          "  empty: { key: { secret: EMPTY_KEY } }",
          "  admin: { key: { secret: LITELLM_MASTER_KEY }, routes: [web-model] }",
          "  vendor: { key: { secret: OPENAI_API_KEY }, routes: [web-model] }",
          "  one: { key: { secret: SHARED_KEY }, routes: [web-model] }",
          "  two: { key: { secret: SHARED_KEY }, routes: [web-model] }",
          "",
        ].join("\n"),
      ),
    );
    expect(ds.map((d) => d.message)).toEqual([
      "clients.empty: a client needs routes or lanes: the aliases its key may use",
      "clients.admin.key.secret: the client key is the master key LITELLM_MASTER_KEY",
      'clients.vendor.key.secret: the client key is backend "openai"\'s API key',
      'clients.two.key.secret: client "one" already uses the key SHARED_KEY',
    ]);
  });

  it("a literal key instead of a reference is refused by the schema (strict object, secret references only)", () => {
    expect(errorsOf(withClients('  app: { key: "sk-literal-0123456789abcdef0123", routes: [web-model] }\n')).length).toBeGreaterThan(0);
  });
});

describe("durations and the runtime directory", () => {
  it("refuses durations past their maximum (a timer past 2^31 ms fires at once) and an empty runtime.dir", () => {
    const source = `${BASE}runtime:\n  dir: ""\n  sourceTimeoutSeconds: 3000000\nsecrets:\n  provider: command\n  command: "pass show gw/{name}"\n  timeoutSeconds: 3000000\n`;
    const messages = errorsOf(source).map((d) => d.message);
    expect(messages.some((m) => m.startsWith("runtime.sourceTimeoutSeconds:"))).toBe(true);
    expect(messages.some((m) => m.startsWith("secrets.timeoutSeconds:"))).toBe(true);
    expect(messages).toContain("runtime.dir: must not be empty");
    expect(messages).toContain("runtime.sourceTimeoutSeconds: must be at most 3600");
    expect(messages).toHaveLength(3);
  });
});

describe("backend URLs that parse differently in WHATWG and in Python's HTTP clients", () => {
  it.each(["http://127.0.0.1\\\\@gpu.example.net:11434", "http://127.0.0.1@gpu.example.net:11434", "http://127.0.0.1%2egpu.example.net:11434"])("refuses %s", (url) => {
    const source = BASE.replace('url: "http://127.0.0.1:11434"', `url: "${url}"`);
    expect(errorsOf(source).some((d) => d.message.startsWith("backends.ollama.url: the URL can be read with two different hosts"))).toBe(true);
  });
  it("accepts the plain form (whitespace is refused by the URL check already)", async () => {
    const { ambiguousUrl } = await import("../../src/policy/rules.js");
    expect(ambiguousUrl("http://127.0.0.1 :11434")).toBe(true);
    expect(errorsOf(BASE.replace('url: "http://127.0.0.1:11434"', 'url: "http://127.0.0.1 :11434"')).length).toBeGreaterThan(0);
    expect(ambiguousUrl("http://127.0.0.1:11434")).toBe(false);
    expect(ambiguousUrl("https://api.openai.com/v1?x=a@b")).toBe(false);
  });
});
