/** The LiteLLM release gatewayctl pins by default: the newest 1.108.x (LTS line) whose proxy extra installs from PyPI as served to our machines (later releases pin litellm-proxy / proxy-extras builds it does not serve). */
export const DEFAULT_LITELLM_VERSION = "1.108.7";

/** Releases that must never be run: 1.82.7 and 1.82.8 were compromised on PyPI, 1.107.0 is the subject of an attack-chain write-up. */
export const FORBIDDEN_LITELLM_VERSIONS: readonly string[] = ["1.82.7", "1.82.8", "1.107.0"];

/** Releases below this carry published auth-bypass CVEs. */
export const MIN_SAFE_LITELLM_VERSION = "1.84.0";

export const LITELLM_IMAGE = "ghcr.io/berriai/litellm";

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
