import type { Command } from "commander";

export function registerAudit(program: Command): void {
  program
    .command("audit")
    .description("prove a LiteLLM config.yaml does not send private routes to the cloud; exit 1 on any leak")
    .argument("<config>", "LiteLLM proxy config.yaml to audit")
    .option("--policy <file>", "take the expected routes from this policy (compiled, not built)")
    .option("--private <alias...>", "aliases that must stay local-only")
    .option("--local-host <host...>", "hosts to treat as local besides loopback, private and .local/.lan names")
    .option("--json", "print one JSON object")
    .action(async (configPath: string, raw: Record<string, unknown>) => {
      const { z } = await import("zod");
      const { InputError } = await import("../lib/errors.js");
      const flags = z
        .object({
          policy: z.string().min(1).optional(),
          private: z.array(z.string().min(1)).optional(),
          localHost: z.array(z.string().min(1)).optional(),
          json: z.boolean().optional(),
        })
        .safeParse(raw);
      if (!flags.success) {
        throw new InputError(`invalid options: ${flags.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; ")}`, {
          code: "BAD_FLAGS",
          hint: "see gatewayctl audit --help",
        });
      }
      const { readFile, stat } = await import("node:fs/promises");
      const { dirname, join } = await import("node:path");
      const { parseLiteLLMConfig } = await import("../privacy/parse-config.js");
      const { proveRoutes, expectationsFromRouteMap, cloudDeploymentIds, trustedLocalHosts } = await import("../privacy/prove.js");
      const { GUARD_CALLBACK, GUARD_MODULE } = await import("../compile/guard-source.js");
      const { stdout, stderr, printJson } = await import("../lib/output.js");
      type RouteExpectation = import("../privacy/types.js").RouteExpectation;

      const text = await readFile(configPath, "utf8").catch((err: NodeJS.ErrnoException) => {
        throw new InputError(`cannot read ${configPath}: ${err.code === "ENOENT" ? "no such file" : err.message}`, {
          code: "CONFIG_UNREADABLE",
          hint: "give the path of a LiteLLM proxy config.yaml",
        });
      });
      const config = parseLiteLLMConfig(text, configPath);

      const expectations = new Map<string, RouteExpectation>();
      let source: string | undefined;
      let declaredCloud: string[] = [];
      let trustedHosts: string[] = [];
      if (flags.data.policy) {
        const { loadPolicy } = await import("../policy/load-policy.js");
        const { compilePolicy } = await import("../compile/index.js");
        const loaded = await loadPolicy(flags.data.policy);
        const compiled = compilePolicy(loaded.policy, { policyFile: loaded.file });
        for (const e of expectationsFromRouteMap(compiled.routeMap, `policy ${loaded.file}`)) expectations.set(e.alias, e);
        declaredCloud = cloudDeploymentIds(compiled.routeMap);
        trustedHosts = trustedLocalHosts(compiled.routeMap);
        source = `policy ${loaded.file}`;
      } else {
        const mapFile = join(dirname(configPath), "route-map.json");
        const mapText = await readFile(mapFile, "utf8").catch(() => undefined);
        if (mapText !== undefined) {
          let map: unknown;
          try {
            map = JSON.parse(mapText);
          } catch (err) {
            throw new InputError(`${mapFile}: not valid JSON: ${(err as Error).message}`, {
              code: "ROUTE_MAP_UNREADABLE",
              hint: "regenerate it with gatewayctl build, or remove it and pass --private",
            });
          }
          const routes = (map as { routes?: unknown }).routes;
          if (!Array.isArray(routes)) {
            throw new InputError(`${mapFile}: not a gatewayctl route map (no routes list)`, {
              code: "ROUTE_MAP_UNREADABLE",
              hint: "regenerate it with gatewayctl build, or remove it and pass --private",
            });
          }
          const valid = z
            .object({
              alias: z.string(),
              privacy: z.enum(["local-only", "local-first", "cloud-allowed"]),
              allowedDeploymentIds: z.array(z.string()),
            })
            .array()
            .safeParse(routes);
          if (!valid.success) {
            throw new InputError(`${mapFile}: a route has no alias, privacy or allowedDeploymentIds`, {
              code: "ROUTE_MAP_UNREADABLE",
              hint: "regenerate it with gatewayctl build",
            });
          }
          const deployments = z
            .object({ id: z.string(), location: z.enum(["local", "cloud"]), apiBase: z.string() })
            .array()
            .catch([])
            .parse((map as { deployments?: unknown }).deployments);
          const routeMap = { generatedBy: "", routes: valid.data, deployments, internalGroups: [] } as unknown as import("../compile/types.js").RouteMap;
          for (const e of expectationsFromRouteMap(routeMap, "route-map.json")) expectations.set(e.alias, e);
          declaredCloud = cloudDeploymentIds(routeMap);
          trustedHosts = trustedLocalHosts(routeMap);
          source = mapFile;
        }
      }
      for (const alias of flags.data.private ?? []) {
        const known = expectations.get(alias);
        expectations.set(alias, { ...(known ?? {}), alias, privacy: "local-only", source: "--private" });
      }
      if (expectations.size === 0) {
        throw new InputError("nothing to check: no --private alias, no --policy and no route-map.json beside the config", {
          code: "NO_EXPECTATIONS",
          hint: "name the aliases that must stay local: gatewayctl audit config.yaml --private secure-core",
        });
      }

      const ls = (config.litellm_settings ?? {}) as Record<string, unknown>;
      const callbacks = Array.isArray(ls.callbacks) ? ls.callbacks : [ls.callbacks];
      let guardPresent: boolean | undefined;
      const guardFile = join(dirname(configPath), `${GUARD_MODULE}.py`);
      if (callbacks.includes(GUARD_CALLBACK)) {
        guardPresent = await stat(guardFile).then((s) => s.isFile(), () => false);
        if (!guardPresent) stderr(`warning: ${GUARD_CALLBACK} is configured but ${guardFile} is missing: the guard does not count (and LiteLLM will not start)`);
      }
      const report = proveRoutes(config, [...expectations.values()], {
        localHosts: [...trustedHosts, ...(flags.data.localHost ?? [])],
        cloudDeploymentIds: declaredCloud,
        ...(guardPresent !== undefined ? { guardPresent } : {}),
      });
      if (!report.ok) process.exitCode = 1;

      if (flags.data.json) {
        printJson({ config: configPath, expectationsFrom: source ?? "--private", ...report });
        return;
      }
      const n = report.leaks.length;
      stdout(`audit ${configPath}: ${n === 0 ? "no leaks" : `${n} leak${n === 1 ? "" : "s"}`} in ${report.verdicts.length} route${report.verdicts.length === 1 ? "" : "s"}${source ? ` (expectations from ${source})` : ""}`);
      for (const v of report.verdicts) {
        const where = `${v.alias} (${v.privacy}${v.source ? `, from ${v.source}` : ""})`;
        if (v.ok) {
          stdout(`ok    ${where}: ${v.note ?? (v.reachable.map((r) => `${r.id} (${r.location})`).join(", ") || "nothing reachable")}`);
          continue;
        }
        for (const leak of report.leaks.filter((l) => l.alias === v.alias)) {
          stdout(`LEAK  ${where} via ${leak.mechanism}: ${leak.message}`);
          stdout(`      ${leak.path}`);
        }
      }
      stdout(report.guard ? "request-borne mechanisms (closed by the gatewayctl guard):" : "request-borne mechanisms (open: nothing in this config closes them):");
      for (const w of report.warnings) {
        stdout(`${w.closed ? "closed" : "warn  "} ${w.alias ? `${w.alias}: ` : ""}${w.mechanism}: ${w.message}\n       closed by: ${w.closedBy}`);
      }
    });
}
