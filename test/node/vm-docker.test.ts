/**
 * A task that needs Docker gets it on its VM: the Hetzner adapter boots Hetzner's Docker CE
 * image for such a VM, and the runner's VM profile lets commands reach the VM's Docker socket,
 * which the sandbox never does.
 */
import { describe, expect, it } from "vitest";
import { HETZNER_DOCKER_IMAGE, HETZNER_IMAGE, HetznerProvider } from "../../src/sandbox/vm/provider.ts";
import { buildBwrapArgs, SANDBOX_PROFILE, VM_PROFILE, type HostLayout } from "../../src/sandbox/runner/sandbox.ts";

const layout: HostLayout = { topLevel: [], nodeBinary: null, hasPrlimit: true, dockerSocket: "/var/run/docker.sock" };
const spec = { workspaceDir: "/w/files", etcDir: "/w/etc", network: false, layout };
/** Whether `args` bind-mount the Docker socket. */
const bindsDocker = (args: string[]) => args.some((arg, i) => arg === "--bind" && args[i + 1] === "/var/run/docker.sock");

describe("Docker on a VM", () => {
  it("binds the VM's Docker socket for VM commands only, and only when the VM has one", () => {
    expect(bindsDocker(buildBwrapArgs({ ...spec, profile: VM_PROFILE }))).toBe(true);
    expect(bindsDocker(buildBwrapArgs({ ...spec, profile: SANDBOX_PROFILE }))).toBe(false);
    expect(bindsDocker(buildBwrapArgs(spec))).toBe(false);
    expect(bindsDocker(buildBwrapArgs({ ...spec, layout: { ...layout, dockerSocket: null }, profile: VM_PROFILE }))).toBe(false);
  });

  it("boots Hetzner's Docker CE image for a VM that needs Docker, Ubuntu otherwise", async () => {
    const images: unknown[] = [];
    const fakeFetch = (async (_url: string | URL | Request, init?: RequestInit) => {
      images.push((JSON.parse(String(init?.body)) as { image: unknown }).image);
      return Response.json({ server: { id: 7, name: "sam-x", status: "initializing", created: "2026-11-30T00:00:00Z", labels: {} } }, { status: 201 });
    }) as typeof fetch;
    const provider = new HetznerProvider({ token: "t", baseUrl: "http://hetzner.invalid", fetch: fakeFetch });
    const request = { name: "sam-x", serverType: "cx22", userData: "#!/bin/bash\n", labels: { sam: "1" } };
    await provider.create({ ...request, docker: true });
    await provider.create(request);
    expect(images).toEqual([HETZNER_DOCKER_IMAGE, HETZNER_IMAGE]);
  });
});
