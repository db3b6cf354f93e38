import type { RuntimeKind } from "../artifact/types.js";
import type { CloudProvider, InitClientChoice, LaneKey, LocalType, SecretsProviderChoice } from "./catalog.js";

/** Everything `init` needs to write a policy: from the wizard's questions or from flags with --yes. */
export interface InitAnswers {
  /** chosen lanes, in the recommended order */
  lanes: LaneKey[];
  /** lanes that may send requests off the network (only meaningful with a cloud provider) */
  cloudLanes: LaneKey[];
  local: { type: LocalType; url: string };
  /** the local model (its name on the backend) for each chosen lane */
  laneModels: Partial<Record<LaneKey, string>>;
  cloud: CloudProvider[];
  secrets: { provider: SecretsProviderChoice; file?: string; command?: string };
  runtime: RuntimeKind;
  /** the gateway's port (default 4000) */
  port?: number;
  /** a LiteLLM image other than the pinned official one (the locally built release), for the Docker runtime */
  image?: string;
  /** the clients that get a policy entry and a key of their own (default openclaw and scripts) */
  clients?: InitClientChoice[];
}
