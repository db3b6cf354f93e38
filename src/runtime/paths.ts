import { homedir } from "node:os";
import { dirname, basename, join, resolve } from "node:path";
import { generationsDirOf, ledgerDirOf, stateDirOf } from "../artifact/gateway.js";

/** Expand a leading `~/` and resolve relative paths against `base`. */
export function expandPath(p: string, base: string = process.cwd()): string {
  if (p === "~") return homedir();
  if (p.startsWith("~/")) return join(homedir(), p.slice(2));
  return resolve(base, p);
}

/**
 * Layout around a runtime directory `D` (all siblings, so one filesystem and atomic renames):
 *   D                 the live runtime (what the gateway reads; swapped atomically by sync)
 *   D.generations/    previous generations and the manifest, owned by sync
 *   D.state/          state of what is running (process pid, log, container id), owned by the runtimes
 *   D.state/ledger/   the request ledger the gateway appends to (gatewayctl_ledger.py), read by `report`
 *   D.lock            the sync lock
 */
export interface RuntimePaths {
  dir: string;
  generations: string;
  stateDir: string;
  ledgerDir: string;
  lock: string;
}

export function runtimePaths(dir: string): RuntimePaths {
  // the generations directory name is the artifact module's (compose mounts it too)
  const parent = dirname(dir);
  const name = basename(dir);
  return {
    dir,
    generations: generationsDirOf(join(parent, name)),
    stateDir: stateDirOf(join(parent, name)),
    ledgerDir: ledgerDirOf(join(parent, name)),
    lock: join(parent, `${name}.lock`),
  };
}
