/** The systemd unit `gatewayctl sync --print-systemd-unit` emits (rendering only; systemd-analyze checks it in e2e). */
import { describe, expect, it } from "vitest";
import { DEFAULT_UNIT_USER, renderSystemdUnit, systemdQuote, unitUser } from "../../src/runtime/sync-systemd.js";

describe("systemdQuote", () => {
  it("leaves plain paths alone, quotes spaces and quotes, doubles % (a systemd specifier)", () => {
    expect(systemdQuote("/usr/bin/node")).toBe("/usr/bin/node");
    expect(systemdQuote("/srv/my gateway/p.yaml")).toBe('"/srv/my gateway/p.yaml"');
    expect(systemdQuote('/a"b')).toBe('"/a\\"b"');
    expect(systemdQuote("/srv/100%/p.yaml")).toBe("/srv/100%%/p.yaml");
    expect(systemdQuote("")).toBe('""');
  });
});

describe("renderSystemdUnit", () => {
  const base = { policyFile: "/etc/gatewayctl/gateway.policy.yaml", node: "/usr/bin/node", cli: "/opt/gatewayctl/dist/cli.js" };

  it("docker: waits for docker.service and the network, never for a mount; sync may fail", async () => {
    const unit = await renderSystemdUnit({ ...base, runtime: "docker", dockerHost: "unix:///run/docker.sock" });
    expect(unit).toContain("ExecStartPre=-/usr/bin/node /opt/gatewayctl/dist/cli.js sync --policy /etc/gatewayctl/gateway.policy.yaml\n");
    expect(unit).toContain("ExecStart=/usr/bin/node /opt/gatewayctl/dist/cli.js start --policy /etc/gatewayctl/gateway.policy.yaml\n");
    expect(unit).toContain("After=network-online.target docker.service\n");
    expect(unit).toContain("Environment=DOCKER_HOST=unix:///run/docker.sock\n");
    expect(unit).not.toMatch(/^RequiresMountsFor=/m);
    expect(unit).not.toMatch(/\{\{[A-Z_]+\}\}/);
  });

  it("process: no docker.service, no DOCKER_HOST", async () => {
    const unit = await renderSystemdUnit({ ...base, runtime: "process", dockerHost: "unix:///run/docker.sock" });
    expect(unit).toContain("After=network-online.target\n");
    expect(unit).not.toContain("docker.service");
    expect(unit).not.toContain("DOCKER_HOST");
  });

  it("is deterministic for the same input", async () => {
    const a = await renderSystemdUnit({ ...base, runtime: "docker", dockerHost: "unix:///x.sock" });
    const b = await renderSystemdUnit({ ...base, runtime: "docker", dockerHost: "unix:///x.sock" });
    expect(a).toBe(b);
  });
});

describe("the unit's user", () => {
  const base = { policyFile: "/home/alice/gw/gateway.policy.yaml", node: "/usr/bin/node", cli: "/opt/gatewayctl/dist/cli.js" };

  it("runs as a non-root user: the one printing it, the sudo user under sudo, else the gatewayctl system user", async () => {
    expect(unitUser({}, 1000, "alice")).toBe("alice");
    expect(unitUser({ SUDO_USER: "alice" }, 0, "root")).toBe("alice");
    expect(unitUser({ SUDO_USER: "root" }, 0, "root")).toBe(DEFAULT_UNIT_USER);
    expect(unitUser({}, 0, "root")).toBe(DEFAULT_UNIT_USER);
    const unit = await renderSystemdUnit({ ...base, runtime: "process", user: "alice" });
    expect(unit).toMatch(/^User=alice$/m);
    expect(unit).toMatch(/^NoNewPrivileges=yes$/m);
    expect(unit).not.toContain("useradd");
    const system = await renderSystemdUnit({ ...base, runtime: "docker", user: DEFAULT_UNIT_USER });
    expect(system).toMatch(/^User=gatewayctl$/m);
    expect(system).toContain("# Create the user first: useradd --system");
    // the Docker socket is reached through its group, not as root
    expect(system).toMatch(/^SupplementaryGroups=docker$/m);
  });

  it("refuses to run as root, and a name systemd would not take", async () => {
    await expect(renderSystemdUnit({ ...base, runtime: "process", user: "root" })).rejects.toMatchObject({ code: "UNIT_USER_ROOT" });
    await expect(renderSystemdUnit({ ...base, runtime: "process", user: "al ice\nUser=root" })).rejects.toMatchObject({ code: "UNIT_USER_INVALID" });
  });
});
