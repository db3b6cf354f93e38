import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { InputError } from "../lib/errors.js";
import { printJson, stderr, stdout } from "../lib/output.js";
import { loadPolicy } from "../policy/load-policy.js";
import { buildGateway } from "../compile/index.js";
import { clientBaseUrl } from "../artifact/gateway.js";
import { CLIENT_DESTINATIONS, CLIENT_NAMES, POLICY_CLIENT_FOR, renderClient, type ClientName } from "./index.js";
import { normaliseBaseUrl } from "./gateway-url.js";
import { clientView, keyEnvOf } from "./routes.js";
import { OPENCLAW_PRIVATE_CLIENT, openClawSettings } from "./openclaw.js";
import { mergeOpenClawFile } from "./openclaw-merge-file.js";
import { findStaleAgentModels, openClawStateDir } from "./openclaw-state.js";
import { writeFileAtomic } from "./write-file.js";

/** `gatewayctl clients <client>`: renders one client's config from the built (proven) policy. */
export interface ClientsOptions {
  client: ClientName;
  policy: string;
  out?: string;
  merge?: string;
  baseUrl?: string;
  /** the policy client whose key and aliases the config uses (default: POLICY_CLIENT_FOR) */
  policyClient?: string;
  /** openclaw only: report whether Docker and the sandbox image are reachable (true, or the openclaw.json to check) */
  check?: boolean | string;
  json: boolean;
}

const OptionsSchema = z.strictObject({
  client: z.enum(CLIENT_NAMES, { error: () => `the client is one of: ${CLIENT_NAMES.join(", ")}` }),
  policy: z.string().min(1),
  out: z.string().min(1).optional(),
  merge: z.string().min(1).optional(),
  baseUrl: z.string().min(1).optional(),
  policyClient: z.string().min(1).optional(),
  check: z.union([z.boolean(), z.string().min(1)]).optional(),
  json: z.boolean(),
});

/** Flags of `gatewayctl clients`, validated. */
export function parseClientsFlags(client: string, flags: Record<string, unknown>): ClientsOptions {
  const { client: policyClient, ...rest } = flags;
  const parsed = OptionsSchema.safeParse({ ...rest, ...(policyClient !== undefined ? { policyClient } : {}), client, json: flags.json === true });
  if (!parsed.success) {
    throw new InputError(parsed.error.issues.map((i) => i.message).join("; "), {
      code: "CLIENTS_OPTIONS",
      hint: "run gatewayctl clients --help",
    });
  }
  return parsed.data;
}

/** Native names for a client's extra files when written beside --out. */
const EXTRA_FILE_NAMES: Record<string, string> = {
  "clients/aider.model.metadata.json": ".aider.model.metadata.json",
  "clients/aider.model.settings.yml": ".aider.model.settings.yml",
  "clients/aider.private.conf.yml": ".aider.private.conf.yml",
  "clients/codex.private.config.toml": "private.config.toml",
};

export async function runClients(options: ClientsOptions): Promise<void> {
  if (options.check !== undefined) {
    if (options.client !== "openclaw") {
      throw new InputError("--check works only for openclaw", { code: "CLIENTS_OPTIONS", hint: "gatewayctl clients openclaw --check [~/.openclaw/openclaw.json]" });
    }
    const { checkOpenClaw, renderOpenClawCheck } = await import("./openclaw-check.js");
    const file = typeof options.check === "string" ? resolve(options.check) : options.merge ? resolve(options.merge) : undefined;
    const report = await checkOpenClaw(file ? { file } : {});
    if (options.json) printJson(report);
    else for (const line of renderOpenClawCheck(report)) stdout(line);
    if (report.blocked.length > 0) process.exitCode = 1;
    return;
  }
  if (options.merge && options.client !== "openclaw") {
    throw new InputError(`--merge works only for openclaw`, {
      code: "CLIENTS_OPTIONS",
      hint: `write the ${options.client} config with --out and merge it by hand`,
    });
  }
  let baseUrl: string;
  if (options.baseUrl !== undefined) {
    const normalised = normaliseBaseUrl(options.baseUrl);
    if (!normalised) {
      throw new InputError(`--base-url ${options.baseUrl} is not an http(s) URL`, {
        code: "CLIENTS_OPTIONS",
        hint: "for example --base-url http://host.docker.internal:4000/v1",
      });
    }
    baseUrl = normalised;
  }
  const loaded = await loadPolicy(options.policy);
  const compiled = buildGateway(loaded);
  for (const w of compiled.warnings) stderr(`warning: ${w.message}`);
  baseUrl ??= clientBaseUrl(compiled.routeMap.gateway);
  const policyClient = options.policyClient ?? POLICY_CLIENT_FOR[options.client];
  if (options.policyClient && !compiled.routeMap.frontDoor.clients.some((c) => c.name === options.policyClient)) {
    throw new InputError(`--client ${options.policyClient}: the policy has no such client`, {
      code: "CLIENTS_OPTIONS",
      hint: `clients in the policy: ${compiled.routeMap.frontDoor.clients.map((c) => c.name).join(", ") || "(none: add a clients: section)"}`,
    });
  }
  const render = renderClient(options.client, compiled.routeMap, baseUrl, policyClient);
  const view = clientView(compiled.routeMap, policyClient);
  if (view.frontDoor.clients.length === 0) {
    stderr(`warning: the policy has no client "${policyClient}": this config reads the key from ${keyEnvOf(view)} and lists every alias; add clients.${policyClient} with its own key (or pass --client NAME)`);
  }
  const warnings: string[] = [];
  const written: string[] = [];
  let changes: string[] = [];
  let backup: { backup?: string; original?: string; unchanged: boolean } | undefined;

  if (options.client === "openclaw" && (options.merge || options.out)) {
    const stateDir = openClawStateDir();
    for (const s of await findStaleAgentModels(stateDir, baseUrl)) {
      warnings.push(
        `${s.file} holds a copy of the litellm provider with baseUrl ${s.baseUrl}. OpenClaw's docs say a non-empty baseUrl ` +
          `there wins over openclaw.json; OpenClaw 2026.9.6 did not use it in gatewayctl's tests (the turn went to ` +
          `openclaw.json's baseUrl), older releases did. If agent "${s.agentId}" still calls ${s.baseUrl}, remove that ` +
          `provider from the file's "providers".`,
      );
    }
  }

  if (options.merge) {
    const merged = await mergeOpenClawFile({
      file: resolve(options.merge),
      out: options.out ? resolve(options.out) : undefined,
      settings: openClawSettings(view, baseUrl, clientView(compiled.routeMap, OPENCLAW_PRIVATE_CLIENT)),
    });
    changes = merged.unchanged ? [] : merged.changes;
    warnings.unshift(...merged.warnings);
    if (!merged.unchanged) written.push(merged.out);
    backup = { ...(merged.backup ? { backup: merged.backup } : {}), ...(merged.original ? { original: merged.original } : {}), unchanged: merged.unchanged };
    if (!options.json) {
      if (merged.unchanged) {
        stderr(`${merged.out} already holds these settings: nothing written, no backup made`);
      } else if (merged.created) {
        stderr(`created ${merged.out} (there was no previous file, so no backup)`);
      } else {
        const kept =
          merged.backup === merged.original
            ? `your file as it was: ${merged.backup}`
            : merged.backup
              ? `your file before this merge: ${merged.backup}; before gatewayctl's first merge: ${merged.original}`
              : "written to --out; your file was not touched";
        stderr(`merged into ${merged.out} (${kept})`);
      }
      for (const c of changes) stderr(`  ${c}`);
      if (!merged.unchanged && !merged.created) stderr("  every other setting was kept; comments of the previous file were not (JSON5 parsing drops them)");
    }
  } else if (options.out) {
    const out = resolve(options.out);
    const [main, ...extra] = render.files;
    if (main) {
      await writeFileAtomic(out, main.content, options.client === "open-webui" ? 0o600 : 0o644);
      written.push(out);
    }
    for (const f of extra) {
      const target = join(dirname(out), EXTRA_FILE_NAMES[f.path] ?? f.path.replace(/^clients\//, ""));
      await writeFileAtomic(target, f.content);
      written.push(target);
    }
    if (!options.json) {
      for (const w of written) stderr(`wrote ${w}`);
      stderr(`put it at: ${CLIENT_DESTINATIONS[options.client]}`);
    }
  }

  if (options.json) {
    printJson({
      client: options.client,
      baseUrl,
      written,
      changes,
      ...(backup ? { merge: backup } : {}),
      warnings,
      usage: render.usage,
      files: options.merge || options.out ? undefined : render.files,
    });
    return;
  }
  for (const w of warnings) stderr(`warning: ${w}`);
  if (!options.merge && !options.out) {
    stdout(render.files[0]?.content ?? "");
    if (render.files.length > 1) stderr(`(with --out, also writes ${render.files.slice(1).map((f) => EXTRA_FILE_NAMES[f.path] ?? f.path).join(", ")} beside it)`);
    stderr(`put it at: ${CLIENT_DESTINATIONS[options.client]}`);
  }
}
