/**
 * Every rule about LiteLLM releases, in one place: the pin, the releases that must never run, the safe minimum,
 * and the one judgement (`judgeLitellmVersion`) that the policy rules, both runtimes and test-routes apply.
 */

/** The LiteLLM release gatewayctl pins by default: the newest 1.108.x (LTS line) whose proxy extra installs from PyPI as served to our machines (later releases pin litellm-proxy / proxy-extras builds it does not serve). */
export const DEFAULT_LITELLM_VERSION = "1.108.7";

/** Releases that must never be run: 1.82.7 and 1.82.8 were compromised on PyPI, 1.107.0 is the subject of an attack-chain write-up. */
export const FORBIDDEN_LITELLM_VERSIONS: readonly string[] = ["1.82.7", "1.82.8", "1.107.0"];

/** Releases below this carry published auth-bypass CVEs. */
export const MIN_SAFE_LITELLM_VERSION = "1.84.0";

/** Compare dotted versions numerically (a `-rc.N` or `+build` tail counts as further parts): negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** A forbidden release named inside an image tag (`...:1.82.7-stable`), if any. */
export function forbiddenVersionInTag(image: string): string | undefined {
  const tag = /:([^/:@]+)(?:@.*)?$/.exec(image)?.[1];
  if (!tag) return undefined;
  return FORBIDDEN_LITELLM_VERSIONS.find((v) => new RegExp(`(^|[^0-9.])${v.replace(/\./g, "\\.")}($|[^0-9.])`).test(tag));
}

export interface VersionVerdict {
  /** set for a release that must never run */
  refuse?: string;
  warnings: string[];
}

/**
 * What to make of a LiteLLM version: `refuse` for a release that must never run (compromised on PyPI or with a
 * published attack chain), warnings for one older than the safe minimum or (when `pinned` is given) different
 * from the pin.
 */
export function judgeLitellmVersion(version: string, pinned?: string): VersionVerdict {
  if (FORBIDDEN_LITELLM_VERSIONS.includes(version)) {
    return { refuse: `LiteLLM ${version} must never be run: that release is known to be compromised`, warnings: [] };
  }
  const warnings: string[] = [];
  if (/^\d+\.\d+\.\d+/.test(version) && compareVersions(version, MIN_SAFE_LITELLM_VERSION) < 0) {
    warnings.push(`LiteLLM ${version} is older than ${MIN_SAFE_LITELLM_VERSION} and has published authentication-bypass vulnerabilities`);
  }
  if (pinned !== undefined && version !== pinned) warnings.push(`LiteLLM ${version} runs, but the build pins ${pinned} (gateway.litellmVersion)`);
  return { warnings };
}
