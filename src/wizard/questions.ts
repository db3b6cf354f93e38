import type { RuntimeKind } from "../artifact/types.js";
import { checkbox, confirm, input, select, Separator } from "@inquirer/prompts";
import type { InitAnswers } from "./answers.js";
import {
  CLOUD,
  CLOUD_PROVIDERS,
  DEFAULT_LOCAL_URL,
  DEFAULT_SECRETS_COMMAND,
  DEFAULT_SECRETS_FILE,
  DEFAULT_INIT_CLIENTS,
  INIT_CLIENT_CHOICES,
  INIT_CLIENTS,
  LANE_KEYS,
  LANES,
  type CloudProvider,
  type InitClientChoice,
  type LaneKey,
  type LocalType,
  type SecretsProviderChoice,
} from "./catalog.js";
import { dockerImageChoice, normaliseLocalUrl, probeLocalBackend, runtimeReachNotes, type ProbeResult } from "./probe.js";
import { DEFAULT_PORT, validateLocalUrl, validateModelName, validatePort, validateSecretsCommand } from "./project-files.js";

/** Answers given as flags: the wizard takes each as the answer and asks only the rest. */
export interface QuestionDefaults {
  lanes?: LaneKey[];
  cloudLanes?: LaneKey[];
  localType?: LocalType;
  localUrl?: string;
  localModel?: string;
  cloud?: CloudProvider[];
  secretsProvider?: SecretsProviderChoice;
  secretsFile?: string;
  secretsCommand?: string;
  runtime?: RuntimeKind;
  port?: number;
  clients?: InitClientChoice[];
}

export interface WizardResult {
  answers: InitAnswers;
  probe: ProbeResult;
  createSecretsFile: boolean;
}

const TYPE_ANOTHER = "\u0000type";

/** Validation as you type: the problem shows beside the text on every keystroke, not only on Enter. */
function liveCheck(validate: (v: string) => true | string) {
  return (value: string, { isFinal }: { isFinal: boolean }): string => {
    if (isFinal || value === "") return value;
    const ok = validate(value);
    return ok === true ? value : `${value}   (${ok})`;
  };
}

/** Picks the installed model that fits a lane best, else the first one. */
function preferredModel(lane: LaneKey, models: string[], fallback?: string): string | undefined {
  if (fallback && models.includes(fallback)) return fallback;
  if (lane === "coding") return models.find((m) => /code|coder|devstral|starcoder/i.test(m)) ?? models[0];
  return models[0];
}

async function askModel(lane: LaneKey, probe: ProbeResult, defaults: QuestionDefaults, open: boolean): Promise<string> {
  // a lane that may not use the cloud has its local model as its only model: no "fallback when the cloud fails"
  const message = `Local model for the ${lane} lane (${open ? LANES[lane].localRole : "the only model"})`;
  if (probe.ok && probe.models.length > 0) {
    const choice = await select({
      message,
      default: preferredModel(lane, probe.models, defaults.localModel),
      choices: [
        ...probe.models.map((m) => ({ name: m, value: m })),
        new Separator(),
        { name: "Type another name", value: TYPE_ANOTHER, short: "(type a name)", description: "a model that is not installed yet" },
      ],
      pageSize: 12,
    });
    if (choice !== TYPE_ANOTHER) return choice;
  }
  return (
    await input({
      message: `${message}: name`,
      default: defaults.localModel,
      validate: validateModelName,
      transformer: liveCheck(validateModelName),
    })
  ).trim();
}

/** The interactive wizard. Prompts go to the terminal; nothing is written here. */
export async function askQuestions(defaults: QuestionDefaults, print: (line: string) => void): Promise<WizardResult> {
  const given = (what: string, value: string, flag: string) => print(`${what}: ${value} (from ${flag})`);
  if (defaults.lanes) given("Lanes", defaults.lanes.join(", "), "--lanes");
  const lanes = defaults.lanes ?? await checkbox<LaneKey>({
    message: "Which work lanes do you want? (space toggles, enter confirms)",
    choices: LANE_KEYS.map((key) => ({
      value: key,
      name: `${key.padEnd(8)} ${LANES[key].description}`,
      short: key,
      checked: defaults.lanes ? defaults.lanes.includes(key) : true,
    })),
    required: true,
    pageSize: 10,
  });

  if (defaults.localType) given("Local model server", defaults.localType, "--local-type");
  const type = defaults.localType ?? await select<LocalType>({
    message: "Local model server",
    default: "ollama",
    choices: [
      { name: "Ollama", value: "ollama", description: "asks GET /api/tags for the installed models" },
      { name: "OpenAI-compatible (vLLM, llama.cpp, LM Studio...)", value: "openai-compatible", description: "asks GET /v1/models" },
    ],
  });
  if (defaults.localUrl) given("Its URL", defaults.localUrl, "--local-url");
  const url = normaliseLocalUrl(
    type,
    defaults.localUrl ??
      (await input({
        message: "Its URL",
        default: DEFAULT_LOCAL_URL[type],
        validate: validateLocalUrl,
        transformer: liveCheck(validateLocalUrl),
      })),
  );
  print(`Asking ${url} for its models...`);
  const probe = await probeLocalBackend(type, url);
  if (probe.ok) {
    print(
      probe.models.length > 0
        ? `Found ${probe.models.length} installed model${probe.models.length === 1 ? "" : "s"}: ${probe.models.join(", ")}`
        : `The server answered but has no models installed; type the names you will install.`,
    );
  } else {
    print(`Could not reach the local backend at ${probe.url}: ${probe.reason}.`);
    print(`You can continue and type the model names; start the server before \`gatewayctl start\`.`);
  }

  if (defaults.cloud) given("Cloud providers", defaults.cloud.join(", ") || "none", "--cloud");
  const cloud = defaults.cloud ?? await checkbox<CloudProvider>({
    message: "Cloud providers to allow (none is fine: then nothing leaves your network)",
    choices: CLOUD_PROVIDERS.map((c) => ({
      value: c,
      name: `${CLOUD[c].label.padEnd(10)} key from the secret ${CLOUD[c].secret}`,
      short: CLOUD[c].label,
      checked: defaults.cloud?.includes(c) ?? false,
    })),
  });

  let cloudLanes: LaneKey[] = [];
  const openable = lanes.filter((l) => l !== "private");
  if (cloud.length > 0 && openable.length > 0 && defaults.cloudLanes) {
    cloudLanes = defaults.cloudLanes.filter((l) => (openable as LaneKey[]).includes(l));
    given("Lanes that may use the cloud", cloudLanes.join(", ") || "none", "--cloud-lanes");
  } else if (cloud.length > 0 && openable.length > 0) {
    cloudLanes = await checkbox<LaneKey>({
      message: "Which lanes may send requests to those cloud providers?",
      choices: lanes.map((l) =>
        l === "private"
          ? { value: l, name: `${l.padEnd(8)} never`, disabled: "(always local only)" }
          : {
              value: l,
              name: `${l.padEnd(8)} ${LANES[l].openPrivacy === "local-first" ? "local first, cloud as fallback" : "cloud first, local as fallback"}`,
              short: l,
              checked: LANES[l].openByDefault,
            },
      ),
    });
  }

  const laneModels: Partial<Record<LaneKey, string>> = {};
  if (defaults.localModel) {
    given("Local model for every lane", defaults.localModel, "--local-model");
    for (const lane of lanes) laneModels[lane] = defaults.localModel;
  } else if (probe.ok && probe.models.length === 1) {
    const only = probe.models[0] as string;
    print(`Using ${only} (the only installed model) for every lane; edit the policy later to add more.`);
    for (const lane of lanes) laneModels[lane] = only;
  } else {
    for (const lane of lanes) laneModels[lane] = await askModel(lane, probe, defaults, cloud.length > 0 && cloudLanes.includes(lane));
  }

  if (defaults.runtime) given("Runtime", defaults.runtime, "--runtime");
  const runtime = defaults.runtime ?? await select<RuntimeKind>({
    message: "How should the LiteLLM gateway run?",
    default: "docker",
    choices: [
      { name: "Docker container (recommended)", value: "docker" },
      { name: "Local process (LiteLLM installed with pip)", value: "process" },
    ],
  });

  for (const line of await runtimeReachNotes(runtime, type, url, probe)) print(line);
  const imageChoice = runtime === "docker" ? await dockerImageChoice() : { notes: [] };
  for (const line of imageChoice.notes) print(line);

  if (defaults.port !== undefined) given("Port", String(defaults.port), "--port");
  const port =
    defaults.port ??
    Number(
      await input({
        message: "Port the gateway listens on (clients use http://127.0.0.1:<port>/v1)",
        default: String(DEFAULT_PORT),
        validate: validatePort,
        transformer: liveCheck(validatePort),
      }),
    );

  if (defaults.clients) given("Clients", defaults.clients.join(", ") || "none", "--clients");
  const clients = defaults.clients ?? await checkbox<InitClientChoice>({
    message: "Which clients will use the gateway? Each gets its own key and only its lanes (space toggles, enter confirms)",
    choices: INIT_CLIENT_CHOICES.map((c) => ({
      value: c,
      name: INIT_CLIENTS[c].description,
      short: c,
      checked: DEFAULT_INIT_CLIENTS.includes(c),
    })),
    pageSize: 12,
  });

  if (defaults.secretsProvider) given("Secrets", defaults.secretsProvider, "--secrets-provider");
  const provider = defaults.secretsProvider ?? await select<SecretsProviderChoice>({
    message: "Where do secret values (master key, cloud keys) come from?",
    default: "env-file",
    choices: [
      { name: "A secrets file readable only by you (env-file)", value: "env-file", description: "a dotenv file with mode 0600, git-ignored" },
      { name: "Environment variables (env)", value: "env", description: "exported in the shell that runs gatewayctl start" },
      { name: "A command, e.g. pass or a vault CLI (command)", value: "command", description: "run without a shell, {name} is the secret name" },
    ],
  });
  const secrets: InitAnswers["secrets"] = { provider };
  let createSecretsFile = false;
  if (provider === "env-file") {
    if (defaults.secretsFile) given("Secrets file", defaults.secretsFile, "--secrets-file");
    secrets.file = (
      defaults.secretsFile ??
      (await input({
        message: "Secrets file (relative to the policy's directory)",
        default: DEFAULT_SECRETS_FILE,
        validate: (v) => (v.trim() === "" ? "a file path" : true),
      }))
    ).trim();
    createSecretsFile = await confirm({
      message: `Create ${secrets.file} now (mode 0600) with a generated master key and empty cloud keys? (an existing file is kept)`,
      default: true,
    });
  } else if (provider === "command") {
    if (defaults.secretsCommand) given("Secrets command", defaults.secretsCommand, "--secrets-command");
    secrets.command = (
      defaults.secretsCommand ??
      (await input({
        message: "Command that prints a secret ({name} is its name)",
        default: DEFAULT_SECRETS_COMMAND,
        validate: validateSecretsCommand,
      }))
    ).trim();
  }

  return { answers: { lanes, cloudLanes, local: { type, url }, laneModels, cloud, secrets, runtime, port, clients, ...(imageChoice.image ? { image: imageChoice.image } : {}) }, probe, createSecretsFile };
}
