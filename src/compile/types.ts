import type { Diagnostic } from "../lib/errors.js";
import type { LiteLLMConfig, RouteMap } from "../artifact/types.js";
import type { ProofReport } from "../privacy/types.js";
import type { ClientProof } from "../clients/proof.js";

/**
 * What the compiler returns. The compiler is pure: it turns a validated Policy into these values; writing them is
 * the caller's job. The artifact's own vocabulary (route map, config, gateway facts) lives in src/artifact/.
 */

/** One file `build` writes, path relative to the output directory (forward slashes). */
export interface GeneratedFile {
  path: string;
  content: string;
  /** octal file mode, default 0o644 */
  mode?: number;
}

export interface CompiledGateway {
  /** every file for the output directory, sorted by path; byte-identical for the same input */
  files: GeneratedFile[];
  config: LiteLLMConfig;
  routeMap: RouteMap;
  warnings: Diagnostic[];
  /** the privacy proof on the generated artifact (set by buildGateway, not by compilePolicy) */
  proof?: ProofReport;
  /** the client proof on the generated client files (set by buildGateway) */
  clientProof?: ClientProof;
}
