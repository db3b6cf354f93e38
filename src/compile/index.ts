import type { LoadedPolicy } from "../policy/load-policy.js";
import type { Policy } from "../policy/schema.js";
import { PolicyError, type Diagnostic } from "../lib/errors.js";
import { DEFAULT_OUT_DIR } from "../artifact/gateway.js";
import { artifactFromTexts } from "../artifact/read.js";
import { proveArtifact } from "../artifact/prove.js";
import { AUTH_FILE, BUILD_MANIFEST_FILE, CONFIG_FILE, GUARD_FILE, LEDGER_FILE, ROUTE_MAP_FILE } from "../artifact/types.js";
import { renderBuildManifest } from "../artifact/build-manifest.js";
import { toYaml } from "../artifact/yaml.js";
import { renderClients } from "../clients/index.js";
import { proveClientFiles } from "../clients/proof.js";
import { AUTH_MODULE_SOURCE } from "./auth-source.js";
import { GUARD_MODULE_SOURCE } from "./guard-source.js";
import { LEDGER_MODULE_SOURCE } from "./ledger-source.js";
import { renderCompose, renderComposeHaproxy } from "./compose.js";
import { K8S_DIR, renderKubernetes } from "./kubernetes.js";
import { parse as parseYaml } from "yaml";
import { HAPROXY_CONFIG_FILE } from "../artifact/haproxy.js";
import { renderEnvExample } from "./env-example.js";
import { generatedByLine, generatedMeta, hashHeader } from "./header.js";
import { buildLiteLLMConfig } from "./litellm-config.js";
import { planGateway, toRouteMap } from "./route-map.js";
import { renderRoutesMarkdown } from "./routes-md.js";
import type { CompiledGateway, GeneratedFile } from "./types.js";

export type { CompiledGateway, GeneratedFile } from "./types.js";

export interface CompileOptions {
  /** the policy file as the user gave it; only its file name goes into generated files */
  policyFile: string;
  /** the output directory relative to the policy's directory (default `generated`): compose resolves paths from there */
  outDir?: string;
}

export { DEFAULT_OUT_DIR } from "../artifact/gateway.js";

/**
 * Policy → every generated file. Pure and deterministic: the same policy gives byte-identical files.
 * Throws PolicyError listing every dangling reference. Does not run the privacy proof (see buildGateway).
 */
export function compilePolicy(policy: Policy, options: CompileOptions): CompiledGateway {
  const file = options.policyFile;
  const warnings: Diagnostic[] = [];
  const runtimeDir = policy.runtime.dir;
  if (!runtimeDir.startsWith("/") && !runtimeDir.startsWith("~") && !/^[A-Za-z]:[\\/]/.test(runtimeDir)) {
    warnings.push({
      file,
      path: "runtime.dir",
      severity: "warning",
      message: `runtime.dir "${runtimeDir}" is relative: gatewayctl resolves it against the policy's directory`,
      hint: "use an absolute path or one starting with ~/",
    });
  }
  const plan = planGateway(policy);
  if (plan.problems.length > 0) throw new PolicyError(file, plan.problems.map((p) => ({ file, ...p })));

  const meta = generatedMeta(policy, file);
  const routeMap = toRouteMap(policy, plan, generatedByLine(meta));
  const config = buildLiteLLMConfig(policy, plan, routeMap.gateway.scale);
  const clients = renderClients(routeMap);
  const files: GeneratedFile[] = [
    {
      path: CONFIG_FILE,
      content: `${hashHeader(meta, "LiteLLM proxy config: one model group per route alias, explicit fallbacks only.")}${toYaml(config)}`,
    },
    { path: "docker-compose.yml", content: renderCompose(policy, routeMap.gateway, meta, options.outDir ?? DEFAULT_OUT_DIR) },
    { path: "routes.md", content: renderRoutesMarkdown(policy, plan, clients.usage, meta) },
    { path: ".env.example", content: renderEnvExample(policy, plan, meta) },
    { path: ROUTE_MAP_FILE, content: `${JSON.stringify(routeMap, null, 2)}\n` },
    { path: GUARD_FILE, content: `${hashHeader(meta, "Privacy guard loaded by litellm_settings.callbacks.")}${GUARD_MODULE_SOURCE}` },
    { path: AUTH_FILE, content: `${hashHeader(meta, "Front door loaded by general_settings.custom_auth.")}${AUTH_MODULE_SOURCE}` },
    { path: LEDGER_FILE, content: `${hashHeader(meta, "Request ledger and lane budgets, loaded by litellm_settings.callbacks.")}${LEDGER_MODULE_SOURCE}` },
    ...clients.files,
    ...(routeMap.gateway.scale ? [{ path: HAPROXY_CONFIG_FILE, content: renderComposeHaproxy(routeMap.gateway, meta) }] : []),
  ];
  // the manifests carry the files above verbatim: the ConfigMap holds the config the build proves
  files.push(...renderKubernetes({ policy, routeMap, files: new Map(files.map((f) => [f.path, f.content])), meta }));
  files.push({ path: BUILD_MANIFEST_FILE, content: renderBuildManifest(files, routeMap.generatedBy) });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, config, routeMap, warnings };
}

/**
 * Compile, then prove the artifact as every later stage will read it: the emitted files parsed back through the
 * artifact module and proven against their own route map. Throws PolicyError naming the alias and the full path of
 * every leak; nothing should be written then.
 */
export function buildGateway(loaded: LoadedPolicy, options: { outDir?: string } = {}): CompiledGateway {
  const compiled = compilePolicy(loaded.policy, { policyFile: loaded.file, ...(options.outDir !== undefined ? { outDir: options.outDir } : {}) });
  const text = (path: string): string | undefined => compiled.files.find((f) => f.path === path)?.content;
  const artifact = artifactFromTexts(options.outDir ?? DEFAULT_OUT_DIR, {
    config: text(CONFIG_FILE)!,
    routeMap: text(ROUTE_MAP_FILE)!,
    modules: Object.fromEntries(compiled.routeMap.gateway.modules.map((m) => [m, text(`${m}.py`)])),
  });
  let proof = proveArtifact(artifact, { source: "policy" });
  // the Kubernetes pods run what the ConfigMap carries: prove that copy too, read back from the manifest
  const configMapText = text(`${K8S_DIR}/configmap.yaml`);
  if (proof.ok && configMapText !== undefined) {
    const data = ((parseYaml(configMapText) as { data?: Record<string, string> }).data ?? {});
    const k8sArtifact = artifactFromTexts(`${options.outDir ?? DEFAULT_OUT_DIR}/${K8S_DIR}/configmap.yaml`, {
      ...(data[CONFIG_FILE] !== undefined ? { config: data[CONFIG_FILE] } : {}),
      ...(data[ROUTE_MAP_FILE] !== undefined ? { routeMap: data[ROUTE_MAP_FILE] } : {}),
      modules: Object.fromEntries(compiled.routeMap.gateway.modules.map((m) => [m, data[`${m}.py`]])),
    });
    proof = proveArtifact(k8sArtifact, { source: "policy" });
  }
  if (!proof.ok) {
    throw new PolicyError(loaded.file, [
      ...proof.moduleProblems.map((message) => ({ file: loaded.file, severity: "error" as const, message: `build output incomplete: ${message}` })),
      ...proof.leaks.map((leak) => ({
        file: loaded.file,
        path: `routes.${leak.alias}`,
        severity: "error" as const,
        message: `privacy proof failed: ${leak.alias} (${leak.privacy}) leaks via ${leak.mechanism}: ${leak.path}`,
        hint:
          leak.privacy === "local-only"
            ? "a local-only route may use only models on local backends; remove the cloud model from its fallbacks or move the route to a lane that allows cloud"
            : "a local-first route may reach only its own model and the fallbacks it lists",
      })),
    ]);
  }
  // the client proof: every model slot of every client file names an alias its key may use, private ones local-only
  const clientProof = proveClientFiles(compiled.routeMap, compiled.files.filter((f) => f.path.startsWith("clients/")));
  if (!clientProof.ok) {
    throw new PolicyError(
      loaded.file,
      clientProof.problems.map((p) => ({
        file: loaded.file,
        path: `${p.file}: ${p.slot}`,
        severity: "error" as const,
        message: `client proof failed: ${p.file}: ${p.slot}: ${p.message}`,
        hint: p.hint,
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
  return { ...compiled, warnings, proof, clientProof };
}
