/**
 * `gatewayctl audit --clients DIR`: the client proof on a directory of client files (I/O around the pure proof).
 * The route map comes from `--policy` (compiled), else a build's route-map.json in DIR or its parent (DIR is then
 * the build's clients/ directory).
 */
import { readdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { InputError } from "../lib/errors.js";
import { INPUT_LIMITS, readTextWithin } from "../lib/read-limited.js";
import { readRouteMapFile, routeMapOfPolicy } from "../artifact/audit.js";
import type { RouteMap } from "../artifact/types.js";
import { ROUTE_MAP_FILE } from "../artifact/types.js";
import { isClientFile, proveClientFiles, type ClientProof } from "./proof.js";

export interface ClientAudit extends ClientProof {
  dir: string;
  expectationsFrom: string;
  /** files in DIR the proof does not know (not checked) */
  skipped: string[];
}

/** Files build writes beside the client configs that hold no model slot (aider's context windows and prices). */
const DATA_FILES = /^\.?aider\.model\.metadata\.json$/;

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

export async function auditClientDir(options: { dir: string; policyFile?: string }): Promise<ClientAudit> {
  const { dir } = options;
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(`cannot read ${dir}: ${err.code === "ENOENT" ? "no such directory" : err.message}`, {
      code: "CLIENTS_DIR",
      hint: "give the directory holding the client files, e.g. generated/clients",
    });
  });
  let map: RouteMap;
  let source: string;
  if (options.policyFile) {
    ({ map, source } = await routeMapOfPolicy(options.policyFile));
  } else {
    const candidates = [join(dir, ROUTE_MAP_FILE), join(dirname(dir), ROUTE_MAP_FILE)];
    let found: string | undefined;
    for (const c of candidates) if (await isFile(c)) { found = c; break; }
    if (!found) {
      throw new InputError(`no ${ROUTE_MAP_FILE} in ${dir} or its parent, and no --policy`, {
        code: "NO_EXPECTATIONS",
        hint: "pass --policy gateway.policy.yaml, or point --clients at a build's clients/ directory",
      });
    }
    map = await readRouteMapFile(found);
    source = found;
  }
  const names = entries.filter((e) => e.isFile()).map((e) => e.name).sort();
  const known = names.filter((n) => isClientFile(n));
  if (known.length === 0) {
    throw new InputError(`${dir} holds no client file gatewayctl knows`, {
      code: "CLIENTS_DIR",
      hint: "client files keep the names build gives them (aider.conf.yml, openclaw.json, continue.yaml, codex.toml, ...)",
    });
  }
  const files = await Promise.all(known.map(async (n) => ({ path: join(dir, n), content: await readTextWithin(join(dir, n), INPUT_LIMITS.clientFile, "client config file") })));
  const proof = proveClientFiles(map, files);
  return { ...proof, dir, expectationsFrom: source, skipped: names.filter((n) => !isClientFile(n) && !DATA_FILES.test(n)) };
}
