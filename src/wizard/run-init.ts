import type { RuntimeKind } from "../artifact/types.js";
import { access, mkdir, open, readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { InputError, OperationError } from "../lib/errors.js";
import { printJson, stderr, stdout } from "../lib/output.js";
import { expandPath } from "../runtime/paths.js";
import { parsePolicy } from "../policy/load-policy.js";
import { writeFileAtomic } from "../clients/write-file.js";
import type { InitAnswers } from "./answers.js";
import type { Policy } from "../policy/schema.js";
import {
  DEFAULT_LOCAL_URL,
  DEFAULT_SECRETS_COMMAND,
  DEFAULT_SECRETS_FILE,
  INIT_CLIENTS,
  LANE_KEYS,
  LANES,
  DEFAULT_INIT_CLIENTS,
  type CloudProvider,
  type InitClientChoice,
  type LaneKey,
  type LocalType,
  type SecretsProviderChoice,
} from "./catalog.js";
import { clientSecretNames, renderPolicyYaml, secretNames, usedCloudProviders } from "./policy-document.js";
import { normaliseLocalUrl, probeLocalBackend, type ProbeResult } from "./probe.js";
import {
  appendGitignore,
  envExampleContent,
  generateMasterKey,
  gitignoreEntries,
  secretsFileContent,
  validateLocalUrl,
  validateModelName,
  validateSecretsCommand,
} from "./project-files.js";

export const DEFAULT_POLICY_NAME = "gateway.policy.yaml";

export interface InitOptions {
  yes: boolean;
  force: boolean;
  json: boolean;
  dir: string;
  policy?: string;
  lanes?: LaneKey[];
  cloudLanes?: LaneKey[];
  localType?: LocalType;
  localUrl?: string;
  localModel?: string;
  cloud?: CloudProvider[];
  secretsProvider?: SecretsProviderChoice;
  secretsFile?: string;
  secretsCommand?: string;
  createSecrets: boolean;
  runtime?: RuntimeKind;
  port?: number;
  clients?: InitClientChoice[];
  /** probe timeout, ms */
  probeTimeoutMs?: number;
}

export interface InitReport {
  policy: string;
  written: string[];
  kept: string[];
  gitignoreAdded: string[];
  secretsFile?: { path: string; created: boolean };
  probe: ProbeResult;
  routes: string[];
  notes: string[];
  nextSteps: string[];
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

function bad(message: string, hint: string): InputError {
  return new InputError(message, { code: "INIT_OPTIONS", hint });
}

/** --yes: every answer from flags and defaults; the first installed model when --local-model is not given. */
async function answersFromFlags(o: InitOptions): Promise<{ answers: InitAnswers; probe: ProbeResult }> {
  const type = o.localType ?? "ollama";
  const rawUrl = o.localUrl ?? DEFAULT_LOCAL_URL[type];
  const urlOk = validateLocalUrl(rawUrl);
  if (urlOk !== true) throw bad(`--local-url ${rawUrl}: ${urlOk}`, "pass the URL of your local model server");
  const url = normaliseLocalUrl(type, rawUrl);
  const probe = await probeLocalBackend(type, url, o.probeTimeoutMs);
  let model = o.localModel;
  if (model !== undefined) {
    const ok = validateModelName(model);
    if (ok !== true) throw bad(`--local-model ${model}: ${ok}`, "the model's name as the backend knows it");
  } else if (probe.ok && probe.models.length > 0) {
    model = probe.models[0];
  } else {
    throw bad(
      probe.ok
        ? `the local backend at ${url} has no models installed, so there is none to choose`
        : `could not reach the local backend at ${probe.url}: ${probe.reason}`,
      "pass --local-model NAME (the model's name on the backend), or start the backend and run init again",
    );
  }
  const lanes = o.lanes ?? [...LANE_KEYS];
  const cloud = o.cloud ?? [];
  const cloudLanes = (o.cloudLanes ?? LANE_KEYS.filter((l) => LANES[l].openByDefault)).filter((l) => lanes.includes(l));
  const provider = o.secretsProvider ?? "env-file";
  const secrets: InitAnswers["secrets"] = { provider };
  if (provider === "env-file") secrets.file = o.secretsFile ?? DEFAULT_SECRETS_FILE;
  if (provider === "command") {
    secrets.command = o.secretsCommand ?? DEFAULT_SECRETS_COMMAND;
    const ok = validateSecretsCommand(secrets.command);
    if (ok !== true) throw bad(`--secrets-command: ${ok}`, "for example --secrets-command 'pass show gateway/{name}'");
  }
  const laneModels: Partial<Record<LaneKey, string>> = {};
  for (const l of lanes) laneModels[l] = model as string;
  return {
    answers: { lanes, cloudLanes, local: { type, url }, laneModels, cloud, secrets, runtime: o.runtime ?? "docker", ...(o.port !== undefined ? { port: o.port } : {}), clients: o.clients ?? [...DEFAULT_INIT_CLIENTS] },
    probe,
  };
}

/** The path written into the policy for the secrets file: relative to the policy's directory when inside it. */
function secretsPathForPolicy(file: string, projectDir: string): string {
  if (file.startsWith("~/") || !isAbsolute(file)) return file.split(sep).join("/");
  const rel = relative(projectDir, file);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel.split(sep).join("/") : file;
}

/** Creates the secrets file with mode 0600; never overwrites one. Returns false when it already existed. */
async function createSecretsFile(path: string, content: string): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let handle;
  try {
    handle = await open(path, "wx", 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new OperationError(`cannot create the secrets file ${path}`, { code: "INIT_SECRETS", cause: err, hint: "check the directory's permissions" });
  }
  try {
    await handle.chmod(0o600);
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  return true;
}

export async function runInit(o: InitOptions): Promise<InitReport> {
  const policyPath = resolve(o.policy ?? join(o.dir, DEFAULT_POLICY_NAME));
  const projectDir = dirname(policyPath);
  if ((await exists(policyPath)) && !o.force) {
    throw new InputError(`${policyPath} already exists; nothing was written`, {
      code: "INIT_EXISTS",
      hint: "run `gatewayctl init --force` to overwrite it (an existing secrets file is never overwritten)",
    });
  }
  if (!o.yes && !process.stdin.isTTY) {
    throw new InputError("init asks questions, but stdin is not a terminal", {
      code: "INIT_NO_TTY",
      hint: "run it in a terminal, or pass --yes with flags (--lanes, --local-url, --local-model, --cloud, --secrets-provider)",
    });
  }

  let answers: InitAnswers;
  let probe: ProbeResult;
  let wantSecretsFile: boolean;
  const imageNotes: string[] = [];
  if (o.yes) {
    ({ answers, probe } = await answersFromFlags(o));
    wantSecretsFile = o.createSecrets;
    if (answers.runtime === "docker") {
      // the interactive wizard does this right after the runtime question
      const { dockerImageChoice } = await import("./probe.js");
      const choice = await dockerImageChoice();
      if (choice.image) answers.image = choice.image;
      imageNotes.push(...choice.notes);
    }
  } else {
    const { askQuestions } = await import("./questions.js");
    try {
      const r = await askQuestions(o, (line) => stderr(line));
      ({ answers, probe } = r);
      wantSecretsFile = r.createSecretsFile && o.createSecrets;
    } catch (err) {
      if ((err as Error).name === "ExitPromptError") {
        throw new OperationError("init was cancelled; nothing was written", { code: "INIT_CANCELLED", hint: "run gatewayctl init again" });
      }
      throw err;
    }
  }

  let secretsPath: string | undefined;
  if (answers.secrets.provider === "env-file") {
    secretsPath = expandPath(answers.secrets.file ?? DEFAULT_SECRETS_FILE, projectDir);
    answers.secrets.file = secretsPathForPolicy(answers.secrets.file ?? DEFAULT_SECRETS_FILE, projectDir);
  }

  const policyText = renderPolicyYaml(answers);
  // the loader and the compiler's privacy proof must accept what init writes; a failure here is a bug in init,
  // reported before anything is written
  const parsed = parsePolicy(policyText, policyPath);
  const { buildGateway } = await import("../compile/index.js");
  buildGateway({ ...parsed, file: policyPath, dir: projectDir, source: policyText });

  const report: InitReport = {
    policy: policyPath,
    written: [],
    kept: [],
    gitignoreAdded: [],
    probe,
    routes: [],
    notes: [],
    nextSteps: [],
  };
  if (o.yes) {
    // the interactive wizard printed these already, right after the runtime question
    const { runtimeReachNotes } = await import("./probe.js");
    const reach = await runtimeReachNotes(answers.runtime, answers.local.type, answers.local.url, probe, undefined, o.probeTimeoutMs);
    if (reach.length > 0) report.notes.push(reach.join(" "));
    if (imageNotes.length > 0) report.notes.push(imageNotes.join(" "));
  }
  const used = usedCloudProviders(answers);
  const unused = answers.cloud.filter((c) => !used.includes(c));
  if (unused.length > 0) {
    report.notes.push(
      `${unused.join(", ")} ${unused.length === 1 ? "is" : "are"} allowed (listed under backends) but no route uses ${unused.length === 1 ? "it" : "them"}: ` +
        "no chosen lane may use the cloud, or another provider serves it",
    );
  }
  report.routes = Object.keys(parsed.policy.routes);

  await writeFileAtomic(policyPath, policyText);
  report.written.push(policyPath);

  const envExample = join(projectDir, ".env.example");
  if (!(await exists(envExample)) || o.force) {
    await writeFileAtomic(envExample, envExampleContent(answers));
    report.written.push(envExample);
  } else {
    report.kept.push(envExample);
  }

  const inProject =
    secretsPath && !relative(projectDir, secretsPath).startsWith("..") && !isAbsolute(relative(projectDir, secretsPath))
      ? relative(projectDir, secretsPath).split(sep).join("/")
      : undefined;
  const gitignorePath = join(projectDir, ".gitignore");
  let gitignoreText: string | undefined;
  try {
    gitignoreText = await readFile(gitignorePath, "utf8");
  } catch {
    gitignoreText = undefined;
  }
  const appended = appendGitignore(gitignoreText, gitignoreEntries(inProject));
  if (appended) {
    await writeFileAtomic(gitignorePath, appended.content);
    report.gitignoreAdded = appended.added;
    report.written.push(gitignorePath);
  }

  if (secretsPath && wantSecretsFile) {
    const created = await createSecretsFile(secretsPath, secretsFileContent(answers, generateMasterKey()));
    report.secretsFile = { path: secretsPath, created };
    if (created) report.written.push(secretsPath);
    else report.kept.push(secretsPath);
  } else if (secretsPath) {
    report.secretsFile = { path: secretsPath, created: false };
  }

  const policyFlag = relative(process.cwd(), policyPath) === DEFAULT_POLICY_NAME ? "" : ` --policy ${relative(process.cwd(), policyPath) || policyPath}`;
  const names = secretNames(answers);
  const clientNames = clientSecretNames(answers);
  const cloudNames = names.slice(1).filter((n) => !clientNames.includes(n));
  const fill =
    answers.secrets.provider === "env-file"
      ? report.secretsFile?.created
        ? cloudNames.length > 0
          ? `fill in ${cloudNames.join(", ")} in ${secretsPath} (the master key and the clients' keys are generated)`
          : `nothing to fill in: ${secretsPath} holds the generated master key and clients' keys`
        : `put ${names.join(", ")} in ${secretsPath} (mode 0600)`
      : answers.secrets.provider === "command"
        ? `store ${names.join(", ")} where \`${answers.secrets.command}\` finds them`
        : `export ${names.join(", ")} in the shell that runs gatewayctl start`;
  report.nextSteps = [
    fill,
    `gatewayctl build${policyFlag}          # proves the routes and writes generated/ (commit it)`,
    `gatewayctl start${policyFlag}`,
    `gatewayctl test-routes${policyFlag}`,
    ...clientSteps(answers, parsed.policy, policyFlag, answers.secrets.provider === "env-file" ? secretsPath : undefined),
  ];
  return report;
}

/** How each chosen client's file is made: `gatewayctl clients <kind>`, and where it goes. */
const CLIENT_STEP: Record<InitClientChoice, string> = {
  openclaw: "clients openclaw{policy} --merge ~/.openclaw/openclaw.json",
  scripts: "clients env{policy} --out env.sh && . ./env.sh",
  aider: "clients aider{policy} --out <your repo>/.aider.conf.yml",
  continue: "clients continue{policy}        # into ~/.continue/config.yaml",
  codex: "clients codex{policy}           # merge into ~/.codex/config.toml",
  "claude-code": "clients claude-code{policy}     # merge env into ~/.claude/settings.json",
  opencode: "clients opencode{policy} --out <your project>/opencode.json",
  "open-webui": "clients open-webui{policy} --out open-webui.env   # then fill in OPENAI_API_KEY, docker run --env-file",
  librechat: "clients librechat{policy}       # merge endpoints.custom into librechat.yaml",
  llm: "clients llm{policy} --out \"$(dirname \"$(llm logs path)\")/extra-openai-models.yaml\"",
};

/** One step per chosen client: export its own key (read from the secrets file when init made one), then its file. */
function clientSteps(answers: InitAnswers, policy: Policy, policyFlag: string, secretsPath: string | undefined): string[] {
  const file = secretsPath === undefined ? undefined : relative(process.cwd(), secretsPath) || secretsPath;
  const exportKey = (name: string) => (file ? `export ${name}="$(sed -n 's/^${name}=//p' ${file})"` : `export ${name}=<its key>`);
  return (answers.clients ?? [...DEFAULT_INIT_CLIENTS]).map((kind) => {
    const keys: string[] = [INIT_CLIENTS[kind].secret];
    if (kind === "openclaw" && policy.clients["openclaw-private"]) keys.push(INIT_CLIENTS["openclaw-private"].secret);
    return `${keys.map(exportKey).join("; ")}; gatewayctl ${CLIENT_STEP[kind].replace("{policy}", policyFlag)}`;
  });
}

export function renderInitReport(report: InitReport, json: boolean): void {
  if (json) {
    printJson(report);
    return;
  }
  for (const f of report.written) stdout(`wrote ${f}`);
  for (const f of report.kept) stdout(`kept ${f} (already there)`);
  if (report.gitignoreAdded.length > 0) stdout(`.gitignore: added ${report.gitignoreAdded.join(", ")}`);
  if (report.secretsFile?.created) stdout(`created ${report.secretsFile.path} (mode 0600) with a new master key`);
  if (!report.probe.ok) stdout(`note: the local backend did not answer (${report.probe.reason}); start it before the gateway`);
  for (const n of report.notes) stdout(`note: ${n}`);
  stdout(`routes: ${report.routes.join(", ")}`);
  stdout("\nNext steps:");
  report.nextSteps.forEach((s, i) => stdout(`  ${i + 1}. ${s}`));
}
