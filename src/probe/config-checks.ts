/**
 * Checks of the runtime directory the local gateway runs from, before any request: the guard is configured and
 * intact, the mock-testing switch is off, and the privacy proof holds on the config.yaml actually there (so a
 * hand-edited runtime config is caught even when its primaries all answer). Pure: the caller reads the artifact.
 */
import { proveArtifact } from "../artifact/prove.js";
import type { Artifact } from "../artifact/read.js";
import { GUARD_CALLBACK, GUARD_MODULE, MOCK_TESTING_SWITCH } from "../artifact/types.js";
import { configHasGuard } from "../privacy/prove.js";
import { GUARD_MODULE_SOURCE } from "../compile/guard-source.js";
import type { CheckResult } from "./types.js";

/** The checks of a runtime artifact: guard loaded and intact, no mock-testing switch, the proof against its route map. */
export function checkRuntimeArtifact(artifact: Artifact): CheckResult[] {
  const base = { kind: "config" as const };
  const files = { configFile: artifact.configFile, guardText: artifact.modules.get(GUARD_MODULE) };
  const map = artifact.routeMap;
  const general = artifact.config.general_settings && typeof artifact.config.general_settings === "object" ? artifact.config.general_settings : {};
  const guardConfigured = configHasGuard(artifact.config);
  const checks: CheckResult[] = [];

  if (!guardConfigured) {
    checks.push({
      ...base,
      name: "config guard",
      status: "fail",
      message: `${files.configFile} does not load the privacy guard (litellm_settings.callbacks lacks ${GUARD_CALLBACK}): clients can add fallbacks, api_base or address cloud deployments directly`,
    });
  } else if (files.guardText === undefined) {
    checks.push({ ...base, name: "config guard", status: "fail", message: `the guard is configured but gatewayctl_guard.py is missing next to ${files.configFile}: LiteLLM will refuse to start` });
  } else if (!files.guardText.endsWith(GUARD_MODULE_SOURCE)) {
    checks.push({
      ...base,
      name: "config guard",
      status: "warn",
      message: "gatewayctl_guard.py in the runtime directory differs from this gatewayctl's guard (edited, or built by another version): the privacy probes below show whether it still refuses",
    });
  } else {
    checks.push({ ...base, name: "config guard", status: "pass", message: `the guard is configured and matches this gatewayctl` });
  }

  if (general[MOCK_TESTING_SWITCH] === true) {
    checks.push({
      ...base,
      name: "config mock-testing switch",
      status: "fail",
      message: `${files.configFile} sets general_settings.${MOCK_TESTING_SWITCH}: clients can force fallbacks; only the throwaway --drill gateway may carry it`,
    });
  } else {
    checks.push({ ...base, name: "config mock-testing switch", status: "pass", message: `general_settings.${MOCK_TESTING_SWITCH} is off` });
  }

  const proof = proveArtifact(artifact, { source: "route map" });
  // The proof classifies deployments by host; the route map knows where each one really is (a cloud provider can
  // sit behind a private address). Any deployment a protected route can reach beyond its allowed set is a
  // violation, whatever its host looks like.
  let outside = 0;
  for (const route of map.routes.filter((r) => r.privacy !== "cloud-allowed")) {
    const verdict = proof.verdicts.find((v) => v.alias === route.alias);
    for (const reached of verdict?.reachable ?? []) {
      if (route.allowedDeploymentIds.includes(reached.id)) continue;
      if (proof.leaks.some((l) => l.alias === route.alias && l.deployment.id === reached.id)) continue;
      const declared = map.deployments.find((d) => d.id === reached.id)?.location ?? reached.location;
      outside++;
      checks.push({
        ...base,
        name: `config privacy proof ${route.alias} reaches ${reached.id}`,
        route: route.alias,
        status: route.privacy === "local-only" && declared === "local" ? "warn" : "fail",
        message: `${declared === "cloud" ? "PRIVACY VIOLATION" : "not in the policy"}: in ${files.configFile}, ${route.privacy} route ${route.alias} can reach ${reached.id} (${declared}), which its route does not allow (allowed: ${route.allowedDeploymentIds.join(", ")})`,
      });
    }
  }
  if (proof.leaks.length === 0 && outside === 0) {
    checks.push({ ...base, name: "config privacy proof", status: "pass", message: `no route can reach a deployment its privacy does not allow (${proof.verdicts.length} routes)` });
  }
  for (const leak of proof.leaks) {
    checks.push({
      ...base,
      name: `config privacy proof ${leak.alias} ${leak.mechanism} ${leak.deployment.id}`,
      route: leak.alias,
      status: "fail",
      message: `PRIVACY VIOLATION in ${files.configFile}: ${leak.message} (${leak.path})`,
    });
  }
  return checks;
}
