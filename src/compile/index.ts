import type { LoadedPolicy } from "../policy/load-policy.js";
import type { Policy } from "../policy/schema.js";
import { PolicyError, type Diagnostic } from "../lib/errors.js";
import { compareVersions, FORBIDDEN_LITELLM_VERSIONS, MIN_SAFE_LITELLM_VERSION } from "../lib/versions.js";
import { renderClients } from "../clients/index.js";
import { parseLiteLLMConfig } from "../privacy/parse-config.js";
import { cloudDeploymentIds, expectationsFromRouteMap, proveRoutes, trustedLocalHosts } from "../privacy/prove.js";
import { GUARD_MODULE, GUARD_MODULE_SOURCE } from "./guard-source.js";
import { renderCompose } from "./compose.js";
import { renderEnvExample } from "./env-example.js";
import { generatedByLine, generatedMeta, hashHeader } from "./header.js";
import { buildLiteLLMConfig } from "./litellm-config.js";
import { planGateway, toRouteMap } from "./route-map.js";
import { renderRoutesMarkdown } from "./routes-md.js";
import type { CompiledGateway, GeneratedFile } from "./types.js";
import { toYaml } from "./yaml-text.js";

export type { CompiledGateway, GeneratedFile } from "./types.js";

export interface CompileOptions {
  /** the policy file as the user gave it; only its file name goes into generated files */
  policyFile: string;
}


/** Refuse compromised LiteLLM releases; warn on releases with known auth bypasses. */
export function checkLiteLLMVersion(version: string, file: string): Diagnostic[] {
  if (FORBIDDEN_LITELLM_VERSIONS.includes(version)) {
    throw new PolicyError(file, [
      {
        file,
        path: "gateway.litellmVersion",
        severity: "error",
        message: `LiteLLM ${version} must never be run (compromised release / attack-chain incident)`,
        hint: "pin the default release by removing litellmVersion, or pick another one",
      },
    ]);
  }
  if (/^\d+\.\d+\.\d+$/.test(version) && compareVersions(version, MIN_SAFE_LITELLM_VERSION) < 0) {
    return [
      {
        file,
        path: "gateway.litellmVersion",
        severity: "warning",
        message: `LiteLLM ${version} is older than ${MIN_SAFE_LITELLM_VERSION} and has published auth-bypass CVEs`,
        hint: `use ${MIN_SAFE_LITELLM_VERSION} or later`,
      },
    ];
  }
  return [];
}

/**
 * Policy → every generated file. Pure and deterministic: the same policy gives byte-identical files.
 * Throws PolicyError listing every dangling reference. Does not run the privacy proof (see buildGateway).
 */
export function compilePolicy(policy: Policy, options: CompileOptions): CompiledGateway {
  const file = options.policyFile;
  const warnings = checkLiteLLMVersion(policy.gateway.litellmVersion, file);
  const runtimeDir = policy.runtime.dir;
  if (!runtimeDir.startsWith("/") && !runtimeDir.startsWith("~") && !/^[A-Za-z]:[\\/]/.test(runtimeDir)) {
    warnings.push({
      file,
      path: "runtime.dir",
      severity: "warning",
      message: `runtime.dir "${runtimeDir}" is relative: gatewayctl resolves it against the policy's directory, docker-compose against the compose file's`,
      hint: "use an absolute path or one starting with ~/",
    });
  }
  const plan = planGateway(policy);
  if (plan.problems.length > 0) throw new PolicyError(file, plan.problems.map((p) => ({ file, ...p })));

  const meta = generatedMeta(policy, file);
  const routeMap = toRouteMap(plan, generatedByLine(meta));
  const config = buildLiteLLMConfig(policy, plan);
  const clients = renderClients(policy, routeMap);
  const files: GeneratedFile[] = [
    {
      path: "config.yaml",
      content: `${hashHeader(meta, "LiteLLM proxy config: one model group per route alias, explicit fallbacks only.")}${toYaml(config)}`,
    },
    { path: "docker-compose.yml", content: renderCompose(policy, plan.secretNames, meta) },
    { path: "routes.md", content: renderRoutesMarkdown(policy, plan, clients.usage, meta) },
    { path: ".env.example", content: renderEnvExample(policy, plan, meta) },
    { path: "route-map.json", content: `${JSON.stringify(routeMap, null, 2)}\n` },
    {
      path: `${GUARD_MODULE}.py`,
      content: `${hashHeader(meta, "Privacy guard loaded by litellm_settings.callbacks.")}${GUARD_MODULE_SOURCE}`,
    },
    ...clients.files,
  ];
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, config, routeMap, secretNames: plan.secretNames, warnings };
}

/**
 * Compile, then prove privacy on the emitted config.yaml text (the artifact, not the policy).
 * Throws PolicyError naming the alias and the full path of every leak; nothing should be written then.
 */
export function buildGateway(loaded: LoadedPolicy): CompiledGateway {
  const compiled = compilePolicy(loaded.policy, { policyFile: loaded.file });
  const configFile = compiled.files.find((f) => f.path === "config.yaml")!;
  const parsed = parseLiteLLMConfig(configFile.content, "config.yaml");
  const proof = proveRoutes(parsed, expectationsFromRouteMap(compiled.routeMap, "policy"), {
    guardPresent: true,
    cloudDeploymentIds: cloudDeploymentIds(compiled.routeMap),
    localHosts: trustedLocalHosts(compiled.routeMap),
  });
  if (!proof.ok) {
    throw new PolicyError(
      loaded.file,
      proof.leaks.map((leak) => ({
        file: loaded.file,
        path: `routes.${leak.alias}`,
        severity: "error" as const,
        message: `privacy proof failed: ${leak.alias} (${leak.privacy}) leaks via ${leak.mechanism}: ${leak.path}`,
        hint:
          leak.privacy === "local-only"
            ? "a local-only route may use only models on local backends; remove the cloud model from its fallbacks or move the route to a lane that allows cloud"
            : "a local-first route may reach only its own model and the fallbacks it lists",
      })),
    );
  }
  const seen = new Set<string>();
  const warnings = [...loaded.warnings, ...compiled.warnings].filter((w) => {
    const key = `${w.path ?? ""}\u0000${w.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { ...compiled, warnings, proof };
}
